"""Database safeguards: RDS/Aurora deletion protection, IAM authentication, cluster backup retention;
DynamoDB deletion protection. Instances and clusters come from the shared RDS listings."""
from __future__ import annotations

from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.dynamodb import table_descriptions, tables
from checks.inventory.rds import db_clusters, db_instances

INSTANCE = "AWS::RDS::DBInstance"
CLUSTER = "AWS::RDS::DBCluster"
# Engines that support IAM database authentication (RDS.10 / RDS.12 judge only these).
IAM_AUTH_ENGINES = ("mysql", "mariadb", "postgres", "aurora", "aurora-mysql", "aurora-postgresql")
# Engines whose deletion protection is set on the cluster, not the instance.
CLUSTER_ONLY_ENGINES = ("aurora", "docdb", "neptune")


@register(CheckMeta(
    id="rds_instance_deletion_protection_enabled", title="RDS DB instances have deletion protection enabled",
    fail_title="RDS DB instance can be deleted without first turning off deletion protection",
    service="rds", aspect="backup_dr", severity=Severity.medium, frameworks={"fsbp": ["RDS.8"]},
    remediation=("Console RDS > Databases > instance > Modify > Deletion protection: Enable, or `aws rds "
                 "modify-db-instance --db-instance-identifier DB_ID --deletion-protection --apply-immediately`."),
    iam_actions=["rds:DescribeDBInstances"], resource_type=INSTANCE,
    notes=("Aurora instances are judged through their cluster (RDS.7); DocumentDB and Neptune instances, which "
           "share the RDS API, are not judged (their deletion protection is a cluster setting too)."),
))
def rds_instance_deletion_protection_enabled(scope: Scope):
    for db in db_instances(scope.inv):
        if db.engine.startswith(CLUSTER_ONLY_ENGINES):
            continue
        kw = dict(arn=db.arn, tags=db.tags, evidence={"DeletionProtection": db.deletion_protection})
        if db.deletion_protection:
            yield scope.passed(db.identifier, "deletion protection is enabled", **kw)
        else:
            yield scope.failed(db.identifier, "deletion protection is disabled", **kw)


@register(CheckMeta(
    id="rds_cluster_deletion_protection_enabled", title="RDS DB clusters have deletion protection enabled",
    fail_title="RDS DB cluster can be deleted without first turning off deletion protection",
    service="rds", aspect="backup_dr", severity=Severity.medium, frameworks={"fsbp": ["RDS.7"]},
    remediation=("Console RDS > Databases > cluster > Modify > Deletion protection: Enable, or `aws rds "
                 "modify-db-cluster --db-cluster-identifier CLUSTER_ID --deletion-protection --apply-immediately`."),
    iam_actions=["rds:DescribeDBClusters"], resource_type=CLUSTER,
))
def rds_cluster_deletion_protection_enabled(scope: Scope):
    for c in db_clusters(scope.inv):
        kw = dict(arn=c.arn, tags=c.tags, evidence={"DeletionProtection": c.deletion_protection})
        if c.deletion_protection:
            yield scope.passed(c.identifier, "deletion protection is enabled", **kw)
        else:
            yield scope.failed(c.identifier, "deletion protection is disabled", **kw)


@register(CheckMeta(
    id="rds_instance_iam_auth_enabled", title="RDS DB instances accept IAM database authentication",
    fail_title="RDS DB instance does not use IAM database authentication", service="rds", aspect="iam",
    severity=Severity.medium, frameworks={"fsbp": ["RDS.10"]},
    remediation=("Console RDS > Databases > instance > Modify > Database authentication: Password and IAM database "
                 "authentication, or `aws rds modify-db-instance --db-instance-identifier DB_ID "
                 "--enable-iam-database-authentication --apply-immediately`."),
    iam_actions=["rds:DescribeDBInstances"], resource_type=INSTANCE,
    notes=("Judged for MySQL, MariaDB and PostgreSQL instances outside Aurora clusters (other engines do not "
           "support IAM authentication; Aurora members follow their cluster, RDS.12)."),
))
def rds_instance_iam_auth_enabled(scope: Scope):
    for db in db_instances(scope.inv):
        if db.engine not in IAM_AUTH_ENGINES or (db.cluster_id and db.engine.startswith("aurora")):
            continue
        kw = dict(arn=db.arn, tags=db.tags, evidence={"IAMDatabaseAuthenticationEnabled": db.iam_auth,
                                                      "Engine": db.engine})
        if db.iam_auth:
            yield scope.passed(db.identifier, "IAM database authentication is enabled", **kw)
        else:
            yield scope.failed(db.identifier, "IAM database authentication is disabled", **kw)


