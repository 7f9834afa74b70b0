"""Secrets Manager rotation checks on moto."""
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from checks.base import Status
from tests.checks.canned import DENIED, THROTTLED, scan_with
from tests.checks.conftest import only, statuses

ENABLED, ON_SCHEDULE = "secretsmanager_secret_rotation_enabled", "secretsmanager_secret_rotation_on_schedule"
USED = "secretsmanager_secret_used_recently"
P, F, E = Status.PASS, Status.FAIL, Status.ERROR
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
ROTATOR = "arn:aws:lambda:us-east-1:123456789012:function:rotator"


def _secret(sm, name: str, *, every: int | None = None, schedule: str | None = None) -> str:
    sm.create_secret(Name=name, SecretString="s3cr3t-value", Tags=[{"Key": "team", "Value": "pay"}])
    if every or schedule:
        rules = {"AutomaticallyAfterDays": every} if every else {"ScheduleExpression": schedule}
        # moto records the rotation settings, then fails to find the rotation function (it would run it):
        # the secret is left with rotation on and no rotation yet, as after a failed first rotation.
        with pytest.raises(sm.exceptions.ResourceNotFoundException):
            sm.rotate_secret(SecretId=name, RotationLambdaARN=ROTATOR, RotationRules=rules)
    return name


def test_rotation_off_fails_and_on_passes(aws):
    sm = aws.client("secretsmanager")
    on, off = _secret(sm, "on", every=30), _secret(sm, "off")
    result = scan_with(aws, [ENABLED])
    assert statuses(result, ENABLED) == {on: P, off: F}
    assert only(result, ENABLED, off).tags == {"team": "pay"}
    assert "s3cr3t" not in result.model_dump_json()  # values are never read


def test_rotation_overdue_by_more_than_interval_plus_grace_fails(aws):
    sm = aws.client("secretsmanager")
    with freeze_time(T0):
        monthly, weekly, _ = _secret(sm, "monthly", every=30), _secret(sm, "weekly", every=7), _secret(sm, "off")
    with freeze_time(T0 + timedelta(days=31)):
        result = scan_with(aws, [ON_SCHEDULE])
    assert statuses(result, ON_SCHEDULE) == {monthly: P, weekly: F}  # rotation off: the other check's job
    assert "never rotated; created 31 days ago; rotation is every 7 days (+2 grace)" in \
        only(result, ON_SCHEDULE, weekly).reason
    with freeze_time(T0 + timedelta(days=33)):
        assert statuses(scan_with(aws, [ON_SCHEDULE]), ON_SCHEDULE)[monthly] is F
        relaxed = scan_with(aws, [ON_SCHEDULE], settings={ON_SCHEDULE: {"grace_days": 5}})
    assert statuses(relaxed, ON_SCHEDULE)[monthly] is P


def _listed(name: str, rules: dict, last: datetime | None) -> dict:
    entry = {"ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf", "Name": name,
             "RotationEnabled": True, "RotationRules": rules, "CreatedDate": T0}
    return {**entry, "LastRotatedDate": last} if last else entry


def test_rate_and_cron_schedules(aws):
    """moto stores only AutomaticallyAfterDays, so schedule expressions come from a canned listing."""
    listing = {"SecretList": [
        _listed("rate-hours", {"ScheduleExpression": "rate(12 hours)"}, T0 + timedelta(days=37)),
        _listed("rate-days", {"ScheduleExpression": "rate(10 days)"}, T0 + timedelta(days=20)),
        _listed("cron", {"ScheduleExpression": "cron(0 4 1 * ? *)"}, None),
    ]}
    with freeze_time(T0 + timedelta(days=40)):
        result = scan_with(aws, [ON_SCHEDULE], canned={"secretsmanager.ListSecrets": listing})
        tight = scan_with(aws, [ON_SCHEDULE], canned={"secretsmanager.ListSecrets": listing},
                          settings={ON_SCHEDULE: {"cron_interval_days": 31}})
    assert statuses(result, ON_SCHEDULE) == {"rate-hours": F, "rate-days": F, "cron": P}  # cron: 90 days
    assert "every 0.5 days" in only(result, ON_SCHEDULE, "rate-hours").reason
    assert statuses(tight, ON_SCHEDULE)["cron"] is F


def test_never_read_secrets_fail_once_older_than_the_limit(aws):
    sm = aws.client("secretsmanager")
    with freeze_time(T0):
        _secret(sm, "idle")
    with freeze_time(T0 + timedelta(days=30)):
        _secret(sm, "new")
    with freeze_time(T0 + timedelta(days=100)):
        result = scan_with(aws, [USED])
        relaxed = scan_with(aws, [USED], settings={USED: {"unused_days": 120}})
    assert statuses(result, USED) == {"idle": F, "new": P}
    assert only(result, USED, "idle").reason == "never read; created 100 days ago (limit 90)"
    assert statuses(relaxed, USED) == {"idle": P, "new": P}


def test_last_access_date_counts_when_aws_records_one(aws):
    """moto does not record LastAccessedDate: a canned listing carries it."""
    listing = {"SecretList": [
        {**_listed("read", {}, None), "RotationEnabled": False, "LastAccessedDate": T0 + timedelta(days=95)},
        {**_listed("stale", {}, None), "RotationEnabled": False, "LastAccessedDate": T0 + timedelta(days=5)},
    ]}
    with freeze_time(T0 + timedelta(days=100)):
        result = scan_with(aws, [USED], canned={"secretsmanager.ListSecrets": listing})
    assert statuses(result, USED) == {"read": P, "stale": F}
    assert only(result, USED, "stale").evidence["LastAccessedDate"] == "2026-01-06"


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_listing_errors_are_errors(aws, error):
    _secret(aws.client("secretsmanager"), "x")
    result = scan_with(aws, [ENABLED, ON_SCHEDULE, USED], canned={"secretsmanager.ListSecrets": error})
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (ENABLED, E, error.code), (ON_SCHEDULE, E, error.code), (USED, E, error.code)}
