"""Platform-neutral incident text: what every notifier says, each with its own escaping.

The domain records events; notifiers render them through these functions. Anything
platform-specific comes in as a function: ``esc`` (escape text from people and AWS),
``at`` (show a stored time), ``code`` (mark an identifier), ``mention`` (address a
person by member id: ``<@U1>`` in Slack, ``@U1`` in a terminal, the name in e-mail).
Reasons written by the domain name people as ``{@U123}`` tokens: :func:`with_mentions`.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from rich.markup import escape as markup_escape

from bot.actions import ACTIONS, describe
from bot.models import Event, EventKind, IncidentView

MENTION_TOKEN = re.compile(r"\{@([A-Za-z0-9._-]+)\}")


# Characters that can make a message say something other than its bytes: bidirectional overrides and
# isolates (U+202A-202E, U+2066-2069, marks), zero-width characters, and C0/C1 controls but tab and newline.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def visible(text: object) -> str:
    """``text`` with every control or direction-changing character shown as ``[U+XXXX]`` instead of obeyed;
    the one place echoed text from people and AWS loses its invisible characters (every notifier's escape)."""
    return _HIDDEN.sub(lambda m: f"[U+{ord(m.group()):04X}]", str("" if text is None else text))


def terminal(text: object) -> str:
    """Text from people or AWS for a rich console: :func:`visible`, then rich's markup escaping."""
    return markup_escape(visible(text))


def plain_mention(member_id: str) -> str:
    return f"@{member_id}"


def with_mentions(text: str, mention: Callable[[str], str] = plain_mention) -> str:
    """Replace the ``{@id}`` tokens of domain text by ``mention(id)``."""
    return MENTION_TOKEN.sub(lambda m: mention(m.group(1)), text)


def names_list(ids: list[str], limit: int = 5, fmt: Callable[[str], str] = str) -> str:
    """``a, b, c and 4 more``: the first ``limit`` ids, each through ``fmt``."""
    shown = ", ".join(fmt(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def summary_text(view: IncidentView) -> str:
    inc = view.incident
    failing = len(view.resources)
    excepted = sum(1 for r in view.resources if r.excepted_until)
    extra = f", {excepted} with accepted risk" if excepted else ""
    return (f"#{inc.id} [{inc.severity.value}] {inc.title} - account {inc.account_id}: "
            f"{inc.state.value}, {failing} failing resource(s){extra}; owner {view.team.name}")


EMOJI = {EventKind.opened: ":rotating_light:", EventKind.reopened: ":repeat:", EventKind.updated: ":pencil2:",
         EventKind.resolved: ":white_check_mark:", EventKind.snooze_expired: ":alarm_clock:",
         EventKind.exception_expired: ":hourglass:", EventKind.escalated: ":mega:",
         **{a.event: a.emoji for a in ACTIONS}}


def event_text(event: Event, *, esc: Callable[[Any], str] = visible, at: Callable[[Any], str] = str,
               code: Callable[[str], str] = str, emoji: bool = False,
               mention: Callable[[str], str] = plain_mention) -> str:
    """One line describing an event: plain for the console, or (``esc``/``at``/``code``/``emoji``/``mention``)
    a notifier's markup, where ``esc`` escapes what came from people or AWS and ``at`` shows a stored ISO time."""
    d, who = event.data, ("srm-bot" if event.actor == "system" else mention(event.actor))
    if not event.allowed:
        reason = with_mentions(esc(event.reason), mention)
        return f"{who} tried to {event.kind.value.replace('_', ' ')}: refused ({reason})"

    def names(ids: list[str]) -> str:
        return names_list(ids, fmt=lambda i: code(esc(i)))

    line = _event_body(event, d, who, esc, at, code, names, mention)
    return f"{EMOJI[event.kind]} {line}" if emoji and event.kind in EMOJI else line


def _event_body(event: Event, d: dict[str, Any], who: str, esc: Callable[[Any], str], at: Callable[[Any], str],
                code: Callable[[str], str], names: Callable[[list[str]], str],
                mention: Callable[[str], str]) -> str:
    action_line = describe(event.kind, d, who, esc=esc, at=at, names=names,
                           reason=with_mentions(event.reason, mention))
    if action_line is not None:
        return action_line
    match event.kind:
        case EventKind.opened:
            return f"Opened: {len(d.get('failing', []))} resource(s) failing: {names(d.get('failing', []))}"
        case EventKind.reopened:
            return f"Reopened: {with_mentions(esc(event.reason), mention)}"
        case EventKind.updated:
            parts = [f"{label} {names(d[k])}" for k, label in
                     (("new", "now failing:"), ("changed", "evidence changed:"),
                      ("recovered", "recovered:"), ("gone", "deleted:")) if d.get(k)]
            return "Updated: " + ("; ".join(parts) if parts else esc(event.reason))
        case EventKind.resolved:
            return f"Resolved: {esc(event.reason)}"
        case EventKind.snooze_expired:
            return "Snooze ended"
        case EventKind.exception_expired:
            return f"Risk exception expired for {code(esc(d.get('resource_id')))}"
        case EventKind.escalated:
            to = " ".join(mention(u) for u in d.get("to", []))
            return f"Escalated (level {d.get('level')}) to {to}: {esc(event.reason)}"
    return esc(event.kind.value)  # pragma: no cover - every kind is handled above
