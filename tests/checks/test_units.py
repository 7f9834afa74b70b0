"""Units: planned per (account, region, service), streamed, released when done, and stopped when out of time."""
from __future__ import annotations

import gc
import threading
import time
import weakref

import boto3

from checks.base import Check, CheckMeta, Severity, Status
from checks.executors import LocalExecutor, ScanJob
from checks.runner import GLOBAL_REGION, Limits, Target, plan_units, run, run_units
from checks.units import Unit, UnitResult
from tests.checks.conftest import ACCOUNT_ID, REGION

OTHER = "111122223333"


def check(cid, fn, *, service="test", scope="region") -> Check:
    meta = CheckMeta(id=cid, title=cid, service=service, aspect="iam", severity=Severity.high, scope=scope,
                     remediation="n/a", iam_actions=[], resource_type="AWS::Test::Thing")
    return Check(meta, fn)


def passes(scope):
    yield scope.passed("thing", "fine")


def test_units_are_one_per_account_region_and_service_in_account_order(aws):
    checks = [check("test_check_a", passes, service="s3", scope="account"),
              check("test_check_b", passes, service="ec2"), check("test_check_c", passes, service="ec2")]
    targets = [Target("a", ACCOUNT_ID, aws, [REGION, "eu-west-1"]), Target("b", OTHER, aws, [REGION])]
    units = plan_units(checks, targets)
    assert [u.key for u in units] == [f"{ACCOUNT_ID}/{REGION}/ec2", f"{ACCOUNT_ID}/{REGION}/s3",
                                      f"{ACCOUNT_ID}/eu-west-1/ec2", f"{OTHER}/{REGION}/ec2", f"{OTHER}/{REGION}/s3"]
    assert units[0].checks == (("test_check_b", REGION), ("test_check_c", REGION))
    assert units[1].checks == (("test_check_a", GLOBAL_REGION),)


def test_results_stream_per_unit_and_skipped_units_are_not_run(aws):
    ran = []

    def record(scope):
        ran.append((scope.account_id, scope.region))
        yield scope.passed("thing", "fine")

    targets = [Target("a", ACCOUNT_ID, aws, [REGION, "eu-west-1"])]
    got = []
    tally = run_units([check("test_check_rec", record)], targets, got.append, skip={f"{ACCOUNT_ID}/{REGION}/test"})
    assert [r.key for r in got] == [f"{ACCOUNT_ID}/eu-west-1/test"] and ran == [(ACCOUNT_ID, "eu-west-1")]
    assert [f.status for f in got[0].findings] == [Status.PASS] and tally.units == 1


def test_sessions_open_per_account_when_needed_and_everything_is_released(aws):
    opened: list[str] = []
    sessions: list[weakref.ref] = []
    inventories: list[weakref.ref] = []
    lock = threading.Lock()

    def connect(account):
        def open_():
            with lock:
                opened.append(account)
            s = boto3.Session(region_name=REGION)
            sessions.append(weakref.ref(s))
            return s
        return open_

    def keep(scope):
        with lock:
            inventories.append(weakref.ref(scope.inv))
        scope.inv.client("sts").get_caller_identity()
        yield scope.passed("thing", "fine")

    accounts = [f"{i:012d}" for i in range(1, 7)]
    targets = [Target(f"t{a}", a, None, [REGION, "eu-west-1"], connect=connect(a)) for a in accounts]
    checks = [check("test_check_one", keep, service="one"), check("test_check_two", keep, service="two")]
    result = run(checks, targets, max_workers=2)

    assert sorted(opened) == accounts  # one connect per account, however many units it has
    assert result.summary.units == 24 and result.summary.api_calls == {"sts.GetCallerIdentity": 24}
    gc.collect()
    assert all(ref() is None for ref in inventories + sessions)  # nothing of a finished unit is held


def test_a_check_past_its_time_is_an_error_and_the_next_check_still_runs(aws):
    def slow(scope):
        while True:  # e.g. paging through 100k log groups
            scope.inv.client("sts").get_caller_identity()
            time.sleep(0.02)

    checks = [check("test_a_slow", slow), check("test_b_fine", passes)]
    result = run(checks, [Target("a", ACCOUNT_ID, aws, [REGION])], limits=Limits(check_timeout_s=0.3))
    by = {f.check_id: f for f in result.findings}
    assert (by["test_a_slow"].status, by["test_a_slow"].error_code) == (Status.ERROR, "Timeout")
    assert "check test_a_slow took longer than 0.3 s" in by["test_a_slow"].reason
    assert by["test_b_fine"].status is Status.PASS
    assert result.summary.units_timed_out == 1


def test_a_unit_past_its_time_reports_its_remaining_checks_as_errors(aws):
    def slow(scope):
        for _ in range(100):
            scope.inv.client("sts").get_caller_identity()
            time.sleep(0.02)
        yield scope.passed("never", "reached")

    checks = [check("test_a_slow", slow), check("test_b_after", passes)]
    result = run(checks, [Target("a", ACCOUNT_ID, aws, [REGION])], limits=Limits(unit_timeout_s=0.3))
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        ("test_a_slow", Status.ERROR, "Timeout"), ("test_b_after", Status.ERROR, "Timeout")}


def test_a_unit_stuck_outside_aws_calls_is_given_up_and_the_scan_finishes(aws):
    release = threading.Event()

    def stuck(scope):
        release.wait(20)  # no API call: the deadline cannot interrupt it
        yield scope.passed("late", "too late")

    checks = [check("test_check_stuck", stuck, service="stuck"), check("test_check_fine", passes, service="fine")]
    t0 = time.monotonic()
    try:
        result = run(checks, [Target("a", ACCOUNT_ID, aws, [REGION])], executor=LocalExecutor(2),
                     limits=Limits(unit_timeout_s=0.3, grace=2))
    finally:
        release.set()
    assert time.monotonic() - t0 < 5
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        ("test_check_stuck", Status.ERROR, "Timeout"), ("test_check_fine", Status.PASS, None)}


def test_the_pool_keeps_units_running_while_the_caller_works_on_a_result():
    """The caller's work per result (findings, drift, incidents) must not leave the pool's slots empty."""
    lock, running, peak, started = threading.Lock(), [0], [0], []

    class Recording(LocalExecutor):
        def _work(self, unit, job, leases, started_at):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                started.append(unit.key)
            time.sleep(0.01)
            with lock:
                running[0] -= 1
            return UnitResult(key=unit.key, account_id=unit.account_id, region=unit.region, service=unit.service)

    units = [Unit(ACCOUNT_ID, REGION, f"svc{i}", ()) for i in range(40)]
    results = Recording(max_workers=2).run(ScanJob(units=units, targets={}, checks={}))
    first = next(results)
    time.sleep(0.5)  # the caller is busy with the first result
    with lock:
        started_meanwhile = len(started)
    rest = list(results)
    assert first.key == units[0].key or first.key == units[1].key
    assert peak[0] == 2  # never more than max_workers
    # units went on starting while the caller was busy, up to the bound on results it has not taken (2 x workers)
    assert 2 * 2 <= started_meanwhile <= 2 * 2 + 2 + 1
    assert sorted(r.key for r in [first, *rest]) == sorted(u.key for u in units)
