"""Secrets Manager: automatic rotation on, rotation keeping to its schedule, no long-unused secrets."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.secretsmanager import secrets

SECRET = "AWS::SecretsManager::Secret"


@register(CheckMeta(
    id="secretsmanager_secret_rotation_enabled",
    title="Secrets Manager secrets rotate automatically",
    fail_title="Secrets Manager secrets without automatic rotation",
    service="secretsmanager", aspect="secrets_management", severity=Severity.medium,
    frameworks={"fsbp": ["SecretsManager.1"]},
    remediation=("Turn rotation on: console Secrets Manager > secret > Rotation > Edit rotation (schedule and "
                 "rotation function), or `aws secretsmanager rotate-secret --secret-id NAME "
                 "--rotation-lambda-arn FUNCTION_ARN --rotation-rules AutomaticallyAfterDays=30`."),
    iam_actions=["secretsmanager:ListSecrets"], resource_type=SECRET,
))
def secretsmanager_secret_rotation_enabled(scope: Scope) -> Iterator[Finding]:
    for s in secrets(scope.inv):
        kw = {"arn": s.arn, "tags": s.tags, "evidence": {"RotationEnabled": s.rotation_enabled}}
        if s.rotation_enabled:
            yield scope.passed(s.name, f"rotates automatically ({s.schedule or 'schedule set'})", **kw)
        else:
            yield scope.failed(s.name, "automatic rotation is off", **kw)


@register(CheckMeta(
    id="secretsmanager_secret_rotation_on_schedule",
    title="Rotating secrets were rotated within their rotation interval",
    fail_title="Rotating secrets are overdue for rotation",
    service="secretsmanager", aspect="secrets_management", severity=Severity.medium,
    frameworks={"fsbp": ["SecretsManager.2"]},
    remediation=("Find why rotation fails: console Secrets Manager > secret > Rotation (last rotation status) and "
                 "the rotation function's CloudWatch logs; retry with `aws secretsmanager rotate-secret "
                 "--secret-id NAME`."),
    iam_actions=["secretsmanager:ListSecrets"], resource_type=SECRET,
    settings={"grace_days": 2, "cron_interval_days": 90},
    notes="Overdue: the last rotation (or the creation, if never rotated) is older than the rotation interval plus "
          "grace_days. A cron schedule's interval is taken as cron_interval_days. Secrets with rotation off are "
          "judged by secretsmanager_secret_rotation_enabled.",
))
def secretsmanager_secret_rotation_on_schedule(scope: Scope) -> Iterator[Finding]:
    grace = float(scope.setting("grace_days"))
    cron_days = float(scope.setting("cron_interval_days"))
    now = scope.now()
    for s in secrets(scope.inv):
        if not s.rotation_enabled:
            continue
        last = s.last_rotated or s.created
        if last is None:
            continue  # no date to judge from (AWS always sends CreatedDate)
        every = s.every_days if s.every_days is not None else cron_days
        age = now - last
        evidence = {"LastRotatedDate": s.last_rotated.isoformat() if s.last_rotated else None,
                    "Schedule": s.schedule, "GraceDays": grace}
        kw = {"arn": s.arn, "tags": s.tags, "evidence": evidence}
        what = "last rotated" if s.last_rotated else "never rotated; created"
        if age > timedelta(days=every + grace):
            yield scope.failed(s.name, f"{what} {age.days} days ago; rotation is every {every:g} days "
                               f"(+{grace:g} grace)", **kw)
        else:
            yield scope.passed(s.name, f"{what} {age.days} days ago (every {every:g} days)", **kw)


@register(CheckMeta(
    id="secretsmanager_secret_used_recently",
    title="Secrets Manager secrets were read recently",
    fail_title="Secrets Manager secrets unused for a long time",
    service="secretsmanager", aspect="secrets_management", severity=Severity.low,
    frameworks={"fsbp": ["SecretsManager.3"]},
    remediation=("Delete a secret nobody reads (after checking CloudTrail GetSecretValue events): console Secrets "
                 "Manager > secret > Actions > Delete secret, or `aws secretsmanager delete-secret --secret-id NAME "
                 "--recovery-window-in-days 30`."),
    iam_actions=["secretsmanager:ListSecrets"], resource_type=SECRET,
    settings={"unused_days": 90},
    notes="A never-read secret fails once it is older than unused_days. AWS records the last access as a date.",
))
def secretsmanager_secret_used_recently(scope: Scope) -> Iterator[Finding]:
    limit = int(scope.setting("unused_days"))
    now = scope.now()
    for s in secrets(scope.inv):
        since = s.last_accessed or s.created
        if since is None:
            continue
        idle = (now - since).days
        evidence = {"LastAccessedDate": s.last_accessed.date().isoformat() if s.last_accessed else None,
                    "UnusedDays": limit}
        kw = {"arn": s.arn, "tags": s.tags, "evidence": evidence}
        what = "last read" if s.last_accessed else "never read; created"
        if idle > limit:
            yield scope.failed(s.name, f"{what} {idle} days ago (limit {limit})", **kw)
        else:
            yield scope.passed(s.name, f"{what} {idle} days ago", **kw)
