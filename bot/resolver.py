"""Answer "who owns X?" from the matrix and the task catalogue (pure; no I/O after construction).

Pipeline for one question (word lists in bot/scope.py, matching in bot/textmatch.py):
1. AWS's headline split ("security of the cloud") is answered as an overview;
2. service-model words (iaas, platform as a service, on-prem, ...) are found and set aside;
3. named services (aliases from services.yml, typo-tolerant) give provider and model; a service
   feature ("security groups") gives them too but stays in the question as its topic;
4. provider words (aws, amazon, azure, microsoft, gcp, google, or their security products) are set aside;
   with none, a provider's own term names it (data/provider_vocabulary.yml: "owner on the prod *subscription*" is
   Azure's, "*cmek*" Google's, "*kms* keys" AWS's), unless the question names another provider's service;
   a name two providers share goes to the one whose tasks the words match;
5. with no model yet, words that imply one ("managed database", "our vms", "salesforce") give it;
6. what is left is matched against each row's title and keywords: a keyword
   matches when every one of its topic tokens is in the question (any order,
   small typos allowed). The longest, most specific keyword wins.
7. when the question names a service with a task catalogue (data/tasks/, bot/task_match.py), the
   service's task keywords are matched too; a task that matches is the answer (its owner for the
   variant named, or per-variant owners and a question when the variant decides), unless a longer
   row keyword says the question is about something else. The answer is built in bot/compose.py.
8. a named service with no row or task match answers the one task its other words clearly point at.
No keyword fully matched, or an out-of-scope topic (billing, pricing, on-call, ...), gives
``unknown`` with did-you-mean suggestions: never a confident answer for a topic
the matrix does not cover. When the model is not known and the row's owner
differs by model, the answer is ``depends`` with the per-model breakdown.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.answer import Alternative, Answer, GuardStatus, ModelOwner, SourceRef, TaskRef, VariantOwner
from bot.compose import Composer
from bot.duty import DutyFrame, asked_duty, catalogue_words, placed_after, spell_out, wants_short_form
from bot.matrix import Matrix, Model, Owner, Provider, Service, ServiceCatalog
from bot.owners import Owners
from bot.scope import (
    ATTACHED_RESOURCES,
    GENERIC_RESOURCES,
    HEADLINES,
    MANAGED_RESOURCES,
    MODEL_CONTEXT_WORDS,
    MODEL_HINTS,
    MODEL_PHRASES,
    OVERVIEWS,
    PRODUCT_NAMES,
    PRODUCT_PROVIDERS,
    PROVIDER_STEMS,
    PROVIDER_WORDS,
    asks_a_duty,
    degenerate,
    out_of_scope,
    overview_side,
)
from bot.task_match import TaskIndex, TaskMatch
from bot.tasks import TaskCatalog, load_tasks
from bot.textmatch import STOP_WORDS, Vocabulary, content_tokens, is_swap_typo, raw_tokens, stem
from bot.vocabulary import ProviderVocabulary, Term, load_vocabulary

__all__ = ["Alternative", "Answer", "GuardStatus", "ModelOwner", "Resolver", "SourceRef", "TaskRef", "VariantOwner",
           "default_resolver"]

GENERIC_TOKENS = frozenset(stem(w) for w in ("security", "secure", "manage", "managing", "management", "service",
                                                 "protection"))


@dataclass(frozen=True)
class _Keyword:
    aspect: str
    text: str
    tokens: tuple[str, ...]
    weight: float


class Resolver:
    def __init__(self, matrix: Matrix, services: ServiceCatalog, owners: Owners | None = None,
                 tasks: TaskCatalog | None = None, vocabulary: ProviderVocabulary | None = None):
        self.matrix = matrix
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self.services = {s.id: s for s in services.services}
        self.owners = owners
        self._aspects = {a.id: a for a in matrix.aspects}
        self._keywords: list[_Keyword] = []
        phrases: list[tuple[str, str, tuple[str, ...]]] = []
        # "aws config" shrinks to "config" once "aws" is set aside: such a keyword matches only as written
        self._literal: list[tuple[tuple[str, ...], str, str]] = []
        texts = [(a.id, text, raw_tokens(text)) for a in matrix.aspects for text in [a.title, *a.keywords]]
        for aspect_id, text, raw in texts:
            # provider words are set aside in questions, so they cannot be required here
            toks = tuple(dict.fromkeys(t for t in content_tokens(raw) if t not in PROVIDER_STEMS))
            if toks and degenerate(raw, toks, bare_ok=True):
                self._literal.append((tuple(raw), aspect_id, text))
            elif toks and any(t not in GENERIC_TOKENS for t in toks):
                phrases.append((aspect_id, text, toks))  # all-generic keywords would match too much
        # a token found in many rows' keywords ("user", "access", "key") says less than a rare one
        rows_with: dict[str, set[str]] = {}
        for aspect_id, _, toks in phrases:
            for t in toks:
                rows_with.setdefault(t, set()).add(aspect_id)
        for aspect_id, text, toks in phrases:
            weight = sum((min(len(t), 10) + 3.0) / len(rows_with[t]) ** 0.5
                         for t in toks if t not in GENERIC_TOKENS) + 0.5 * len(toks)
            self._keywords.append(_Keyword(aspect_id, text, toks, weight))
        self._vocab = Vocabulary(t for k in self._keywords for t in k.tokens)
        self._kw_by_token: dict[str, list[_Keyword]] = {}
        for kw in self._keywords:
            for t in kw.tokens:
                self._kw_by_token.setdefault(t, []).append(kw)
        # unstemmed keyword words, so that a typo the stemmer cannot undo ("patchign") still finds "patching"
        self._raw_to_stem: dict[str, str] = {}
        for _, _, raw in texts:
            for t in raw:
                if len(t) >= 6 and stem(t) in self._kw_by_token:
                    self._raw_to_stem.setdefault(t, stem(t))
        self._raw_vocab = Vocabulary(self._raw_to_stem)
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
        # "aws backup", "aws config": a provider word and one broad word; matched only as written, so that
        # "does aws back up my tables" is not AWS Backup
        self._weak_aliases = {toks for toks in self._aliases
                              if degenerate(toks, tuple(content_tokens(t for t in toks if t not in PROVIDER_WORDS)))}
        self._alias_vocab = Vocabulary(t for toks in self._aliases for t in toks)
        self._alias_by_first: dict[str, list[tuple[str, ...]]] = {}
        for toks in self._aliases:
            self._alias_by_first.setdefault(toks[0], []).append(toks)
        self._titles = {a.id: a.title for a in matrix.aspects}
        self._model_rank = {phrase: k for k, phrase in enumerate(MODEL_PHRASES)}
        self._provider_vocab = Vocabulary(w for w in PROVIDER_WORDS if len(w) >= 5 and w != "gcloud")
        self._suggest_keys = {id(k): f"{k.aspect}|{k.text}" for k in self._keywords}
        self.tasks = TaskIndex(tasks if tasks is not None else load_tasks(), services, matrix)
        # names of products, databases and services: matched as written, never as a typo of a keyword word
        self._names = PRODUCT_NAMES | {t for toks in self._aliases for t in toks if len(t) >= 4}
        self.compose = Composer(matrix, self.tasks, owners)
        rows = [t for a in matrix.aspects for t in [a.title, *a.keywords]]
        self.duty = DutyFrame(catalogue_words(rows, (t for _, task in self.tasks.catalog.tasks()
                                                     for t in [task.title, *task.keywords]),
                                              (" ".join(toks) for toks in self._aliases)), catalogue_words(rows))

    # -- detection -----------------------------------------------------------------
    def _take_models(self, toks: list[str], used: list[bool]) -> Model | None:
        """The model words say (the earliest-listed model in MODEL_PHRASES wins); their words are taken out."""
        found: tuple[int, Model] | None = None
        for i, phrase in MODEL_PHRASES.occurrences(toks):
            if any(used[i:i + len(phrase)]):
                continue
            end = i + len(phrase)
            if end < len(toks) and toks[end] in MODEL_CONTEXT_WORDS:  # "an iaas deployment", "the saas model"
                end += 1
            for j in range(i, end):
                used[j] = True
            rank = self._model_rank[phrase]
            if found is None or rank < found[0]:
                found = (rank, MODEL_PHRASES[phrase])
        return found[1] if found else None

    def _is_known_word(self, tok: str) -> bool:
        """A stop word or a matrix keyword word is meant as written, not as a typo of a name."""
        return tok in STOP_WORDS or stem(tok) in self._vocab.tokens_set

    def _alias_candidates(self, tok: str) -> frozenset[str]:
        """Alias tokens this question token may stand for (exact, or a typo of a long token)."""
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
        return frozenset({tok} | plural | {a for a in fuzzy if is_swap_typo(tok, a) or (
            len(a) >= 6 and a[0] == tok[0] and abs(len(a) - len(tok)) <= 1
            and not (len(tok) >= 7 and a == tok + "s"))})

    def _take_service(self, toks: list[str], used: list[bool], prefer: Provider | None = None,
                      written: str = "") -> Service | None:
        """The service named; with a provider named outright (``prefer``), only that provider's services:
        context decides a name two stacks share."""
        cands = [self._alias_candidates(t) for t in toks]
        # rank: a named service beats a feature, the thing asked about where it sits ("acm cert attached to
        # *cloudfront*"), a longer alias a shorter one, exact words typos; then first wins
        placed = placed_after(toks)
        best: tuple[tuple[bool, bool, int, int], int, int, Service] | None = None  # (rank, length, start, service)
        for i in range(len(toks)):
            if used[i]:
                continue
            for first in sorted(cands[i]):
                for alias in self._alias_by_first.get(first, ()):
                    n = len(alias)
                    if i + n > len(toks) or any(used[i:i + n]):
                        continue
                    if prefer is not None and self._aliases[alias].provider is not prefer:
                        continue
                    if alias in self._weak_aliases and " ".join(alias) not in written:
                        continue
                    if all(alias[k] in cands[i + k] for k in range(n)):
                        exact = sum(alias[k] == toks[i + k] for k in range(n))
                        rank = (alias not in self._features, i not in placed, n, exact)
                        if best is None or rank > best[0]:
                            best = (rank, n, i, self._aliases[alias])
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

    def _most_named_provider(self, toks: list[str], written: str) -> Provider | None:
        """The provider most of the services named belong to, when they belong to more than one ("basic ddos
        protection for our *cloudfront* + *r53* on *shield standard*": three AWS names outvote one Azure tier
        name); None when no provider has more names than every other."""
        used = [False] * len(toks)
        count: dict[Provider, int] = {}
        for _ in range(len(toks)):
            before = sum(used)
            svc = self._take_service(toks, used, written=written)
            if svc is None or sum(used) == before:  # only features left (they leave their words in): not counted
                break
            count[svc.provider] = count.get(svc.provider, 0) + 1
        if len(count) < 2:
            return None
        ranked = sorted(count.items(), key=lambda kv: -kv[1])
        return ranked[0][0] if ranked[0][1] > ranked[1][1] else None

    def _by_context(self, toks: list[str], candidates: list[Service], first: Service) -> Service:
        """Of the services that share a name, the one whose task catalogue the question's words match;
        the first listed when none or several do."""
        fits = [s for s in candidates if self._find_task(toks, s)[2] is not None]
        return fits[0] if len(fits) == 1 else first

    def _inside_alias(self, toks: list[str], phrase: tuple[str, ...]) -> bool:
        """True when ``phrase`` occurs in the question only inside a longer service alias also written there."""
        n = len(phrase)
        for i in range(len(toks)):
            for alias in self._alias_by_first.get(toks[i], ()):
                if len(alias) > n and tuple(toks[i:i + len(alias)]) == alias and any(
                        alias[k:k + n] == phrase for k in range(len(alias) - n + 1)):
                    return True
        return False

    def _term_spans(self, term: Term, svc: Service) -> bool:
        """True when one of the service's names is written inside a phrase of the provider's term."""
        phrases = [" ".join(raw_tokens(p)) for p in term.phrases]
        return any(f" {' '.join(toks)} " in f" {p} " for toks, s in self._aliases.items() if s is svc for p in phrases)

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

    def _matched(self, vocab: Vocabulary, content: list[str], raw: list[str]) -> set[str]:
        """Vocabulary tokens the question's tokens stand for; a product or service name only as written."""
        out: set[str] = set()
        for i, t in enumerate(content):
            if i < len(raw) and raw[i] in self._names:
                if t in vocab.tokens_set:
                    out.add(t)
                continue
            out |= vocab.matches(t)
        return out

    def _score_aspects(self, content: list[str], raw: list[str] = ()) -> dict[str, tuple[float, str]]:
        matched: set[str] = set()
        for i, t in enumerate(content):
            if i < len(raw) and raw[i] in self._names:
                hit = frozenset({t}) & self._vocab.tokens_set
            else:
                hit = self._vocab.matches(t)
                if not hit and i < len(raw) and len(raw[i]) >= 6:  # a typo keeps its first letter ("scaling" is
                    hit = frozenset(self._raw_to_stem[r] for r in self._raw_vocab.matches(raw[i])  # not "cabling")
                                    if r[0] == raw[i][0])
            matched |= hit
        best: dict[str, tuple[float, str]] = {}
        candidates = {id(kw): kw for t in matched for kw in self._kw_by_token.get(t, ())}
        for kw in candidates.values():
            if all(t in matched for t in kw.tokens):
                if kw.aspect not in best or kw.weight > best[kw.aspect][0]:
                    best[kw.aspect] = (kw.weight, kw.text)
        return best

    def _suggest(self, content: list[str], exclude: set[str] = frozenset()) -> list[Alternative]:
        query = " ".join(t for t in content if t not in STOP_WORDS)
        if not query:
            return []
        # only keywords that share a (typo-tolerant) word with the question: cheaper, and no look-alike noise
        words = {w for t in content for w in self._vocab.matches(t)}
        choices = {self._suggest_keys[id(kw)]: " ".join(kw.tokens) for w in words for kw in self._kw_by_token[w]}
        out: list[Alternative] = []
        for _text, score, key in process.extract(query, choices, scorer=fuzz.token_set_ratio, limit=25):
            aspect = key.split("|", 1)[0]
            if score < 45 or aspect in exclude or any(a.aspect == aspect for a in out):
                continue
            out.append(Alternative(aspect=aspect, title=self._titles[aspect], score=round(score / 100, 2)))
            if len(out) == 3:
                break
        return out

    def _find_task(self, toks: list[str], svc: Service | None, used: list[bool] | None = None
                   ) -> tuple[str | None, str | None, TaskMatch | None]:
        """(catalogue service, variant, task match) for a question that names a service with a catalogue.
        A word taken as part of a service name ("big *query*") does not stand for a verb form of it in a
        keyword ("who *queried* the table"). A short form ("ha", "dr") is read as written first: only when
        that finds no task is it spelled out ("no *ha* yet, who sets it up" is the high availability set-up,
        "*ha failover*, who does it" stays the failover)."""
        cat_sid, variant = self.tasks.catalogue_for(svc.id if svc else None, toks)
        if cat_sid is None:
            return None, None, None
        variant = self.tasks.variant_in(cat_sid, toks) or variant
        found = self._task_in(cat_sid, toks, used)
        if found is None and wants_short_form(toks):
            long_toks, long_used = spell_out(toks, used)
            found = self._task_in(cat_sid, long_toks, long_used)
        return cat_sid, variant, found

    def _task_in(self, cat_sid: str, toks: list[str], used: list[bool] | None) -> TaskMatch | None:
        raw = [t for t in toks if t not in STOP_WORDS and t not in PROVIDER_WORDS]
        vocab = self.tasks.keywords(cat_sid)[1]
        matched = self._matched(vocab, [stem(t) for t in raw], raw)
        word = asked_duty(toks, self.duty)
        asked = stem(word) if word else None
        # a participle placing the thing on another service ("*attached* to cloudfront") says where it sits
        state = frozenset(stem(w) for i, w in placed_after(toks).items() if w.endswith("ed")
                          and toks[i] in self._alias_by_first)
        if not any(used or ()):
            return self.tasks.best(cat_sid, matched, written=toks, asked=asked, state=state)
        free_raw = [t for t, u in zip(toks, used or ()) if not u and t in raw]
        free = self._matched(vocab, [stem(t) for t in free_raw], free_raw)
        return self.tasks.best(cat_sid, matched, free, written=toks, asked=asked, state=state)

    def _agreed_task(self, toks: list[str], used: list[bool]) -> tuple[TaskMatch, str] | None:
        """(task, names) for a resource word no provider was named with ("*bucket* versioning"): when the providers'
        services for it that have a task the words match all give it one owner on every variant, that owner holds
        whichever provider is meant."""
        word = next((t for t in toks if t in MANAGED_RESOURCES), None)
        if word is None:
            return None
        hits = []
        for sid in GENERIC_RESOURCES[word].values():
            found = self._find_task(toks, self.services[sid], used)[2]
            if found is not None:
                owners = {found.task.owner, *found.task.variant_owners(found.service.variants).values()}
                hits.append((found, owners))
        # one provider's task is enough when its keyword is specific ("bucket versioning") and no other disagrees
        if not hits or len(set().union(*(o for _, o in hits))) != 1 or (
                len(hits) == 1 and len(hits[0][0].keyword.tokens) < 2):
            return None
        return hits[0][0], " / ".join(self.services[h.service.service].name for h, _ in hits)

    def _headline(self, toks: list[str]) -> tuple[str, ...] | None:
        """AWS's headline split asked as such; "*application layer* security in the cloud" asks about a topic."""
        for i, phrase in HEADLINES.occurrences(toks):
            before = [t for t in toks[:i] if t not in STOP_WORDS]
            prev = stem(before[-1]) if before else ""
            if prev in self._vocab.tokens_set and prev not in GENERIC_TOKENS and prev not in PROVIDER_STEMS:
                continue
            return phrase
        return None

    # -- answer --------------------------------------------------------------------
    def who_owns(self, question: str, provider: str | Provider | None = None,
                 service_model: str | Model | None = None) -> Answer:
        toks = raw_tokens(question)
        headline = self._headline(toks)
        if headline:
            return self._overview(question, toks, HEADLINES[headline], provider)
        used = [False] * len(toks)
        model = Model(service_model) if service_model else self._take_models(toks, used)
        model_stated = model is not None
        named = Provider(provider) if provider else next((PROVIDER_WORDS[t] for t in toks if t in PROVIDER_WORDS), None)
        if named is None:  # "cloud kms" names Google even without the word "google"
            product = PRODUCT_PROVIDERS.find(toks)
            # ... unless the product's words are part of a longer service name ("artifact registry" is Google's)
            named = PRODUCT_PROVIDERS[product] if product and not self._inside_alias(toks, product) else None
        # a provider's own term ("iam roles on our *projects*", "*kms* keys", "*gs://*"): data/provider_vocabulary.yml
        term = self.vocabulary.find(question)
        written = " ".join(question.lower().split())
        if named is None:  # services of two providers named: the one most of them belong to (outranks a term)
            named = self._most_named_provider(toks, written)
        hint = term if named is None else None
        if hint is not None:
            named = hint.provider
        svc = self._take_service(toks, used, prefer=named, written=written)
        via_term = False  # the service is a provider term's, not named
        if svc is None and hint is not None:  # a service the question names outranks a provider's term
            svc = self._take_service(toks, used, written=written)
            if svc is not None and svc.provider is not hint.provider:
                if self._term_spans(hint, svc):  # "external passthrough *network lb*" is Google's term, not AWS's NLB
                    svc = self.services.get(hint.service) if hint.service else None
                    via_term = True
                else:
                    hint = named = None
        # a second service named ("entra groups for aks access"): its tasks answer when the first's do not
        other = self._take_service(toks, list(used), prefer=named, written=written) if svc else None
        said_provider = self._take_provider(toks, used)
        if said_provider is None and svc is None:
            product = PRODUCT_PROVIDERS.find(toks)
            said_provider = PRODUCT_PROVIDERS[product] if product else None
        if said_provider is None and svc is None and hint is not None:  # "owner on the prod subscription" is Azure's
            said_provider = hint.provider
            svc = self.services.get(hint.service) if hint.service else None
            via_term = True
        prov = Provider(provider) if provider else None
        prov_stated = prov is not None or said_provider is not None or svc is not None
        prov = prov or (svc.provider if svc else None) or said_provider
        if svc is None and prov is not None:  # "a bucket" once the provider is known names its object storage
            in_product = set(PRODUCT_PROVIDERS.find(toks) or ())  # ... but not inside a product's name ("shielded vm")
            svc = next((self.services[GENERIC_RESOURCES[t][prov]] for t in toks
                        if t in GENERIC_RESOURCES and prov in GENERIC_RESOURCES[t] and t not in in_product), None)
        if svc is None and term is not None and term.service and prov is term.provider:
            svc = self.services[term.service]  # "snapshot schedules for our *pds*" once Google is named
            via_term = True
        # two terms of the provider ("advanced network ddos" for the vms behind our "passthrough network lb"): the
        # second term's service is weighed against the first's
        by_term = self.vocabulary.services_named(question, svc) if via_term and svc is not None and other is None else None
        other = self.services[by_term] if by_term else other
        if svc is not None and other is None:  # "waf rules in front of our alb": the provider's WAF is named too
            other = next((self.services[GENERIC_RESOURCES[t][svc.provider]] for t in toks
                          if t in ATTACHED_RESOURCES and svc.provider in GENERIC_RESOURCES[t]
                          and GENERIC_RESOURCES[t][svc.provider] != svc.id), None)
        if svc and model is None:
            model = svc.model
        if model is None:
            implied = MODEL_HINTS.find(toks)
            model = MODEL_HINTS[implied] if implied else None
            model_stated = model is not None
        raw = [t for t, u in zip(toks, used) if not u and t not in STOP_WORDS]
        content = [stem(t) for t in raw]
        base = dict(question=question, provider=prov, provider_stated=prov_stated,
                    service=svc.id if svc else None, service_name=svc.name if svc else None,
                    service_model=model, service_model_stated=model_stated or svc is not None)

        off_topic = out_of_scope(toks, content) or self.duty.asks_no_duty(toks)
        scores = {} if off_topic else self._score_aspects(content, raw)
        if not scores and svc and not off_topic:
            # the service name may itself be the topic ("who owns azure ad?"): score with it put back
            back = [t for t, u in zip(toks, used) if (not u or t not in PROVIDER_WORDS) and t not in STOP_WORDS]
            scores = self._score_aspects([stem(t) for t in back], back)
        for phrase, aspect_id, text in [] if off_topic else self._literal:
            if phrase in self._literal_index(toks, len(phrase)) and aspect_id not in scores:
                scores[aspect_id] = (3.0 * len(phrase), text)
        cat_sid, variant, found = (None, None, None) if off_topic else self._find_task(toks, svc, used)
        if (found is None or by_term) and other is not None and not off_topic:
            second = self._find_task(toks, other, used)
            if second[2] is not None and (found is None or second[2].keyword.weight > found.keyword.weight):
                cat_sid, variant, found = second
                base.update(service=other.id, service_name=other.name, provider=other.provider)
                if not model_stated:
                    base["service_model"] = other.model
        if found and self._task_wins(found, scores):
            return self.compose.task_answer(base, found.service, found.task, variant)
        agreed = self._agreed_task(toks, used) if svc is None and prov is None and not off_topic else None
        if agreed is not None and (not scores or agreed[0].task.aspect in scores):  # the row's words decide
            return self.compose.task_answer(dict(base, service_name=agreed[1]), agreed[0].service, agreed[0].task, None)
        top = max(scores.items(), key=_by_score) if scores else None
        if cat_sid and top and (found is None or found.task.aspect != top[0]):
            # no task keyword matched whole: the question's aspect and its other words narrow the service's tasks
            words = self._matched(self.tasks.keywords(cat_sid)[1], content, raw)
            near = self.tasks.closest_in_aspect(cat_sid, top[0], words, content_tokens(raw_tokens(top[1][1])))
            if near is not None:
                return self.compose.task_answer(base, near.service, near.task, variant)
        side = overview_side(toks, content) if not scores and not off_topic and svc is None else None
        if side:  # "what is AWS responsible for?": no topic, only a side of the split
            return self._overview(question, toks, side, provider)
        if not scores and cat_sid and not off_topic and asks_a_duty(toks):
            # the service is named but no row or task keyword matched whole: its task the other words point at
            near = self.tasks.closest_task(cat_sid, set(content))
            if near is not None:
                return self.compose.task_answer(base, near.service, near.task, variant)
        if not scores:
            alts = self._suggest(content)
            hint = ", ".join(f"*{a.title}*" for a in alts) or "a topic such as *OS patching*, *MFA* or *backups*"
            subject = f" for {svc.name}" if svc else ""
            return Answer(**base, owner=Owner.unknown, alternatives=alts,
                          explanation=f"The responsibility matrix does not cover that{subject}. Did you mean {hint}?",
                          next_step="Ask again naming one duty (e.g. patching, backups, MFA) and the service.")
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
        top_id, (top_score, top_text) = ranked[0]
        alts = [Alternative(aspect=a, title=self._titles[a], score=round(s / top_score, 2))
                for a, (s, _) in ranked[1:4] if s >= 0.75 * top_score]
        return self.compose.aspect_answer(self._aspects[top_id], base, model, prov, alts, cat_sid, variant, top_text)

    @staticmethod
    def _literal_index(toks: list[str], n: int) -> set[tuple[str, ...]]:
        return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}

    @staticmethod
    def _task_wins(found: TaskMatch, scores: dict[str, tuple[float, str]]) -> bool:
        """A task of the named service beats the aspect rows unless a longer row keyword says something else."""
        if not scores or found.task.aspect in scores:
            return True
        top_text = max(scores.values())[1]
        return len(found.keyword.tokens) >= len(content_tokens(raw_tokens(top_text)))

    def _overview(self, question: str, toks: list[str], owner: Owner, provider: str | Provider | None) -> Answer:
        prov = Provider(provider) if provider else next((PROVIDER_WORDS[t] for t in toks if t in PROVIDER_WORDS), None)
        return Answer(question=question, owner=owner, explanation=OVERVIEWS[owner], provider=prov,
                      provider_stated=prov is not None, alternatives=self._suggest(content_tokens(toks)),
                      next_step='Ask about one duty (e.g. "who patches the OS on EC2?") for the per-task answer.')


def _by_score(item: tuple[str, tuple[float, str]]) -> tuple[float, str]:
    return item[1][0], item[0]


@lru_cache(maxsize=1)
def default_resolver() -> Resolver:
    from bot.config import Settings
    from bot.matrix import load_matrix, load_services
    from bot.owners import load_owners

    s = Settings()
    matrix = load_matrix(s.srm_matrix)
    return Resolver(matrix, load_services(s.srm_services), load_owners(s.srm_owners, aspect_ids=matrix.ids),
                    load_tasks(s.srm_tasks))
