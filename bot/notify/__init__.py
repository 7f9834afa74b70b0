"""The delivery seam: the :class:`Notifier` protocol and the lanes a deployment delivers to.

The incident domain (``bot/incidents.py``) records events and queues one outbox row per
*lane* (a notifier kind: ``slack``, ``email``); each lane's notifier renders the
platform-neutral content (``bot/notify/text.py``) its own way and tells where the
conversation lives (:class:`~bot.models.ConversationRef`), which the incident layer
stores, once, per lane. The composition root (``bot/main.py``) picks the notifiers
from configuration. A process without a lane's notifier (``srm scan`` on a laptop)
leaves that lane's rows pending for a process that has it. Rules: docs/incidents.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Protocol

from bot.models import ConversationRef, Event, IncidentView

if TYPE_CHECKING:  # pragma: no cover
    from bot.digest import Digest
    from bot.incidents import Backlog


class Notifier(Protocol):
    """Where incident conversations live. Every call carries a stable ``key`` (the outbox key); a
    notifier that must never double-post records the keys it sent and treats a repeat as done."""

    kind: str  # the lane it delivers: "slack", "email", ...

    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        """Start the incident's conversation (the root message); return where it lives."""

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        """Add one update (an event) to the conversation."""

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        """Bring the conversation's summary to the incident's current state (where the channel allows)."""

    def announce_backlog(self, backlog: "Backlog", *, key: str) -> None:
        """Tell a team about its backlog (failures found at first contact, no thread each): one message."""

    def publish_digest(self, digest: "Digest", *, key: str) -> str | None:
        """Send the posture digest once per key; where it went, or None when this lane has no digest target."""


class Undeliverable(RuntimeError):
    """A row that can never be delivered: its target is gone for good (a deleted message or channel).
    The outbox lane ends that row's retries and records an event instead of retrying forever."""


class Notifiers:
    """The lanes that get outbox rows (from configuration) and the notifiers this process delivers with."""

    def __init__(self, lanes: Iterable[str] = ("slack",), notifiers: Iterable[Notifier] = ()):
        self.lanes: tuple[str, ...] = tuple(dict.fromkeys(lanes))
        self._by_lane: dict[str, Notifier] = {}
        for n in notifiers:
            self.add(n)

    def add(self, notifier: Notifier) -> None:
        if notifier.kind not in self.lanes:
            raise ValueError(f"notifier {notifier.kind!r} is not one of the configured lanes {list(self.lanes)}")
        self._by_lane[notifier.kind] = notifier

    def get(self, lane: str) -> Notifier | None:
        return self._by_lane.get(lane)

    @property
    def delivering(self) -> list[Notifier]:
        return [self._by_lane[lane] for lane in self.lanes if lane in self._by_lane]

    def __repr__(self) -> str:  # pragma: no cover
        return f"Notifiers(lanes={self.lanes}, delivering={[n.kind for n in self.delivering]})"
