"""OS patching checks: EC2 from moto, the two Systems Manager reads moto lacks from canned answers."""
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from checks.base import Status
from tests.checks.canned import DENIED, THROTTLED, scan_with
from tests.checks.conftest import only, statuses

MANAGED, COMPLIANT, FRESH = "ssm_instance_managed", "ssm_instance_patch_compliant", "ssm_instance_patch_data_fresh"
P, F, E = Status.PASS, Status.FAIL, Status.ERROR
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def _instances(aws, n: int) -> list[str]:
    res = aws.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n)
    return [i["InstanceId"] for i in res["Instances"]]


def _info(*pairs: tuple[str, str]) -> dict:
    return {"InstanceInformationList": [
        {"InstanceId": iid, "PingStatus": ping, "ResourceType": "EC2Instance", "PlatformName": "Amazon Linux"}
        for iid, ping in pairs]}


def _states(states: dict[str, dict]):
    """A DescribeInstancePatchStates answer that honours the InstanceIds asked for."""

    def answer(params: dict) -> dict:
        return {"InstancePatchStates": [
            {"InstanceId": iid, "PatchGroup": "default", "BaselineId": "pb-0123456789abcdef0", "Operation": "Scan",
             "OperationStartTime": s["end"] - timedelta(minutes=5), "OperationEndTime": s["end"],
             "MissingCount": s.get("missing", 0), "FailedCount": s.get("failed", 0)}
            for iid, s in states.items() if iid in params["InstanceIds"]]}

    return answer


def test_running_instances_must_be_managed_and_online(aws):
    online, lost, unmanaged, stopped = _instances(aws, 4)
    aws.client("ec2").stop_instances(InstanceIds=[stopped])
    canned = {"ssm.DescribeInstanceInformation": _info((online, "Online"), (lost, "ConnectionLost"))}

    result = scan_with(aws, [MANAGED], canned=canned)

    assert statuses(result, MANAGED) == {online: P, lost: F, unmanaged: F}
    assert only(result, MANAGED, lost).evidence == {"Managed": True, "PingStatus": "ConnectionLost"}
    assert only(result, MANAGED, unmanaged).resource_arn.endswith(f":instance/{unmanaged}")


def test_patch_compliance_counts_missing_and_failed_patches(aws):
    ok, missing, failed, never = _instances(aws, 4)
    canned = {
        "ssm.DescribeInstanceInformation": _info(*((i, "Online") for i in (ok, missing, failed, never))),
        "ssm.DescribeInstancePatchStates": _states({
            ok: {"end": NOW}, missing: {"end": NOW, "missing": 3}, failed: {"end": NOW, "failed": 1}}),
    }
    result = scan_with(aws, [COMPLIANT], canned=canned)

    assert statuses(result, COMPLIANT) == {ok: P, missing: F, failed: F}  # no data: the freshness check's job
    assert only(result, COMPLIANT, missing).evidence["MissingCount"] == 3
    assert "Failed 1" in only(result, COMPLIANT, failed).reason


@freeze_time(NOW)
def test_patch_data_older_than_the_limit_or_absent_fails_and_the_limit_is_a_setting(aws):
    recent, old, never = _instances(aws, 3)
    canned = {
        "ssm.DescribeInstanceInformation": _info(*((i, "Online") for i in (recent, old, never))),
        "ssm.DescribeInstancePatchStates": _states({
            recent: {"end": NOW - timedelta(days=3)}, old: {"end": NOW - timedelta(days=45)}}),
    }
    result = scan_with(aws, [FRESH], canned=canned)
    assert statuses(result, FRESH) == {recent: P, old: F, never: F}
    assert "45 days ago (limit 30)" in only(result, FRESH, old).reason

    relaxed = scan_with(aws, [FRESH], canned=canned, settings={FRESH: {"max_age_days": 60}})
    assert statuses(relaxed, FRESH) == {recent: P, old: P, never: F}
    strict = scan_with(aws, [FRESH], canned=canned, settings={FRESH: {"max_age_days": 2}})
    assert statuses(strict, FRESH)[recent] is F


def test_patch_states_are_asked_in_batches_of_50_once_per_run(aws):
    ids = _instances(aws, 120)
    asked: list[int] = []

    def answer(params):
        asked.append(len(params["InstanceIds"]))
        return _states({i: {"end": NOW} for i in ids})(params)

    canned = {"ssm.DescribeInstanceInformation": _info(*((i, "Online") for i in ids)),
              "ssm.DescribeInstancePatchStates": answer}
    result = scan_with(aws, [COMPLIANT, FRESH], canned=canned)

    assert sorted(asked) == [20, 50, 50]  # both checks share one listing
    assert result.summary.api_calls["ssm.DescribeInstancePatchStates"] == 3
    assert result.summary.duplicate_calls == 0
    assert len(result.findings) == 240


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_unreadable_systems_manager_is_an_error_never_a_pass(aws, error):
    _instances(aws, 1)
    result = scan_with(aws, [MANAGED, COMPLIANT, FRESH], canned={"ssm.DescribeInstanceInformation": error})
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (c, E, error.code) for c in (MANAGED, COMPLIANT, FRESH)}


def test_patch_state_denied_is_an_error_for_both_patch_checks(aws):
    [iid] = _instances(aws, 1)
    canned = {"ssm.DescribeInstanceInformation": _info((iid, "Online")),
              "ssm.DescribeInstancePatchStates": DENIED}
    result = scan_with(aws, [MANAGED, COMPLIANT, FRESH], canned=canned)
    assert {(f.check_id, f.status) for f in result.findings} == {(MANAGED, P), (COMPLIANT, E), (FRESH, E)}
