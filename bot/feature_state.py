"""Whether a question asks about turning a task's feature on, or says it is on or off (pure; used by bot/compose.py).

A split task is often "the customer turns the feature on, the provider does the work once it is on". The question
then picks a half: "who *turns on* image scanning" asks the opt-in (customer); "zone redundant ha *is on*, who fails
it over" asks the work once on (provider); "we *never turned on* automatic guest patching, who patches" says the
provider's half never starts (customer).
"""
from __future__ import annotations

import re
from typing import Sequence

from bot.scope import PROVIDER_WORDS, PhraseIndex
from bot.textmatch import stem

# asking who *turns on* a feature asks the customer's half of a split task whose customer side is that opt-in;
# "enabled"/"turned on" describe a state ("with auto upgrades enabled, who upgrades") and are not asked here
_OPT_IN_ASKS: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "turn on", "turns on", "switch on", "switches on", "enable", "enables", "activate", "activates", "opt in",
    "opts in", "turn it on", "switch it on", "turn that on", "switch that on", "enabling", "turning on",
    "switching on", "activating", "to have turned on", "to have enabled", "to have switched on", "need turned on",
    "should we have turned on", "should we have enabled", "should have turned on", "should have enabled"))
_OPT_IN_DOES = ("turn on", "turns on", "enable", "enables", "enabling", "switch on", "switches on", "opt in", "opts in",
                "activate", "activates")
# a customer side that starts with the opt-in: "Turns on X ...", "Turns X on ...", "Opts in ..."
_STARTS_OPT_IN = re.compile(r"(%s)\b|(turns|switches) ([a-z]+ ){1,4}on\b" % "|".join(_OPT_IN_DOES))
_DEFAULT_WORDS = frozenset("default defaults automatically itself".split())


def _plain(text: str) -> str:
    """A task's text as lowercase words separated by single spaces."""
    return " ".join(re.findall(r"[a-z]+", text.lower()))


def asks_opt_in(raw: Sequence[str], customer_does: str) -> bool:
    """The question asks who turns a feature on, with no word about defaults, and the customer's side of the
    task is turning it on."""
    if _OPT_IN_ASKS.find(raw) is None or _DEFAULT_WORDS.intersection(raw):
        return False
    does = f" {_plain(customer_does)} "  # whole words: not "enabled" inside a parameter's name ("audit_log_enabled")
    return any(f" {v} " in does for v in _OPT_IN_DOES)


def asks_who_opts_in(raw: Sequence[str], customer_does: str) -> bool:
    """ "*who turns on* the service-managed failover": the who-question's own verb is the opt-in the customer's side
    of a provider task starts with ("Turns on service-managed failover ..."); not "do we have to turn it on", which
    asks whether the provider does it already."""
    if _DEFAULT_WORDS.intersection(raw) or not _STARTS_OPT_IN.match(_plain(customer_does)):
        return False
    return any(i > 0 and raw[i - 1] == "who" for i, _ in _OPT_IN_ASKS.occurrences(raw))


def asks_if_on_by_default(raw: Sequence[str], customer_does: str) -> bool:
    """ "is automatic regional failover *on by default or do we have to enable it*": the customer's side of the task
    starts with turning it on, so it is not on by default and turning it on is the customer's."""
    return ("default" in raw and _OPT_IN_ASKS.find(raw) is not None
            and bool(_STARTS_OPT_IN.match(_plain(customer_does))))


# asking who *kicks off* or *initiates* work whose customer half is starting it ("who kicks off the upgrade")
_START_ASKS: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "kick off", "kicks off", "kick it off", "kicking off", "initiate", "initiates", "initiating", "trigger", "triggers",
    "triggering", "start", "starts", "starting"))
_START_DOES = ("initiates", "starts", "triggers", "kicks off", "schedules")  # "runs or *schedules* upgrades"


def asks_to_start(raw: Sequence[str], customer_does: str) -> bool:
    """The question asks who starts the work of a split task whose customer side is starting or scheduling it."""
    if _START_ASKS.find(raw) is None:
        return False
    does = _plain(customer_does)
    return any(v in does for v in _START_DOES)


# the question says the feature is already on ("zone redundant ha *is on*, who fails it over") and asks who does
# the work: the provider's half of a task whose provider side is doing it once the feature is on
_STATE_ON: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "is on", "are on", "s on", "turned on", "switched on", "is enabled", "are enabled", "enabled"))
_PROVIDER_WHEN_ON = re.compile(r"\b(once|when|if|after|with)\b.*\b(enabled|turned on|switched on|is on|are on|"
                               r"configured|you turn it on|you enable it)\b")


_AUX = frozenset("actually will would does do did is should must then really".split())
# after "is on": a side, not a state ("fixing those *is on the app teams*", "is that *on us*")
_SIDE_WORDS = frozenset("us our ours them their me my you your whom who".split()) | frozenset(PROVIDER_WORDS)
_SIDE_NOUNS = frozenset("team teams side hook shoulders plate".split())


# after "are on": a mode or plan the thing runs on, not a state ("our vms *are on manual patch mode*")
_MODE_NOUNS = frozenset("mode plan tier sku edition channel version".split())


