"""DynamoDB checks."""
from __future__ import annotations

from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.dynamodb import tables


@register(CheckMeta(
    id="dynamodb_table_pitr_enabled",
    fail_title="DynamoDB tables without point-in-time recovery",
    title="DynamoDB tables have point-in-time recovery enabled",
    service="dynamodb",
    aspect="backup_dr",
    severity=Severity.medium,
    frameworks={"fsbp": ["DynamoDB.2"]},
    remediation=("Console DynamoDB > Tables > table > Backups > Point-in-time recovery (PITR) > Edit > "
                 "Turn on, or `aws dynamodb update-continuous-backups --table-name TABLE "
                 "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`."),
    iam_actions=["dynamodb:ListTables", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"],
    resource_type="AWS::DynamoDB::Table",
))
def dynamodb_table_pitr_enabled(scope: Scope):
    for table in tables(scope.inv):
        if table.error is not None:
            yield scope.errored(table.name, *table.error, arn=table.arn, tags=table.tags)
            continue
        evidence = {"PointInTimeRecoveryStatus": table.pitr_status}
        kw = dict(arn=table.arn, evidence=evidence, tags=table.tags)
        if table.pitr_enabled:
            yield scope.passed(table.name, "point-in-time recovery is enabled", **kw)
        else:
            yield scope.failed(table.name, f"point-in-time recovery is {table.pitr_status.lower()}", **kw)
