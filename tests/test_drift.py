"""drift.plan / drift.diff: what changed between the stored state and a scan."""
from __future__ import annotations

from bot import drift
from bot.models import DriftKind, Key
from checks.base import Finding, Status
from checks.runner import GLOBAL_REGION
from tests.factories import ACCOUNT, CHECK, REGION, finding, run_of, scope_error


def state(*findings: Finding) -> dict[Key, Finding]:
    return {f.key: f for f in findings}


def applied(previous: dict[Key, Finding], plan: drift.DriftPlan) -> dict[Key, Finding]:
    out = dict(previous)
    out.update({f.key: f for f in plan.upserts})
    for k in plan.deletes:
        out.pop(k)
    return out


def kinds(events) -> list[tuple[str, str]]:
    return [(e.kind.value, e.finding.resource_id) for e in events]


def test_first_scan_reports_only_failures():
    events = drift.diff({}, run_of(finding("a"), finding("b", "PASS")))
    assert kinds(events) == [("new_failure", "a")]


def test_pass_to_fail_fail_to_pass_and_changed_evidence():
    prev = state(finding("a", "PASS"), finding("b"), finding("c"), finding("d"))
    run = run_of(finding("a"), finding("b", "PASS"), finding("c"), finding("d", evidence={"public": "very"}))
    events = drift.diff(prev, run)
    assert kinds(events) == [("new_failure", "a"), ("recovered", "b"), ("evidence_changed", "d")]
    changed = events[2]
    assert changed.previous_fingerprint == prev[finding("d").key].fingerprint != changed.finding.fingerprint


def test_same_scan_twice_yields_nothing_the_second_time():
    run = run_of(finding("a"), finding("b", "PASS"))
    first = drift.plan({}, run)
    assert drift.diff(applied({}, first), run) == []


def test_an_errored_scope_changes_nothing():
    prev = state(finding("a"), finding("b", "PASS"))
    p = drift.plan(prev, run_of(scope_error()))
    assert p.events == [] and p.upserts == [] and p.deletes == []


def test_a_resource_level_error_keeps_that_resource_and_blocks_deletion_in_its_scope():
    prev = state(finding("a"), finding("b"))
    err = finding("a", "FAIL").model_copy(update={"status": Status.ERROR})
    p = drift.plan(prev, run_of(err, covered=[(ACCOUNT, REGION, CHECK)]))
    assert p.events == [] and p.deletes == [] and p.upserts == []


def test_a_scope_the_run_did_not_cover_is_left_alone():
    prev = state(finding("eu", region="eu-west-1"), finding("other", check="iam_user_mfa_enabled"))
    p = drift.plan(prev, run_of(finding("a", "PASS")))
    assert p.events == [] and p.deletes == []


def test_a_failing_resource_gone_from_a_clean_scope_recovered_as_deleted():
    prev = state(finding("gone"), finding("gone-pass", "PASS"), finding("kept"))
    p = drift.plan(prev, run_of(finding("kept")))
    assert kinds(p.events) == [("recovered", "gone")]
    assert p.events[0].gone is True and p.events[0].finding.status is Status.FAIL
    assert sorted(k[3] for k in p.deletes) == ["gone", "gone-pass"]


def test_an_empty_clean_scope_recovers_everything_in_it():
    prev = state(finding("a"), finding("b", region="eu-west-1"))
    p = drift.plan(prev, run_of(covered=[(ACCOUNT, REGION, CHECK)]))
    assert kinds(p.events) == [("recovered", "a")]  # eu-west-1 was not covered


def test_account_wide_checks_match_their_findings_to_the_global_scope():
    wide = [(ACCOUNT, GLOBAL_REGION, CHECK)]
    prev = state(finding("in-eu", region="eu-west-1"), finding("in-us"))
    # covered cleanly: the bucket listed under its own region is gone -> recovered
    p = drift.plan(prev, run_of(finding("in-us"), covered=wide))
    assert kinds(p.events) == [("recovered", "in-eu")]
    # the account-wide scope errored: nothing is taken for deleted
    p = drift.plan(prev, run_of(scope_error(region=GLOBAL_REGION), covered=wide))
    assert p.events == [] and p.deletes == []


def test_events_carry_the_incident_pair_and_key():
    [ev] = drift.diff({}, run_of(finding("a", account="222222222222")))
    assert ev.kind is DriftKind.new_failure
    assert ev.pair == ("222222222222", CHECK)
    assert ev.key == ("222222222222", REGION, CHECK, "a")
