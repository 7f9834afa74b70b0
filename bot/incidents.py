"""Incident lifecycle: scans and sweeps drive it; people act on it (incident_actions.py).

One incident per (account, check). Each state change, its event rows and the
outbox rows that will notify about it are written in one transaction; the outbox
is delivered to the :class:`~bot.notify.Notifier` after commit, each row marked
as it goes. A crash at any point therefore leaves either nothing (rolled back,
the rerun redoes it) or a committed change whose pending outbox rows the next
``ingest``/``sweep``/``deliver`` sends, once each. Rules: docs/incidents.md.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

from pydantic import BaseModel, Field

from bot import drift
from bot.config import IncidentsConfig
from bot.incident_actions import IncidentActions
from bot.models import (
    SYSTEM,
    Clock,
    DriftEvent,
    DriftKind,
    Event,
    EventKind,
    Incident,
    IncidentResource,
    IncidentState,
    IncidentView,
    OutboxItem,
    OutboxKind,
    SystemClock,
)
from bot.notify import Notifier, Notifiers, Undeliverable
from bot.notify.worker import DeliveryWorker
from bot.owners import Owners, Team
from bot.store import Store
from checks.base import Finding, Severity
from checks.runner import RunResult

log = logging.getLogger(__name__)

S = IncidentState
DEFAULT_SLA_MINUTES = IncidentsConfig().sla_minutes
OUTBOX_LEASE = timedelta(minutes=5)  # longer than a Slack call with its retries; a crashed holder's rows wait this long
QUIET_WHILE_SNOOZED = {EventKind.updated, EventKind.escalated, EventKind.exception_expired}
MetaLookup = Callable[[str], Any]  # check id -> CheckMeta (title, aspect, severity, remediation) or None


def registry_lookup(check_id: str) -> Any:
    from checks.registry import load_all

    check = load_all().get(check_id)
    return check.meta if check else None


class ScanOutcome(BaseModel):
    run_id: int
    drift: list[DriftEvent] = Field(default_factory=list)  # empty when the scan did not keep them (see changes)
    changes: int = 0  # drift events of the scan, kept or not
    events: list[Event] = Field(default_factory=list)
    delivered: int = 0
    units_total: int = 0
    units_resumed: int = 0  # units an earlier, interrupted process had finished (not run again)
    abandoned_runs: list[int] = Field(default_factory=list)  # older interrupted runs now marked partial


class Incidents(IncidentActions):
    def __init__(self, store: Store, owners: Owners, notifiers: Notifiers | Notifier | None = None, *,
                 config: IncidentsConfig | None = None, lookup: MetaLookup = registry_lookup,
                 clock: Clock | None = None, reopen_within: timedelta = timedelta(days=7),
                 max_escalation_levels: int = 2):
        self.store, self.owners = store, owners
        if notifiers is None:
            notifiers = Notifiers()
        elif not isinstance(notifiers, Notifiers):  # one notifier: its lane is the only one
            notifiers = Notifiers([notifiers.kind], [notifiers])
        self.notifiers = notifiers
        self.worker: DeliveryWorker | None = None  # set by the composition root of a long-running process
        self.config = config or IncidentsConfig()
        self.lookup = lookup
        self.clock = clock or SystemClock()
        self.reopen_within = reopen_within
        self.max_escalation_levels = max_escalation_levels
        self._delivering = threading.Lock()

    # -- helpers -------------------------------------------------------------------------
    def sla(self, severity: Severity) -> timedelta:
        minutes = self.config.sla_minutes.get(severity.value, DEFAULT_SLA_MINUTES[severity.value])
        return timedelta(minutes=minutes)

    def team_of(self, incident: Incident) -> Team:
        try:
            return self.owners.team(incident.team_id)
        except KeyError:  # the owners file changed under an open incident
            return self.owners.team(self.owners.default_team)

    def route(self, aspect: str | None, failing: list[Finding]) -> Team:
        """A team named by a failing resource's owner tag (the most common); else the aspect's; else default."""
        base = self.owners.route(aspect, {})
        tagged = Counter(t.id for t in (self.owners.route(aspect, f.tags) for f in failing) if t.id != base.id)
        if not tagged:
            return base
        return self.owners.team(min(tagged, key=lambda tid: (-tagged[tid], tid)))

    def view(self, incident: Incident) -> IncidentView:
        now = self.clock.now()
        excepted = {e.key: e.expires_at for e in
                    self.store.active_exceptions(incident.account_id, incident.check_id, now)}
        failing = [] if incident.state is S.resolved else self.store.failing(incident.account_id, incident.check_id)
        meta = self.lookup(incident.check_id)
        return IncidentView(
            incident=incident, team=self.team_of(incident),
            resources=[IncidentResource(finding=f, excepted_until=excepted.get(f.key)) for f in failing],
            remediation=getattr(meta, "remediation", "") or "",
            regions=sorted({f.region for f in failing}) or self.store.regions_of(incident.account_id, incident.check_id))

    def backlog(self, team_id: str) -> Backlog:
        """One team's backlog (empty when it has none)."""
        found = self._backlogs(team_id)
        return found[0] if found else Backlog(team=self.owners.team(team_id))

    def backlogs(self) -> list[Backlog]:
        """Every team's backlog that has items."""
        return self._backlogs(None)

    def _backlogs(self, team_id: str | None) -> list[Backlog]:
        rows = self.store.incidents(states=[S.backlog], team_id=team_id)
        by_team: dict[str, list[BacklogLine]] = defaultdict(list)
        for inc in rows:
            meta = self.lookup(inc.check_id)
            failing = self.store.failing(inc.account_id, inc.check_id)
            by_team[inc.team_id].append(BacklogLine(
                incident_id=inc.id, account_id=inc.account_id, check_id=inc.check_id,
                title=getattr(meta, "fail_title", "") or inc.title, severity=inc.severity, failing=len(failing),
                worst=[f.resource_id for f in failing[:3]]))
        out = [Backlog(team=self.owners.team(t) if t in {x.id for x in self.owners.teams}
                       else self.owners.team(self.owners.default_team),
                       lines=sorted(lines, key=lambda x: (-x.severity.rank, -x.failing, x.check_id)))
               for t, lines in sorted(by_team.items())]
        return out

    def timeline(self, incident_id: int) -> list[Event]:
        return self.store.events(incident_id)

    # -- recording -----------------------------------------------------------------------
    def _record(self, inc: Incident, kind: EventKind, now: datetime, *, to: IncidentState | None = None,
                actor: str = SYSTEM.id, allowed: bool = True, reason: str = "",
                data: dict[str, Any] | None = None, from_state: IncidentState | None = None,
                post: bool = True) -> Event:
        """An event row, and (when it is worth telling anyone) its outbox rows. Call inside a transaction."""
        if from_state is None and kind is not EventKind.opened:
            from_state = inc.state
        event = self.store.add_event(inc.id, kind, now, actor=actor, allowed=allowed, reason=reason,
                                     from_state=from_state, to_state=to or inc.state, data=data)
        if not allowed:
            return event  # refused attempts are answered to the person, not posted
        current = self.store.incident(inc.id)
        queued = {o.key for o in self.store.outbox(inc.id)}
        for lane in self.notifiers.lanes:
            self._queue(lane, current, event, now, queued, post=post)
        return event

    def _queue(self, lane: str, inc: Incident, event: Event, now: datetime, queued: set[str], *,
               post: bool = True) -> None:
        """The outbox rows of one lane for one event: the conversation's opening, then a post and a refresh."""
        open_key = f"{lane}:incident:{inc.id}:open"
        has_conversation = open_key in queued or self.store.conversation(inc.id, lane) is not None
        if not has_conversation and inc.state in (S.open, S.acknowledged):
            self.store.enqueue(open_key, inc.id, OutboxKind.open, now, lane=lane)
            has_conversation = True
        if not has_conversation or event.kind is EventKind.opened:
            return
        if post and not (inc.snoozed(now) and event.kind in QUIET_WHILE_SNOOZED):
            self.store.enqueue(f"{lane}:event:{event.id}:post", inc.id, OutboxKind.post, now, event.id, lane=lane)
        self.store.enqueue(f"{lane}:event:{event.id}:refresh", inc.id, OutboxKind.refresh, now, event.id,
                           lane=lane)

    def _transition(self, inc: Incident, to: IncidentState, kind: EventKind, now: datetime, *,
                    reason: str = "", data: dict[str, Any] | None = None, actor: str = SYSTEM.id,
                    **fields: Any) -> Event:
        before = inc.state
        inc = self.store.update_incident(inc.id, state=to, updated_at=now, **fields)
        return self._record(inc, kind, now, to=to, actor=actor, reason=reason, data=data, from_state=before)

    # -- scans ---------------------------------------------------------------------------
    def ingest(self, run: RunResult) -> ScanOutcome:
        """Apply one scan: store its findings, open/update/resolve incidents, then notify."""
        now = self.clock.now()
        with self.store.transaction():
            run_id = self.store.record_run(run, now)
            drift_events, events = self.apply_run(run, run_id, now)
            self.announce_backlog(run_id, [e for e in events if e.to_state is S.backlog], now)
        return ScanOutcome(run_id=run_id, drift=drift_events, changes=len(drift_events), events=events,
                           delivered=self.deliver())

    def apply_run(self, run: RunResult, run_id: int, now: datetime) -> tuple[list[DriftEvent], list[Event]]:
        """Drift of ``run`` (whole accounts of a scan run) into findings and incidents; call inside a
        transaction, then :meth:`announce_backlog` for the run and :meth:`deliver` after it commits."""
        accounts = {a for a, _, _ in run.covered} | {f.account_id for f in run.findings}
        plan = drift.plan(self.store.load_state(accounts), run)
        targets = {(a, r) for a, r, _ in run.covered}
        first_contact = self.store.new_targets(targets) if self.config.baseline else set()
        self.store.apply_findings(plan.upserts, plan.deletes, now, run_id)
        self.store.mark_targets_seen(targets, now)
        by_pair: dict[tuple[str, str], list[DriftEvent]] = defaultdict(list)
        for ev in plan.events:
            by_pair[ev.pair].append(ev)
        events = [e for pair in sorted(by_pair)
                  for e in self._reconcile(*pair, now, by_pair[pair], first_contact=first_contact)]
        return plan.events, events

    def announce_backlog(self, run_id: int, opened: list[Event], now: datetime) -> None:
        """One backlog summary per team (and lane) for the backlog items this scan recorded."""
        by_team: dict[str, int] = {}
        for event in opened:
            inc = self.store.incident(event.incident_id)
            by_team.setdefault(inc.team_id, inc.id)
        for team_id, incident_id in sorted(by_team.items()):
            for lane in self.notifiers.lanes:
                self.store.enqueue(f"{lane}:backlog:{run_id}:{team_id}", incident_id, OutboxKind.backlog, now,
                                   lane=lane)

    def _reconcile(self, account: str, check: str, now: datetime, changes: Sequence[DriftEvent] = (),
                   reason: str = "", first_contact: set[tuple[str, str]] | None = None) -> list[Event]:
        """Bring the (account, check) incident in line with the stored findings and exceptions."""
        failing = self.store.failing(account, check)
        excepted = {e.key for e in self.store.active_exceptions(account, check, now)}
        unexcepted = [f for f in failing if f.key not in excepted]
        data = _changes(changes)
        inc = self.store.active_incident(account, check)
        if inc is None:
            if not failing:
                return []
            state = S.open if unexcepted else S.risk_accepted
            if state is S.open and self._baseline(check, failing, first_contact or set()):
                state = S.backlog
            return [self._open(account, check, failing, state, now, data, reason)]
        if inc.state is S.backlog:
            return self._reconcile_backlog(inc, failing, now, data, reason)
        if not failing:
            return [self._transition(inc, S.resolved, EventKind.resolved, now, data=data,
                                     reason=reason or "every resource passes", resolved_at=now,
                                     snoozed_until=None, next_escalation_at=None)]
        if not unexcepted and inc.state is not S.risk_accepted:
            return [self._transition(inc, S.risk_accepted, EventKind.updated, now, data=data,
                                     reason=reason or "every failing resource has an accepted risk",
                                     next_escalation_at=None)]
        if unexcepted and inc.state is S.risk_accepted:
            return [self._transition(inc, S.open, EventKind.reopened, now, data=data,
                                     reason=reason or "a failing resource has no accepted risk",
                                     escalation_level=0, next_escalation_at=now + self.sla(inc.severity))]
        if data:
            self.store.update_incident(inc.id, updated_at=now)
            return [self._record(inc, EventKind.updated, now, data=data, reason=reason)]
        return []

    def _baseline(self, check: str, failing: list[Finding], first_contact: set[tuple[str, str]]) -> bool:
        """Failing at first contact and below the severity that opens a thread at once: backlog, not drift."""
        if not failing or any((f.account_id, f.region) not in first_contact for f in failing):
            return False
        meta = self.lookup(check)
        severity = Severity(meta.severity) if meta else max((f.severity for f in failing), key=lambda s: s.rank)
        return severity.rank < Severity(self.config.baseline_open_at).rank

    def _reconcile_backlog(self, inc: Incident, failing: list[Finding], now: datetime, data: dict[str, Any],
                           reason: str) -> list[Event]:
        """A backlog item stays quiet until something new fails (drift): then it opens its conversation."""
        if not failing:
            return [self._transition(inc, S.resolved, EventKind.resolved, now, data=data,
                                     reason=reason or "every resource passes", resolved_at=now)]
        if data.get("new"):
            return [self._promote(inc, now, reason=f"new failing resource(s): {', '.join(data['new'][:5])}",
                                  data=data)]
        if data:
            self.store.update_incident(inc.id, updated_at=now)
            return [self._record(inc, EventKind.updated, now, data=data, reason=reason)]
        return []

    def _promote(self, inc: Incident, now: datetime, *, reason: str, actor: str = SYSTEM.id,
                 data: dict[str, Any] | None = None) -> Event:
        failing = [f.resource_id for f in self.store.failing(inc.account_id, inc.check_id)]
        return self._transition(inc, S.open, EventKind.promoted, now, reason=reason, actor=actor,
                                data={**(data or {}), "failing": failing}, escalation_level=0,
                                next_escalation_at=now + self.sla(inc.severity))

    def _open(self, account: str, check: str, failing: list[Finding], state: IncidentState,
              now: datetime, data: dict[str, Any], reason: str) -> Event:
        meta = self.lookup(check)
        severity = Severity(meta.severity) if meta else max((f.severity for f in failing), key=lambda s: s.rank)
        aspect = getattr(meta, "aspect", None)
        fields = dict(
            title=meta.title if meta else check, aspect=aspect, severity=severity,
            team_id=self.route(aspect, failing).id, state=state, updated_at=now,
            acknowledged_at=None, acknowledged_by=None, resolved_at=None, snoozed_until=None,
            escalation_level=0, next_escalation_at=now + self.sla(severity) if state is S.open else None)
        if state is S.backlog:
            data = {**data, "baseline": True}
        data = {**data, "failing": [f.resource_id for f in failing]}
        last = self.store.last_incident(account, check)
        if last and last.resolved_at and now - last.resolved_at <= self.reopen_within:
            inc = self.store.update_incident(last.id, reopen_count=last.reopen_count + 1, **fields)
            return self._record(inc, EventKind.reopened, now, data=data, from_state=S.resolved,
                                reason=reason or "failing again after it was resolved")
        inc = self.store.create_incident(account_id=account, check_id=check, opened_at=now, **fields)
        return self._record(inc, EventKind.opened, now, data=data, reason=reason)

    # -- the minute sweep ----------------------------------------------------------------
    def sweep(self, now: datetime | None = None) -> list[Event]:
        """Expire risk exceptions and snoozes, escalate unacknowledged incidents past their SLA."""
        now = now or self.clock.now()
        events: list[Event] = []
        with self.store.transaction():
            for exc in self.store.due_exceptions(now):
                self.store.expire_exception(exc.id)
                inc = self.store.active_incident(exc.account_id, exc.check_id)
                if inc is not None:
                    events.append(self._record(inc, EventKind.exception_expired, now, data={
                        "resource_id": exc.resource_id, "region": exc.region, "accepted_by": exc.accepted_by}))
                events += self._reconcile(exc.account_id, exc.check_id, now,
                                          reason=f"the accepted risk on {exc.resource_id} expired")
            for inc in self.store.incidents(states=[S.open, S.acknowledged, S.risk_accepted]):
                if inc.snoozed_until and inc.snoozed_until <= now:
                    nxt = now + self.sla(inc.severity) if inc.state is S.open else None
                    inc = self.store.update_incident(inc.id, snoozed_until=None, updated_at=now,
                                                     next_escalation_at=nxt)
                    events.append(self._record(inc, EventKind.snooze_expired, now))
                if (inc.state is S.open and not inc.snoozed(now) and inc.next_escalation_at
                        and inc.next_escalation_at <= now and inc.escalation_level < self.max_escalation_levels):
                    events.append(self._escalate(inc, now))
        self.deliver()
        return events

    def _escalate(self, inc: Incident, now: datetime) -> Event:
        level = inc.escalation_level + 1
        to = [self.team_of(inc).escalation]
        if level >= 2:
            to += [a for a in self.owners.admins if a not in to]
        more = level < self.max_escalation_levels
        inc = self.store.update_incident(inc.id, escalation_level=level, updated_at=now,
                                         next_escalation_at=now + self.sla(inc.severity) if more else None)
        return self._record(inc, EventKind.escalated, now, data={"level": level, "to": to},
                            reason=f"not acknowledged within {minutes(self.sla(inc.severity))}")

    # -- delivery ------------------------------------------------------------------------
    def deliver(self) -> int:
        """Deliver now, or (with a background worker, `srm serve`) kick the worker and return 0."""
        worker = self.worker
        if worker is not None and not worker.in_worker:
            worker.kick()
            return 0
        return self.deliver_now()

    def deliver_now(self) -> int:
        """Send every lane's pending outbox rows, in order, with that lane's notifier.

        A failure holds back that incident's later rows in that lane only. A lane with no notifier in
        this process (``srm scan`` has none) keeps its rows pending for a process that has one."""
        delivered = 0
        with self._delivering:
            for notifier in self.notifiers.delivering:
                delivered += self._deliver_lane(notifier)
        return delivered

    def _deliver_lane(self, notifier: Notifier) -> int:
        delivered = 0
        pending = self.store.pending_outbox(notifier.kind)
        last_refresh = {o.incident_id: o.id for o in pending if o.kind is OutboxKind.refresh}
        blocked: set[int] = set()
        for item in pending:
            if item.incident_id in blocked:
                continue
            now = self.clock.now()
            if not self.store.lease_outbox(item.id, now, now + OUTBOX_LEASE):
                blocked.add(item.incident_id)  # another process is delivering it: keep the thread's order
                continue
            try:
                self._send(notifier, item, last_refresh.get(item.incident_id) == item.id)
                delivered += 1
            except Undeliverable as exc:  # the target is gone for good: end the row, say so, no loop
                self._give_up(notifier, item, str(exc))
            except Exception as exc:  # noqa: BLE001 - a failed post must not lose the others
                log.warning("outbox %s failed: %s", item.key, exc)
                self.store.mark_failed(item.id, f"{type(exc).__name__}: {exc}")
                blocked.add(item.incident_id)
            except BaseException:  # interrupted (Ctrl-C, shutdown): hand the row back at once
                self.store.release_lease(item.id)
                raise
        return delivered

    def _send(self, notifier: Notifier, item: OutboxItem, latest_refresh: bool) -> None:
        inc = self.store.incident(item.incident_id)
        if item.kind is OutboxKind.backlog:  # a team's summary, built from the store as it is now
            notifier.announce_backlog(self.backlog(inc.team_id), key=item.key)
            self.store.mark_delivered(item.id, self.clock.now())
            return
        ref = self.store.conversation(inc.id, notifier.kind)
        recorded = ref is not None
        if item.kind is OutboxKind.open:
            if ref is None:  # else an earlier delivery got as far as recording the ref
                ref = notifier.open(self.view(inc), key=item.key)
        elif ref is None:
            raise RuntimeError(f"incident #{inc.id} has no {notifier.kind} conversation yet")
        elif item.kind is OutboxKind.post and item.event_id is not None:
            notifier.post(ref, self.view(inc), self.store.event(item.event_id), key=item.key)
        elif latest_refresh:  # an older refresh is superseded by the newest one
            notifier.refresh(ref, self.view(inc), key=item.key)
        with self.store.transaction():
            if not recorded:  # the incident layer, and only it, records where the conversation lives
                self.store.set_conversation(inc.id, ref.model_copy(update={"kind": notifier.kind}))
            self.store.mark_delivered(item.id, self.clock.now())

    def _give_up(self, notifier: Notifier, item: OutboxItem, why: str) -> None:
        """An undeliverable row: marked so, with an event on the incident (no outbox rows: nothing to retry)."""
        log.warning("outbox %s undeliverable, not retrying: %s", item.key, why)
        with self.store.transaction():
            self.store.mark_undeliverable(item.id, why)
            inc = self.store.incident(item.incident_id)
            self.store.add_event(inc.id, EventKind.updated, self.clock.now(), from_state=inc.state, to_state=inc.state,
                                 reason=f"{notifier.kind} delivery stopped: {why}", data={"undeliverable": item.key})


class BacklogLine(BaseModel):
    incident_id: int
    account_id: str
    check_id: str
    title: str  # failure-phrased where the check declares one
    severity: Severity
    failing: int
    worst: list[str]  # a few failing resource ids


class Backlog(BaseModel):
    """A team's backlog: failures found at first contact that have no thread yet (docs/incidents.md)."""

    team: Team
    lines: list[BacklogLine] = Field(default_factory=list)  # worst first

    @property
    def by_severity(self) -> dict[str, int]:
        return {s.value: n for s in Severity if (n := sum(1 for x in self.lines if x.severity is s))}

    @property
    def resources(self) -> int:
        return sum(x.failing for x in self.lines)


def minutes(td: timedelta) -> str:
    m = int(td.total_seconds() // 60)
    return f"{m // 60} h" if m >= 60 and m % 60 == 0 else f"{m} min"


def _changes(events: Sequence[DriftEvent]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ev in events:
        label = "gone" if ev.gone else {DriftKind.new_failure: "new", DriftKind.evidence_changed: "changed",
                                        DriftKind.recovered: "recovered"}[ev.kind]
        out.setdefault(label, []).append(ev.finding.resource_id)
    return out
