"""RecordingNotifier: keeps every call, for tests (a repeated key is a no-op, like Slack's)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models import ConversationRef, Event, IncidentView
from bot.notify.text import event_text, summary_text

if TYPE_CHECKING:  # pragma: no cover
    from bot.digest import Digest
    from bot.incidents import Backlog


class RecordingNotifier:
    def __init__(self, kind: str = "slack") -> None:
        self.kind = kind
        self.calls: list[tuple[str, str, int, str]] = []  # (method, key, incident id, text)
        self.refs: dict[str, ConversationRef] = {}
        self.digests: list[tuple[str, "Digest"]] = []

    def _seen(self, key: str) -> bool:
        return any(c[1] == key for c in self.calls)

    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        if key not in self.refs:
            self.refs[key] = ConversationRef(kind=self.kind, channel="CTEST", thread=f"{len(self.refs) + 1}.000100")
            self.calls.append(("open", key, view.incident.id, summary_text(view)))
        return self.refs[key]

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        if not self._seen(key):
            self.calls.append(("post", key, view.incident.id, event_text(event)))

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        if not self._seen(key):
            self.calls.append(("refresh", key, view.incident.id, summary_text(view)))

    def announce_backlog(self, backlog: "Backlog", *, key: str) -> None:
        if not self._seen(key):
            self.calls.append(("backlog", key, backlog.lines[0].incident_id if backlog.lines else 0,
                               f"{backlog.team.name}: {len(backlog.lines)} check(s), {backlog.resources} resource(s)"))

    def publish_digest(self, digest: "Digest", *, key: str) -> str | None:
        self.digests.append((key, digest))
        return "recorded"

    def of(self, method: str, incident_id: int | None = None) -> list[str]:
        """The texts of one kind of call, optionally for one incident."""
        return [t for m, _, i, t in self.calls if m == method and incident_id in (None, i)]
