"""What people do to an incident: the domain methods of the actions in ``bot/actions.py``.

Who may do what is the registry's rule (:func:`bot.actions.authorize`), decided from the
database (the incident's assigned team) and the owners file, never from a button:

* acknowledge / snooze / reassign - members or leads of the assigned team, and admins;
* accept risk                     - admins, and the team's leads when ``leads_can_accept_risk``;
* re-check                        - anyone (it only reads; the result is posted in the thread).

Every attempt is an event, refused ones too (``allowed=False`` with the reason).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from bot.actions import BY_ID, ActionSpec, authorize
from bot.models import ActionResult, Actor, EventKind, Incident, IncidentState, person
from checks.base import Severity

if TYPE_CHECKING:  # pragma: no cover
    from bot.models import Clock, Event
    from bot.owners import Owners, Team
    from bot.store import Store

S = IncidentState
SCAN_EVENT_KINDS = {EventKind.updated, EventKind.resolved, EventKind.reopened, EventKind.promoted}


class IncidentActions:
    """Mixed into :class:`bot.incidents.Incidents`, which provides these attributes."""

    store: "Store"
    owners: "Owners"
    clock: "Clock"
    team_of: Callable[[Incident], "Team"]
    deliver: Callable[[], int]
    _record: Callable[..., "Event"]
    _transition: Callable[..., "Event"]
    _promote: Callable[..., "Event"]

    def acknowledge(self, incident_id: int, actor: Actor) -> ActionResult:
        def check(inc: Incident, now: datetime) -> str | None:
            if inc.state is S.acknowledged:
                return f"already acknowledged by {person(inc.acknowledged_by or '?')}"
            if inc.state is not S.open:
                return f"the incident is {inc.state.value.replace('_', ' ')}"
            return None

        def apply(inc: Incident, now: datetime) -> "Event":
            return self._transition(inc, S.acknowledged, BY_ID["acknowledge"].event, now, actor=actor.id,
                                    acknowledged_at=now, acknowledged_by=actor.id, next_escalation_at=None)

        return self._attempt(incident_id, actor, BY_ID["acknowledge"], {}, check, apply)

    def snooze(self, incident_id: int, actor: Actor, until: datetime) -> ActionResult:
        def check(inc: Incident, now: datetime) -> str | None:
            if inc.state is S.resolved:
                return "the incident is resolved"
            if until <= now:
                return "a snooze must end in the future"
            return None

        def apply(inc: Incident, now: datetime) -> "Event":
            inc = self.store.update_incident(inc.id, snoozed_until=until, updated_at=now)
            return self._record(inc, BY_ID["snooze"].event, now, actor=actor.id,
                                data={"until": until.isoformat()})

        return self._attempt(incident_id, actor, BY_ID["snooze"], {"until": until.isoformat()}, check, apply)

    def reassign(self, incident_id: int, actor: Actor, team_id: str) -> ActionResult:
        """Move the incident to another team (its members are then the ones who may act on it)."""
        def check(inc: Incident, now: datetime) -> str | None:
            if inc.state is S.resolved:
                return "the incident is resolved"
            if team_id == inc.team_id:
                return "it is already assigned to that team"
            try:
                self.owners.team(team_id)
            except KeyError:
                return f"no team {team_id!r} in the owners file"
            return None

        def apply(inc: Incident, now: datetime) -> "Event":
            before, after = self.team_of(inc), self.owners.team(team_id)
            inc = self.store.update_incident(inc.id, team_id=team_id, updated_at=now)
            return self._record(inc, BY_ID["reassign"].event, now, actor=actor.id, data={
                "from": before.id, "from_name": before.name, "to": after.id, "to_name": after.name})

        return self._attempt(incident_id, actor, BY_ID["reassign"], {"team_id": team_id}, check, apply)

    def accept_risk(self, incident_id: int, actor: Actor, justification: str, expires_at: datetime) -> ActionResult:
        """Accept the risk on every resource failing now, until ``expires_at``."""
        asked = {"justification": justification, "expires_at": expires_at.isoformat()}

        def check(inc: Incident, now: datetime) -> str | None:
            if inc.state is S.resolved:
                return "the incident is resolved"
            if not justification.strip():
                return "a justification is required"
            if expires_at <= now:
                return "the exception must expire in the future"
            return None

        def apply(inc: Incident, now: datetime) -> "Event":
            failing = self.store.failing(inc.account_id, inc.check_id)
            for f in failing:
                self.store.add_exception(f.key, incident_id=inc.id, justification=justification.strip(),
                                         accepted_by=actor.id, created_at=now, expires_at=expires_at)
            data = {**asked, "resources": [f.resource_id for f in failing]}
            return self._transition(inc, S.risk_accepted, BY_ID["accept_risk"].event, now,
                                    actor=actor.id, data=data, next_escalation_at=None)

        return self._attempt(incident_id, actor, BY_ID["accept_risk"], asked, check, apply)

    def promote(self, incident_id: int, actor: Actor) -> ActionResult:
        """Open a conversation for a backlog item (it becomes an incident like any drift)."""
        def check(inc: Incident, now: datetime) -> str | None:
            return None if inc.state is S.backlog else f"the incident is {inc.state.value.replace('_', ' ')}, not in the backlog"

        def apply(inc: Incident, now: datetime) -> "Event":
            return self._promote(inc, now, reason=f"opened from the backlog by {person(actor.id)}", actor=actor.id)

        return self._attempt(incident_id, actor, BY_ID["promote"], {}, check, apply)

    def promote_backlog(self, team_id: str, actor: Actor, min_severity: str = "low") -> list[ActionResult]:
        """Open conversations for a team's backlog items at or above ``min_severity`` (each one authorized)."""
        floor = Severity(min_severity).rank
        return [self.promote(inc.id, actor) for inc in self.store.incidents(states=[S.backlog], team_id=team_id)
                if inc.severity.rank >= floor]

    def rechecked(self, incident_id: int, actor: Actor, since: datetime | None = None) -> "Event":
        """Record that ``actor`` had the check re-run just now, with what still fails: ONE thread reply.

        Anyone may ask for a re-check: it only reads. The scan itself (``Services.scan``, started at
        ``since``) has already recorded any drift (recovery, resolution, new failures) as its own events;
        when it did, that reply says what changed and this event is recorded without a second reply.
        """
        now = self.clock.now()
        with self.store.transaction():
            inc = self.store.incident(incident_id)
            failing = [f.resource_id for f in self.store.failing(inc.account_id, inc.check_id)]
            told = since is not None and any(e.at >= since and e.actor == "system" and e.kind in SCAN_EVENT_KINDS
                                             for e in self.store.events(incident_id))
            event = self._record(inc, BY_ID["recheck"].event, now, actor=actor.id,
                                 data={"failing": failing, **({"quiet": True} if told else {})}, post=not told)
        self.deliver()
        return event

    def _attempt(self, incident_id: int, actor: Actor, action: ActionSpec, asked: dict[str, Any],
                 check: Callable[[Incident, datetime], str | None],
                 apply: Callable[[Incident, datetime], "Event"]) -> ActionResult:
        now = self.clock.now()
        with self.store.transaction():
            try:
                inc = self.store.incident(incident_id)
            except KeyError:
                return ActionResult(ok=False, reason=f"no incident #{incident_id}")
            refused = authorize(self.owners, self.team_of(inc), actor.id, action)
            refused = refused or check(inc, now)
            if refused:
                event = self._record(inc, action.event, now, actor=actor.id, allowed=False,
                                     reason=refused, data=asked)
            else:
                event = apply(inc, now)
        self.deliver()
        return ActionResult(ok=not refused, reason=refused or "", incident=self.store.incident(incident_id),
                            event=event)
