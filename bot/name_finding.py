"""Finding what a question names: service models, services (aliases, typos, features), providers.

A mixin of :class:`bot.resolver.Resolver` (like the store's mixins): ``_index_names`` builds the alias index once;
the ``_take_*`` methods mark the words they use in ``used``. Word lists live in bot/scope.py.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from bot.duty import placed_after
from bot.matrix import Matrix, Model, Provider, Service, ServiceCatalog
from bot.off_topic import vendor_words
from bot.scope import CLOUD_MODEL_WORDS, MODEL_CONTEXT_WORDS, MODEL_PHRASES, PRODUCT_NAMES, PROVIDER_WORDS, PhraseIndex, degenerate
from bot.task_match import TaskIndex, TaskMatch
from bot.textmatch import STOP_WORDS, Vocabulary, clauses, content_tokens, is_swap_typo, raw_tokens, stem
from bot.vocabulary import ProviderVocabulary, Term

# words that compare with, or leave, a model ("*like we did* on prem", "moved *from* on prem", "*unlike* on prem")
_COMPARED = frozenset("like as unlike than from versus vs compared".split())
_BETWEEN = frozenset("we you they i did do does used to had back in the days our old".split())
_PAST = frozenset("had used did ran were was paid bought kept patched managed owned".split())


# words of a clause that tells how it was ("on eks we *had* to ...", "rds *pushed* minor patches for us", "*like* lambda's
# function-update mode")
_TOLD = frozenset("""had was were did used ran ticked picked pushed came coming wrote handled took kept before
previously happened thought""".split())
_COMPARING = frozenset({"like", "unlike"})


# word pairs that ask whose side something is ("is that *on us*", "*do we* have to", "... *or us*")
_SIDE_PAIRS = frozenset({("on", "us"), ("do", "we"), ("are", "we"), ("should", "we"), ("us", "or"), ("or", "us"),
                         ("our", "job"), ("up", "to"), ("or", "we"), ("or", "is"), ("or", "does"), ("or", "do"),
                         ("is", "it"), ("must", "we"), ("can", "we"), ("that", "us")})


# words that open a lead-in naming where something was ("*with* efs, aws backup ran nightly off a plan")
_PLACE_OPENERS = frozenset("with on in at for".split())


def _asks_a_side(words: Sequence[str]) -> bool:
    return any((words[k], words[k + 1]) in _SIDE_PAIRS for k in range(len(words) - 1))


# after "on <cloud> we": words that make it what we have or want now ("in azure *we need* ...", "on gcp *we are* ...")
_NOT_DONE = frozenset("""need needs want are re have ve will ll can could should must do don t is plan""".split())


def _we_did_there(words: Sequence[str]) -> bool:
    """A clause opened by a place and what we did there ("*on aws we* babysat our own patch baselines", "*in gcp we*
    let os config handle it", "*in cloudwatch we* set retention per log group"; not "for", a purpose)."""
    if not words or words[0] not in _PLACE_OPENERS - {"for"}:
        return False
    return any(words[k] == "we" and k + 1 < len(words) and words[k + 1] not in _NOT_DONE for k in range(2, min(5, len(words))))


def _told_as_past(toks: Sequence[str], end: int) -> bool:
    """The model phrase ending at ``end`` opens what we did before ("*on prem we had* a cmdb team")."""
    return toks[end:end + 1] in (["we"], ["i"]) and end + 1 < len(toks) and toks[end + 1] in _PAST


# a cloud model's words ("*serverless* functions on aws"): also the kind of service the question names
_KIND_MODEL_WORDS = frozenset(w for phrase, model in MODEL_PHRASES.items() if model is not Model.on_prem for w in phrase)


def _compared(toks: Sequence[str], i: int) -> bool:
    """The model phrase at ``i`` is compared with or left ("like we did on prem"), not where the thing runs."""
    for k in range(i - 1, max(-1, i - 5), -1):
        if toks[k] in _COMPARED:
            return True
        if toks[k] not in _BETWEEN:
            return False
    return False


class NameFinding:
    _vocab: Vocabulary  # the matrix rows' keyword words (bot/row_match.py)
    vocabulary: ProviderVocabulary  # the providers' own terms (data/provider_vocabulary.yml), set by the resolver
    tasks: TaskIndex  # the task catalogue's index (bot/task_match.py), set by the resolver
    matrix: Matrix  # the aspect rows, set by the resolver

    def _find_task(self, toks: list[str], svc: Service | None, used: list[bool] | None = None
                   ) -> tuple[str | None, str | None, TaskMatch | None]:
        raise NotImplementedError  # the resolver's

    def _index_names(self, services: ServiceCatalog) -> None:
        self._candidates: dict[str, frozenset[str]] = {}
        self._aliases: dict[tuple[str, ...], Service] = {}
        # a name two providers both use ("certificate manager", "backup vault"): the rest of the question decides
        self._shared_names: dict[tuple[str, ...], list[Service]] = {}
        self._features: set[tuple[str, ...]] = set()
        for s in services.services:
            for alias in [s.name, *s.aliases]:
                toks = tuple(raw_tokens(alias))
                if toks:
                    self._aliases.setdefault(toks, s)
                    if s not in self._shared_names.setdefault(toks, []):
                        self._shared_names[toks].append(s)
        for s in services.services:
            for feature in s.features:
                toks = tuple(raw_tokens(feature))
                if toks and toks not in self._aliases:
                    self._aliases[toks] = s
                    self._features.add(toks)
                if toks and s not in self._shared_names.setdefault(toks, []):
                    # a feature two stacks have ("nat gateway"), or one stack's feature another's name ("s2s vpn"):
                    # the provider named or the context decides
                    self._shared_names[toks].append(s)
        # a bare name one provider owns that another provider's service also takes with its provider's word ("*api
        # gateway*" is AWS's; "google api gateway", "api gateway on gcp" Google's): Google's when the question is
        # read in Google's stack ("api gateway in front of our cloud run backend")
        # (not a bare name that is also a topic of the matrix: "iam policies" in google cloud is the topic)
        topics = {tuple(raw_tokens(k)) for a in self.matrix.aspects for k in a.keywords}
        self._provider_forms: dict[tuple[str, ...], dict[Provider, Service]] = {}
        for toks, s in self._aliases.items():
            bare = _without_provider_words(toks)
            owner = self._aliases.get(bare) if bare and bare != toks and bare not in topics else None
            if owner is not None and owner.provider is not s.provider:
                self._provider_forms.setdefault(bare, {}).setdefault(s.provider, s)
        # "aws backup", "aws config": a provider word and one broad word; matched only as written, so that
        # "does aws back up my tables" is not AWS Backup
        self._weak_aliases = {toks for toks in self._aliases
                              if degenerate(toks, tuple(content_tokens(t for t in toks if t not in PROVIDER_WORDS)))}
        self._alias_vocab = Vocabulary(t for toks in self._aliases for t in toks)
        # names of products that run on premises themselves ("on-prem *gke on vmware* clusters")
        self._on_prem_names = PhraseIndex((toks, True) for toks, s in self._aliases.items() if s.model is Model.on_prem or s.on_premises)
        self._alias_by_first: dict[str, list[tuple[str, ...]]] = {}
        for toks in self._aliases:
            self._alias_by_first.setdefault(toks[0], []).append(toks)
        # the same names by first and second word, each with its place in the first word's list (a first word like
        # "azure" starts hundreds of names: only those whose second word can be there are tried), and the second
        # words by length and first letter (a second word one letter off)
        self._alias_singles: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        self._alias_seconds: dict[str, dict[str, list[tuple[int, tuple[str, ...]]]]] = {}
        self._seconds_by_shape: dict[str, dict[tuple[int, str], list[str]]] = {}
        for first, names in self._alias_by_first.items():
            for k, toks in enumerate(names):
                if len(toks) == 1:
                    self._alias_singles.setdefault(first, []).append((k, toks))
                    continue
                seconds = self._alias_seconds.setdefault(first, {})
                if toks[1] not in seconds and len(toks[1]) >= 5:
                    self._seconds_by_shape.setdefault(first, {}).setdefault(
                        (len(toks[1]), toks[1][0]), []).append(toks[1])
                seconds.setdefault(toks[1], []).append((k, toks))
        # the clouds a name starting with a word may belong to (a cheap first look for two clouds in one message)
        self._clouds_by_first: dict[str, frozenset[Provider]] = {
            first: frozenset(s.provider for toks in names for s in self._shared_names.get(toks, [self._aliases[toks]]))
            for first, names in self._alias_by_first.items()}
        # the kinds of service a provider's service stands for ("serverless functions on aws"), by first word
        self._kinds: dict[str, list[tuple[tuple[str, ...], Provider, Service]]] = {}
        for s in services.services:
            for kind in s.kinds:
                toks = tuple(raw_tokens(kind))
                self._kinds.setdefault(toks[0], []).append((toks, s.provider, s))
        self._model_rank = {phrase: k for k, phrase in enumerate(MODEL_PHRASES)}
        self._provider_vocab = Vocabulary(w for w in PROVIDER_WORDS if len(w) >= 5 and w != "gcloud")
        # names of products, databases and services: matched as written, never as a typo of a keyword word
        self._names = PRODUCT_NAMES | {t for toks in self._aliases for t in toks if len(t) >= 4}

    def _take_models(self, toks: list[str], used: list[bool]) -> Model | None:
        """The model words say (the earliest-listed model in MODEL_PHRASES wins); their words are taken out."""
        found: tuple[int, Model] | None = None
        for i, phrase in MODEL_PHRASES.occurrences(toks):
            if any(used[i:i + len(phrase)]) or (phrase[0] == "own" and _owned_by_provider(toks, i)):
                continue  # "between *its own* data centers" are the provider's, not ours on premises
            if self._inside_alias(toks, phrase):
                continue  # "*serverless* spark batches": a word of a service's name, written as the name
            end = i + len(phrase)
            if end < len(toks) and toks[end] in MODEL_CONTEXT_WORDS:  # "an iaas deployment", "the saas model"
                end += 1
            for j in range(i, end):
                used[j] = True
            if MODEL_PHRASES[phrase] is Model.on_prem and (_compared(toks, i) or _told_as_past(toks, i + len(phrase))):
                continue  # "install CUs *like we did on prem*", "moved *from on prem*", "*on prem we had* a cmdb
                # team": what we did before, not where it runs now
            other = end + 1 if toks[end:end + 1] in (["vs"], ["versus"], ["or"]) else end
            if (toks[i] in CLOUD_MODEL_WORDS and toks[other:other + 1] and toks[other] in CLOUD_MODEL_WORDS
                    and toks[other] != toks[i]):
                return None  # "we haven't picked *iaas vs paas* / *saas/paas/iaas* yet": asked across the models
            rank = self._model_rank[phrase]
            if found is None or rank < found[0]:
                found = (rank, MODEL_PHRASES[phrase])
        return found[1] if found else None

    def _is_known_word(self, tok: str) -> bool:
        """A stop word or a matrix keyword word is meant as written, not as a typo of a name."""
        return tok in STOP_WORDS or stem(tok) in self._vocab.tokens_set

    def _alias_candidates(self, tok: str) -> frozenset[str]:
        """Alias tokens this question token may stand for (exact, or a typo of a long token); kept per word."""
        found = self._candidates.get(tok)
        if found is None:
            found = self._alias_candidates_of(tok)
            if len(self._candidates) < 50_000:
                self._candidates[tok] = found
        return found

    def _alias_candidates_of(self, tok: str) -> frozenset[str]:
        fuzzy = self._alias_vocab.matches(tok) if len(tok) >= 4 and not self._is_known_word(tok) else frozenset()
        # a typo keeps the first letter and changes a letter or two, not the word's length by more than one
        # ("suite" is not "gsuite", "services" is not "servicebus"); a long word's plural is another word
        # ("workspace" is not "workspaces"); short names only take swapped letters ("azrue" for "azure"),
        # never another letter ("entry" is not "entra")
        # a plural of a short name ("ec2s", "vms") is that name, unless the plural is itself a name
        plural = {tok[:-1]} if (len(tok) >= 4 and tok.endswith("s") and tok not in self._alias_vocab.tokens_set
                                and tok[:-1] in self._alias_vocab.tokens_set) else set()
        if tok in PRODUCT_NAMES:  # "codebuild" is AWS's, never a typo of Google's "cloudbuild"
            fuzzy = frozenset()
        elif len(tok) >= 5 and not self._is_known_word(tok):  # a letter typed twice ("big *querry*", "dynamoodb")
            plural |= {d for k in range(len(tok) - 1) if tok[k] == tok[k + 1]
                       for d in [tok[:k] + tok[k + 1:]] if d in self._alias_vocab.tokens_set}
        return frozenset({tok} | plural | {a for a in fuzzy if is_swap_typo(tok, a) or (
            len(a) >= 6 and a[0] == tok[0] and abs(len(a) - len(tok)) <= 1
            and not (len(tok) >= 7 and a == tok + "s")
            and not (len(a) >= 7 and tok == a + "s" and tok in self._alias_vocab.tokens_set))})  # "workspaces" is a name

    def _aliases_at(self, first: str, nxt: frozenset[str], nxt_tok: str | None) -> list[tuple[str, ...]]:
        """The names starting with ``first`` that can start here, in their list's order: one-word names, and longer
        ones whose second word is among the next word's candidates ``nxt`` or one letter off the next word as
        written (``nxt_tok``; None at the end of the question)."""
        singles = self._alias_singles.get(first, [])
        if nxt_tok is None:
            return [a for _, a in singles]
        seconds = self._alias_seconds.get(first)
        if not seconds:
            return [a for _, a in singles]
        picked = [*singles]
        for w in nxt if len(nxt) < len(seconds) else [w for w in seconds if w in nxt]:
            picked += seconds.get(w, ())
        if len(nxt_tok) >= 5:
            picked += (item for w in self._seconds_by_shape.get(first, {}).get((len(nxt_tok), nxt_tok[0]), ())
                       if w not in nxt and _one_letter_off(w, nxt_tok) for item in seconds[w])
        picked.sort()
        return [a for _, a in picked]

    def _take_kind(self, toks: list[str], used: list[bool], provider: Provider) -> Service | None:
        """The provider's service for the kind of service named ("*serverless functions* on aws" is Lambda), the
        longest kind first; a plural stands for its singular. Its words are taken out, as a service name's are. Not
        a kind that only says where the thing asked about sits ("backend vms *behind the load balancer*")."""
        def same(word: str, kind_word: str) -> bool:
            return word == kind_word or word == kind_word + "s"
        best: tuple[int, int, Service] | None = None
        placed = placed_after(toks)
        for i, tok in enumerate(toks):
            if placed.get(i) == "":  # behind / in front of it
                continue
            kinds = self._kinds.get(tok, []) + (self._kinds.get(tok[:-1], []) if tok.endswith("s") else [])
            for kind, cloud, svc in kinds:
                n = len(kind)
                if (cloud is provider and i + n <= len(toks)
                        and not any(u and toks[k] not in _KIND_MODEL_WORDS for k, u in enumerate(used[i:i + n], i))
                        and all(same(toks[i + k], kind[k]) for k in range(n)) and (best is None or n > best[0])):
                    best = (n, i, svc)
        if best is None:
            return None
        n, i, svc = best
        used[i:i + n] = [True] * n
        return svc

    def _take_service(self, toks: list[str], used: list[bool], prefer: Provider | None = None,
                      written: str = "", cands: list[frozenset[str]] | None = None) -> Service | None:
        """The service named; with a provider named outright (``prefer``), only that provider's services:
        context decides a name two stacks share."""
        cands = cands if cands is not None else [self._alias_candidates(t) for t in toks]
        if prefer is not None:  # "google *workspaces*": with the provider named, a plural may stand for its singular
            cands = [c | {t[:-1]} if t.endswith("s") and t[:-1] in self._alias_vocab.tokens_set else c
                     for t, c in zip(toks, cands)]
        # rank: a named service beats a feature, the thing asked about where it sits ("acm cert attached to
        # *cloudfront*"), a longer alias a shorter one, exact words typos; then first wins
        placed = placed_after(toks)
        best: tuple[tuple[bool, bool, int, int], int, int, Service] | None = None  # (rank, length, start, service)
        for i in range(len(toks)):
            if used[i]:
                continue
            nxt, nxt_tok = (cands[i + 1], toks[i + 1]) if i + 1 < len(toks) else (frozenset(), None)
            for first in sorted(cands[i]):
                for alias in self._aliases_at(first, nxt, nxt_tok):
                    n = len(alias)
                    if i + n > len(toks) or any(used[i:i + n]):
                        continue
                    named_svc: Service | None = self._aliases[alias]
                    if prefer is not None and self._aliases[alias].provider is not prefer:  # a shared name: the one
                        named_svc = next((s for s in self._shared_names.get(alias, ()) if s.provider is prefer),
                                         self._provider_forms.get(alias, {}).get(prefer))
                    if named_svc is None:  # meant
                        continue
                    if n > 1 and written and _split_by_a_list(alias, written):
                        continue  # "os + network + firewall configuration": three things listed, not Network Firewall
                    if alias in self._weak_aliases and (" ".join(alias) not in written
                                                        or toks[i + n:i + n + 1] == ["management"]):
                        continue  # ... and "aws config *management*" is the discipline, not AWS Config
                    fits = [alias[k] in cands[i + k] for k in range(n)]
                    if all(fits) or (n > 1 and any(alias[k] == toks[i + k] for k in range(n)) and all(
                            f or _one_letter_off(alias[k], toks[i + k]) for k, f in enumerate(fits))):
                        exact = sum(alias[k] == toks[i + k] for k in range(n))
                        rank = (alias not in self._features, i not in placed, n, exact)
                        if best is None or rank > best[0]:
                            best = (rank, n, i, named_svc)
        if best is None:
            return None
        (named, _, _, _), n, i, svc = best
        alias = tuple(toks[i:i + n])
        if prefer is None and len(self._shared_names.get(alias, ())) > 1:
            svc = self._by_context(toks, self._shared_names[alias], svc)
        if named:  # a feature ("security groups") is also the topic of the question: leave its words in
            for j in range(i, i + n):
                used[j] = True
        return svc

    def _most_named_provider(self, toks: list[str], written: str, skip: Sequence[bool] = ()) -> Provider | None:
        """The provider most of the services named belong to, when they belong to more than one ("basic ddos
        protection for our *cloudfront* + *r53* on *shield standard*": three AWS names outvote one Azure tier
        name); None when no provider has more names than every other. ``skip``: positions already read as something
        else (what a move leaves)."""
        cands = [self._alias_candidates(t) for t in toks]  # once: the costly part of finding a name
        if sum(1 for c in cands if any(a in self._alias_by_first for a in c)) < 2:
            return None  # fewer than two names can start here: no vote to take
        used = list(skip) or [False] * len(toks)  # (not the words of what a move leaves)
        count: dict[Provider, float] = {}
        portable: list[tuple[tuple[str, ...], Provider, float]] = []
        for _ in range(len(toks)):
            before = list(used)
            svc = self._take_service(toks, used, written=written, cands=cands)
            if svc is None or used == before:  # only features left (they leave their words in): not counted
                break
            # a name made only of topic words ("basic ddos protection", Azure's tier) is half a vote against a
            # product's own name ("cloudfront"): the words may mean the topic on the other stack
            words = [t for t, was, now in zip(toks, before, used) if now and not was]
            generic = all(self._is_known_word(t) for t in words)
            count[svc.provider] = count.get(svc.provider, 0) + (0.5 if generic else 1)
            portable.append((tuple(words), svc.provider, 0.5 if generic else 1))
        if len(count) < 2:
            return None
        # a name the other stack also has ("*api gateway* in front of our cloud run backend") counts for the stack
        # the other names are of
        for name, owner, vote in portable:
            other = [p for p in self._provider_forms.get(name, {}) if p in count and p is not owner]
            if len(other) == 1:
                count[owner] -= vote
                count[other[0]] += vote
        ranked = sorted(count.items(), key=lambda kv: -kv[1])
        return ranked[0][0] if ranked[0][1] > ranked[1][1] else None

    def _by_context(self, toks: list[str], candidates: list[Service], first: Service) -> Service:
        """Of the services that share a name, the one whose task catalogue the question's words match (of several,
        the one whose variant is named, else one whose matched task keyword weighs 1.5x the next one's); the first
        listed when none or several do."""
        found = [(s, self._find_task(toks, s)[2]) for s in candidates]
        fits = [(s, m.keyword.weight) for s, m in found if m is not None]
        if len(fits) > 1:  # a variant of one of them written out ("a *self-managed* cert in certificate manager")
            fits = [(s, w) for s, w in fits if self.tasks.variant_in(s.id, toks)] or fits
        if len(fits) > 1:  # the one whose task the words name most fully ("*always on soft delete* on backup vaults")
            fits.sort(key=lambda sw: -sw[1])
            fits = fits[:1] if fits[0][1] >= 1.5 * fits[1][1] else fits
        return fits[0][0] if len(fits) == 1 else first

    def _inside_alias(self, toks: list[str], phrase: tuple[str, ...], of: Provider | None = None) -> bool:
        """True when ``phrase`` occurs in the question only inside a longer service alias also written there (one of
        another provider than ``of``: "*cloud armor* standard" is still Google's)."""
        n = len(phrase)
        for i in range(len(toks)):
            for alias in self._alias_by_first.get(toks[i], ()):
                if of is not None and self._aliases[alias].provider is of:
                    continue
                if len(alias) > n and tuple(toks[i:i + len(alias)]) == alias and any(
                        alias[k:k + n] == phrase for k in range(len(alias) - n + 1)):
                    return True
        return False

    def _term_spans(self, term: Term, svc: Service) -> bool:
        """True when one of the service's names is written inside a phrase of the provider's term."""
        phrases = [" ".join(raw_tokens(p)) for p in term.phrases]
        return any(f" {' '.join(toks)} " in f" {p} " for toks, s in self._aliases.items() if s is svc for p in phrases)

    def _clouds_named(self, words: list[str], outright: bool = False,
                      cands: list[frozenset[str]] | None = None) -> set[Provider]:
        """The clouds a clause names: provider words and the stacks of the names it holds (a name two stacks share
        names both), else a provider's own term ("kms key"). ``outright``: only provider words and names of one
        service's own (not a name two stacks share, not a feature, no term)."""
        vendor = vendor_words(words)  # not "*microsoft* ad", "*microsoft* security baselines"
        found = {PROVIDER_WORDS[t] for k, t in enumerate(words) if t in PROVIDER_WORDS and k not in vendor}
        cands = cands if cands is not None else [self._alias_candidates(t) for t in words]
        written = " ".join(words)
        i = 0
        while i < len(words):  # the longest name at each place, left to right
            best: tuple[str, ...] | None = None
            nxt, nxt_tok = (cands[i + 1], words[i + 1]) if i + 1 < len(words) else (frozenset(), None)
            for first in cands[i]:
                for alias in self._aliases_at(first, nxt, nxt_tok):
                    n = len(alias)
                    if (best is None or n > len(best)) and i + n <= len(words) and all(
                            alias[k] in cands[i + k] for k in range(n)) and (
                            alias not in self._weak_aliases or " ".join(alias) in written):
                        best = alias
            if best is None:
                i += 1
                continue
            shared = self._shared_names.get(best, [])
            if not outright:
                found |= {self._aliases[best].provider, *(s.provider for s in shared)}
            elif best not in self._features and len(shared) < 2:
                found.add(self._aliases[best].provider)
            i += len(best)
        term = None if found or outright else self.vocabulary.find(written)
        return found | ({term.provider} if term is not None else set())

    def _told_of_another_cloud(self, question: str, toks: list[str]) -> tuple[frozenset[int], Provider | None]:
        """Clauses about another cloud than the one asked: told how it was or is done there ("*on eks we had to roll
        the node amis ourselves*. on gke ...", "... *(ecr does cross-region replication for the aws side)*", "...
        *like on azure cache for redis*"), or context beside the clause that asks, when each names its cloud outright
        ("who releases the patches for the os baked into dataproc images? *emr on the aws side does theirs*"): their
        positions, and the one cloud asked; nothing when no one cloud is asked or no clause is about another."""
        parts = clauses(question)
        if len(parts) < 2:
            return frozenset(), None
        cands = [self._alias_candidates(t) for t in toks]  # once: the costly part of finding a name
        # (no work unless two clouds may be named: by provider words or words their names start with)
        maybe = [{PROVIDER_WORDS[toks[k]]} if toks[k] in PROVIDER_WORDS else
                 set().union(*(self._clouds_by_first.get(a, ()) for a in cands[k])) for k in range(len(toks))]
        if len(set().union(*maybe)) < 2:
            return frozenset(), None
        may = [any(maybe[k] for k in span) for span, _, _ in parts]
        if sum(may) < 2:
            return frozenset(), None
        words = [[toks[k] for k in span] for span, _, _ in parts]
        clouds = [self._clouds_named(w, cands=[cands[k] for k in span]) if m else set()
                  for w, (span, _, _), m in zip(words, parts, may)]
        if len(set().union(*clouds)) < 2:
            return frozenset(), None
        who = [bool({"who", "whose", "whom"}.intersection(w)) for w in words]
        tells = [not who[k] and ((aside and not self._only_names(w)) or bool(_TOLD.intersection(w))
                                 or w[0] in _COMPARING or _we_did_there(w))
                 for k, ((_, aside, _), w) in enumerate(zip(parts, words))]
        # a short lead-in before what is told belongs to it ("*with efs,* aws backup ran nightly off a plan")
        tells = [t or (len(w) <= 3 and w[0] in _PLACE_OPENERS and k + 1 < len(tells) and tells[k + 1])
                 for k, (w, t) in enumerate(zip(words, tells))]
        # the clauses that tell nothing name one cloud: the told ones naming others are context
        asked = set().union(*(c for c, t in zip(clouds, tells) if not t))
        out = frozenset(k for (span, _, _), c, t in zip(parts, clouds, tells) if t and c and not c & asked for k in span)
        if len(asked) == 1 and out:
            return out, next(iter(asked))
        # else the sentence that asks names one cloud outright: a remark after it, or what we do, naming another
        # cloud outright is context ("... who sets that? *sqs retention on the aws side is ours to configure*", "*we
        # keep 35 days of rds snapshots in aws*. for our cloud sql ... who decides ...")
        asking = {n for (_, _, n), t, h, w in zip(parts, tells, who, words) if not t and (h or _asks_a_side(w))}
        if len(asking) != 1:
            return frozenset(), None
        (sentence,) = asking
        named = [self._clouds_named(w, outright=True, cands=[cands[k] for k in span]) if m else set()
                 for w, (span, _, _), m in zip(words, parts, may)]
        asked = set().union(*(c for (_, _, n), c, t in zip(parts, named, tells) if n == sentence and not t))
        if len(asked) != 1:
            return frozenset(), None
        out = frozenset(k for (span, _, n), c, loose, w in zip(parts, named, clouds, words)
                        if n != sentence and c and not loose & asked and (n > sentence or w[0] == "we") for k in span)
        # (a context sentence naming both clouds stays, but the cloud asked is still the asking sentence's: "we run
        # hdinsight on azure and dataproc here. for dataproc, who keeps the clusters patched")
        other = any(n != sentence and c - asked for (_, _, n), c in zip(parts, clouds))
        return (out, next(iter(asked))) if out or other else (frozenset(), None)

    def _only_names(self, words: list[str]) -> bool:
        """The aside is a name and nothing else ("basic ddos protection *(shield standard)*", "*(aka aws shield)*"):
        it glosses the words before it, it tells nothing of another cloud."""
        used = [w in PROVIDER_WORDS or w in _GLOSS_WORDS for w in words]
        for _ in words:  # (a feature leaves its words in: stop once a name takes no more words)
            before = list(used)
            if self._take_service(words, used) is None or used == before:
                break
        return all(used)

    def _take_provider(self, toks: list[str], used: list[bool]) -> Provider | None:
        found = None
        for i, t in enumerate(toks):
            if used[i]:
                continue
            word = t if t in PROVIDER_WORDS else None
            if word is None and not self._is_known_word(t):
                word = next(iter(sorted(self._provider_vocab.matches(t))), None)
            if word:  # "aws", or a typo of a long provider word ("amazn", "gogle", "azrue")
                found = found or PROVIDER_WORDS[word]
                used[i] = True
        return found


_GLOSS_WORDS = frozenset("aka ie eg i e g the a an our its".split())  # around a name that glosses ("*aka* shield")


@lru_cache(maxsize=4096)
def _list_form(alias: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b" + r"\s*[,+]\s*".join(map(re.escape, alias)) + r"\b")


def _split_by_a_list(alias: tuple[str, ...], written: str) -> bool:
    """The alias's words stand in the question only as items of a list ("os, network, firewall config", "network +
    firewall"), never side by side ("pub/sub" is one name)."""
    return " ".join(alias) not in written and _list_form(alias).search(written) is not None


def _without_provider_words(toks: tuple[str, ...]) -> tuple[str, ...]:
    """A name without the provider's words around it: "google (cloud) api gateway", "api gateway on gcp"."""
    k = 0
    while k < len(toks) and (toks[k] in PROVIDER_WORDS or (k and toks[k] == "cloud")):
        k += 1
    rest = toks[k:]
    if "on" in rest:
        at = rest.index("on")
        if at and all(t in PROVIDER_WORDS or t == "cloud" for t in rest[at + 1:]):
            rest = rest[:at]
    return rest


def _owned_by_provider(toks: list[str], i: int) -> bool:
    """ "*its* own", "*their* own", "*google's* own" before word ``i`` ("own"): the provider's, not ours."""
    prev = toks[i - 1] if i else ""
    if prev == "s" and i >= 2:
        prev = toks[i - 2]
    return prev in {"its", "their", "theirs"} or prev in PROVIDER_WORDS


def _one_letter_off(name: str, word: str) -> bool:
    """One letter of a word of five or more changed ("big *quary*" for "big query"), the first kept: allowed only
    beside a word of the same name written exactly."""
    return (len(word) == len(name) >= 5 and word[0] == name[0]
            and sum(a != b for a, b in zip(word, name)) == 1)