@register(CheckMeta(
    id="rds_cluster_iam_auth_enabled", title="RDS DB clusters accept IAM database authentication",
    fail_title="RDS DB cluster does not use IAM database authentication", service="rds", aspect="iam",
    severity=Severity.medium, frameworks={"fsbp": ["RDS.12"]},
    remediation=("Console RDS > Databases > cluster > Modify > Database authentication: Password and IAM database "
                 "authentication, or `aws rds modify-db-cluster --db-cluster-identifier CLUSTER_ID "
                 "--enable-iam-database-authentication --apply-immediately`."),
    iam_actions=["rds:DescribeDBClusters"], resource_type=CLUSTER,
))
def rds_cluster_iam_auth_enabled(scope: Scope):
    for c in db_clusters(scope.inv):
        if c.engine not in IAM_AUTH_ENGINES:
            continue
        kw = dict(arn=c.arn, tags=c.tags, evidence={"IAMDatabaseAuthenticationEnabled": c.iam_auth,
                                                    "Engine": c.engine})
        if c.iam_auth:
            yield scope.passed(c.identifier, "IAM database authentication is enabled", **kw)
        else:
            yield scope.failed(c.identifier, "IAM database authentication is disabled", **kw)


@register(CheckMeta(
    id="rds_cluster_backup_retention_min_days",
    title="RDS DB clusters keep automated backups for at least the configured number of days",
    fail_title="RDS DB cluster keeps automated backups for too few days", service="rds", aspect="backup_dr",
    severity=Severity.medium, frameworks={},
    remediation=("Console RDS > Databases > cluster > Modify > Backup retention period (at least the configured "
                 "days, 7 by default), or `aws rds modify-db-cluster --db-cluster-identifier CLUSTER_ID "
                 "--backup-retention-period 7 --apply-immediately`."),
    iam_actions=["rds:DescribeDBClusters"], resource_type=CLUSTER, settings={"min_days": 7},
    notes="The cluster counterpart of rds_instance_backup_retention_7_days (FSBP RDS.11 covers instances only).",
))
def rds_cluster_backup_retention_min_days(scope: Scope):
    minimum = int(scope.setting("min_days"))
    for c in db_clusters(scope.inv):
        days = c.backup_retention_days
        kw = dict(arn=c.arn, tags=c.tags, evidence={"BackupRetentionPeriod": days, "MinimumDays": minimum})
        if days >= minimum:
            yield scope.passed(c.identifier, f"automated backups kept {days} days", **kw)
        else:
            yield scope.failed(c.identifier, f"automated backups kept only {days} days (< {minimum})", **kw)


@register(CheckMeta(
    id="dynamodb_table_deletion_protection_enabled", title="DynamoDB tables have deletion protection enabled",
    fail_title="DynamoDB table can be deleted without first turning off deletion protection",
    service="dynamodb", aspect="backup_dr", severity=Severity.medium, frameworks={"fsbp": ["DynamoDB.6"]},
    remediation=("Console DynamoDB > Tables > table > Additional settings > Deletion protection: Turn on, or "
                 "`aws dynamodb update-table --table-name TABLE --deletion-protection-enabled`."),
    iam_actions=["dynamodb:ListTables", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource",
                 "dynamodb:DescribeTable"],
    resource_type="AWS::DynamoDB::Table",
    notes="Shares the table listing (and its PITR/tag reads) with dynamodb_table_pitr_enabled.",
))
def dynamodb_table_deletion_protection_enabled(scope: Scope):
    described = table_descriptions(scope.inv)
    for table in tables(scope.inv):
        desc = described.get(table.name)
        if desc is None:
            continue  # deleted since the listing
        if desc.error is not None:
            yield scope.errored(table.name, *desc.error, arn=table.arn, tags=table.tags)
            continue
        kw = dict(arn=table.arn, tags=table.tags, evidence={"DeletionProtectionEnabled": desc.deletion_protection})
        if desc.deletion_protection:
            yield scope.passed(table.name, "deletion protection is enabled", **kw)
        else:
            yield scope.failed(table.name, "deletion protection is disabled", **kw)
