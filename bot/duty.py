"""Does a question ask who does a duty? (pure; the topic words come from the catalogue itself)

An owner is given only for a question that carries a duty. Two frames say a question is *not* about one,
whatever cloud words it carries:

* the **who-frame** names what is asked: "who *rotates* the *keys*", "who's *the owner of* the *invite*",
  "who's on the hook for the *images*". The verb asked and the head noun of its object decide: the object must
  be a thing the catalogue knows (a word of a matrix row, a task, a service name) or stand for one ("who renews
  *it*"). "who's *taking notes* at the bigquery retro", "can someone *patch me* into the bridge", "whose turn is
  it to *rotate the retro facilitator*" name people, papers and events: no duty, however cloudy the rest is.
* the **fact-frame** (bot/fact_frame.py): a question opened by what / which / when / where / how long (fast, big,
  often, ...) with no word about whose job it is asks a fact (a port, a format, a duration, a date, a default quota),
  not an owner; so does a how-to ("how do I write a query with boto3").

A question with neither frame ("node os on gke autopilot", "our rds certs, us or aws?") names its topic
and is left to the matchers.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from typing import Iterable, Sequence

from rapidfuzz import fuzz, process

from bot.fact_frame import ASKING_WHO, AUX_WORDS, DOING_STEMS, asks_a_fact
from bot.textmatch import STOP_WORDS, Vocabulary, stem

# a responsibility phrase: the object follows it ("who's *in charge of* the keys")
_RESPONSIBILITY = (("the", "owner", "of"), ("owner", "of"), ("owns",), ("own",), ("responsible", "for"),
                   ("accountable", "for"), ("in", "charge", "of"), ("on", "the", "hook", "for"), ("on", "point", "for"),
                   ("takes", "care", "of"), ("take", "care", "of"), ("looks", "after"), ("look", "after"),
                   ("deals", "with"), ("deal", "with"), ("handles",), ("handle",), ("manages",), ("manage",),
                   ("does",), ("do",))
# a clause follows ("who *makes sure* the node patches get onto our nodes"): its words are not an object
_CLAUSE = (("makes", "sure"), ("make", "sure"), ("ensures",), ("ensure",), ("checks", "that"), ("decides",),
           ("decide",), ("decided",))
# determiners and possessives before an object's words
_DETERMINERS = frozenset("""the a an our their its this that these those any all some my your his her each every
new old other extra spare""".split())
# words that end an object's noun phrase
_BOUNDARY = frozenset("""on in at for of to from with behind across into onto under over between during after before
via per and or but so if when while because since than then like as about around by against without within up down
out off is are was were be been will would should can could does do did has have had we us you they it i""".split())
# an object that stands for the thing already named ("who renews *it*") or asks what ("who does *what*")
_STANDS_FOR = frozenset("""it that this them these those one ones what which everything anything something stuff
thing things part parts bit bits piece pieces side work""".split()) | frozenset(  # and the customer's own apps by a plain name
    "webapp webapps website websites".split())  # ("who moves our *webapp* onto the new node version")
# people: a duty is done to a system, not to a person ("patch *me* into the bridge")
_PEOPLE = frozenset("""me him her myself yourself someone somebody anyone anybody everyone everybody people person
guy guys folks""".split())
# people from outside, kept out or let in ("who restricts *external people* getting into the shared drives"): a duty
# of access control, not one done to a person
_OUTSIDERS = frozenset("external outside guest guests unauthorized anonymous random public unknown".split())
_GATES = frozenset("""restrict restricts restricting block blocks blocking stop stops stopping prevent prevents preventing
allow allows allowing let lets letting limit limits limiting keep keeps keeping deny denies denying ban bans""".split())

# a meeting owned, run or sent ("who owns the weekly change advisory *meeting*"); not what a meeting keeps ("who keeps
# the meeting *recordings*")
_MEETINGS = frozenset("meeting meetings standup standups offsite offsites retro retros invite invites".split())


def _meeting_as_a_verb(toks: Sequence[str]) -> bool:
    """"Meeting" before a determiner is meeting something ("on the hook for *meeting the* laws and regulations that
    apply to our data"), not a meeting."""
    return any(t == "meeting" and toks[k + 1:k + 2] and toks[k + 1] in _DETERMINERS and toks[k + 1] != "that"
               for k, t in enumerate(toks))  # ("the meeting *that* reviews changes" is a meeting)


_RUNS_A_MEETING = frozenset("""owns own runs run chairs chair hosts host leads lead organizes organises organize
organise schedules schedule sends send moves move books book""".split())

# words that end a noun phrase besides prepositions: pronouns, question words, time words
_NP_END = frozenset("""we us you they it i our their my your who whom whose what which when where why how that this
these those last next yesterday today tonight tomorrow there here till til""".split())
# words that close a sentence without naming anything ("who patches the control plane, etcd *etc*")
_FILLERS = frozenset("""etc anyway anyways whatever though too lol pls plz now today again either also here there
tbh btw fyi thx thanx thanks thank thankyou thnx tyvm ty tia cheers asap urgent urgently please kthx""".split())
# "a *bunch of* docs": the noun phrase goes on after "of"
_QUANTITIES = frozenset("bunch lot lots couple few handful ton tons set list number pair kind type sort all some"
                        .split())
_SUBJECTS = frozenset("we i you they he she".split())
_ASKING_AUX = frozenset("can could will would does do did is should must".split())
_MODALS = frozenset({"should", "would", "could", "must", "might", "will", "may"})

# "who *has* ...": a right ("who has admin on the subscription") or a thing someone holds ("the spare yubikey")
_HOLDS = frozenset("has have got holds hold".split())
_RIGHTS = frozenset("""access admin administrator owner owners rights right permission permissions role roles control
privileges privilege authority say keys key credentials creds password passwords write read certification
certifications certificate certificates attestation attestations accreditation report reports
backup backups snapshot snapshots copy copies replica replicas""".split())  # custody of data is a duty


def _to_hold(toks: Sequence[str]) -> bool:
    """ "whose job is it *to have* X on", "who is supposed *to have* backups": holding as a duty."""
    return any(toks[i] == "to" and toks[i + 1] in _HOLDS for i in range(len(toks) - 1))


def _skip_aux(toks: Sequence[str], i: int) -> int:
    """Index of the first word from ``i`` on that is not an auxiliary ("has" before "to" is one; "who *has* the
    spare key" is the verb)."""
    while i < len(toks) and toks[i] in AUX_WORDS:
        if toks[i] in {"has", "have", "had"} and (i + 1 >= len(toks) or toks[i + 1] != "to") and not (
                i and toks[i - 1] in _MODALS):  # "who should have caught that": an auxiliary
            break
        i += 1
    return i


_HOW_MUCH = frozenset("long many much often far big".split())


def _noun_phrase(toks: Sequence[str], i: int) -> list[str]:
    """The words of the noun phrase starting at ``i`` (determiners and fillers left out)."""
    while i < len(toks) and toks[i] in _DETERMINERS:
        i += 1
    while i + 1 < len(toks) and toks[i] in _QUANTITIES and toks[i + 1] == "of":  # "a *bunch of* firestore docs"
        i += 2
        while i < len(toks) and toks[i] in _DETERMINERS:
            i += 1
    words: list[str] = []
    while i < len(toks) and toks[i] not in _BOUNDARY and toks[i] not in _NP_END:
        if words and _places(toks, i):  # "the npm packages *baked into* our image": the phrase ends at the participle
            break
        if words and toks[i] in _CLAUSE_GERUNDS:  # "the other azs *going* uninspected": a clause about the thing
            break
        if words and toks[i] in _DETERMINERS:  # "the physical data centers, *the* csp or us": a new phrase starts
            break
        if toks[i] not in _FILLERS:
            words.append(toks[i])
        i += 1
    return words


_CLAUSE_GERUNDS = frozenset("going being getting staying sitting left".split())
_PLACING = frozenset("into in inside on onto to behind under within".split())


def _places(toks: Sequence[str], i: int) -> bool:
    """A participle at ``i`` that places the noun before it somewhere ("baked *into*", "running *on*")."""
    t = toks[i]
    return len(t) > 4 and t.endswith(("ed", "ing")) and i + 1 < len(toks) and toks[i + 1] in _PLACING


_PUNCTUATION = str.maketrans({ch: " " for ch in "-_/.,:;()'\"!?&+*#@%=<>[]{}|\\`~^$"})


def catalogue_words(*texts: Iterable[str]) -> set[str]:
    """The words of the catalogue's texts (one join, one translate, one split: loading stays fast)."""
    return set(" ".join(chain(*texts)).lower().translate(_PUNCTUATION).split())


# "who should *i ask* for access", "who do we *contact* about ...", "who *knows* how to ...": a person is wanted
_BLAME = frozenset("broke messed screwed nuked".split())
_CONTACT = frozenset("ask contact ping talk reach speak email message".split())
_KNOWING = frozenset("knows know understands remembers".split())


def _asks_for_a_person(toks: Sequence[str]) -> bool:
    at = next((i for i, t in enumerate(toks) if t in {"who", "whom"}), None)
    if at is None or at + 1 >= len(toks):
        return False
    if toks[at + 1] in _KNOWING:
        return True
    i = _skip_aux(toks, at + 1)
    on = at + 2 if toks[at + 1] in {"exactly", "actually"} else at + 1  # "who *exactly* is on the review rotation"
    if toks[on:on + 2] in (["is", "on"], ["s", "on"]) and any(t in _ROTAS for t in toks[on + 2:on + 6]):
        return True  # "who is on the review *rotation* this week", "who's on *call*": a person on a rota
    # "who do we ask *to rotate* the keys" asks who acts: left to the matchers
    return (i + 1 < len(toks) and toks[i] in _SUBJECTS and toks[i + 1] in _CONTACT
            and (i + 2 >= len(toks) or toks[i + 2] != "to"))


_ROTAS = frozenset("rotation rota roster call shift shifts duty pager standby".split())


class DutyFrame:
    """``asks_no_duty(toks)``: the question's frame says it asks no duty (see module doc)."""

    def __init__(self, topic_words: Iterable[str], duty_words: Iterable[str]):
        """``topic_words``: every word of the catalogue's keywords, titles and names; ``duty_words``: the words of
        the matrix rows' keywords (the duties themselves: patch, rotate, encrypt, ...)."""
        self.topic = frozenset(stem(w) for w in topic_words) - {stem(w) for w in _PEOPLE}
        self.duties = frozenset(stem(w) for w in duty_words)  # the short-typo allowance needs a verb of both
        self._last_asked: tuple[tuple[str, ...], tuple[str | None, list[str]] | None] = ((), None)
        self._sorted = sorted(self.topic)
        self._swaps = Vocabulary(self._sorted)  # its index of words by their letters finds swapped-letter typos
        self._is_topic = lru_cache(maxsize=4096)(self._topic_word)

    def _topic_word(self, word: str, fuzzy_from: int = 6) -> bool:
        """A word of the catalogue, or a typo of one that keeps its first letter ("who patches the *kernal*")."""
        if word in _STANDS_FOR:
            return True
        if word in _PEOPLE:
            return False
        s = stem(word)
        if s in self.topic:
            return True
        if self._swaps.swapped(s):
            return True  # two letters swapped ("engine/os *pathces*")
        if len(s) < fuzzy_from:
            return False
        # of the near words, one that keeps the first letter ("retension" is "retention", not "extension")
        return any(c[0][0] == s[0] for c in process.extract(s, self._sorted, scorer=fuzz.ratio, score_cutoff=80, limit=5))

    def asked(self, toks: Sequence[str]) -> tuple[str | None, list[str]] | None:
        key = tuple(toks)  # asked several times per question (frame, purpose, the task's verb): kept for the last one
        last = self._last_asked  # one read and one write of a tuple: safe when threads share the resolver
        if last[0] == key:
            return last[1]
        found = self._asked(toks)
        self._last_asked = (key, found)
        return found

    def _asked(self, toks: Sequence[str]) -> tuple[str | None, list[str]] | None:
        """(verb, object noun phrase) the first who-frame asks about; verb None for a responsibility phrase; None when
        the question has no who-frame."""
        at = next((i for i, t in enumerate(toks) if t in {"who", "whose", "whom"}), None)
        if at is None:  # "can *someone* patch me into the bridge" (not "somebody deleted the docs")
            at = next((i for i, t in enumerate(toks) if t in ASKING_WHO and i and toks[i - 1] in _ASKING_AUX), None)
        if at is None:
            return None
        if toks[at] == "whose":  # "whose job is it to rotate X", "whose turn is it to ..."
            to = next((k for k in range(at + 1, min(at + 8, len(toks))) if toks[k] == "to"), None)
            if to is None:
                return None
            at = to
        i = _skip_aux(toks, at + 1)
        if i < len(toks) and toks[i] in _SUBJECTS:  # "who do *we* ask to rotate the keys": asks a person to act
            return None
        if any(tuple(toks[i:i + len(p)]) == p for p in _CLAUSE):
            return toks[i], []
        for phrase in _RESPONSIBILITY:
            if tuple(toks[i:i + len(phrase)]) == phrase:
                at = i + len(phrase)
                if at < len(toks) and toks[at].endswith("ing") and (
                        not self._is_topic(toks[at]) or toks[at + 1:at + 2] in _OBJECT_OPENERS):
                    # "responsible for *knowing* which datasets", "responsible for *patching the* physical servers"
                    # (a topic word with its own object is the verb)
                    return toks[at], _noun_phrase(toks, at + 1)
                return None, _noun_phrase(toks, at)
        if i >= len(toks):
            return None
        if toks[i] in _GIVES and i + 2 < len(toks) and toks[i + 1] in _PEOPLE:
            return toks[i], _noun_phrase(toks, i + 2)  # "who gives *people the perms* to change pitr settings": what
            # is given is the thing asked about, not the people
        words = _noun_phrase(toks, i + 1)
        if not words and i + 2 < len(toks) and toks[i + 1] in {"for", "on"}:  # "who's covering *for sam*"
            words = _noun_phrase(toks, i + 2)
        return toks[i], words

    def asks_of_a_thing(self, toks: Sequence[str]) -> bool:
        """A who-question about a thing it names ("who keeps *the os* on those nodes patched"), not only about a word
        that stands for one said before ("who renews *it*")."""
        asked = self.asked(toks)
        verb = asked[0] if asked is not None else None
        if asked is not None and not asked[1] and verb is not None and verb in toks:
            i = list(toks).index(verb)  # "who decides *how long the window* is": the thing after "how long"
            if i + 3 < len(toks) and toks[i + 1] == "how" and toks[i + 2] in _HOW_MUCH:
                asked = (verb, _noun_phrase(toks, i + 3))
        return asked is not None and bool(asked[1]) and not all(w in _STANDS_FOR for w in asked[1])

    def names_its_object(self, toks: Sequence[str]) -> bool:
        """A who-question whose object is a thing of its own ("who owns *the sprint invite*"), not a word that stands
        for one said before ("who renews *it*", "whose job is *that*") and not a bare duty ("who handles *patching*")."""
        asked = self.asked(toks)
        if asked is None:
            return False
        verb, phrase = asked
        return bool(phrase) and not all(w in _STANDS_FOR for w in phrase) and stem(phrase[-1]) not in self.duties

    def asks_no_duty(self, toks: Sequence[str]) -> bool:
        if _asks_for_a_person(toks):
            return True
        asked = self.asked(toks)
        if asked is not None:
            verb, phrase = asked
            if verb in _BLAME:  # "who *broke* the build": an event and its culprit, not a duty
                return True
            # an address or a version ("allow 35.235.240.0/20"), how often ("who watches the hosts *24x7*")
            phrase = [w for w in phrase if not w.isdigit() and not _HOW_OFTEN.match(w)]
            if not phrase or all(w in _SIDES or w in _SHARE_OF or w in _BACK for w in phrase):  # "who carries that,
                # *the csp* or us": the sides; "who carries *most* of that": a share of what was named; "does google do
                # *that* for us" (after "we need a dpia before ..."): what the message named before
                return False
            while phrase[-1] in _SIDES:  # "who builds those policies, *msft* or us": the sides after the object
                phrase = phrase[:-1]
            if verb in _GETS and len(phrase) > 1 and phrase[-1] == "done":  # "who gets the soc audits *done*"
                phrase = phrase[:-1]
            if (verb in _HOLDS | _GETS and len(phrase) > 1 and phrase[-1].endswith("ed")
                    and self._is_topic(phrase[-1], 6)):
                # "who *has the data replicated*", "who gets the logs archived": having a duty done, not a thing held
                return False
            # its head names a thing of the catalogue; after a verb of a duty a shorter typo is one too ("who
            # *patches* the operating *sytem*", but not "who's ordering *lunch*" for "launch")
            short = 5 if verb is not None and stem(verb) in self.duties and stem(verb) in DOING_STEMS else 6
            # "who has the spare yubikey" asks where a thing is; "whose job was it *to have* prevention on" a duty
            # ("who can *hold* the updates *back*" delays them: a duty)
            if (verb in _HOLDS and phrase[-1] not in _RIGHTS and phrase[-1] not in _DATA_HELD and not _to_hold(toks)
                    and not (verb in {"hold", "holds"} and {"back", "off"}.intersection((phrase[0], phrase[-1])))):
                return True
            if phrase[-1] in _MEETINGS and (verb is None or verb in _RUNS_A_MEETING) and not _meeting_as_a_verb(toks):
                return True  # "who owns the weekly network change advisory *meeting*": an event, not a duty
            if phrase[-1] in _PEOPLE and len(phrase) > 1 and phrase[-2] in _OUTSIDERS and verb in _GATES:
                return False  # "who *restricts external people* getting into our shared drives": access control
            return not self._is_topic(phrase[-1], short)
        return self.asks_a_fact(toks)

    def purpose_at(self, toks: Sequence[str]) -> int:
        """Where a purpose clause ("so we stop paying", "so that ...") starts after a who-question that asks a duty
        of a thing the catalogue names; the question's length when there is none."""
        asked = self.asked(toks)
        if asked is None or not asked[1] or self.asks_no_duty(toks):
            return len(toks)
        at = next((k for k, t in enumerate(toks) if t == "who"), 0)
        return next((k for k in range(at + 2, len(toks)) if toks[k] == "so" and k + 1 < len(toks)
                     and toks[k + 1] in {"we", "that", "it", "they", "our", "i"}), len(toks))

    @staticmethod
    def asks_a_fact(toks: Sequence[str]) -> bool:
        return asks_a_fact(toks)


_GETS = frozenset("get gets got getting".split())
_GIVES = frozenset("give gives giving grant grants granting assign assigns assigning".split())
# data a side keeps ("who *holds* the deleted rows for the fail-safe week"): a duty of keeping, not a thing's place
_DATA_HELD = frozenset("""rows records data copies copy backups backup logs files emails messages objects snapshots
versions""".split())
_SHARE_OF = frozenset("most bulk majority rest brunt lion share heavy lifting".split())
_BACK = frozenset("that it this those these them".split())
_HOW_OFTEN = re.compile(r"^(?:\d+x\d+|daily|nightly|weekly|monthly|hourly|yearly|annually|quarterly|continuously|"
                        r"constantly|regularly)$")


# "do we need *to renew* it", "is it on us *to rotate*", "whose job is it *to* ..."
_TO_VERB_AFTER = frozenset("need needs have has had got supposed meant expected going us job duty responsibility"
                           .split())
_GENERIC_DOERS = frozenset("""handles handle handling handled manages manage managing does do doing deals deal owns own
takes take taking looks look covers cover sorts sort""".split())
# a state participle and its preposition: what follows it is where the thing sits, not what is asked about
_PLACE_WORDS = frozenset("to on in behind onto into for by under".split())
_FRONT = ("in", "front", "of")


# words that open a gerund's object ("patching *the* physical servers")
_OBJECT_OPENERS = (["the"], ["our"], ["their"], ["its"], ["those"], ["these"], ["all"])


def asked_duty(toks: Sequence[str], frame: DutyFrame) -> str | None:
    """The word of the duty the question asks about: the verb after "who" ("who *renews* it"), its object after a
    verb that stands for any duty ("who handles the *renewal*"), or the verb after "need to" / "have to" ("do we
    need to *renew* it"); None when the question says none."""
    asked = frame.asked(toks)
    if asked is not None:
        verb, phrase = asked
        if verb is not None and verb not in _GENERIC_DOERS:
            return verb
        if phrase:
            return phrase[-1]
    for i, t in enumerate(toks[:-1]):
        if t == "to" and i and toks[i - 1] in _TO_VERB_AFTER and toks[i + 1] not in STOP_WORDS:
            return toks[i + 1]
    return None


# verbs of a choice or a setting: the customer's half of a task the provider otherwise runs
_SETTING = frozenset("""set sets setting setup configure configures configuring pick picks picking choose chooses
choosing change changes changing decide decides deciding select selects enable enables extend extends adjust adjusts
raise raises increase increases add adds adding""".split())


def asks_to_set(toks: Sequence[str], frame: DutyFrame) -> bool:
    """The who-question asks who sets or chooses something ("who *sets* that up", "who *picks* the redundancy");
    not "is it something *we have to set up*", which asks whether the provider does it already."""
    asked = frame.asked(toks)
    if asked is not None and asked[0] in _SETTING:
        return True
    # "whose job is *keeping them longer*": keeping something past the provider's default is a setting
    return any(t == "longer" and _KEEPING.intersection(toks[max(0, i - 3):i]) for i, t in enumerate(toks))


_KEEPING = frozenset("keep keeps keeping kept retain retains retaining retained store stores storing hold holds holding"
                     .split())


_PURPOSES = frozenset("""compliance audit audits auditor auditors reporting reports regulators regulator soc2 soc pci hipaa
gdpr iso certification""".split())


_ASKERS = frozenset("""auditor auditors regulator regulators assessor assessors ciso cto cio cso dpo dpos cfo ceo boss
manager director vp leadership management exec execs mgmt""".split())
_ASKING = frozenset("asks asked asking wants wanted want needs needed question questions says said".split())
# the sides of the split named as a choice, not a thing asked about
_SIDES = frozenset("""csp csps provider providers vendor vendors aws amazon azure microsoft msft google gcp us we
customer customers""".split())
_PROVIDER_SIDES = _SIDES - {"us", "we", "customer", "customers"}
# who is writing, introduced as "<role> here"
_ROLES = _ASKERS | frozenset("""lead leads architect architects engineer engineers admin admins sre sres dev devs developer
developers analyst analysts""".split())


def who_asks(toks: Sequence[str]) -> frozenset[int]:
    """Positions of who is asking ("*our auditor asks*: patch management in aws, whose control is it", "*our ciso
    wants* one answer"): not what is asked; empty when the question names no asker."""
    for k in range(len(toks) - 1):
        if toks[k] in _ASKERS and toks[k + 1] in _ASKING:
            start = k - 1 if k and toks[k - 1] in {"our", "the", "an", "my", "a", "new"} else k
            end = k + 2  # "new manager asked *me whether* ...": who was asked and the "whether" are the asking too
            while end < len(toks) and end < k + 4 and toks[end] in {"me", "us", "whether", "if"}:
                end += 1
            return frozenset(range(start, end))
        if k < 3 and toks[k] in _ROLES and toks[k + 1] == "here":  # "*security lead here* - overall security ..."
            return frozenset(range(0, k + 2))
    return frozenset()


def compliance_purpose(toks: Sequence[str]) -> frozenset[int]:
    """Positions of a compliance purpose after the duty ("turn on audit trails ourselves *for compliance reports*",
    "keep the logs *for our auditors*"): why the duty is done, not the duty; empty when there is none or it opens
    the question ("for pci, who segments the network" names the scope)."""
    asker = who_asks(toks)
    if asker:
        return asker
    for i, t in enumerate(toks):
        if t not in {"for", "in"} or i < 2:
            continue
        k = i + 1
        while k < len(toks) and (toks[k] in {"our", "the", "a", "an", "their", "its"} or toks[k] in _PROVIDER_SIDES):
            k += 1
        if k < len(toks) and toks[k] in _PURPOSES:
            end = k + 1
            while end < len(toks) and toks[end] in _PURPOSES:
                end += 1
            # "... *in our aws soc2 mapping*": in a document of the audit, not in the scope it covers ("in our pci
            # environment")
            if t == "in" and not (end < len(toks) and toks[end] in _AUDIT_PAPERS):
                continue
            return frozenset(range(i, end + (t == "in")))
    return frozenset()


_AUDIT_PAPERS = frozenset("mapping mappings matrix spreadsheet sheet register report workbook evidence".split())


_DECIDING = frozenset("decide decides deciding decision choose chooses choosing select selects selecting".split())
_PICKING = frozenset("pick picks picking".split())  # (not "*picks up* the page")
_SETUP_NOUNS = frozenset({"setup", "setups"})


def asks_to_choose(toks: Sequence[str], frame: DutyFrame) -> bool:
    """The question asks who sets something up or decides on it ("who *sets up* zones", "*deciding whether* our
    workloads use zones - whose *call* is that")."""
    return (asks_to_set(toks, frame) or bool(_DECIDING.intersection(toks)) or "whose call" in " ".join(toks)
            or any(t in _PICKING and toks[k + 1:k + 2] != ["up"] for k, t in enumerate(toks))
            # "availability zones and multi-region *setup* - microsoft's responsibility?": the setting up, named
            or bool(_SETUP_NOUNS.intersection(toks))
            or _provider_sets(toks) or bool(_SETTING_UP.intersection(_bigrams(toks)))
            or bool(_SPREADING.intersection(toks)))


# the act of setting something up named as the subject ("*setting up* availability zones and multi-region dr for our
# workloads in azure, is that on us?")
_SETTING_UP = frozenset({("setting", "up"), ("configuring", "our")})  # ("picking our/which": any picking, _PICKING)


# spreading a workload over zones or sets is how it uses them ("is *spreading the vms over* availability sets / zones on
# us")
_SPREADING = frozenset("spreading spread spreads distributing distribute distributes".split())


def _bigrams(toks: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(toks, toks[1:]))


_ADVERBS = frozenset("just actually automatically already really".split())


def _provider_sets(toks: Sequence[str]) -> bool:
    """ "availability zones for our stuff - does *azure just set* that up for us?": whether the provider makes the
    setting, which asks who sets it."""
    for i, t in enumerate(toks[:-1]):
        if t in _PROVIDER_SIDES:
            after = [w for w in toks[i + 1:i + 4] if w not in _ADVERBS]
            if after and after[0] in _SETTING:
                return True
    return False


# participles that say what we chose or moved to, not where the thing sits ("we *subscribed to* shield advanced",
# "*switching to* dataproc serverless")
_MOVING = frozenset("""subscribed subscribing switched switching moved moving migrated migrating upgraded upgrading opted
opting signed signing going""".split())


# participles that hold a thing at a value, not in a place ("cert *pinned to* a specific key vault version")
_HELD_AT = frozenset("pinned pinning locked fixed".split())


def placed_after(toks: Sequence[str]) -> dict[int, str]:
    """Positions of words that say where the thing asked about sits, each with the participle that places it
    ("cert *attached to* cloudfront", "sitting on our distro"; "" for "the waf *in front of* our alb")."""
    out: dict[int, str] = {}
    for i, t in enumerate(toks):
        start, word = None, ""
        if (t.endswith(("ed", "ing")) and len(t) > 4 and i + 1 < len(toks) and toks[i + 1] in _PLACE_WORDS
                and t not in _MOVING and t not in _HELD_AT):
            start, word = i + 2, t
        elif tuple(toks[i:i + 3]) == _FRONT or t == "behind":
            start = i + (3 if t == "in" else 1)
        if start is None:
            continue
        while start < len(toks) and toks[start] in _DETERMINERS:
            start += 1
        out.update((k, word) for k in range(start, min(start + 3, len(toks))))
    return out


def stated_with(toks: Sequence[str]) -> frozenset[str]:
    """Participles of a leading "with X <participle>" phrase, which say the state the question starts from, not what
    it asks ("with ddos network protection *enabled*, who tunes the mitigation thresholds")."""
    ask = next((i for i, t in enumerate(toks) if t in ("who", "whose")), None)
    start = next((i for i, t in enumerate(toks[:ask]) if t == "with"), None) if ask else None
    if ask is None or start is None:
        return frozenset()
    last = toks[ask - 1]  # the participle closes the phrase ("with cmek keys *rotated*"; not "*customermanaged* key")
    return frozenset([last]) if ask - 1 > start + 1 and last.endswith("ed") and len(last) > 4 else frozenset()


# short forms read as written first, spelled out only when that finds nothing (bot/resolver.py ``_find_task``)
SHORT_FORMS: dict[str, tuple[str, ...]] = {"ha": ("high", "availability"), "dr": ("disaster", "recovery")}


# before a short form, words that make it the thing wanted ("has *no* ha", "who *turns* ha on", "*set up* dr"),
# not a state of what is asked about ("cloud sql ha: primary zone outage", "ha failover")
_WANTED_AFTER = frozenset("""no without not any enable enables enabling configure configures configuring add adds adding
set sets setting setup up turn turns turning get gets getting need needs want wants build builds plan plans design
designs implement implements""".split())


def _wanted(toks: Sequence[str], k: int) -> bool:
    """The short form at ``k`` is the thing wanted: right after a wanting word, or "for" it after one ("who should
    *set* it *up for* ha")."""
    return bool(k) and (toks[k - 1] in _WANTED_AFTER or (toks[k - 1] == "for" and bool(
        _WANTED_AFTER.intersection(toks[max(0, k - 5):k - 1]))))


def wants_short_form(toks: Sequence[str]) -> bool:
    return any(t in SHORT_FORMS and _wanted(toks, k) for k, t in enumerate(toks))


def spell_out(toks: Sequence[str], used: Sequence[bool] | None) -> tuple[list[str], list[bool] | None]:
    """The question with its wanted short forms spelled out (and ``used`` stretched to match)."""
    out: list[str] = []
    flags: list[bool] = []
    for k, t in enumerate(toks):
        words = SHORT_FORMS.get(t, (t,)) if _wanted(toks, k) else (t,)
        out.extend(words)
        flags.extend([bool(used[k]) if used else False] * len(words))
    return out, (flags if used is not None else None)
