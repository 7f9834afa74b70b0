"""Day one in a real account: first contact is a per-team backlog, later drift opens threads."""
from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from freezegun import freeze_time

from bot.cli import main
from bot.config import IncidentsConfig
from bot.incidents import Incidents
from bot.models import Actor, IncidentState
from bot.notify.recording import RecordingNotifier
from bot.store import Store
from tests.factories import ADMIN, CHECK, MEMBER, METAS, OTHER, OUTSIDER, finding, make_owners, run_of

S = IncidentState
MEDIUM = "s3_bucket_versioning_enabled"  # not in METAS: severity comes from the finding (see factories)


@pytest.fixture
def svc(tmp_path):
    with freeze_time("2024-05-01 12:00:00"):
        yield Incidents(Store(tmp_path / "srm.db"), make_owners(), RecordingNotifier(), lookup=METAS.get,
                        config=IncidentsConfig(baseline_open_at="critical"))


def states(svc: Incidents) -> dict[str, IncidentState]:
    return {i.check_id: i.state for i in svc.store.incidents()}


def test_first_contact_is_a_backlog_with_one_summary_per_team_and_critical_opens_at_once(svc):
    # CHECK is critical (platform), OTHER is low (data team)
    svc.ingest(run_of(finding("pub-1", check=CHECK), finding("u1", check=OTHER), finding("u2", check=OTHER)))
    assert states(svc) == {CHECK: S.open, OTHER: S.backlog}
    rec = svc.notifiers.get("slack")
    assert [c[0] for c in rec.calls].count("open") == 1  # only the critical one has a thread
    assert rec.of("backlog") == ["Data: 1 check(s), 2 resource(s)"]
    [backlog] = svc.backlogs()
    assert backlog.team.id == "data" and backlog.lines[0].worst == ["u1", "u2"] and backlog.by_severity == {"low": 1}
    assert svc.store.pending_outbox() == []


def test_the_same_failures_again_say_nothing_and_new_drift_opens_a_thread(svc):
    svc.ingest(run_of(finding("u1", check=OTHER)))
    rec = svc.notifiers.get("slack")
    before = len(rec.calls)
    svc.ingest(run_of(finding("u1", check=OTHER)))
    assert len(rec.calls) == before  # still the backlog: no thread, no second summary
    svc.ingest(run_of(finding("u1", check=OTHER), finding("u9", check=OTHER)))  # a new failing resource: drift
    assert states(svc) == {OTHER: S.open}
    assert rec.of("open") and any(t.startswith("Opened from the backlog: new failing resource(s): u9")
                                  for t in rec.of("post"))


def test_a_region_seen_before_is_not_first_contact_and_a_new_region_is(svc):
    svc.ingest(run_of(finding("ok", "PASS", check=OTHER)))  # us-east-1 scanned, all passing
    svc.ingest(run_of(finding("u1", check=OTHER)))  # a new failure later in a known region: drift
    assert states(svc) == {OTHER: S.open}
    svc.ingest(run_of(finding("v1", check=MEDIUM, region="eu-west-1")))  # first contact with eu-west-1
    assert states(svc)[MEDIUM] is S.backlog


def test_backlog_items_resolve_quietly_and_are_promoted_only_by_their_team(svc):
    svc.ingest(run_of(finding("u1", check=OTHER), finding("v1", check=MEDIUM)))
    rec = svc.notifiers.get("slack")
    other = svc.store.active_incident("111111111111", OTHER)
    assert not svc.promote(other.id, Actor(id=OUTSIDER)).ok
    results = svc.promote_backlog("data", Actor(id="U0DATA1"), "low")
    assert [r.ok for r in results] == [True] and states(svc)[OTHER] is S.open
    assert svc.promote(other.id, Actor(id=ADMIN)).reason.startswith("the incident is open")
    n = len(rec.calls)
    svc.ingest(run_of(finding("u1", check=OTHER), finding("v1", "PASS", check=MEDIUM)))
    assert states(svc)[MEDIUM] is S.resolved and len(rec.calls) == n  # resolved without a word
    assert MEMBER  # the platform member has no say over the data team's backlog (see authorization tests)


def test_srm_incidents_lists_the_backlog_and_srm_incident_acts_with_the_same_rules(tmp_path, monkeypatch):
    (tmp_path / "owners.yml").write_text(yaml.safe_dump(make_owners().model_dump(exclude_none=True)))
    monkeypatch.setenv("SRM_OWNERS", str(tmp_path / "owners.yml"))
    monkeypatch.delenv("SRM_CONFIG", raising=False)
    db = tmp_path / "srm.db"
    svc = Incidents(Store(db), make_owners(), RecordingNotifier(), lookup=METAS.get)
    svc.ingest(run_of(finding("u1", check=OTHER)))
    svc.store.close()
    runner = CliRunner()
    listed = runner.invoke(main, ["incidents", "--state", "backlog", "--db", str(db)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "backlog" in listed.output and OTHER in listed.output
    refused = runner.invoke(main, ["incident", "promote", "1", "--as", OUTSIDER, "--db", str(db)])
    assert refused.exit_code == 1 and "only members of Data or admins" in refused.output
    done = runner.invoke(main, ["incident", "promote", "1", "--as", "U0DATA1", "--db", str(db)])
    assert done.exit_code == 0, done.output
    acked = runner.invoke(main, ["incident", "ack", "1", "--as", "U0DATA1", "--db", str(db)])
    assert acked.exit_code == 0 and "acknowledged" in acked.output
    store = Store(db)
    try:
        kinds = [(e.kind.value, e.actor, e.allowed) for e in store.events(1)]
    finally:
        store.close()
    assert kinds[1:] == [("promoted", OUTSIDER, False), ("promoted", "U0DATA1", True), ("acknowledge", "U0DATA1", True)]
