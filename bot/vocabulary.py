"""Provider vocabulary: words that are one provider's own term, so they name that provider without naming it
("kms keys" are AWS's, "cmek" and "gs://" Google's, a "resource group" Azure's). Data: data/provider_vocabulary.yml.

A term is matched on the question's plain words (lowercase letters and digits, before the resolver's spelling
fixes, so "2sv" and "gs://" are seen as typed), as a phrase; with ``context``, only when one of those words is in
the question too ("subscription" is Azure's next to "owner" or "prod", not in "sns subscription"); with ``unless``, never
when one of those words is ("*eks* private endpoint" is EKS's cluster endpoint, not Azure's private endpoint); with
``heading``, also without a context word where it heads the message ("teams - who ..."). A term never
outranks a provider or a service the question names (see bot/resolver.py). ``check_services`` is run by
``srm validate``: every service a term names exists and is that provider's.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from bot.datafiles import DataFileError, load_yaml_model
from bot.matrix import DATA_DIR, Provider, Service, ServiceCatalog

VOCABULARY_PATH = DATA_DIR / "provider_vocabulary.yml"
_WORD = re.compile(r"[a-z0-9]+")


_ANY_PROVIDER = frozenset({"csp", "csps"})  # the provider as a role, whichever it is


class Term(BaseModel, extra="forbid"):
    phrases: list[str] = Field(min_length=1)
    provider: Provider
    service: str | None = None  # the service the term names, if one
    context: list[str] = Field(default_factory=list)  # one of these words must be in the question too
    # none of these words may be: another stack's product that uses the same words ("*eks* private endpoint")
    unless: list[str] = Field(default_factory=list)
    # a term another provider also uses in passing ("kms keys": Google writes "Cloud KMS keys"): any other
    # provider's term in the question outranks it
    weak: bool = False
    # the phrase heading the message on its own ("teams - who patches the servers behind it") names the product
    # without a context word
    heading: bool = False
    why: str = Field(min_length=10)  # the provider's own usage that makes the term its own
    source: str = Field(pattern=r"^https://")


_HEADING_END = re.compile(r"\s*[-:\u2013\u2014]")


def _fits(term: Term, present: set[str], question: str, at: int) -> bool:
    """The question holds one of the term's context words (if it needs one) and none of its ``unless`` words; a
    ``heading`` term needs no context word where its phrase heads the message before a dash or colon."""
    if present & set(term.unless):
        return False
    return not term.context or bool(present & set(term.context)) or (term.heading and at == 0 and _heads(term, question))


def _heads(term: Term, question: str) -> bool:
    """One of the term's phrases opens the question, followed by a dash or a colon ("teams - ...", "teams: ...")."""
    text = question.lower().lstrip()
    for phrase in term.phrases:
        if text.startswith(phrase) and _HEADING_END.match(text, len(phrase)):
            return True
    return False


class ProviderVocabulary(BaseModel, extra="forbid"):
    version: int
    terms: list[Term]

    def model_post_init(self, _context: object) -> None:
        self._index: dict[str, list[tuple[tuple[str, ...], Term]]] = {}
        for term in self.terms:
            for phrase in term.phrases:
                words = tuple(_WORD.findall(phrase.lower()))
                if words:
                    self._index.setdefault(words[0], []).append((words, term))
        for entries in self._index.values():
            entries.sort(key=lambda e: -len(e[0]))

    def find(self, question: str) -> Term | None:
        """The first term (leftmost, then longest phrase) the question uses, with its context if it needs one; a
        weak term only when no other provider's term is there ("kms keys ... our *cmek* keys" is Google's)."""
        words = plain_words(question)
        present = set(words)
        first: Term | None = None
        for i, w in enumerate(words):
            for phrase, term in self._index.get(w, ()):
                if tuple(words[i:i + len(phrase)]) == phrase and _fits(term, present, question, i):
                    if first is None:
                        first = term
                    if not first.weak:
                        return first
                    if term.provider is not first.provider and not term.weak:
                        return term
        # "is that on *the csp* since they give us the kms": a weak term in a question put to any provider names none
        return None if first is not None and first.weak and present & _ANY_PROVIDER else first


    def _used(self, question: str) -> Iterator[tuple[tuple[str, ...], Term]]:
        """Each (phrase, term) of a term the question uses (with its context where it needs one), in the order written."""
        words = plain_words(question)
        present = set(words)
        return ((phrase, term) for i, w in enumerate(words) for phrase, term in self._index.get(w, ())
                if tuple(words[i:i + len(phrase)]) == phrase and _fits(term, present, question, i))

    def terms_of(self, question: str, provider: Provider) -> Iterator[Term]:
        """The terms of ``provider`` the question uses, in the order written."""
        return (term for _, term in self._used(question) if term.provider is provider)

    def phrases_used(self, question: str) -> list[tuple[tuple[str, ...], Term]]:
        """Each (phrase, term) of a term the question uses, weak ones left out."""
        return [(phrase, term) for phrase, term in self._used(question) if not term.weak]

    def services_named(self, question: str, first: Service) -> str | None:
        """The service of a term of ``first``'s provider the question also uses, other than ``first``."""
        return next((t.service for t in self.terms_of(question, first.provider)
                     if t.service and t.service != first.id), None)


def plain_words(question: str) -> list[str]:
    return _WORD.findall(question.lower())


def load_vocabulary(path: Path | str = VOCABULARY_PATH) -> ProviderVocabulary:
    return load_yaml_model(Path(path), ProviderVocabulary)


def check_services(vocab: ProviderVocabulary, services: ServiceCatalog, path: Path | str = VOCABULARY_PATH) -> None:
    """Raise DataFileError unless every service a term names exists and belongs to the term's provider."""
    by_id = {s.id: s for s in services.services}
    bad = [f"terms[{i}] ({t.phrases[0]}).service: {'unknown service' if t.service not in by_id else 'not a service of'}"
           f" {t.service!r}{'' if t.service not in by_id else ' ' + t.provider.value}"
           for i, t in enumerate(vocab.terms) if t.service
           and (t.service not in by_id or by_id[t.service].provider is not t.provider)]
    if bad:
        raise DataFileError(path, bad)
