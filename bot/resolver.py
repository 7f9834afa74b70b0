"""Answer "who owns X?" from the matrix (pure; no I/O after construction).

Pipeline for one question:
1. service-model words (iaas, platform as a service, on-prem, ...) are found and set aside;
2. named services (aliases from services.yml, typo-tolerant) give provider and model;
3. provider words (aws, amazon, azure, microsoft, gcp, google) are set aside;
4. what is left is matched against each row's title and keywords: a keyword
   matches when every one of its topic tokens is in the question (any order,
   small typos allowed). The longest, most specific keyword wins.
No keyword fully matched, or an out-of-scope word (billing, pricing, ...), gives
``unknown`` with did-you-mean suggestions: never a confident answer for a topic
the matrix does not cover. When the model is not known and the row's owner
differs by model, the answer is ``depends`` with the per-model breakdown.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from bot.matrix import CLOUD_MODELS, Aspect, Matrix, Model, Owner, Provider, Service, ServiceCatalog
from bot.owners import Owners
from bot.textmatch import STOP_WORDS, Vocabulary, content_tokens, raw_tokens, stem

MODEL_PHRASES: dict[tuple[str, ...], Model] = {
    ("iaas",): Model.iaas, ("infrastructure", "as", "a", "service"): Model.iaas,
    ("paas",): Model.paas, ("platform", "as", "a", "service"): Model.paas,
    ("serverless",): Model.paas, ("faas",): Model.paas,
    ("saas",): Model.saas, ("software", "as", "a", "service"): Model.saas,
    ("onprem",): Model.on_prem, ("self", "hosted"): Model.on_prem,
    ("own", "datacenter"): Model.on_prem, ("traditional", "datacenter"): Model.on_prem,
}
PROVIDER_WORDS: dict[str, Provider] = {
    "aws": Provider.aws, "amazon": Provider.aws,
    "azure": Provider.azure, "microsoft": Provider.azure, "msft": Provider.azure,
    "gcp": Provider.gcp, "google": Provider.gcp, "gcloud": Provider.gcp,
}
# Topics a cloud responsibility matrix does not answer, whatever else the question says.
OUT_OF_SCOPE = frozenset(stem(w) for w in """
bill billing invoice invoices pricing price prices cost costs pay pays paid payment refund
discount budget salary salaries lunch coffee parking holiday vacation hire hiring recruit
capital weather stock stocks ceo founder wrote invented resize rename license licensing
""".split())
# AWS's own headline split, asked about as such: answered as an overview, not as one matrix row.
HEADLINES: dict[tuple[str, ...], tuple[Owner, str]] = {
    ("security", "of", "the", "cloud"): (Owner.provider, (
        "Security *of* the cloud is the provider's: the data centres, hardware, network, hypervisor and "
        "the software that runs the services. Ask about a specific duty for the per-row answer.")),
    ("security", "in", "the", "cloud"): (Owner.customer, (
        "Security *in* the cloud is yours: your data, identities and access, network and firewall "
        "configuration, guest OS patching on IaaS, encryption choices and applications. How much of it "
        "depends on the service model: ask about a specific duty for the per-row answer.")),
}
GENERIC_TOKENS = frozenset({"security", "secure", "manage", "management", "service", "protection"})


class Alternative(BaseModel):
    aspect: str
    title: str
    score: float


class ModelOwner(BaseModel):
    owner: str
    summary: str


class Answer(BaseModel):
    question: str
    owner: Owner
    aspect: str | None = None
    aspect_title: str | None = None
    service_model: Model | None = None
    service_model_stated: bool = False
    provider: Provider | None = None
    provider_stated: bool = False
    service: str | None = None
    service_name: str | None = None
    explanation: str
    provider_does: str | None = None
    customer_does: str | None = None
    team: str | None = None
    team_name: str | None = None
    breakdown: dict[str, ModelOwner] = Field(default_factory=dict)
    alternatives: list[Alternative] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        """The stable JSON contract of `srm who-owns --json` (extra keys follow the eight)."""
        return {
            "owner": self.owner.value,
            "aspect": self.aspect,
            "service_model": self.service_model.value if self.service_model else None,
            "provider": self.provider.value if self.provider else None,
            "service": self.service,
            "explanation": self.explanation,
            "team": self.team,
            "alternatives": [a.aspect for a in self.alternatives],
            "stated": {"service_model": self.service_model_stated, "provider": self.provider_stated},
            "breakdown": {m: b.owner for m, b in self.breakdown.items()},
        }


@dataclass(frozen=True)
class _Keyword:
    aspect: str
    text: str
    tokens: tuple[str, ...]
    weight: float


class Resolver:
    def __init__(self, matrix: Matrix, services: ServiceCatalog, owners: Owners | None = None):
        self.matrix = matrix
        self.services = {s.id: s for s in services.services}
        self.owners = owners
        self._aspects = {a.id: a for a in matrix.aspects}
        self._keywords: list[_Keyword] = []
        phrases: list[tuple[str, str, tuple[str, ...]]] = []
        for a in matrix.aspects:
            for text in [a.title, *a.keywords]:
                # provider words are set aside in questions, so they cannot be required here
                toks = tuple(dict.fromkeys(t for t in content_tokens(raw_tokens(text)) if t not in PROVIDER_WORDS))
                if toks and any(t not in GENERIC_TOKENS for t in toks):
                    phrases.append((a.id, text, toks))  # all-generic keywords would match too much
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
        self._aliases: dict[tuple[str, ...], Service] = {}
        self._features: set[tuple[str, ...]] = set()
        for s in services.services:
            for alias in [s.name, *s.aliases]:
                toks = tuple(raw_tokens(alias))
                if toks:
                    self._aliases.setdefault(toks, s)
        for s in services.services:
            for feature in s.features:
                toks = tuple(raw_tokens(feature))
                if toks and toks not in self._aliases:
                    self._aliases[toks] = s
                    self._features.add(toks)
        self._alias_vocab = Vocabulary(t for toks in self._aliases for t in toks)
        self._alias_by_first: dict[str, list[tuple[str, ...]]] = {}
        for toks in self._aliases:
            self._alias_by_first.setdefault(toks[0], []).append(toks)
        self._titles = {a.id: a.title for a in matrix.aspects}
        self._suggest_choices = {f"{k.aspect}|{k.text}": " ".join(k.tokens) for k in self._keywords}

    # -- detection -----------------------------------------------------------------
    def _take_models(self, toks: list[str], used: list[bool]) -> Model | None:
        found = None
        for phrase, model in MODEL_PHRASES.items():
            n = len(phrase)
            for i in range(len(toks) - n + 1):
                if not any(used[i:i + n]) and tuple(toks[i:i + n]) == phrase:
                    found = found or model
                    for j in range(i, i + n):
                        used[j] = True
        return found

    def _alias_candidates(self, tok: str) -> frozenset[str]:
        """Alias tokens this question token may stand for (exact, or a typo of a long token)."""
        fuzzy = self._alias_vocab.matches(tok) if len(tok) >= 6 else frozenset()
        return frozenset({tok} | {a for a in fuzzy if len(a) >= 6})

    def _take_service(self, toks: list[str], used: list[bool]) -> Service | None:
        cands = [self._alias_candidates(t) for t in toks]
        best: tuple[tuple[bool, int], int, int, Service] | None = None  # (rank, length, start, service)
        for i in range(len(toks)):
            if used[i]:
                continue
            for first in cands[i]:
                for alias in self._alias_by_first.get(first, ()):
                    n = len(alias)
                    rank = (alias not in self._features, n)  # a named service beats a feature
                    if best and rank <= best[0]:
                        continue
                    if i + n > len(toks) or any(used[i:i + n]):
                        continue
                    if all(alias[k] in cands[i + k] for k in range(n)):
                        best = (rank, n, i, self._aliases[alias])
        if best is None:
            return None
        _, n, i, svc = best
        for j in range(i, i + n):
            used[j] = True
        return svc

    def _take_provider(self, toks: list[str], used: list[bool]) -> Provider | None:
        found = None
        for i, t in enumerate(toks):
            if not used[i] and t in PROVIDER_WORDS:
                found = found or PROVIDER_WORDS[t]
                used[i] = True
        return found

    def _score_aspects(self, content: list[str]) -> dict[str, tuple[float, str]]:
        matched: set[str] = set()
        for t in content:
            matched |= self._vocab.matches(t)
        best: dict[str, tuple[float, str]] = {}
        for kw in self._keywords:
            if all(t in matched for t in kw.tokens):
                if kw.aspect not in best or kw.weight > best[kw.aspect][0]:
                    best[kw.aspect] = (kw.weight, kw.text)
        return best

    def _suggest(self, content: list[str], exclude: set[str] = frozenset()) -> list[Alternative]:
        query = " ".join(t for t in content if t not in STOP_WORDS)
        if not query:
            return []
        out: list[Alternative] = []
        for _text, score, key in process.extract(query, self._suggest_choices, scorer=fuzz.token_set_ratio, limit=25):
            aspect = key.split("|", 1)[0]
            if score < 45 or aspect in exclude or any(a.aspect == aspect for a in out):
                continue
            out.append(Alternative(aspect=aspect, title=self._titles[aspect], score=round(score / 100, 2)))
            if len(out) == 3:
                break
        return out

    # -- answer --------------------------------------------------------------------
    def who_owns(self, question: str, provider: str | Provider | None = None,
                 service_model: str | Model | None = None) -> Answer:
        toks = raw_tokens(question)
        for phrase, (owner, text) in HEADLINES.items():
            n = len(phrase)
            if any(tuple(toks[i:i + n]) == phrase for i in range(len(toks) - n + 1)):
                prov = Provider(provider) if provider else next(
                    (PROVIDER_WORDS[t] for t in toks if t in PROVIDER_WORDS), None)
                return Answer(question=question, owner=owner, explanation=text, provider=prov,
                              provider_stated=prov is not None,
                              alternatives=self._suggest(content_tokens(toks)))
        used = [False] * len(toks)
        model = Model(service_model) if service_model else self._take_models(toks, used)
        model_stated = model is not None
        svc = self._take_service(toks, used)
        said_provider = self._take_provider(toks, used)
        prov = Provider(provider) if provider else None
        prov_stated = prov is not None or said_provider is not None or svc is not None
        prov = prov or (svc.provider if svc else None) or said_provider
        if svc and model is None:
            model = svc.model
        content = content_tokens(t for t, u in zip(toks, used) if not u)
        base = dict(question=question, provider=prov, provider_stated=prov_stated,
                    service=svc.id if svc else None, service_name=svc.name if svc else None,
                    service_model=model, service_model_stated=model_stated or svc is not None)

        out_of_scope = bool(OUT_OF_SCOPE.intersection(content))
        scores = {} if out_of_scope else self._score_aspects(content)
        if not scores and svc and not out_of_scope:
            # the service name may itself be the topic ("who owns azure ad?"): score with it put back
            scores = self._score_aspects(content_tokens(t for t, u in zip(toks, used) if not u or t not in
                                                        PROVIDER_WORDS))
        if not scores:
            alts = self._suggest(content)
            hint = ", ".join(f"*{a.title}*" for a in alts) or "a topic such as *OS patching*, *MFA* or *backups*"
            subject = f" for {svc.name}" if svc else ""
            return Answer(**base, owner=Owner.unknown, alternatives=alts,
                          explanation=f"The responsibility matrix does not cover that{subject}. Did you mean {hint}?")
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
        top_id, (top_score, _) = ranked[0]
        alts = [Alternative(aspect=a, title=self._titles[a], score=round(s / top_score, 2))
                for a, (s, _) in ranked[1:4] if s >= 0.75 * top_score]
        return self._answer_for(self._aspects[top_id], base, model, prov, alts)

    def _answer_for(self, aspect: Aspect, base: dict, model: Model | None, prov: Provider | None,
                    alts: list[Alternative]) -> Answer:
        team = self.owners.team_for_aspect(aspect.id) if self.owners else None
        common = dict(base, aspect=aspect.id, aspect_title=aspect.title, alternatives=alts,
                      checks=list(aspect.checks), sources=list(aspect.sources))
        if model is not None:
            cell = aspect.cell(model, prov)
            owner = Owner(cell.owner)
            explanation = cell.summary
            if owner is Owner.shared:
                explanation = f"{cell.summary} Provider: {cell.provider_does} You: {cell.customer_does}"
            return Answer(**common, owner=owner, explanation=explanation, provider_does=cell.provider_does,
                          customer_does=cell.customer_does,
                          team=team.id if team and owner is not Owner.provider else None,
                          team_name=team.name if team and owner is not Owner.provider else None)
        cells = {m: aspect.cell(m, prov) for m in CLOUD_MODELS}
        owners = {c.owner for c in cells.values()}
        if len(owners) == 1:
            cell = cells[Model.iaas]
            owner = Owner(cell.owner)
            explanation = cell.summary + " This holds for IaaS, PaaS and SaaS alike."
            if owner is Owner.shared:
                explanation = f"{cell.summary} Provider: {cell.provider_does} You: {cell.customer_does}"
            common["service_model"] = None
            return Answer(**common, owner=owner, explanation=explanation, provider_does=cell.provider_does,
                          customer_does=cell.customer_does,
                          team=team.id if team and owner is not Owner.provider else None,
                          team_name=team.name if team and owner is not Owner.provider else None)
        breakdown = {m.value: ModelOwner(owner=c.owner, summary=c.summary) for m, c in cells.items()}
        parts = "; ".join(f"{m.value.upper()}: {c.owner}" for m, c in cells.items())
        return Answer(**common, owner=Owner.depends, breakdown=breakdown,
                      explanation=(f"It depends on the service model ({parts}). Name the service "
                                   "(e.g. EC2, RDS, Microsoft 365) or say IaaS, PaaS or SaaS for one answer."),
                      team=team.id if team else None, team_name=team.name if team else None)


@lru_cache(maxsize=1)
def default_resolver() -> Resolver:
    from bot.config import Settings
    from bot.matrix import load_matrix, load_services
    from bot.owners import load_owners

    s = Settings()
    matrix = load_matrix(s.srm_matrix)
    return Resolver(matrix, load_services(s.srm_services), load_owners(s.srm_owners, aspect_ids=matrix.ids))
