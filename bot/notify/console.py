"""ConsoleReporter: incident events as the terminal shows them (``srm scan``, ``srm incidents``).

It is not a notifier lane: it never takes outbox rows, so a CLI run against the bot's
database neither marks the bot's posts delivered nor gives an incident a conversation
that is not in Slack or e-mail.
"""
from __future__ import annotations

from rich.console import Console

from bot.models import Event, EventKind, IncidentView
from bot.notify.text import event_text, summary_text
from bot.notify.text import terminal as escape


class ConsoleReporter:
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
