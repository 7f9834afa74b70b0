"""What people do to an incident: acknowledge, snooze, accept risk.

Who may do what is decided from the database (the incident's assigned team) and
the owners file, never from what a button says:

* acknowledge / snooze - members or leads of the assigned team, and admins;
* accept risk          - admins, and the team's leads when ``leads_can_accept_risk``;
* re-check             - anyone (it only reads; the result is posted in the thread).

Every attempt is an event, refused ones too (``allowed=False`` with the reason).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from bot.models import ActionResult, Actor, EventKind, Incident, IncidentState

if TYPE_CHECKING:  # pragma: no cover
    from bot.models import Clock, Event
    from bot.owners import Owners, Team
    from bot.store import Store

S = IncidentState


def authorize(owners: "Owners", team: "Team", actor_id: str, action: EventKind) -> str | None:
    """None when ``actor_id`` may do ``action`` on an incident assigned to ``team``; else why not."""
    if owners.is_admin(actor_id):
        return None
    if action is EventKind.accept_risk:
        if owners.leads_can_accept_risk:
            if actor_id in team.leads:
                return None
            return f"only admins or leads of {team.name} can accept risk"
        return "only admins can accept risk"
    if actor_id in team.members or actor_id in team.leads:
        return None
    return f"only members of {team.name} or admins can {action.value.replace('_', ' ')} this incident"


class IncidentActions:
    """Mixed into :class:`bot.incidents.Incidents`, which provides these attributes."""

    store: "Store"
    owners: "Owners"
    clock: "Clock"
    team_of: Callable[[Incident], "Team"]
    deliver: Callable[[], int]
    _record: Callable[..., "Event"]
    _transition: Callable[..., "Event"]

    def acknowledge(self, incident_id: int, actor: Actor) -> ActionResult:
        def check(inc: Incident, now: datetime) -> str | None:
            if inc.state is S.acknowledged:
                return f"already acknowledged by <@{inc.acknowledged_by}>"
            if inc.state is not S.open:
                return f"the incident is {inc.state.value.replace('_', ' ')}"
            return None

        def apply(inc: Incident, now: datetime) -> "Event":
            return self._transition(inc, S.acknowledged, EventKind.acknowledge, now, actor=actor.id,
                                    acknowledged_at=now, acknowledged_by=actor.id, next_escalation_at=None)

        return self._attempt(incident_id, actor, EventKind.acknowledge, {}, check, apply)

    def snooze(self, incident_id: int, actor: Actor, until: datetime) -> ActionResult:
        def check(inc: Incident, now: datetime) -> str | None:
            if inc.state is S.resolved:
                return "the incident is resolved"
            if until <= now:
                return "a snooze must end in the future"
            return None

        def apply(inc: Incident, now: datetime) -> "Event":
            inc = self.store.update_incident(inc.id, snoozed_until=until, updated_at=now)
            return self._record(inc, EventKind.snooze, now, actor=actor.id,
                                data={"until": until.isoformat()})

        return self._attempt(incident_id, actor, EventKind.snooze, {"until": until.isoformat()}, check, apply)

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
            return self._transition(inc, S.risk_accepted, EventKind.accept_risk, now,
                                    actor=actor.id, data=data, next_escalation_at=None)

        return self._attempt(incident_id, actor, EventKind.accept_risk, asked, check, apply)

    def rechecked(self, incident_id: int, actor: Actor) -> "Event":
        """Record that ``actor`` had the check re-run just now, with what still fails (a thread reply).

        Anyone may ask for a re-check: it only reads. The scan itself (``Services.scan``) has
        already recorded any drift (new failures, recovery, resolution) as its own events.
        """
        now = self.clock.now()
        with self.store.transaction():
            inc = self.store.incident(incident_id)
            failing = [f.resource_id for f in self.store.failing(inc.account_id, inc.check_id)]
            event = self._record(inc, EventKind.rechecked, now, actor=actor.id, data={"failing": failing})
        self.deliver()
        return event

    def _attempt(self, incident_id: int, actor: Actor, action: EventKind, asked: dict[str, Any],
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
                event = self._record(inc, action, now, actor=actor.id, allowed=False,
                                     reason=refused, data=asked)
            else:
                event = apply(inc, now)
        self.deliver()
        return ActionResult(ok=not refused, reason=refused or "", incident=self.store.incident(incident_id),
                            event=event)
