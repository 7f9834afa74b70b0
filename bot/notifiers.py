"""Where incident conversations go: the :class:`Notifier` protocol and two plain notifiers.

``bot.incidents`` talks only to this protocol; the Slack adapter implements it in
``bot/slack/notifier.py``. Every call carries a stable ``key`` (the outbox key).
The incident service never calls twice with a key it has seen delivered, but a
crash between a post and its bookkeeping can repeat one call: an implementation
that must never double-post records the key (``Store.claim_message_key`` /
``record_message`` / ``sent_message``) and treats a repeated key as done.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from rich.console import Console
from rich.markup import escape

from bot.models import ConversationRef, Event, EventKind, IncidentView


class Notifier(Protocol):
    """Where incident conversations live. A notifier with ``delivers = False`` (the console) only shows
    events; the outbox then stays pending for the process that posts to Slack."""

    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        """Start the incident's conversation (the root message); return where it lives."""

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        """Add one update (an event) to the conversation."""

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        """Rewrite the conversation's summary to the incident's current state."""


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
         EventKind.resolved: ":white_check_mark:", EventKind.acknowledge: ":eyes:", EventKind.snooze: ":zzz:",
         EventKind.accept_risk: ":shield:", EventKind.snooze_expired: ":alarm_clock:",
         EventKind.exception_expired: ":hourglass:", EventKind.escalated: ":mega:", EventKind.rechecked: ":mag:"}


def event_text(event: Event, *, esc: Callable[[Any], str] = str, at: Callable[[Any], str] = str,
               code: Callable[[str], str] = str, emoji: bool = False) -> str:
    """One line describing an event: plain for the console, or (``esc``/``at``/``code``/``emoji``) Slack
    mrkdwn, where ``esc`` escapes what came from people or AWS and ``at`` shows a stored ISO time."""
    d, who = event.data, ("srm-bot" if event.actor == "system" else f"<@{event.actor}>")
    if not event.allowed:
        return f"{who} tried to {event.kind.value.replace('_', ' ')}: refused ({esc(event.reason)})"

    def names(ids: list[str]) -> str:
        return names_list(ids, fmt=lambda i: code(esc(i)))

    line = _event_body(event, d, who, esc, at, code, names)
    return f"{EMOJI[event.kind]} {line}" if emoji and event.kind in EMOJI else line


def _event_body(event: Event, d: dict[str, Any], who: str, esc: Callable[[Any], str], at: Callable[[Any], str],
                code: Callable[[str], str], names: Callable[[list[str]], str]) -> str:
    match event.kind:
        case EventKind.opened:
            return f"Opened: {len(d.get('failing', []))} resource(s) failing: {names(d.get('failing', []))}"
        case EventKind.reopened:
            return f"Reopened: {esc(event.reason)}"
        case EventKind.updated:
            parts = [f"{label} {names(d[k])}" for k, label in
                     (("new", "now failing:"), ("changed", "evidence changed:"),
                      ("recovered", "recovered:"), ("gone", "deleted:")) if d.get(k)]
            return "Updated: " + ("; ".join(parts) if parts else esc(event.reason))
        case EventKind.resolved:
            return f"Resolved: {esc(event.reason)}"
        case EventKind.acknowledge:
            return f"Acknowledged by {who}"
        case EventKind.snooze:
            return f"Snoozed by {who} until {at(d.get('until'))}"
        case EventKind.accept_risk:
            return (f"Risk accepted by {who} until {at(d.get('expires_at'))} for {names(d.get('resources', []))}: "
                    f"{esc(d.get('justification', ''))}")
        case EventKind.snooze_expired:
            return "Snooze ended"
        case EventKind.exception_expired:
            return f"Risk exception expired for {code(esc(d.get('resource_id')))}"
        case EventKind.escalated:
            to = " ".join(f"<@{u}>" for u in d.get("to", []))
            return f"Escalated (level {d.get('level')}) to {to}: {esc(event.reason)}"
        case EventKind.rechecked:
            still = d.get("failing", [])
            return (f"Re-check by {who}: still {len(still)} resource(s) failing: {names(still)}" if still
                    else f"Re-check by {who}: nothing fails any more")
    return esc(event.kind.value)  # pragma: no cover - every kind is handled above


class RecordingNotifier:
    """Keeps every call in ``calls`` (for tests). A repeated key is a no-op, like Slack's."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, str]] = []  # (method, key, incident id, text)
        self.refs: dict[str, ConversationRef] = {}

    def _seen(self, key: str) -> bool:
        return any(c[1] == key for c in self.calls)

    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        if key not in self.refs:
            self.refs[key] = ConversationRef(channel="CTEST", ts=f"{len(self.refs) + 1}.000100")
            self.calls.append(("open", key, view.incident.id, summary_text(view)))
        return self.refs[key]

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        if not self._seen(key):
            self.calls.append(("post", key, view.incident.id, event_text(event)))

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        if not self._seen(key):
            self.calls.append(("refresh", key, view.incident.id, summary_text(view)))

    def of(self, method: str, incident_id: int | None = None) -> list[str]:
        """The texts of one kind of call, optionally for one incident."""
        return [t for m, _, i, t in self.calls if m == method and incident_id in (None, i)]


class ConsoleNotifier:
    """Shows incident events in the terminal (``srm scan``, a headless worker without a Slack token).

    It never takes outbox rows (``delivers = False``): a CLI run against the bot's database must not
    mark the bot's Slack posts delivered, nor give an incident a conversation that is not in Slack.
    """

    delivers = False

    def __init__(self, console: Console | None = None):
        self.console = console or Console()

    def show(self, event: Event, view: IncidentView) -> None:
        """One event as the terminal shows it: an opening lists the failing resources."""
        if event.kind in (EventKind.opened, EventKind.reopened):
            self._say(f"[bold red]incident[/] {escape(summary_text(view))}")
            for r in view.resources[:10]:
                self._say(escape(f"    {r.finding.region}/{r.finding.resource_id}: {r.finding.reason}"))
            if len(view.resources) > 10:
                self._say(f"    ... and {len(view.resources) - 10} more")
        if event.kind is not EventKind.opened:
            self._say(f"  [cyan]#{view.incident.id}[/] {escape(event_text(event))}")

    def _say(self, markup: str) -> None:
        self.console.print(markup, highlight=False, soft_wrap=True)

    def open(self, view: IncidentView, *, key: str) -> ConversationRef:  # pragma: no cover - never delivers
        raise RuntimeError("the console notifier does not deliver the outbox")

    post = refresh = open
