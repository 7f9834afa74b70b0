"""Find the task a question names, within one service's catalogue (pure; built once per resolver).

A service's tasks are matched only when the question names that service (or a variant of it, such as
Aurora for RDS): task keywords are specific to a service, so they are never matched across services.
A keyword matches when every one of its topic tokens is in the question (any order, small typos
allowed except on product names); the heaviest match wins. Variants are found by their aliases.
When no keyword matches whole, the aspect row the question matched narrows the service's tasks, and the
question's remaining words pick one of them (``closest_in_aspect``) only when they clearly point at it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

from bot.matrix import Matrix, ServiceCatalog
from bot.scope import PRODUCT_NAMES, PROVIDER_STEMS, PhraseIndex, degenerate
from bot.tasks import ServiceTasks, Task, TaskCatalog
from bot.textmatch import STOP_WORDS, Vocabulary, content_tokens, drops, raw_tokens, stem

# words too light to pick one task over another ("who *turns on* cloudtrail" names no task of it)
_LIGHT_WORDS = frozenset(stem(w) for w in """turn turns on off enable enabled set sets setting make keep keeps get
    configure configures configured configuring
    goes go up use using used look looks after sure problem fault whose right wrong ok""".split())
# question words that say nothing about which task ("if", "went", "actually")
_FILLER = frozenset(stem(w) for w in """if has have had going gone went got inside within around again still
actually anyway something anything everything thing things new old way ways time times lot lots bit""".split())
_PATCH_WORDS = frozenset(stem(w) for w in "patch patches patched patching upgrade upgrades update updates cve cves".split())
_PATCH_ROWS = frozenset({"guest_os", "runtime_patching", "provider_host_os", "vulnerability_testing"})
_SETTING_SIDES = ("Sets ", "Chooses ", "Picks ", "Configures ", "Decides ")  # a customer side that is a choice
_MIN_NET = 2  # covered minus uncovered question words a task found by closest_in_aspect needs
# stop words (question scaffolding: "who is the owner") that are a topic inside a keyword ("object ownership")
# nouns that are stop words because they also ask whose job something is ("whose *role*", "the *customer*")
_TOPIC_STOP_WORDS = frozenset("ownership owner owners role roles client clients customer customers consumer tasks responsible".split())


class TaskKeyword(NamedTuple):
    task: Task
    text: str
    tokens: tuple[str, ...]
    weight: float
    verbs: frozenset[str] = frozenset()  # stems the keyword writes only as a verb form ("queried", "patching")
    literal: tuple[str, ...] = ()  # matched only as written: "our own key" would shrink to the one word "key"
    raw: frozenset[str] = frozenset()  # the keyword's words as written, for its particles ("drive is *down*")


@dataclass(frozen=True)
class TaskMatch:
    service: ServiceTasks
    task: Task
    keyword: TaskKeyword


# words that say whose thing it is ("our own cert", "customer-managed key", "google-managed key"; see textmatch):
# a keyword that has one names the side outright, so it outweighs a longer keyword without one
_WHOSE_MARKERS = frozenset(stem(w) for w in ("byo", "customermanaged", "providermanaged"))


_PROVIDER_MANAGED = stem("providermanaged")


def _weight(tokens: Sequence[str]) -> float:
    return sum(20.0 if t in _WHOSE_MARKERS else min(len(t), 10) + 3.0 for t in tokens) + 0.5 * len(tokens)


# a particle's meaning comes from the word before it: "drive is *down*" is not "locking that *down*"; an "off" after a
# switching verb is the state, whatever the setting ("if we *switch off* auto-upgrade": "auto upgrade *off*")
_PARTICLES = frozenset("down up out off over".split())
_SWITCHING = frozenset("switch switched switching turn turned turning".split())


def _particles_fit(kw_raw: frozenset[str], toks: Sequence[str]) -> bool:
    """Each particle of the keyword follows, in the question, a word of the keyword ("is drive down"); a keyword
    that starts with one ("up and available") says nothing about the word before it."""
    stems = {stem(w) for w in kw_raw}
    return all(any(toks[i] == p and i and (stem(toks[i - 1]) in stems or p == "off" and _switched(toks, i - 1))
                   for i in range(len(toks)))
               for p in _PARTICLES & kw_raw)


_MODALS = frozenset("can could may might should do how".split())


def _switched(toks: Sequence[str], i: int) -> bool:
    """``toks[i]`` is a switching verb that says a setting is switched ("if we *switch* off auto-upgrade"), not one
    that asks whether it may be ("*can we switch* off the audit logs", "is it possible *to turn* it off")."""
    return toks[i] in _SWITCHING and not (toks[i - 1:i] == ["to"] or (
        i >= 2 and toks[i - 1] in {"we", "i", "you"} and toks[i - 2] in _MODALS))


def _written(phrase: tuple[str, ...], toks: Sequence[str]) -> bool:
    n = len(phrase)
    return any(tuple(toks[i:i + n]) == phrase for i in range(len(toks) - n + 1))


# a switching verb asked ("who *turns on* auto os upgrade", "or do we have to *turn* that *on*") asks the act of
# switching; a keyword that writes that verb only as a participle after the setting ("auto os upgrade *turned on*")
# names the state the setting is in, where another side may act ("once it is turned on, azure rolls the images")
# (unless it asks whether the setting is on already: "do we have to switch it on or is it *already* running")
_SWITCH_STEMS = frozenset(stem(w) for w in ("turn", "switch", "enable", "activate"))
_ON_ALREADY = frozenset("already default".split())


def _names_the_state_only(kw: TaskKeyword, asked: str) -> bool:
    words = [w for w in raw_tokens(kw.text) if stem(w) == asked]
    return bool(words) and all(w.endswith("ed") for w in words)


def _same_word(a: str, b: str) -> bool:
    """Two stems of one word ("renew", "renewal"; "rotat", "rotation")."""
    n = min(len(a), len(b), 5)
    return n >= 3 and a[:n] == b[:n]


_VARIANT_SWAP_MIN = 6  # (shorter swaps are often words of their own)


def _dropped_letters(words: frozenset[str]) -> dict[str, str]:
    """Each word of ``words`` (eight letters or more) typed with one inner letter left out, to the word
    ("serverles"); a typed form two words share, or that is itself one of the words, is left out. (Leaving out the
    first or last letter mostly makes another word: "enable", "director", "dedicate".)"""
    seen: dict[str, set[str]] = {}
    for w in words:
        if len(w) >= 8:
            for typed in drops(w, inner=True):
                seen.setdefault(typed, set()).add(w)
    return {typed: next(iter(ws)) for typed, ws in seen.items() if len(ws) == 1 and typed not in words}


_DENIALS = frozenset("not t never without no".split())


_OPTED_OUT = frozenset({("opted", "out"), ("opt", "out"), ("opts", "out"), ("turned", "off"), ("switched", "off")})


def _denied(toks: Sequence[str], i: int) -> bool:
    """The phrase at ``i`` is denied by a word just before it ("*not* on autopilot", "don*'t* use aurora", "*opted out*
    of managed updates")."""
    before = toks[max(0, i - 4):i]
    return bool(_DENIALS.intersection(before)) or any(p in _OPTED_OUT for p in zip(before, before[1:]))


# a setting the question says is off ("auto upgrade *is off*", "backups *disabled*", "pitr *not enabled*"): a keyword
# that names the setting but none of these words reads it as on ("auto upgrade patches the node os"), so it gives way
# to any keyword the question does not contradict
_OFF_WORDS = frozenset({"off", "disabled", "paused", "postponed"})
_OFF_STEMS = frozenset(stem(w) for w in (*_OFF_WORDS, "without"))
_ON_WORDS = frozenset({"on", "enabled"})
_OFF_LINKS = frozenset({"is", "was", "are", "were", "been", "be", "turned", "switched", "left", "kept", "set", "toggled",
                        "still", "currently", "now", "not", "t", "never", "all"})
# verbs whose "off" is a phrasal verb, not a state ("who *signs off*", "*log off*", "*kick off* the review")
_OFF_PHRASAL = frozenset("sign signs signed signing log logs logged logging kick kicks kicked cut cuts pay pays paid drop "
                         "drops dropped tip tipped show shows showed ward fend hand hands handed top topped finish "
                         "start started head take takes taken took ship shipped wall walled cordon cordoned seal sealed "
                         "back backed call called hold holds bounce rolled roll rolls trigger triggers".split())


# words before a setting that say it is off ("*never set up* backups", "we *turned off* auto update on the shir")
_OFF_BEFORE = PhraseIndex((tuple(p.split()), True) for p in (
    "never set up", "didn t set up", "haven t set up", "have not set up", "did not set up", "never enabled",
    "never turned on", "didn t enable", "didn t turn on", "haven t enabled", "without", "turned off", "switched off",
    "turn off", "switch off", "turning off", "switching off"))
_DETERMINERS = frozenset("the a an our my their its your this that these those".split())


def _denied_markers(toks: Sequence[str]) -> set[frozenset[str]]:
    """Whose-markers the question denies ("if we *don't* bring our own key", "*no* customer-managed key")."""
    return {frozenset({stem(t)}) for i, t in enumerate(toks)
            if stem(t) in _WHOSE_MARKERS and _DENIALS.intersection(toks[max(0, i - 3):i])}


# a resource the question says is *not* linked to another ("lambda *not attached* to a vpc"): a keyword written for the
# linked case ("attached to the vpc highly available") gives way to one the question does not contradict
_LINKED = frozenset({"attached", "connected", "peered"})


def _denied_links(toks: Sequence[str]) -> set[frozenset[str]]:
    """The links the question denies ("*not attached* to a *vpc*", "*isn't connected* to our *vnet*"): the link word
    and the thing it would link to, each as its stem."""
    out: set[frozenset[str]] = set()
    for i, t in enumerate(toks):
        if t in _LINKED and i and toks[i - 1] in _DENIALS:
            out.add(frozenset({stem(t)}))
            after = [w for w in toks[i + 1:i + 4] if w != "to" and w not in _DETERMINERS][:1]
            out.update(frozenset({stem(w)}) for w in after if w not in STOP_WORDS)
    return out


# "maintenance that *needs a reboot*": the reboot is still ahead, a thing to be done; a keyword that writes the word as
# a verb form ("*rebooted* for host maintenance") is about it being done to the asker, not about the need
_NEED_WORDS = frozenset("need needs needing needed require requires requiring required".split())


def _needed_nouns(toks: Sequence[str]) -> frozenset[str]:
    """The stems of the words written only as the thing needed ("needs *a reboot*", "requiring a restart")."""
    at = {i + 2 for i in range(len(toks) - 2) if toks[i] in _NEED_WORDS and toks[i + 1] in ("a", "an")}
    return frozenset({stem(toks[k]) for k in at} - {stem(t) for k, t in enumerate(toks) if k not in at})


def _switched_off(toks: Sequence[str]) -> set[frozenset[str]]:
    """The settings the question says are off, each as the stems of its last two words: the words before "(is)
    off", "disabled", "not enabled" ("*auto upgrade* is off"), and after "never set up", "without" ("without *auto
    upgrade*"). A keyword holding all of a setting's words reads it as on; one holding a part ("connect
    *upgrades*") does not."""
    out: set[frozenset[str]] = set()
    for i, t in enumerate(toks):
        if t not in _OFF_WORDS and not (t == "enabled" and i and toks[i - 1] in {"not", "t", "never"}):
            continue
        j = i - 1
        while j >= 0 and toks[j] in _OFF_LINKS:
            j -= 1
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t == "off" and j == i - 1 and nxt is not None and (nxt not in STOP_WORDS or nxt in _DETERMINERS):
            continue  # a preposition: "metrics *off* the instances"
        if j >= 0 and toks[j] not in STOP_WORDS and toks[j] not in _OFF_PHRASAL:
            words = [toks[j]] + ([toks[j - 1]] if j and toks[j - 1] not in STOP_WORDS else [])
            out.add(frozenset(stem(w) for w in words))
    for i, phrase in _OFF_BEFORE.occurrences(toks):
        if phrase[0] in _SWITCHING and not _switched(toks, i):
            continue
        after = [t for t in toks[i + len(phrase):i + len(phrase) + 3] if t not in STOP_WORDS][:2]
        if after:
            out.add(frozenset(stem(t) for t in after))
    return out


# words before a setting that only weakly say it is on ("a domain *with* automatic updates ..."): a state written
# after the setting wins over them
_WEAK_BEFORE = frozenset({"with", "have", "we", "using", "rely"})


def _named_phrases(phrases: PhraseIndex, toks: Sequence[str]) -> list[tuple[str, ...]]:
    """The variant phrases a question names, in order, not counting denied ones, a name inside a longer one
    ("*managed node groups*" in "self managed node groups") or a state read from a word before the setting that the
    state after it overrides ("domain *with automatic updates* off": off)."""
    found = [(i, i + len(p), p) for i, p in phrases.occurrences(toks) if not _denied(toks, i)]
    return [p for i, j, p in found
            if not any((a <= i and j <= b and (a, b) != (i, j)) or (i < a < j < b and p[0] in _WEAK_BEFORE)
                       for a, b, _ in found)]


# where the customer's choice about a provider task sits when not in the task's own aspect: the key that encrypts
# data at rest is a key-management choice
_CHOICE_ASPECTS = {"encryption_at_rest": ("key_management",), "configuration_management": ("workload_compliance",)}


# a variant that is a setting's state ("managed updates *on*", "auto upgrade *disabled*") is also said verb first
# ("we *turned on* managed platform updates", "*disabled* auto upgrade"), with "is/was/are", and (for the off state) as
# the on state denied ("auto upgrade *isn't enabled*", "*without* auto upgrade", "we *never turned on* auto upgrade"):
# the data writes the state form once ("automatic storage increase off") and gets these
_STATE_SUFFIXES = {("on",): "on", ("enabled",): "on", ("turned", "on"): "on", ("switched", "on"): "on", ("left", "on"): "on",
                   ("off",): "off", ("disabled",): "off", ("turned", "off"): "off", ("switched", "off"): "off",
                   ("left", "off"): "off"}
_STATE_AFTER = {
    "on": "on|is on|was on|turned on|is turned on|was turned on|switched on|is switched on|was switched on|enabled|is enabled|"
          "was enabled|are on|are enabled|are turned on|active|is active",
    "off": "off|is off|was off|turned off|is turned off|was turned off|switched off|is switched off|disabled|is disabled|"
           "was disabled|not enabled|is not enabled|was not enabled|isn t enabled|wasn t enabled|not on|is not on|was not on|"
           "isn t on|wasn t on|never enabled|was never enabled|was never turned on|never turned on|are off|are disabled|"
           "not turned on|wasn t turned on|isn t turned on"}
_STATE_BEFORE = {
    "on": "enabled|turned on|switched on|turn on|enable|with|have|we have|using|we use|rely on",
    "off": "without|no|disabled|turned off|switched off|turn off|disable|never enabled|never turned on|didn t enable|"
           "didn t turn on|did not enable|did not turn on|haven t enabled|have not enabled|not using|don t use|don t have|"
           "never set up|never switched on"}
_STATE_FORMS = {state: ([tuple(f.split()) for f in _STATE_BEFORE[state].split("|")],
                        [tuple(f.split()) for f in _STATE_AFTER[state].split("|")]) for state in ("on", "off")}


def _state_forms(phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase, and for "<setting> on/off" the setting's other ways of saying that state."""
    forms = [phrase]
    for suffix, state in _STATE_SUFFIXES.items():
        n = len(suffix)
        if len(phrase) > n and phrase[-n:] == suffix and phrase[-n - 1] not in {"is", "are", "was", "were", "not"}:
            before, after = _STATE_FORMS[state]
            setting = phrase[:-n]
            forms += [setting + a for a in after] + [b + setting for b in before]
    return list(dict.fromkeys(forms))


class TaskIndex:
    def __init__(self, catalog: TaskCatalog, services: ServiceCatalog, matrix: Matrix):
        self.catalog = catalog
        self.matrix = matrix
        self._aliases = {s.id: [tuple(raw_tokens(a)) for a in [s.name, *s.aliases]] for s in services.services}
        self._parents = catalog.variant_parents()
        self._off_tasks: dict[int, bool] = {}
        self._on_settings: dict[int, list[frozenset[str]]] = {}
        # a service's keywords are indexed the first time a question names it: loading stays fast however
        # many services the catalogue holds, and each service's typo vocabulary stays small
        self._keywords: dict[str, tuple[list[TaskKeyword], Vocabulary]] = {}
        self._anchored: dict[str, dict[str, list[int]]] = {}
        self._variants: dict[str, PhraseIndex] = {}
        self._checks: dict[str, list[str]] = {}
        self._name_tokens: dict[str, frozenset[str]] = {}
        self._baseline_only: dict[str, frozenset[str]] = {}
        # product and service names ("kms", "s3") name a thing, not which task of this service is meant
        # (words of one-word names only: "aws backup" does not make "backups" a product name)
        self._product_words = frozenset(stem(a[0]) for toks in self._aliases.values() for a in toks
                                        if len(a) == 1) | {stem(t) for t in PRODUCT_NAMES}
        self._words: dict[str, frozenset[str]] = {}
        self._variant_vocab: dict[str, Vocabulary] = {}
        self._variant_dropped: dict[str, dict[str, str]] = {}
        for sid, st in catalog.by_service.items():
            if st.variants:
                self._variants[sid] = PhraseIndex(
                    (phrase, v.id)
                    for v in st.variants for alias in dict.fromkeys([v.name, v.id.replace("_", " "), *v.aliases])
                    for phrase in _state_forms(tuple(raw_tokens(alias))) if phrase)
                self._variant_vocab[sid] = Vocabulary(t for phrase, _ in self._variants[sid].items() for t in phrase
                                                      if len(t) >= _VARIANT_SWAP_MIN)
                self._variant_dropped[sid] = _dropped_letters(self._variant_vocab[sid].tokens_set)
            self._checks[sid] = list(dict.fromkeys(c for t in st.tasks for c in t.checks))

    def keywords(self, service_id: str) -> tuple[list[TaskKeyword], Vocabulary]:
        """The service's task keywords (stemmed topic tokens, weight) and the vocabulary of their words."""
        found = self._keywords.get(service_id)
        if found is None:
            kws = []
            own_name = frozenset(content_tokens(self._aliases[service_id][0]))  # the service's name, not its aliases
            for task in self.catalog.by_service[service_id].tasks:
                for text in [task.title, *task.keywords]:
                    raw = raw_tokens(text)
                    content = content_tokens(raw)
                    toks = tuple(dict.fromkeys(t for t in content if t not in PROVIDER_STEMS))
                    if not toks:
                        continue
                    if len(toks) == 1 and (_TOPIC_STOP_WORDS.intersection(raw) or (
                            len(set(content)) > 1 and toks[0] in own_name)):
                        # a keyword that shrinks to one word because its topic word is a stop word ("object
                        # *ownership*"), or to the service's own name once the provider's is set aside ("*google* side of
                        # the *interconnect*", "*azure* side of *arc*": any question naming the service has it; "is that
                        # google's side" is the asker's alternative), is matched only as written: "objects" alone is not it
                        kws.append(TaskKeyword(task, text, toks, _weight(toks), literal=tuple(raw)))
                        continue
                    if degenerate(raw, toks):
                        # the service is named, so a keyword written as one broad word ("backups") is specific
                        # enough; one that only shrinks to it ("our own key") must be written as it stands
                        if len(raw) == 1:
                            kws.append(TaskKeyword(task, text, toks, _weight(toks)))
                        else:
                            kws.append(TaskKeyword(task, text, toks, _weight(raw), literal=tuple(raw)))
                        continue
                    # an -ing/-ed word right before another topic word modifies it ("*landing* zone", "*managed*
                    # disks"): a noun, which a service name may supply
                    verbs = {stem(w) for k, w in enumerate(raw) if w.endswith(("ed", "ing")) and not (
                        k + 1 < len(raw) and raw[k + 1] not in STOP_WORDS)} - {
                        stem(w) for w in raw if not w.endswith(("ed", "ing"))}
                    kws.append(TaskKeyword(task, text, toks, _weight(toks), frozenset(verbs),
                                           raw=frozenset(raw) if _PARTICLES.intersection(raw[1:]) else frozenset()))
            found = self._keywords[service_id] = (kws, Vocabulary(t for kw in kws for t in kw.tokens))
        return found

    def _keywords_within(self, service_id: str, have: set[str]) -> list[TaskKeyword]:
        """The service's keywords, in their order, that may have all their tokens in ``have``: each keyword is filed
        under its rarest token, so only those filed under a token the question has are looked at."""
        kws = self.keywords(service_id)[0]
        index = self._anchored.get(service_id)
        if index is None:
            counts: dict[str, int] = {}
            for kw in kws:
                for t in kw.tokens:
                    counts[t] = counts.get(t, 0) + 1
            index = self._anchored[service_id] = {}
            for k, kw in enumerate(kws):
                index.setdefault(min(kw.tokens, key=lambda t: counts[t]), []).append(k)
        picked = sorted(k for t in have if t in index for k in index[t])
        return [kws[k] for k in picked]

    def _baseline_only_tokens(self, service_id: str) -> frozenset[str]:
        """Keyword tokens only the service's baseline-made tasks have: such a word ("connection strings in key vault")
        says nothing for or against the tasks written for the service when loose words pick among them."""
        found = self._baseline_only.get(service_id)
        if found is None:
            kws = self.keywords(service_id)[0]
            own = {t for kw in kws if not kw.task.from_baseline for t in kw.tokens}
            found = self._baseline_only[service_id] = frozenset(
                t for kw in kws if kw.task.from_baseline for t in kw.tokens if t not in own)
        return found

    def catalogue_for(self, service_id: str | None, toks: Sequence[str]) -> tuple[str | None, str | None]:
        """(service whose tasks answer, variant implied by the service named) for the service a question named."""
        if service_id is None:
            return None, None
        parents = self._parents.get(service_id, [])
        named = [(p, v) for p, v in parents if self._names(p, toks)]
        if len(named) == 1:  # "fargate on eks": EKS's tasks, Fargate variant
            return named[0]
        if service_id in self.catalog.by_service:
            return service_id, None
        if len(parents) == 1:
            return parents[0]
        return None, None

    def _names(self, service_id: str, toks: Sequence[str]) -> bool:
        return any(tuple(toks[i:i + len(a)]) == a for a in self._aliases.get(service_id, ())
                   for i in range(len(toks) - len(a) + 1))

    def _unswapped(self, service_id: str, toks: Sequence[str]) -> Sequence[str]:
        """The question's words with a swapped-letters or one-letter-left-out typo of a variant's word put right
        ("managed *platfrom* updates turned on", "elasticache *serverles*")."""
        vocab = self._variant_vocab.get(service_id)
        if vocab is None or all(len(t) < _VARIANT_SWAP_MIN or t in vocab.tokens_set for t in toks):
            return toks
        dropped = self._variant_dropped[service_id]
        return [t if len(t) < _VARIANT_SWAP_MIN or t in vocab.tokens_set
                else dropped.get(t) or next(iter(vocab.swapped(t)), t) for t in toks]

    def variants_in(self, service_id: str, toks: Sequence[str]) -> list[str]:
        """Every variant the question names, in order, not counting ones it denies."""
        phrases = self._variants.get(service_id)
        if phrases is None:
            return []
        return list(dict.fromkeys(phrases[p] for p in _named_phrases(phrases, self._unswapped(service_id, toks))))

    def variant_in(self, service_id: str, toks: Sequence[str]) -> str | None:
        """The variant the question names, not counting one it denies ("we're *not on autopilot*")."""
        phrases = self._variants.get(service_id)
        if phrases is None:
            return None
        return next((phrases[p] for p in _named_phrases(phrases, self._unswapped(service_id, toks))), None)

    def denied_variant(self, service_id: str, variant: str | None, toks: Sequence[str]) -> str | None:
        """For a variant the question only names to deny it ("we don't use aurora", "not on autopilot"): the other
        variant when the service has two, else None; ``variant`` itself when it is not denied."""
        phrases = self._variants.get(service_id)
        if phrases is None:
            return variant
        toks = self._unswapped(service_id, toks)
        found = list(phrases.occurrences(toks))
        if variant is None:  # only denied variants named: the one denied decides
            denied = {phrases[p] for i, p in found if _denied(toks, i)}
            if len(denied) != 1 or any(not _denied(toks, i) for i, _ in found):
                return None
            variant = denied.pop()
        said = [i for i, p in found if phrases[p] == variant]
        if not said or not all(_denied(toks, i) for i in said):
            return variant
        others = [v.id for v in self.catalog.by_service[service_id].variants if v.id != variant]
        # two variants: the other one; one: none (the task's own owner); more: keep the one named (a denied paid tier
        # says nothing of the rest)
        if not others:
            return None
        return others[0] if len(others) == 1 else variant

    def best(self, service_id: str, matched: Iterable[str], free: set[str] | None = None,
             written: Sequence[str] = (), asked: str | None = None, state: frozenset[str] = frozenset(),
             done: frozenset[str] = frozenset()) -> TaskMatch | None:
        """The heaviest task keyword all of whose tokens are in ``matched`` (stemmed, typo-expanded tokens).
        ``free``: what the question's words other than the service name match; a keyword's verb form
        ("who queried the table") is not supplied by a word of the service name ("big query").
        ``asked``: the (stemmed) duty word the question asks about; a keyword that holds it outranks one that
        holds a participle of ``state`` instead, which only says where the thing sits ("cert *attached* to
        cloudfront, do we need to *renew* it"), or that starts with a verb of ``done``, an action the question says
        is already taken ("with network protection *enabled*, who *tunes* the thresholds": not "enable network
        protection")."""
        have = set(matched)
        state = state - {asked}
        offed = _switched_off(written) | _denied_markers(written) | _denied_links(written)
        needed = _needed_nouns(written)
        off_words = frozenset().union(*offed)
        best: TaskKeyword | None = None
        # "ms-managed keys" and no key of ours: a keyword that names the provider's keys outranks a longer one about
        # the service's keys in general ("workspace encryption key")
        whose = _WHOSE_MARKERS.intersection(stem(t) for t in written) - off_words
        provider_keys = any(_written(("providermanaged", k), written) for k in ("key", "keys"))
        marked = whose if whose == {_PROVIDER_MANAGED} and provider_keys else frozenset()
        best_rank: tuple[bool, bool, bool, bool, float] = (False, False, False, False, 0.0)
        switching = asked in _SWITCH_STEMS and not _ON_ALREADY.intersection(written)
        for kw in self._keywords_within(service_id, have):
            if not all(t in have for t in kw.tokens):
                continue
            rank = (not (any(setting <= set(kw.tokens) or self._reads_on(kw.task, setting) for setting in offed)
                         and not self._reads_off(kw.task)),
                    not (asked is not None and (state.intersection(kw.tokens) or kw.tokens[0] in done)
                         and not any(_same_word(asked, t) for t in kw.tokens)),
                    not (switching and _names_the_state_only(kw, asked or "")),
                    bool(marked.intersection(kw.tokens)), kw.weight)
            if best is not None and rank <= best_rank:
                continue
            if kw.literal and not _written(kw.literal, written):
                continue
            if kw.raw and written and not _particles_fit(kw.raw, written):
                continue
            if free is not None and any(t in kw.verbs and t not in free for t in kw.tokens):
                continue
            if needed.intersection(kw.verbs):
                continue
            best, best_rank = kw, rank
        if best is None:
            return None
        return TaskMatch(self.catalog.by_service[service_id], best.task, best)

    def _reads_off(self, task: Task) -> bool:
        """The task is about a setting being off: one of its keywords says so ("auto upgrade off node os"), or its
        owner follows the service's variants, which read the setting's state themselves."""
        key = id(task)  # (task ids repeat across services: every baseline task of a feature has one)
        if key not in self._off_tasks:
            self._off_tasks[key] = bool(task.owner_by_variant) or any(
                _OFF_STEMS.intersection(stem(w) for w in raw_tokens(k)) for k in task.keywords)
        return self._off_tasks[key]

    def _reads_on(self, task: Task, setting: frozenset[str]) -> bool:
        """The task is written for ``setting`` being on: one of its keywords is the setting with "on" or "enabled"
        after it ("auto update on", "ir auto update enabled"), so a question that says it is off is not about it."""
        key = id(task)
        if key not in self._on_settings:
            self._on_settings[key] = [frozenset(stem(w) for w in content_tokens(words[:-1])) for words in
                                      (raw_tokens(k) for k in task.keywords) if len(words) > 1 and words[-1] in _ON_WORDS]
        return any(setting <= on for on in self._on_settings[key])

    @staticmethod
    def _plain_words(task: Task) -> frozenset[str]:
        return frozenset(w for text in (task.title, *task.keywords) for w in content_tokens(raw_tokens(text)))

    def patching_tasks(self, service_id: str, words: Iterable[str]) -> list[Task]:
        """The service's patching tasks (OS, runtime, host, vulnerability rows) that hold one of the patching words the
        question uses ("patched against cves", "patching", "upgrades")."""
        st = self.catalog.by_service.get(service_id)
        said = _PATCH_WORDS & set(words)
        return [t for t in st.tasks if t.aspect in _PATCH_ROWS and said & self._plain_words(t)] if st and said else []

    def task_with_keyword(self, service_id: str, keyword: str) -> TaskMatch | None:
        """The service's task that lists ``keyword`` as written (a task other rules point at by its keyword)."""
        st = self.catalog.by_service.get(service_id)
        task = next((t for t in st.tasks if keyword in t.keywords), None) if st else None
        return self._by_title(service_id, task) if task is not None else None

    def names_in_variant(self, service_id: str, other_id: str, toks: Sequence[str]) -> bool:
        """A variant of ``service_id`` the question names has ``other_id``'s name inside it ("*ec2* container
        instances" of ECS)."""
        phrases = self._variants.get(service_id)
        names = self.name_tokens(other_id)
        return phrases is not None and any(
            len(p) > 1 and not _denied(toks, i) and any(t in names for t in content_tokens(p))
            for i, p in phrases.occurrences(toks))

    def variant_words(self, service_id: str, variant: str | None = None) -> frozenset[str]:
        """Stemmed words of the service's variant names and aliases ("hybrid" of Apigee hybrid); of one variant's
        only when ``variant`` is given."""
        st = self.catalog.by_service.get(service_id)
        return frozenset(stem(t) for v in (st.variants if st else ()) if variant is None or v.id == variant
                         for a in [v.name, *v.aliases] for t in raw_tokens(a))

    def name_tokens(self, service_id: str) -> frozenset[str]:
        """Stemmed words of the service's own name and aliases: the question named the service, so a task keyword
        that repeats its name ("cosmos backups" for "cosmosdb backups") needs only its other words."""
        found = self._name_tokens.get(service_id)
        if found is None:
            found = self._name_tokens[service_id] = frozenset(
                t for toks in self._aliases.get(service_id, ()) for t in content_tokens(toks)
                if t not in PROVIDER_STEMS)
        return found

    def closest_in_aspect(self, service_id: str, aspect: str, matched: Iterable[str],
                          topic: Iterable[str], also: Iterable[str] = ()) -> TaskMatch | None:
        """The task of ``aspect`` the question's other words point at when no task keyword matched whole.

        ``topic``: the words of the row keyword that found the aspect; they say nothing about which task.
        The task whose title, keywords and split text share more of the remaining words (the verb, the object:
        "who *creates* backups", "cloud armor *policies*") than any other wins; none or a tie keeps the aspect
        answer. ``also``: rows under which services file this row's tasks (scaling tasks are availability tasks)."""
        found = self._closest(service_id, self.tasks_in_aspect(service_id, aspect), matched, topic)
        if found is not None or not also:
            return found
        # the row's own words name the task there ("who *scales* lambda"): the one sharing the most of them
        return self._most_shared(service_id, [t for a in also for t in self.tasks_in_aspect(service_id, a)], matched)

    def decided_by_variant(self, service_id: str, aspect: str, variant: str) -> TaskMatch | None:
        """The one task of ``aspect`` whose owner changes with ``variant``; none or several give None."""
        tasks = [t for t in self.tasks_in_aspect(service_id, aspect) if variant in t.owner_by_variant]
        return self._by_title(service_id, tasks[0]) if len(tasks) == 1 else None

    def closest_task(self, service_id: str, matched: Iterable[str]) -> TaskMatch | None:
        """The service's task the question's words clearly point at when no keyword or row matched whole
        ("does aws keep a *copy* of our ebs *volume* if a *disk* dies"); none or a tie gives None."""
        st = self.catalog.by_service.get(service_id)
        return self._most_shared(service_id, st.tasks, matched) if st is not None else None

    def _closest(self, service_id: str, tasks: list[Task], matched: Iterable[str],
                 topic: Iterable[str]) -> TaskMatch | None:
        tasks = [t for t in tasks if not t.from_baseline]
        if not tasks:
            return None
        have = (set(matched) - self._baseline_only_tokens(service_id) - self.name_tokens(service_id) - set(topic)
                - _LIGHT_WORDS - self._product_words)
        # a word the task does not cover counts against it: "alb certificate *renewal*" is not "TLS listeners"
        scored = sorted(((2 * len(have & words) - len(have), i) for i, t in enumerate(tasks)
                         for words in [self._task_words(service_id, t)]), reverse=True)
        if scored[0][0] < _MIN_NET or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return None
        return self._by_title(service_id, tasks[scored[0][1]])

    def customer_choice(self, service_id: str, done: Task, variant: str | None, matched: Iterable[str]
                        ) -> TaskMatch | None:
        """The customer's task beside a provider task the question matched, when the question asks who *sets*,
        *picks* or *changes* something ("7 yrs of sql db backups, who sets that up": the provider takes the
        backups, the customer sets long-term retention). The customer task of the same aspect sharing the most
        of the question's words; a tie or no shared word gives None."""
        aspects = {done.aspect, *_CHOICE_ASPECTS.get(done.aspect, ())}
        tasks = [t for a in sorted(aspects) for t in self.tasks_in_aspect(service_id, a)
                 if t is not done and t.owner_for(variant) == "customer"]
        found = self._most_shared(service_id, tasks, matched)
        if found is None:  # a tie: of the tasks whose customer side is a setting, the one sharing the most
            found = self._most_shared(service_id, [t for t in tasks if t.customer_does.startswith(_SETTING_SIDES)],
                                      matched)
        return found

    def _most_shared(self, service_id: str, tasks: list[Task], matched: Iterable[str]) -> TaskMatch | None:
        """Of ``tasks``, the one whose words share the most of the question's (names and light words left out);
        none shared or a tie gives None. Tasks made from a baseline's rating are left out (keywords only)."""
        tasks = [t for t in tasks if not t.from_baseline]
        have = (set(matched) - self._baseline_only_tokens(service_id) - self.name_tokens(service_id) - _LIGHT_WORDS
                - self._product_words - _FILLER)
        covered = sorted(((len(have & self._task_words(service_id, t)), i) for i, t in enumerate(tasks)), reverse=True)
        if not covered or covered[0][0] < 1 or (len(covered) > 1 and covered[1][0] == covered[0][0]):
            return None
        return self._by_title(service_id, tasks[covered[0][1]])

    def _by_title(self, service_id: str, task: Task) -> TaskMatch:
        """A task picked without a keyword of its own: its title stands for the keyword."""
        toks = tuple(content_tokens(raw_tokens(task.title)))
        return TaskMatch(self.catalog.by_service[service_id], task, TaskKeyword(task, task.title, toks, _weight(toks)))

    def _task_words(self, service_id: str, task: Task) -> frozenset[str]:
        key = f"{service_id}.{task.id}"
        found = self._words.get(key)
        if found is None:
            text = " ".join([task.title, *task.keywords, task.provider_does, task.customer_does])
            found = self._words[key] = frozenset(t for t in content_tokens(raw_tokens(text))
                                                 if t not in PROVIDER_STEMS and not degenerate([t], [t]))
        return found

    def checks_of(self, service_id: str | None) -> list[str]:
        """Every check that guards some task of this service (the scope of an aspect answer about it)."""
        return list(self._checks.get(service_id, ())) if service_id else []

    def tasks_in_aspect(self, service_id: str, aspect: str) -> list[Task]:
        st = self.catalog.by_service.get(service_id)
        return [t for t in st.tasks if t.aspect == aspect] if st else []
