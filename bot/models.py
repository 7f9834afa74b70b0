"""Domain models shared across bot/: incidents, their events, risk exceptions, drift.

Times are aware UTC datetimes in memory and UTC ISO strings in the store. They
come from one :class:`Clock`; the default reads ``datetime.now(timezone.utc)`` so
freezegun can move it in tests.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.owners import Team
from checks.base import Finding, Severity

Key = tuple[str, str, str, str]  # (account_id, region, check_id, resource_id), as Finding.key


class Clock(Protocol):
    def now(self) -> datetime:  # pragma: no cover - protocol
        """The current time, aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def person(member_id: str) -> str:
    """How domain text (reasons) names a person: a ``{@id}`` token each notifier renders its own way
    (bot/notify/text.py: ``with_mentions``)."""
    return "{@" + member_id + "}"


def utc(dt: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


# -- drift ---------------------------------------------------------------------------
class DriftKind(StrEnum):
    new_failure = "new_failure"  # PASS -> FAIL, or a resource seen failing for the first time
    evidence_changed = "evidence_changed"  # still failing, different fingerprint
    recovered = "recovered"  # FAIL -> PASS, or gone from a scope scanned cleanly


class DriftEvent(BaseModel):
    kind: DriftKind
    finding: Finding  # the new finding; for a resource that is gone, the last one seen
    previous_fingerprint: str | None = None
    gone: bool = False  # recovered because it disappeared (deleted), not because it passed

    @property
    def key(self) -> Key:
        return self.finding.key

    @property
    def pair(self) -> tuple[str, str]:
        """The incident this belongs to: (account_id, check_id)."""
        return (self.finding.account_id, self.finding.check_id)


# -- incidents -----------------------------------------------------------------------
class IncidentState(StrEnum):
    backlog = "backlog"  # failing at first contact (baseline): recorded, summarised per team, no thread yet
    open = "open"
    acknowledged = "acknowledged"
    risk_accepted = "risk_accepted"  # every failing resource is covered by a risk exception
    resolved = "resolved"

    @property
    def active(self) -> bool:
        return self is not IncidentState.resolved


class EventKind(StrEnum):
    opened = "opened"
    reopened = "reopened"
    updated = "updated"  # resources started failing, changed evidence or recovered
    resolved = "resolved"
    acknowledge = "acknowledge"  # the three human actions; refused attempts too
    snooze = "snooze"
    accept_risk = "accept_risk"
    snooze_expired = "snooze_expired"
    exception_expired = "exception_expired"
    escalated = "escalated"
    rechecked = "rechecked"  # someone had the check re-run now (anyone may: it only reads)
    reassign = "reassign"  # moved to another team
    promoted = "promoted"  # a backlog item became an incident with its own conversation


class Actor(BaseModel):
    id: str  # a Slack member id, or "system"
    name: str = ""

    @property
    def is_system(self) -> bool:
        return self.id == SYSTEM.id


SYSTEM = Actor(id="system", name="srm-bot")


class Incident(BaseModel):
    id: int
    account_id: str
    check_id: str
    title: str
    aspect: str | None = None
    severity: Severity
    team_id: str
    state: IncidentState
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    snoozed_until: datetime | None = None
    escalation_level: int = 0
    next_escalation_at: datetime | None = None
    reopen_count: int = 0

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now



class Event(BaseModel):
    """One row of an incident's audit trail."""

    id: int
    incident_id: int
    at: datetime
    kind: EventKind
    actor: str = SYSTEM.id
    allowed: bool = True  # False: a refused attempt (reason says why)
    reason: str = ""
    from_state: IncidentState | None = None
    to_state: IncidentState | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def changes_state(self) -> bool:
        return self.from_state != self.to_state


class RiskException(BaseModel):
    """An accepted risk: suppresses one (account, region, check, resource) until expiry."""

    id: int
    account_id: str
    region: str
    check_id: str
    resource_id: str
    incident_id: int | None = None
    justification: str
    accepted_by: str
    created_at: datetime
    expires_at: datetime
    status: str = "active"  # active | expired

    @property
    def key(self) -> Key:
        return (self.account_id, self.region, self.check_id, self.resource_id)


class ActionResult(BaseModel):
    ok: bool
    reason: str = ""
    incident: Incident | None = None
    event: Event | None = None


# -- notifications -------------------------------------------------------------------
class ConversationRef(BaseModel):
    """Where an incident's conversation lives in one notifier lane, as that notifier names it.

    Stored generically (``conversations`` table: incident, kind, channel, thread, link), the way
    Dispatch keeps conversations as resources rather than platform columns on the incident.
    Slack: channel id + root message ts; e-mail: recipients + the root Message-ID.
    """

    kind: str = "slack"  # the notifier lane
    channel: str
    thread: str
    link: str = ""


class IncidentResource(BaseModel):
    finding: Finding
    excepted_until: datetime | None = None  # set while a risk exception covers it


class IncidentView(BaseModel):
    """Everything a notifier needs to render an incident."""

    incident: Incident
    resources: list[IncidentResource] = Field(default_factory=list)
    team: Team
    remediation: str = ""
    regions: list[str] = Field(default_factory=list)  # where the check judged (kept after resolution)


class OutboxKind(StrEnum):
    open = "open"
    post = "post"
    refresh = "refresh"
    backlog = "backlog"  # the team's backlog summary (its incident_id is one of the team's backlog items)


class OutboxItem(BaseModel):
    id: int
    key: str
    lane: str = "slack"  # the notifier that delivers it
    incident_id: int
    kind: OutboxKind
    event_id: int | None = None
    status: str = "pending"  # pending | delivered
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None
    lease_until: datetime | None = None  # a process is delivering it until then
