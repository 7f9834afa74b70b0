"""Incident lifecycle against a real SQLite file, a recording notifier and frozen time."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from bot.config import IncidentsConfig
from bot.incidents import Incidents
from bot.models import Actor, EventKind, IncidentState
from bot.notify.recording import RecordingNotifier
from bot.slack.blocks_incident import incident_root
from bot.store import Store
from checks.base import Severity
from tests.factories import (
    ACCOUNT,
    ADMIN,
    CHECK,
    ESC,
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
@pytest.fixture
def frozen():
    with freeze_time("2024-05-01 12:00:00", tz_offset=0) as f:
        yield f


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def svc(tmp_path, frozen, notifier):
    return Incidents(Store(tmp_path / "srm.db"), make_owners(), notifier, lookup=METAS.get, config=NO_BASELINE)


def only_incident(svc: Incidents):
    [inc] = svc.store.incidents()
    return inc


def kinds(svc: Incidents, incident_id: int) -> list[str]:
    return [e.kind.value + ("" if e.allowed else ":refused") for e in svc.timeline(incident_id)]


# -- opening, routing, updates -------------------------------------------------------
def test_a_failing_check_opens_one_incident_listing_its_resources(svc, notifier):
    out = svc.ingest(run_of(finding("a"), finding("b", region="eu-west-1"), finding("c", "PASS"),
                            covered=[(ACCOUNT, REGION, CHECK), (ACCOUNT, "eu-west-1", CHECK)]))
    inc = only_incident(svc)
    assert (inc.account_id, inc.check_id, inc.state) == (ACCOUNT, CHECK, S.open)
    assert inc.severity is Severity.critical  # from the check, not the findings (high)
    assert inc.title == METAS[CHECK].title and inc.team_id == "platform"
    assert [(r.finding.region, r.finding.resource_id) for r in svc.view(inc).resources] == [
        ("eu-west-1", "b"), (REGION, "a")]
    assert [e.kind for e in out.events] == [EventKind.opened] and out.delivered == 1
    assert notifier.of("open") and notifier.of("post") == []  # the root message says it all
    assert svc.store.conversation(inc.id, "slack") is not None


def test_incidents_are_per_account_and_check(svc):
    svc.ingest(run_of(finding("a"), finding("b", account="222222222222"), finding("u", check=OTHER)))
    pairs = sorted((i.account_id, i.check_id, i.team_id) for i in svc.store.incidents())
    assert pairs == [(ACCOUNT, OTHER, "data"), (ACCOUNT, CHECK, "platform"), ("222222222222", CHECK, "platform")]


@pytest.mark.parametrize("tags, aspect_check, team", [
    ({"team": "data"}, CHECK, "data"),                 # a tag naming a team wins
    ({"Owner": "Security"}, CHECK, "security"),        # by name, any key case
    ({"team": "nobody"}, CHECK, "platform"),           # unknown tag: the aspect's team
    ({}, "ec2_unknown_thing_check", "security"),       # unknown check/aspect: the default team
])
def test_owner_routing(svc, tags, aspect_check, team):
    svc.ingest(run_of(finding("a", check=aspect_check, tags=tags)))
    assert only_incident(svc).team_id == team


def test_the_most_common_owner_tag_wins(svc):
    svc.ingest(run_of(finding("a", tags={"team": "data"}), finding("b", tags={"team": "security"}),
                      finding("c", tags={"team": "security"}), finding("d")))
    assert only_incident(svc).team_id == "security"


def test_new_resources_and_changed_evidence_update_the_thread(svc, notifier):
    svc.ingest(run_of(finding("a")))
    svc.ingest(run_of(finding("a", evidence={"public": "by policy"}), finding("b")))
    inc = only_incident(svc)
    [upd] = [e for e in svc.timeline(inc.id) if e.kind is EventKind.updated]
    assert upd.data == {"changed": ["a"], "new": ["b"]} and not upd.changes_state
    assert notifier.of("post") == ["Updated: now failing: b; evidence changed: a"]


def test_the_same_scan_twice_adds_no_event_and_no_post(svc, notifier):
    run = run_of(finding("a"), finding("b"))
    svc.ingest(run)
    before = (len(svc.timeline(1)), list(notifier.calls))
    again = svc.ingest(run)
    assert again.events == [] and again.drift == [] and again.delivered == 0
    assert (len(svc.timeline(1)), notifier.calls) == before


# -- resolution and reopening ---------------------------------------------------------
def test_resolves_when_every_resource_passes_in_a_covering_scan(svc, notifier):
    svc.ingest(run_of(finding("a"), finding("b")))
    svc.ingest(run_of(finding("a", "PASS"), finding("b")))
    assert only_incident(svc).state is S.open
    svc.ingest(run_of(finding("a", "PASS"), finding("b", "PASS")))
    inc = only_incident(svc)
    assert inc.state is S.resolved and inc.resolved_at is not None
    assert svc.view(inc).resources == []
    assert kinds(svc, inc.id) == ["opened", "updated", "resolved"]
    assert notifier.of("post")[-1] == "Resolved: every resource passes"


def test_errors_and_uncovered_scopes_resolve_nothing(svc):
    svc.ingest(run_of(finding("a")))
    svc.ingest(run_of(scope_error()))                                   # AccessDenied this time
    svc.ingest(run_of(finding("x", "PASS", region="eu-west-1")))        # another region only
    svc.ingest(run_of(finding("u", "PASS", check=OTHER)))               # another check only
    inc = only_incident(svc)
    assert inc.state is S.open and kinds(svc, inc.id) == ["opened"]


def test_a_deleted_resource_counts_as_recovered(svc, notifier):
    svc.ingest(run_of(finding("a")))
    svc.ingest(run_of(covered=[(ACCOUNT, REGION, CHECK)]))  # covered cleanly, bucket gone
    inc = only_incident(svc)
    assert inc.state is S.resolved
    assert svc.timeline(inc.id)[-1].data == {"gone": ["a"]}


def test_failing_again_soon_after_resolution_reopens_the_same_incident(svc, frozen, notifier):
    svc.ingest(run_of(finding("a")))
    svc.acknowledge(1, Actor(id=MEMBER))
    svc.ingest(run_of(finding("a", "PASS")))
    frozen.tick(timedelta(days=6))
    svc.ingest(run_of(finding("a")))
    inc = only_incident(svc)
    assert (inc.id, inc.state, inc.reopen_count, inc.acknowledged_by) == (1, S.open, 1, None)
    reopened = svc.timeline(1)[-1]
    assert (reopened.kind, reopened.from_state, reopened.to_state) == (EventKind.reopened, S.resolved, S.open)
    assert len(notifier.of("open")) == 1 and notifier.of("post")[-1].startswith("Reopened")


def test_failing_again_long_after_resolution_opens_a_new_incident(svc, frozen):
    svc.ingest(run_of(finding("a")))
    svc.ingest(run_of(finding("a", "PASS")))
    frozen.tick(timedelta(days=8))
    svc.ingest(run_of(finding("a")))
    assert [(i.id, i.state) for i in svc.store.incidents()] == [(1, S.resolved), (2, S.open)]


# -- authorization ---------------------------------------------------------------------
def test_acknowledge_by_the_team_or_admins_only_and_every_attempt_is_an_event(svc, notifier):
    svc.ingest(run_of(finding("a")))
    no = svc.acknowledge(1, Actor(id=OUTSIDER))
    assert not no.ok and no.reason == "only members of Platform or admins can acknowledge this incident"
    assert no.incident.state is S.open and notifier.of("post") == []  # refusals are not posted
    yes = svc.acknowledge(1, Actor(id=MEMBER))
    assert yes.ok and yes.incident.state is S.acknowledged and yes.incident.acknowledged_by == MEMBER
    twice = svc.acknowledge(1, Actor(id=ADMIN))
    assert not twice.ok and "already acknowledged" in twice.reason
    assert kinds(svc, 1) == ["opened", "acknowledge:refused", "acknowledge", "acknowledge:refused"]
    assert [e.actor for e in svc.timeline(1)[1:]] == [OUTSIDER, MEMBER, ADMIN]
    assert notifier.of("post") == [f"Acknowledged by @{MEMBER}"]
    assert not svc.acknowledge(99, Actor(id=ADMIN)).ok


def test_reassign_moves_the_incident_and_the_new_team_may_then_act(svc, notifier):
    svc.ingest(run_of(finding("a")))
    assert not svc.reassign(1, Actor(id=OUTSIDER), "data").ok  # only the assigned team (or admins)
    assert "no team 'nope'" in svc.reassign(1, Actor(id=MEMBER), "nope").reason
    moved = svc.reassign(1, Actor(id=MEMBER), "data")
    assert moved.ok and moved.incident.team_id == "data"
    assert notifier.of("post") == [f"Reassigned by @{MEMBER} from Platform to Data"]
    assert not svc.acknowledge(1, Actor(id=MEMBER)).ok  # platform no longer owns it
    assert svc.acknowledge(1, Actor(id="U0DATA1")).ok
    assert kinds(svc, 1) == ["opened", "reassign:refused", "reassign:refused", "reassign", "acknowledge:refused",
                             "acknowledge"]


def test_every_registry_action_has_its_domain_method_event_kind_and_text(svc):
    from bot.actions import ACTIONS
    from bot.models import Event
    from bot.notify.text import event_text

    for spec in ACTIONS:
        assert callable(getattr(svc, spec.method)), spec.id
        line = event_text(Event(id=1, incident_id=1, at=datetime(2024, 5, 1, tzinfo=timezone.utc), kind=spec.event,
                                actor=MEMBER))
        assert line.startswith(("Acknowledged", "Snoozed", "Reassigned", "Risk accepted", "Re-check", "Opened")), line


@pytest.mark.parametrize("who, leads_can, ok", [
    (ADMIN, False, True), (MEMBER, False, False), (LEAD, False, False), (LEAD, True, True), (MEMBER, True, False),
])
def test_who_may_accept_risk(tmp_path, frozen, who, leads_can, ok):
    svc = Incidents(Store(tmp_path / "srm.db"), make_owners(leads_can_accept_risk=leads_can),
                    RecordingNotifier(), lookup=METAS.get, config=NO_BASELINE)
    svc.ingest(run_of(finding("a")))
    res = svc.accept_risk(1, Actor(id=who), "legacy bucket, public by design", svc.clock.now() + timedelta(days=30))
    assert res.ok is ok
    assert res.incident.state is (S.risk_accepted if ok else S.open)
    assert svc.timeline(1)[-1].allowed is ok and svc.timeline(1)[-1].kind is EventKind.accept_risk


def test_accept_risk_needs_a_justification_and_a_future_expiry(svc):
    svc.ingest(run_of(finding("a")))
    now = svc.clock.now()
    assert svc.accept_risk(1, Actor(id=ADMIN), "  ", now + timedelta(days=1)).reason == "a justification is required"
    assert "future" in svc.accept_risk(1, Actor(id=ADMIN), "ok", now).reason
    assert "future" in svc.snooze(1, Actor(id=MEMBER), now - timedelta(hours=1)).reason
    assert only_incident(svc).state is S.open


# -- snooze, escalation, risk exceptions (frozen time) ------------------------------------
def test_escalates_once_per_level_when_not_acknowledged_within_the_sla(svc, frozen, notifier):
    svc.ingest(run_of(finding("a")))  # critical: 15 minutes
    frozen.tick(timedelta(minutes=14))
    assert svc.sweep() == []
    frozen.tick(timedelta(minutes=1))
    [e1] = svc.sweep()
    assert (e1.kind, e1.data) == (EventKind.escalated, {"level": 1, "to": [ESC]})
    assert svc.sweep() == []  # once per level
    frozen.tick(timedelta(minutes=15))
    [e2] = svc.sweep()
    assert e2.data == {"level": 2, "to": [ESC, ADMIN]}
    frozen.tick(timedelta(hours=5))
    assert svc.sweep() == []  # no level 3
    assert only_incident(svc).escalation_level == 2
    assert notifier.of("post")[0] == f"Escalated (level 1) to @{ESC}: not acknowledged within 15 min"


def test_acknowledging_stops_escalation_and_the_sla_is_configurable(tmp_path, frozen):
    cfg = IncidentsConfig(sla_minutes={"critical": 5}, baseline=False)
    svc = Incidents(Store(tmp_path / "srm.db"), make_owners(), RecordingNotifier(), lookup=METAS.get, config=cfg)
    svc.ingest(run_of(finding("a"), finding("u", check=OTHER)))  # critical (5 min), low (default 24 h)
    crit, low = (svc.store.active_incident(ACCOUNT, c).id for c in (CHECK, OTHER))
    frozen.tick(timedelta(minutes=5))
    assert [(e.incident_id, e.data["level"]) for e in svc.sweep()] == [(crit, 1)]
    svc.acknowledge(crit, Actor(id=MEMBER))
    frozen.tick(timedelta(hours=23))
    assert svc.sweep() == []
    frozen.tick(timedelta(hours=1))
    assert [(e.incident_id, e.kind) for e in svc.sweep()] == [(low, EventKind.escalated)]


def test_snooze_silences_updates_and_escalation_until_it_ends(svc, frozen, notifier):
    svc.ingest(run_of(finding("a")))
    until = svc.clock.now() + timedelta(hours=2)
    assert svc.snooze(1, Actor(id=LEAD), until).ok
    posts = len(notifier.of("post"))
    svc.ingest(run_of(finding("a"), finding("b")))
    frozen.tick(timedelta(hours=1))
    assert svc.sweep() == []  # past the SLA, but snoozed
    assert len(notifier.of("post")) == posts  # the update was recorded, not posted
    assert kinds(svc, 1)[-1] == "updated" and only_incident(svc).state is S.open
    frozen.tick(timedelta(hours=1))
    [ended] = svc.sweep()
    assert ended.kind is EventKind.snooze_expired and only_incident(svc).snoozed_until is None
    assert notifier.of("post")[-1] == "Snooze ended"
    frozen.tick(timedelta(minutes=15))  # the SLA restarts when the snooze ends
    assert [e.kind for e in svc.sweep()] == [EventKind.escalated]


def test_accepted_risk_suppresses_until_expiry_then_the_incident_reopens(svc, frozen, notifier):
    svc.ingest(run_of(finding("a")))
    expires = svc.clock.now() + timedelta(days=3)
    assert svc.accept_risk(1, Actor(id=ADMIN), "public website bucket", expires).ok
    [exc] = svc.store.active_exceptions(ACCOUNT, CHECK, svc.clock.now())
    assert (exc.resource_id, exc.accepted_by, exc.expires_at) == ("a", ADMIN, expires)
    svc.ingest(run_of(finding("a", evidence={"public": "more"})))  # drift on an accepted resource
    inc = only_incident(svc)
    assert inc.state is S.risk_accepted
    frozen.tick(timedelta(minutes=30))
    assert svc.sweep() == []  # no escalation while risk is accepted
    assert svc.view(inc).resources[0].excepted_until == expires
    frozen.tick(timedelta(days=3))
    events = svc.sweep()
    assert [(e.kind, e.to_state) for e in events] == [(EventKind.exception_expired, S.risk_accepted),
                                                      (EventKind.reopened, S.open)]
    assert "the accepted risk on a expired" in events[1].reason
    assert svc.store.active_exceptions(ACCOUNT, CHECK, svc.clock.now()) == []
    assert svc.sweep() == []


def test_a_new_failing_resource_reopens_a_risk_accepted_incident(svc):
    svc.ingest(run_of(finding("a")))
    svc.accept_risk(1, Actor(id=ADMIN), "known", svc.clock.now() + timedelta(days=3))
    svc.ingest(run_of(finding("a"), finding("b")))
    inc = only_incident(svc)
    assert inc.state is S.open and inc.next_escalation_at is not None
    assert svc.timeline(1)[-1].data == {"new": ["b"]}
    svc.ingest(run_of(finding("a"), finding("b", "PASS")))  # only the accepted one is left
    assert only_incident(svc).state is S.risk_accepted


# -- crashes and restarts ---------------------------------------------------------------
class FlakyNotifier(RecordingNotifier):
    """Raises once, on the first call of ``method``."""

    def __init__(self, method: str, exc: type[BaseException] = RuntimeError):
        super().__init__()
        self.fail, self.exc = method, exc

    def _maybe_fail(self, method: str) -> None:
        if self.fail == method:
            self.fail = ""
            raise self.exc(f"{method} failed")

    def open(self, view, *, key):
        self._maybe_fail("open")
        return super().open(view, key=key)

    def post(self, ref, view, event, *, key):
        self._maybe_fail("post")
        super().post(ref, view, event, key=key)


def test_a_failed_post_is_delivered_on_the_rerun_exactly_once(tmp_path, frozen):
    notifier = FlakyNotifier("post")
    svc = Incidents(Store(tmp_path / "srm.db"), make_owners(), notifier, lookup=METAS.get, config=NO_BASELINE)
    svc.ingest(run_of(finding("a")))
    run2 = run_of(finding("a"), finding("b"))
    svc.ingest(run2)  # the "updated" post fails; its refresh waits behind it
    [pending, waiting] = svc.store.pending_outbox()
    assert pending.attempts == 1 and "post failed" in pending.last_error and waiting.kind.value == "refresh"
    events = len(svc.timeline(1))
    svc.ingest(run2)  # the rerun: no new events, the post goes out once
    assert len(svc.timeline(1)) == events and svc.store.pending_outbox() == []
    keys = [k for _, k, _, _ in notifier.calls]
    assert len(keys) == len(set(keys)) and notifier.of("post") == ["Updated: now failing: b"]


def test_a_crash_while_notifying_then_a_restart_loses_and_duplicates_nothing(tmp_path, frozen):
    class Crash(BaseException):
        """Stands for the process dying."""

    notifier = FlakyNotifier("open", exc=Crash)
    db = tmp_path / "srm.db"
    run = run_of(finding("a"), finding("u", check=OTHER))
    with pytest.raises(Crash):
        Incidents(Store(db), make_owners(), notifier, lookup=METAS.get, config=NO_BASELINE).ingest(run)
    restarted = Incidents(Store(db), make_owners(), notifier, lookup=METAS.get, config=NO_BASELINE)
    restarted.ingest(run)
    assert sorted((i.check_id, restarted.store.conversation(i.id, "slack") is not None) for i in restarted.store.incidents()) == [
        (OTHER, True), (CHECK, True)]
    assert len(notifier.of("open")) == 2
    assert [kinds(restarted, i) for i in (1, 2)] == [["opened"], ["opened"]]


def test_a_crash_in_the_middle_of_processing_rolls_back_and_the_rerun_is_complete(tmp_path, frozen):
    def broken(check_id):
        if check_id == CHECK:  # pairs are processed in order: OTHER's incident exists by now
            raise RuntimeError("crash while processing the second incident")
        return METAS.get(check_id)

    db, notifier = tmp_path / "srm.db", RecordingNotifier()
    run = run_of(finding("a"), finding("u", check=OTHER))
    with pytest.raises(RuntimeError):
        Incidents(Store(db), make_owners(), notifier, lookup=broken, config=NO_BASELINE).ingest(run)
    store = Store(db)
    assert store.incidents() == [] and store.load_state() == {} and notifier.calls == []
    svc = Incidents(store, make_owners(), notifier, lookup=METAS.get, config=NO_BASELINE)
    svc.ingest(run)
    svc.ingest(run)
    assert sorted((i.check_id, kinds(svc, i.id)) for i in store.incidents()) == [
        (OTHER, ["opened"]), (CHECK, ["opened"])]
    assert len(notifier.calls) == 2


def test_two_processes_delivering_one_outbox_post_each_message_once(tmp_path):
    """`srm serve` and `srm schedule run` share a database: a row leased by one is left alone by the other."""
    import threading
    import time

    class Slow(RecordingNotifier):
        def open(self, view, *, key):  # noqa: ANN001, ANN201
            time.sleep(0.2)  # a Slack call in flight
            return super().open(view, key=key)

    path = tmp_path / "shared.db"
    scanner = Incidents(Store(path), make_owners(), RecordingNotifier(), lookup=METAS.get, config=NO_BASELINE)
    scanner.deliver = lambda: 0  # the scan commits its outbox rows; the two processes below deliver them
    scanner.ingest(run_of(finding("bucket-a"), finding("user-u", check=OTHER)))
    assert len(Store(path).pending_outbox()) == 2
    first = Incidents(Store(path), make_owners(), Slow(), lookup=METAS.get, config=NO_BASELINE)
    second = Incidents(Store(path), make_owners(), Slow(), lookup=METAS.get, config=NO_BASELINE)
    threads = [threading.Thread(target=svc.deliver) for svc in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    opens = [c for svc in (first, second) for c in svc.notifiers.get("slack").calls if c[0] == "open"]
    assert sorted(c[2] for c in opens) == [1, 2] and Store(path).pending_outbox() == []  # each once


def test_a_lease_left_by_a_crashed_process_expires(tmp_path, frozen):
    from bot.incidents import OUTBOX_LEASE

    store = Store(tmp_path / "srm.db")
    crashed = Incidents(store, make_owners(), RecordingNotifier(), lookup=METAS.get, config=NO_BASELINE)
    crashed.deliver = lambda: 0  # it committed the scan, took the lease, and died before posting
    crashed.ingest(run_of(finding("bucket-a")))
    [row] = store.pending_outbox()
    now = crashed.clock.now()
    assert store.lease_outbox(row.id, now, now + OUTBOX_LEASE)
    bot = Incidents(store, make_owners(), RecordingNotifier(), lookup=METAS.get, config=NO_BASELINE)
    assert bot.deliver() == 0 and bot.notifiers.get("slack").calls == []  # leased: not ours to post yet
    frozen.tick(OUTBOX_LEASE + timedelta(seconds=1))
    assert bot.deliver() == 1 and [c[0] for c in bot.notifiers.get("slack").calls] == ["open"]


def test_a_resolved_root_keeps_the_region_it_was_about(svc):
    svc.ingest(run_of(finding("a")))
    svc.ingest(run_of(finding("a", "PASS")))
    inc = only_incident(svc)
    assert inc.state is S.resolved
    view = svc.view(inc)
    assert view.resources == [] and view.regions == [REGION]
    root = incident_root(view, now=svc.clock.now())
    assert f"`{ACCOUNT}` · {REGION}" in json.dumps(root, ensure_ascii=False)
