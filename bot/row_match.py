"""Matching a question's words to the matrix rows' titles and keywords, and suggestions when none fits.

A mixin of :class:`bot.resolver.Resolver`: ``_index_rows`` weighs each row keyword once (a word many rows use says
less than a rare one); ``_score_aspects`` gives each row its best fully matched keyword.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Sequence

from rapidfuzz import fuzz, process

from bot.answer import Alternative
from bot.duty import DutyFrame
from bot.matrix import Aspect, Matrix, Model, Owner, Provider
from bot.scope import AS_A_WHOLE, HEADLINES, PROVIDER_STEMS, PhraseIndex, degenerate
from bot.textmatch import STOP_WORDS, Vocabulary, content_tokens, raw_tokens, stem

# "*securing* the code we deploy" asks about code security: the verb stands for the noun's keyword word too
_SECURE, _SECURITY = stem("securing"), frozenset({stem("security")})
GENERIC_TOKENS = frozenset(stem(w) for w in ("security", "secure", "manage", "managing", "management", "service",
                                                 "protection"))


_WORKLOADS = frozenset({"workload", "workloads"})
# words right after "our workloads" that ask about the layer under them, not the workloads
_LAYER_BELOW = frozenset("underlying hardware infrastructure hypervisor hypervisors datacenter datacenters".split())
# nouns after "security and compliance" that make it a topic of its own ("... compliance *policies*")
_SETTINGS_NOUNS = frozenset("""policies policy settings setting baselines baseline configuration config configs features
controls rules requirements requirement reqs req needs obligations goals goal objectives objective""".split())


@dataclass(frozen=True)
class _Keyword:
    aspect: str
    text: str
    tokens: tuple[str, ...]
    weight: float


# words after a shared headline that place it on the provider's own layer
_OF_THE_UNDERLYING = PhraseIndex((p, True) for p in (
    ("of", "the", "underlying"), ("of", "the", "cloud", "infrastructure"), ("of", "the", "infrastructure"),
    ("of", "the", "platform", "itself"), ("of", "the", "service", "itself")))


class RowMatching:
    _names: frozenset[str]  # product and service names, matched as written (bot/name_finding.py)
    _aspects: dict[str, Aspect]  # the resolver's
    duty: DutyFrame  # the resolver's

    def _index_rows(self, matrix: Matrix) -> None:
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
        self._titles = {a.id: a.title for a in matrix.aspects}
        self._suggest_keys = {id(k): f"{k.aspect}|{k.text}" for k in self._keywords}

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

    def _score_aspects(self, content: list[str], raw: Sequence[str] = ()) -> dict[str, tuple[float, str]]:
        matched: set[str] = set()
        for i, t in enumerate(content):
            if i < len(raw) and raw[i] in self._names:
                hit = frozenset({t}) & self._vocab.tokens_set
            else:
                hit = self._vocab.matches(t) | (_SECURITY if t == _SECURE else frozenset())
                if not hit and i < len(raw) and len(raw[i]) >= 6:  # a typo keeps its first letter ("scaling" is
                    hit = frozenset(self._raw_to_stem[r] for r in self._raw_vocab.matches(raw[i])  # not "cabling")
                                    if r[0] == raw[i][0])
            matched |= hit
        best: dict[str, tuple[float, str]] = {}
        candidates = {id(kw): kw for t in matched for kw in self._kw_by_token.get(t, ())}
        for kw in candidates.values():
            if all(t in matched for t in kw.tokens):
                # equal weights: the same keyword text every run, not the first the set order happens to give
                if kw.aspect not in best or (kw.weight, best[kw.aspect][1]) > (best[kw.aspect][0], kw.text):
                    best[kw.aspect] = (kw.weight, kw.text)
        return best

    def _suggest(self, content: list[str], exclude: AbstractSet[str] = frozenset()) -> list[Alternative]:
        query = " ".join(t for t in content if t not in STOP_WORDS)
        if not query:
            return []
        # only keywords that share a (typo-tolerant) word with the question: cheaper, and no look-alike noise
        words = {w for t in content for w in self._vocab.matches(t)}
        choices = {self._suggest_keys[id(kw)]: " ".join(kw.tokens) for w in sorted(words) for kw in self._kw_by_token[w]}
        out: list[Alternative] = []
        for _text, score, key in process.extract(query, choices, scorer=fuzz.token_set_ratio, limit=25):
            aspect = key.split("|", 1)[0]
            if score < 45 or aspect in exclude or any(a.aspect == aspect for a in out):
                continue
            out.append(Alternative(aspect=aspect, title=self._titles[aspect], score=round(score / 100, 2)))
            if len(out) == 3:
                break
        return out

    def _headline(self, toks: list[str]) -> tuple[str, ...] | None:
        """AWS's headline split asked as such; "*application layer* security in the cloud" asks about a topic."""
        for i, phrase in HEADLINES.occurrences(toks):
            if HEADLINES[phrase] is Owner.shared:  # "IT controls", "security and compliance": the split as a whole
                if _OF_THE_UNDERLYING.find(toks[i + len(phrase):i + len(phrase) + 5]) is not None:
                    continue  # "... security and compliance *of the underlying cloud infrastructure*": the provider's
                    # layer is asked (the rows answer it), not the split as a whole
                if toks[i + len(phrase):i + len(phrase) + 1] and toks[i + len(phrase)] in _SETTINGS_NOUNS:
                    continue  # "setting security and compliance *policies* on our cloud pcs": a topic, not the split;
                    # so are the *requirements* a workload has ("who works out what security and compliance reqs ...")
                return phrase
            if phrase[-1] in _WORKLOADS and _LAYER_BELOW.intersection(toks[i + len(phrase):i + len(phrase) + 3]):
                continue  # "who is responsible for our workloads' *underlying hardware*": the layer under them
            if phrase[-1] in _WORKLOADS and AS_A_WHOLE.intersection(toks):
                continue  # "security of our workloads in google cloud *overall* - google's, ours, or both?": the
                # whole split (shared), not the seed guides' "security in the cloud" of what we run
            before = [t for t in toks[:i] if t not in STOP_WORDS]
            prev = stem(before[-1]) if before else ""
            if prev in self._vocab.tokens_set and prev not in GENERIC_TOKENS and prev not in PROVIDER_STEMS:
                continue
            return phrase
        return None

    @staticmethod
    def _literal_index(toks: list[str], n: int) -> set[tuple[str, ...]]:
        return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}

    def _object_decides(self, scores: dict[str, tuple[float, str]], toks: list[str]) -> dict[str, tuple[float, str]]:
        """The thing the who-frame asks about picks between rows the question's words match: "with a paas database
        who patches the *os* under it" is the OS row's ("os patching"), not the engine's ("patch the database");
        "saas app: who manages user *access*" is the access row's ("who can access"), not the app row's ("apps")."""
        if len(scores) < 2:
            return scores
        asked = self.duty.asked(toks)
        if not asked or not asked[1]:
            return scores
        # a one-word object is the thing itself; a longer one's head decides only between rows matched about as well
        head, near = stem(asked[1][-1]), (0.5 if len(asked[1]) == 1 else 0.9)
        top = scores[min(scores, key=lambda a: (-scores[a][0], a))]  # the row the answer would take
        if head in content_tokens(raw_tokens(top[1])):
            return scores
        holds = {a: v for a, v in scores.items() if head in content_tokens(raw_tokens(v[1])) and v[0] >= near * top[0]}
        return {a: ((v[0] + top[0], v[1]) if a in holds else v) for a, v in scores.items()} if holds else scores

    def _provider_layer(self, scores: dict[str, tuple[float, str]], prov: Provider | None) -> bool:
        """The best-matched row is one the provider owns in every cloud model (datacenter, hardware, hypervisor)."""
        if not scores:
            return False
        top = max(scores.items(), key=lambda kv: (kv[1][0], kv[0]))[0]
        aspect = self._aspects[top]
        return all(aspect.cell(m, prov).owner == Owner.provider.value for m in (Model.iaas, Model.paas, Model.saas))
