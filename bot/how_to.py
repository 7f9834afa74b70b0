"""Requests for material, not for an owner (pure): a command, its syntax or flags, a snippet, an example, a script, a
runbook or a link to one ("can u drop the link to the shared drive with the redshift runbook"),
infrastructure code ("terraform for ..."), a best practice, a compatibility list, steps, a walk-through ("aws cli
command to turn on versioning for a bucket", "kubectl command to drain an aks node before patching it", "walk me
through setting a maintenance window on gke"), or a quantity opened by "how long" ("how long is the time travel
window by default").

Such a question names a duty's words (versioning, patching, a maintenance window) only as what the material is
about. It asks for an owner only when it also says whose job something is: a who-word ("who", "whose",
"responsible", "job") or a phrase that puts us against them ("us or aws", "do we", "on us"). Words that describe a
feature ("*automatic* storage increase", "on *by default*") do not: they say what the material is for.
"""
from __future__ import annotations

from typing import Sequence

from bot.fact_frame import DOING_STEMS
from bot.scope import OUR_WORDS, PROVIDER_WORDS, PhraseIndex
from bot.textmatch import drops, stem, swaps

# the thing asked for (single words; "example" not after "for": "for example, who patches ...")
_MATERIAL = frozenset("""syntax command commands comand comands cmd cmdlet cmdlets flag flags snippet snippets example
examples sample samples script scripts powershell kubectl oneliner walkthrough steps runbook runbooks playbook playbooks""".split())
# a material word typed with two neighbouring letters swapped ("az cli *sytnax* to create a function app")
_SWAPPED_MATERIAL = frozenset(typo for w in _MATERIAL if len(w) >= 5 for typo in swaps(w))
# ... or with one letter left out ("az cli *sytax* to add a udr"); not a word of its own ("ample")
_DROPPED_MATERIAL = frozenset(typo for w in _MATERIAL if len(w) >= 6 for typo in drops(w)) - _MATERIAL - {"ample"}
_STEPS_OF = frozenset("build pipeline workflow job".split())
_IAC = ("terraform", "bicep", "cloudformation", "cdk", "pulumi", "arm", "helm", "yaml")
_MATERIAL_PHRASES = PhraseIndex((p, True) for p in (
    ("walk", "me", "through"), ("walk", "through"), ("show", "me"), ("one", "liner"),
    *((tool, "for") for tool in _IAC), *((tool, "to") for tool in _IAC),
    ("best", "practice", "for"), ("best", "practices", "for"), ("naming", "convention"),
    ("compatible", "with"), ("compatibility", "matrix"), ("is", "there", "a", "way"),
    ("any", "way", "to"), ("worth", "it"), ("is", "it", "possible"),
    ("limit", "increase"), ("increase", "the", "limit"), ("raise", "the", "limit"),
    ("link", "to", "the", "docs"), ("drop", "the", "link"), ("drop", "a", "link"), ("the", "link", "to"),
    ("share", "the", "link"), ("send", "the", "link"), ("post", "the", "link"), ("docs", "for"), ("documentation", "for"),
    ("how", "long", "is"),
    ("how", "long", "are"), ("how", "long", "does"), ("how", "long", "do")))
_SUPPORT = frozenset("support supports supported".split())  # a capability, asked with a yes/no opener
# whose job it is: a who-word, or we set against them
_WHOSE_WORDS = frozenset("""who whose whom responsible responsibility responsibilities accountable job jobs duty duties
ours theirs""".split())
_US_AGAINST_THEM = PhraseIndex((p, True) for p in (
    ("us", "or"), ("or", "us"), ("we", "or"), ("or", "we"), ("on", "us"), ("do", "we"), ("should", "we"),
    ("need", "we"), ("we", "need"), ("we", "have", "to"), ("we", "must"), ("are", "we"), ("for", "us"),
    ("or", "them"), ("or", "is", "it"), ("or", "does"), ("or", "do"), ("or", "will"), ("on", "the", "hook"), ("is", "that", "us"),
    ("is", "it", "us")))


_ACTS = frozenset(stem(w) for w in "do does did take takes handle handles handled cover covers".split()) | DOING_STEMS


def _provider_acts(toks: Sequence[str]) -> bool:
    """ "what steps does *aws take*", "show me what *google does* for ...": the provider's part is asked."""
    return any(t in PROVIDER_WORDS and i + 1 < len(toks) and stem(toks[i + 1]) in _ACTS for i, t in enumerate(toks))


def _limit_raised(toks: Sequence[str]) -> bool:
    """ "a *higher* lambda concurrency *limit*": a quota request."""
    return any(t in {"limit", "limits"} for t in toks) and any(t in {"higher", "bigger", "raise", "raised"} for t in toks)


def asks_for_material(toks: Sequence[str]) -> bool:
    """The question asks for a command, syntax, snippet, example, script, steps or a duration, and says nowhere
    whose job anything is."""
    material = (any((t in _MATERIAL or t in _SWAPPED_MATERIAL or t in _DROPPED_MATERIAL)
                    and not (t.startswith("example") and k and toks[k - 1] == "for")
                    and toks[k + 1:k + 2] not in (["page"], ["pages"], ["repo"], ["doc"], ["docs"])  # where it came from
                    # ("will the probes *flag an* expired cert": flagging, a verb before a determiner)
                    and not (t in {"flag", "flags"} and toks[k + 1:k + 2] in (["a"], ["an"], ["the"], ["any"]))
                    # ("images we run as cloud *build steps*": a pipeline's steps, not steps asked for)
                    and not (t == "steps" and k and toks[k - 1] in _STEPS_OF)
                    for k, t in enumerate(toks)) or _MATERIAL_PHRASES.find(toks) is not None
                or (len(toks) > 2 and toks[-1] == "how")  # "enable mfa on the root user - how"
                or toks[:2] == ["can", "i"]  # "can i attach an ebs volume to two instances"
                or _limit_raised(toks)
                or (toks[:1] in (["does"], ["do"], ["can"], ["is"], ["are"])  # "does eks support windows nodes"
                    and bool(_SUPPORT.intersection(toks))))
    if not material or _WHOSE_WORDS.intersection(toks) or _provider_acts(toks):
        return False
    # "is security our problem or aws's": our side set against the provider
    ours_or_theirs = "or" in toks and bool(OUR_WORDS.intersection(toks)) and any(t in PROVIDER_WORDS for t in toks)
    return _US_AGAINST_THEM.find(toks) is None and not ours_or_theirs

