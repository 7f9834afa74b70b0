"""The fact-frame (pure; used by bot/duty.py): a question opened by what / which / when / where / how long (fast, big,
often, ...) with no word about whose job it is asks a fact (a port, a format, a duration, a date, a default quota),
not an owner; so does a how-to ("how do I write a query with boto3") or a request for a recommendation.
"""
from __future__ import annotations

from typing import Sequence

from bot.textmatch import stem

# words between "who" and the verb asked ("who's actually gonna patch", "who is supposed to renew")
AUX_WORDS = frozenset("""s is are was were will would should shall does do did actually really usually normally
typically even ever then gonna going to supposed meant expected has have had need needs must can could ll d re m also still
currently right now generally exactly ultimately""".split())
# "can *someone* patch ...": an asking word like "who"
ASKING_WHO = frozenset({"who", "whose", "whom", "someone", "somebody", "anyone", "anybody"})

# fact questions: what is asked is a fact, not an owner
_FACT_OPENERS = frozenset({"what", "whats", "which", "when", "where"})
_OPENERS = _FACT_OPENERS | {"how", "any", "anyone"}
# asking for a recommendation ("any good course on key vault")
_RECOMMENDATION = frozenset({("any", "good"), ("anyone", "recommend"), ("recommend", "a"), ("good", "course"),
                             ("any", "recommendations"), ("any", "recommendation"), ("any", "suggestions"),
                             ("any", "ideas"), ("anyone", "suggest")})
CHOOSING = frozenset("deciding decide decides choosing choose chooses picking pick picks selecting select".split())
_HOW_FACTS = frozenset("""long fast big large many much often soon quickly slow far old""".split())
_DEFAULT_PHRASES = {("by", "default"), ("on", "default"), ("built", "in")}
# "when/where" open a fact question only before a verb ("*when is* patch tuesday"), not a clause ("when the writer
# fails, is promoting a replica something we do")
_FACT_VERBS = frozenset("""is are was were will would does do did can could should s""".split())
# words that say whose job something is: with one of them a what-question asks a duty ("what do *we* have to do")
_WHOSE = frozenset("""who whose whom responsible responsibility responsibilities accountable job jobs homework duty duties
problem fault ours theirs yours us something automatic automatically auto builtin handled handles handle
manage manages managed care happens happen own owns owned owner owners ownership""".split())
_SIDE_OWNERS = frozenset("our their your ours theirs".split())
# "what does *google* do", "will *aws* patch it": the provider as the one who acts is a duty question
_PROVIDER_DOERS = frozenset("aws amazon azure microsoft msft gcp google provider providers they vendor".split())
_DOER_AUX = frozenset("does do will would should can could".split())
# verbs of a duty right after the provider ("does aws *patch* ...")
_DOING = frozenset("""do handle manage cover take own look keep patch update upgrade backup back rotate encrypt
replicate monitor scan fix secure protect renew restore fail failover maintain run provide guarantee log
pick choose decide select configure enable""".split())
DOING_STEMS = frozenset(stem(w) for w in _DOING)
_DOES = frozenset("does did handles takes covers manages patches".split())
_WHOSE_PHRASES = (("on", "us"), ("us", "or"), ("or", "us"), ("or", "our"), ("we", "or"), ("or", "we"), ("do", "we"), ("should", "we"),
                  ("have", "we"), ("need", "we"), ("we", "need"), ("we", "have"), ("we", "must"), ("are", "we"),
                  ("is", "it", "on"), ("is", "that", "on"), ("built", "in"), ("by", "default"), ("on", "default"), ("by", "itself"),
                  ("for", "us"), ("to", "do"), ("what", "team"), ("which", "team"), ("which", "side"),
                  ("stand", "on"), ("our", "call"), ("whose", "call"), ("their", "call"),
                  # "how long deleted objects stay restorable, is that *our setting* or *fixed by* google?"
                  ("our", "setting"), ("our", "choice"), ("our", "decision"), ("fixed", "by"), ("up", "to", "us"))


def asks_a_fact(toks: Sequence[str]) -> bool:
    """Opened by what/which/when/where or "how long/fast/...", with no word about whose job it is."""
    if not toks:
        return False
    # "cloud run - what's the default quota": a topic, then the question
    start = next((k for k, t in enumerate(toks[:5]) if t in _OPENERS), 0)
    if start and any(t in AUX_WORDS or t in ASKING_WHO for t in toks[:start]):
        start = 0
    if start and toks[start - 1] in CHOOSING:  # "m365 backup: *deciding which* sites get protected": a choice
        return False
    if toks[max(0, start - 2):start] == ["no", "matter"]:  # "*no matter which* service we land on, is ...": a concession
        return False
    toks = toks[start:]
    first, second = toks[0], toks[1] if len(toks) > 1 else ""
    how_to = second == "to" or (second in {"do", "can", "should", "would"} and len(toks) > 2
                                and toks[2] in {"i", "you"})  # "how do i write a query", not "how do we"
    opens = ((first, second) in _RECOMMENDATION or first in {"what", "whats", "which"}
             or (first in _FACT_OPENERS and second in _FACT_VERBS)
             or (first == "how" and (second in _HOW_FACTS or how_to)))
    if not opens or _WHOSE.intersection(toks):
        return False
    if any(t in _PROVIDER_DOERS and k + 1 < len(toks) and (
            (k and toks[k - 1] in _DOER_AUX and toks[k + 1] in _DOING) or toks[k + 1] in _DOES)
           for k, t in enumerate(toks)):
        return False  # "what does google *do* / what google *does* for gke nodes", not "what port does azure sql ..."
    if any(t in _PROVIDER_DOERS and toks[k + 1:k + 2] == ["s"] for k, t in enumerate(toks)):
        return False  # "which parts are *google's*": whose
    if any(toks[k + 1:k + 2] == ["side"] and (t in _SIDE_OWNERS or t.removesuffix("s") in _PROVIDER_DOERS)
           for k, t in enumerate(toks)):
        return False  # "which employees can read our mail - *googles side* right?": whose
    pairs = {tuple(toks[i:i + 2]) for i in range(len(toks) - 1)} | {tuple(toks[i:i + 3])
                                                                     for i in range(len(toks) - 2)}
    if first == "when" or first == "how":  # a time or amount "by default" is still a fact ("when does the
        pairs -= _DEFAULT_PHRASES  # maintenance window start by default")
    return not any(p in pairs for p in _WHOSE_PHRASES)
