"""Where incident conversations go: the :class:`Notifier` protocol and two plain notifiers.

``bot.incidents`` talks only to this protocol; the Slack adapter implements it in
``bot/slack/notifier.py``. Every call carries a stable ``key`` (the outbox key).
The incident service never calls twice with a key it has seen delivered, but a
crash between a post and its bookkeeping can repeat one call: an implementation
that must never double-post records the key (``Store.claim_message_key`` /
``record_message`` / ``sent_message``) and treats a repeated key as done.
"""
from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.markup import escape

from bot.models import ConversationRef, Event, EventKind, IncidentView


class Notifier(Protocol):
    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        """Start the incident's conversation (the root message); return where it lives."""

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        """Add one update (an event) to the conversation."""

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        """Rewrite the conversation's summary to the incident's current state."""


def _names(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def summary_text(view: IncidentView) -> str:
    inc = view.incident
    failing = len(view.resources)
    excepted = sum(1 for r in view.resources if r.excepted_until)
    extra = f", {excepted} with accepted risk" if excepted else ""
    return (f"#{inc.id} [{inc.severity.value}] {inc.title} - account {inc.account_id}: "
            f"{inc.state.value}, {failing} failing resource(s){extra}; owner {view.team.name}")


def event_text(event: Event) -> str:
    """One line describing an event, for thread replies and the console."""
    d, who = event.data, ("srm-bot" if event.actor == "system" else f"<@{event.actor}>")
    if not event.allowed:
        return f"{who} tried to {event.kind.value.replace('_', ' ')}: refused ({event.reason})"
    match event.kind:
        case EventKind.opened:
            return f"Opened: {len(d.get('failing', []))} resource(s) failing: {_names(d.get('failing', []))}"
        case EventKind.reopened:
            return f"Reopened: {event.reason}"
        case EventKind.updated:
            parts = [f"{label} {_names(d[k])}" for k, label in
                     (("new", "now failing:"), ("changed", "evidence changed:"),
                      ("recovered", "recovered:"), ("gone", "deleted:")) if d.get(k)]
            return "Updated: " + "; ".join(parts) if parts else f"Updated: {event.reason}"
        case EventKind.resolved:
            return f"Resolved: {event.reason}"
        case EventKind.acknowledge:
            return f"Acknowledged by {who}"
        case EventKind.snooze:
            return f"Snoozed by {who} until {d.get('until')}"
        case EventKind.accept_risk:
            return (f"Risk accepted by {who} until {d.get('expires_at')} for {_names(d.get('resources', []))}: "
                    f"{d.get('justification', '')}")
        case EventKind.snooze_expired:
            return "Snooze ended"
        case EventKind.exception_expired:
            return f"Risk exception expired for {d.get('resource_id')}"
        case EventKind.escalated:
            to = " ".join(f"<@{u}>" for u in d.get("to", []))
            return f"Escalated (level {d.get('level')}) to {to}: not acknowledged within the SLA"
        case EventKind.rechecked:
            still = d.get("failing", [])
            return (f"Re-check by {who}: still {len(still)} resource(s) failing: {_names(still)}" if still
                    else f"Re-check by {who}: nothing fails any more")
    return event.kind.value  # pragma: no cover - every kind is handled above


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
    """Prints conversations to the terminal (``srm scan``)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console()

    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        self._say(f"[bold red]incident[/] {escape(summary_text(view))}")
        for r in view.resources[:10]:
            self._say(escape(f"    {r.finding.region}/{r.finding.resource_id}: {r.finding.reason}"))
        if len(view.resources) > 10:
            self._say(f"    ... and {len(view.resources) - 10} more")
        return ConversationRef(channel="console", ts=str(view.incident.id))

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        self._say(f"  [cyan]#{view.incident.id}[/] {escape(event_text(event))}")

    def _say(self, markup: str) -> None:
        self.console.print(markup, highlight=False, soft_wrap=True)

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        pass  # the console has no message to rewrite; posts already said what changed
