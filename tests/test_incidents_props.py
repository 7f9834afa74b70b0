"""Property test: any sequence of scans, actions, time passing and flaky notifiers keeps
the incident invariants."""
from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from bot.incidents import Incidents
from bot.models import Actor, EventKind, IncidentState
from bot.notify.recording import RecordingNotifier
from bot.store import Store
from tests.factories import (
    ADMIN,
    CHECK,
    LEAD,
    MEMBER,
    METAS,
    NO_BASELINE,
    OTHER,
    OUTSIDER,
    REGION,
    finding,
    make_owners,
    run_of,
    scope_error,
)

S = IncidentState
ACCOUNTS = ("111111111111", "222222222222")
PAIRS = [(ACCOUNTS[0], CHECK), (ACCOUNTS[0], OTHER), (ACCOUNTS[1], CHECK)]
RESOURCES = ("r1", "r2")

# per covered scope: None = the check errored; else per resource PASS/FAIL (with an evidence variant) or absent
resource_state = st.sampled_from([None, ("PASS", 0), ("FAIL", 0), ("FAIL", 1)])
scope_result = st.one_of(st.none(), st.tuples(*[resource_state for _ in RESOURCES]))
scan_plan = st.dictionaries(st.sampled_from(PAIRS), scope_result, max_size=len(PAIRS))


class ManualClock:
    def __init__(self) -> None:
        self.t = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.t


class FlakyRecorder(RecordingNotifier):
    """Fails the next call when told to; never repeats a key (the recorder asserts that)."""

    fail_next = False

    def _check(self, key: str) -> None:
        assert key not in {k for _, k, _, _ in self.calls}, f"{key} delivered twice"
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("slack is down")

    def open(self, view, *, key):
        self._check(key)
        return super().open(view, key=key)

    def post(self, ref, view, event, *, key):
        self._check(key)
        super().post(ref, view, event, key=key)

    def refresh(self, ref, view, *, key):
        self._check(key)
        super().refresh(ref, view, key=key)


class IncidentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="srm-props-"))
        self.clock = ManualClock()
        self.notifier = FlakyRecorder()
        self.svc = Incidents(Store(self.dir / "srm.db", clock=self.clock), make_owners(), self.notifier,
                             lookup=METAS.get, clock=self.clock, config=NO_BASELINE)
        self.last_run = None

    def teardown(self) -> None:
        self.notifier.fail_next = False  # Slack is back: everything still pending goes out, once
        self.svc.deliver()
        assert self.svc.store.pending_outbox() == []
        self.svc.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- rules ---------------------------------------------------------------------------
    @rule(plan=scan_plan)
    def scan(self, plan):
        findings, covered = [], []
        for (account, check), result in plan.items():
            covered.append((account, REGION, check))
            if result is None:
                findings.append(scope_error(check=check, account=account))
                continue
            for rid, rs in zip(RESOURCES, result):
                if rs is not None:
                    findings.append(finding(rid, rs[0], check=check, account=account, evidence={"v": rs[1]}))
        self.last_run = run_of(*findings, covered=covered, started_at=self.clock.now().timestamp())
        self.svc.ingest(self.last_run)

    @rule()
    def rescan_the_same_run(self):
        if self.last_run is None:
            return
        events = self._event_count()
        out = self.svc.ingest(self.last_run)
        assert out.events == [] and out.drift == [] and self._event_count() == events

    @rule(action=st.sampled_from(["ack", "snooze", "accept"]), who=st.sampled_from([ADMIN, MEMBER, ADMIN,
          LEAD, OUTSIDER, "U0DATA1"]), incident=st.integers(1, 4), hours=st.sampled_from([1, 30, 200, -1]))
    def act(self, action, who, incident, hours):
        events = self._event_count()
        actor, when = Actor(id=who), self.clock.now() + timedelta(hours=hours)
        if action == "ack":
            res = self.svc.acknowledge(incident, actor)
        elif action == "snooze":
            res = self.svc.snooze(incident, actor, when)
        else:
            res = self.svc.accept_risk(incident, actor, "accepted in a test", when)
        exists = incident <= len(self.svc.store.incidents())
        assert self._event_count() == events + (1 if exists else 0)  # every attempt is one event
        if res.ok:
            assert res.event.allowed and res.event.actor == who

    @rule(minutes=st.sampled_from([1, 14, 60, 240, 1500, 60 * 24 * 8]))
    def time_passes(self, minutes):
        self.clock.t += timedelta(minutes=minutes)
        self.svc.sweep()

    @rule()
    def notifier_fails_next_call(self):
        self.notifier.fail_next = True

    # -- invariants ----------------------------------------------------------------------
    def _event_count(self) -> int:
        return sum(len(self.svc.timeline(i.id)) for i in self.svc.store.incidents())

    @invariant()
    def at_most_one_active_incident_per_account_and_check(self):
        active = Counter((i.account_id, i.check_id) for i in self.svc.store.incidents() if i.state.active)
        assert all(n == 1 for n in active.values()), active

    @invariant()
    def every_state_change_has_an_event(self):
        for inc in self.svc.store.incidents():
            events = self.svc.timeline(inc.id)
            assert events[0].kind is EventKind.opened and events[0].from_state is None
            state = events[0].to_state
            for e in events[1:]:
                assert e.from_state == state, (inc.id, e)
                assert e.allowed or not e.changes_state
                state = e.to_state
            assert state == inc.state

    @invariant()
    def incidents_match_the_failing_resources(self):
        now = self.clock.now()
        for account, check in PAIRS:
            failing = self.svc.store.failing(account, check)
            inc = self.svc.store.active_incident(account, check)
            assert (inc is not None) == bool(failing), (account, check, failing)  # resolved => nothing failing
            if inc is not None:
                excepted = {e.key for e in self.svc.store.active_exceptions(account, check, now)}
                all_accepted = all(f.key in excepted for f in failing)
                assert (inc.state is S.risk_accepted) == all_accepted, (inc, failing, excepted)
                assert inc.state is S.open or inc.next_escalation_at is None


TestIncidentInvariants = IncidentMachine.TestCase
TestIncidentInvariants.settings = settings(max_examples=100, stateful_step_count=20, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