def _on_a_side(raw: Sequence[str], end: int, phrase: tuple[str, ...]) -> bool:
    """ "is on" followed by a side ("*is on the app teams*", "*is on us*"): whose job, not the feature's state; or
    by the mode or plan something runs on ("*are on manual patch mode*")."""
    if phrase[-1] != "on" or phrase[0] in ("turned", "switched"):
        return False
    after = raw[end:end + 4]
    return bool(after) and (after[0] in _SIDE_WORDS or bool(_SIDE_NOUNS.intersection(after))
                            or bool(_MODE_NOUNS.intersection(after)))


def states_on(raw: Sequence[str], provider_does: str, customer_does: str) -> bool:
    """The question says the feature is on (not who turned it on), the provider's side of the task is what happens
    once it is on, and the verb asked ("who *fails* it over") is the provider's side, not the customer's ("who
    *restores* it")."""
    found = next((i for i, p in _STATE_ON.occurrences(raw) if not _on_a_side(raw, i + len(p), p)
                  # "is cloudtrail insights *enabled by default*?": whether it is on is asked, not said
                  and raw[i + len(p):i + len(p) + 2] != ["by", "default"]), None)
    if found is None or (found and raw[found - 1] == "who") or _OPT_IN_ASKS.find(raw) is not None:
        return False
    if not _PROVIDER_WHEN_ON.search(provider_does.lower()):
        return False
    at = next((i for i, t in enumerate(raw) if t == "who"), None)
    if at is None and "whose" not in raw:  # no verb asked ("minor patches on autopilot once auto minor upgrade is
        return True  # on?"): what happens then
    verb = next((t for t in raw[at + 1:at + 4] if t not in _AUX), None) if at is not None else None
    if verb is None:
        return False
    said = {stem(w) for w in _plain(provider_does).split()}
    theirs = {stem(w) for w in _plain(customer_does).split()}
    return stem(verb) in said and stem(verb) not in theirs


# the question says the feature was never turned on ("we *never turned on* automatic guest patching")
_STATE_OFF: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "never turned on", "never enabled", "never switched on", "not turned on", "not enabled", "never turned it on",
    "didn t turn on", "didn t enable", "did not turn on", "did not enable", "haven t turned on", "haven t enabled",
    "is off", "are off", "turned off", "switched off", "is disabled", "are disabled", "never opted in",
    "isn t enabled", "isn t on", "aren t enabled", "wasn t enabled", "is not on", "is not enabled", "never set up",
    "not set up", "didn t set up", "haven t set up", "never configured", "not configured"))


def states_off(raw: Sequence[str], customer_does: str) -> bool:
    """The question says the feature is off, and the customer's side of the task is turning it on: what the
    provider does once it is on does not happen, the duty stays with the customer."""
    # (no off phrase, or only the customer's own manual path said unused: "we didn't set up *self-service*
    # maintenance" leaves the provider's scheduled one)
    if all(raw[k:k + 2] == ["self", "service"] or raw[k:k + 1] == ["manual"]
           for k in (i + len(p) for i, p in _STATE_OFF.occurrences(raw))):
        return False
    does = _plain(customer_does)
    return any(v in does for v in (*_OPT_IN_DOES, "chooses", "picks", "configures"))


# a zone failing, told as the event the question starts from ("zone 2 is flaky", "when a zone drops", "az goes away")
_ZONE_WORDS = frozenset("zone zones az azs".split())
_REGION_NAME = re.compile(r"^[a-z]+\d$")  # "us-central1-a" (read "us central1 a"): "central1", then the zone's letter
_ZONE_NAME = re.compile(r"^az\d+$")  # "use1-az4" (read "use1 az4")
_FAILING = frozenset("""outage outages down fails failed failure failures drops dropped blip flaky sideways degraded
dead lost goes gone bad""".split())
# redundancy already in place ("on zrs", "deployed zone-redundant", "configured ha (regional)", "multi-az")
_REDUNDANT: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "zrs", "gzrs", "zone redundant", "zone redundancy", "zoneredundant", "regional ha", "ha regional", "configured ha",
    "ha configured", "multi az", "multiaz", "regional instance", "regional spanner", "regional configuration"))
# ... not one zone only ("our single-zone vms", "lrs data disks", "zonal instance")
_ONE_ZONE = frozenset("single zonal lrs standalone".split())
# whether we must act ("do we have to fail over", "anything we must do", "is someone on our side supposed to")
_MUST_WE = PhraseIndex((tuple(p.split()), True) for p in (
    "do we have to", "anything we must", "anything we have to", "anything we need to",
    "on our side supposed", "we re supposed to", "we supposed to", "we are supposed to", "supposed to run",
    "do we fail", "do we need", "or does azure handle", "or does google handle", "or does aws handle", "or is that handled"))


def rides_out_a_zone(raw: Sequence[str]) -> bool:
    """A zone failing, told of a resource whose zone redundancy is already on, and whether we must act: the platform
    keeps serving or fails over inside the region ("storage account on zrs - during a zone outage is there anything
    we must do"), whoever chose the redundancy."""
    zone = any(t in _ZONE_WORDS or _ZONE_NAME.match(t) or (_REGION_NAME.match(t) and k + 1 < len(raw)
                                                              and len(raw[k + 1]) == 1) for k, t in enumerate(raw))
    failing = bool(_FAILING.intersection(raw)) or "bad day" in " ".join(raw)
    return (zone and failing and _REDUNDANT.find(raw) is not None and _MUST_WE.find(raw) is not None
            and not _ONE_ZONE.intersection(raw) and "region" not in raw and "regions" not in raw)
