"""RDS checks: instance encryption, exposure, backups, patching; snapshot sharing."""
from __future__ import annotations

from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.rds import db_instances, manual_db_cluster_snapshots, manual_db_snapshots

# FSBP RDS.11 default (backupRetentionMinimum): automated backups kept at least this many days.
MIN_BACKUP_RETENTION_DAYS = 7

DESCRIBE_INSTANCES = ["rds:DescribeDBInstances"]
INSTANCE = "AWS::RDS::DBInstance"


@register(CheckMeta(
    id="rds_instance_storage_encrypted",
    fail_title="Unencrypted RDS DB instances",
    title="RDS DB instances are encrypted at rest",
    service="rds",
    aspect="encryption_at_rest",
    severity=Severity.high,
    frameworks={"cis": ["2.2.1"], "fsbp": ["RDS.3"]},
    remediation=("Encryption cannot be turned on in place: take a snapshot, copy it encrypted and restore "
                 "from the copy (console RDS > Snapshots > snapshot > Actions > Copy snapshot > Enable "
                 "encryption, then Restore snapshot), or `aws rds copy-db-snapshot "
                 "--source-db-snapshot-identifier SNAP --target-db-snapshot-identifier SNAP-enc "
                 "--kms-key-id KEY_ID` then `aws rds restore-db-instance-from-db-snapshot "
                 "--db-instance-identifier NEW_ID --db-snapshot-identifier SNAP-enc`."),
    iam_actions=DESCRIBE_INSTANCES,
    resource_type=INSTANCE,
))
def rds_instance_storage_encrypted(scope: Scope):
    for db in db_instances(scope.inv):
        evidence = {"StorageEncrypted": db.storage_encrypted, "Engine": db.engine}
        kw = dict(arn=db.arn, evidence=evidence, tags=db.tags)
        if db.storage_encrypted:
            yield scope.passed(db.identifier, "storage is encrypted at rest", **kw)
        else:
            yield scope.failed(db.identifier, "storage is not encrypted at rest", **kw)


@register(CheckMeta(
    id="rds_instance_not_publicly_accessible",
    fail_title="Publicly accessible RDS DB instances",
    title="RDS DB instances are not publicly accessible",
    service="rds",
    aspect="network_controls",
    severity=Severity.critical,
    frameworks={"cis": ["2.2.3"], "fsbp": ["RDS.2"]},
    remediation=("Console RDS > Databases > instance > Modify > Connectivity > Additional configuration > "
                 "Public access: Not publicly accessible, or `aws rds modify-db-instance "
                 "--db-instance-identifier DB_ID --no-publicly-accessible --apply-immediately`."),
    iam_actions=DESCRIBE_INSTANCES,
    resource_type=INSTANCE,
))
def rds_instance_not_publicly_accessible(scope: Scope):
    for db in db_instances(scope.inv):
        evidence = {"PubliclyAccessible": db.publicly_accessible}
        kw = dict(arn=db.arn, evidence=evidence, tags=db.tags)
        if db.publicly_accessible:
            yield scope.failed(db.identifier, "instance is publicly accessible (public DNS/IP)", **kw)
        else:
            yield scope.passed(db.identifier, "instance is not publicly accessible", **kw)


@register(CheckMeta(
    id="rds_instance_backup_retention_7_days",
    fail_title="RDS DB instances keep backups for less than 7 days",
    title=f"RDS DB instances keep automated backups for at least {MIN_BACKUP_RETENTION_DAYS} days",
    service="rds",
    aspect="backup_dr",
    severity=Severity.medium,
    frameworks={"fsbp": ["RDS.11"]},
    remediation=("Console RDS > Databases > instance > Modify > Backup > Backup retention period "
                 f">= {MIN_BACKUP_RETENTION_DAYS} days, or `aws rds modify-db-instance --db-instance-identifier "
                 f"DB_ID --backup-retention-period {MIN_BACKUP_RETENTION_DAYS} --apply-immediately`."),
    iam_actions=DESCRIBE_INSTANCES,
    resource_type=INSTANCE,
    settings={"min_days": MIN_BACKUP_RETENTION_DAYS},
    notes=("Read replicas are not judged (as in FSBP RDS.11): their backups follow the source. The id keeps "
           "its name; the minimum is the min_days setting (default 7)."),
))
def rds_instance_backup_retention_7_days(scope: Scope):
    minimum = int(scope.setting("min_days"))
    for db in db_instances(scope.inv):
        if db.read_replica_source:
            continue
        days = db.backup_retention_days
        evidence = {"BackupRetentionPeriod": days, "MinimumDays": minimum}
        kw = dict(arn=db.arn, evidence=evidence, tags=db.tags)
        if days >= minimum:
            yield scope.passed(db.identifier, f"automated backups kept {days} days", **kw)
        elif days == 0:
            yield scope.failed(db.identifier, "automated backups are disabled", **kw)
        else:
            yield scope.failed(db.identifier, f"automated backups kept only {days} days (< {minimum})", **kw)


@register(CheckMeta(
    id="rds_snapshot_not_public",
    fail_title="Public RDS DB or cluster snapshots",
    title="Manual RDS DB and DB cluster snapshots are not public",
    service="rds",
    aspect="data_protection",
    severity=Severity.critical,
    frameworks={"fsbp": ["RDS.1"]},
    remediation=("Console RDS > Snapshots > snapshot > Actions > Share snapshot > DB snapshot visibility: "
                 "Private, or `aws rds modify-db-snapshot-attribute --db-snapshot-identifier SNAP "
                 "--attribute-name restore --values-to-remove all` (cluster snapshots: `aws rds "
                 "modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier SNAP "
                 "--attribute-name restore --values-to-remove all`)."),
    iam_actions=["rds:DescribeDBSnapshots", "rds:DescribeDBSnapshotAttributes",
                 "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusterSnapshotAttributes"],
    resource_type="AWS::RDS::DBSnapshot",
    notes="Only manual snapshots can be shared; cluster snapshots are reported as AWS::RDS::DBClusterSnapshot.",
))
def rds_snapshot_not_public(scope: Scope):
    snapshots = manual_db_snapshots(scope.inv) + manual_db_cluster_snapshots(scope.inv)
    for snap in snapshots:
        kw = dict(arn=snap.arn, tags=snap.tags, resource_type=snap.resource_type)
        if snap.error is not None:
            yield scope.errored(snap.resource_id, *snap.error, **kw)
            continue
        shared_with = [v for v in snap.restore if v != "all"]
        evidence = {"Public": snap.public, "SharedWithAccounts": len(shared_with), "Source": snap.source}
        if snap.public:
            yield scope.failed(snap.resource_id, 'snapshot is restorable by any AWS account ("all")',
                               evidence=evidence, **kw)
        else:
            yield scope.passed(snap.resource_id, "snapshot is private" if not shared_with
                               else f"snapshot is shared with {len(shared_with)} named account(s), not public",
                               evidence=evidence, **kw)


@register(CheckMeta(
    id="rds_instance_auto_minor_version_upgrade",
    fail_title="RDS DB instances without automatic minor upgrades",
    title="RDS DB instances apply minor engine upgrades automatically",
    service="rds",
    aspect="runtime_patching",
    severity=Severity.medium,
    frameworks={"cis": ["2.2.2"], "fsbp": ["RDS.13"]},
    remediation=("Console RDS > Databases > instance > Modify > Maintenance > Auto minor version upgrade: "
                 "Enable, or `aws rds modify-db-instance --db-instance-identifier DB_ID "
                 "--auto-minor-version-upgrade --apply-immediately`."),
    iam_actions=DESCRIBE_INSTANCES,
    resource_type=INSTANCE,
))
def rds_instance_auto_minor_version_upgrade(scope: Scope):
    for db in db_instances(scope.inv):
        evidence = {"AutoMinorVersionUpgrade": db.auto_minor_version_upgrade, "Engine": db.engine}
        kw = dict(arn=db.arn, evidence=evidence, tags=db.tags)
        if db.auto_minor_version_upgrade:
            yield scope.passed(db.identifier, "automatic minor version upgrade is enabled", **kw)
        else:
            yield scope.failed(db.identifier, "automatic minor version upgrade is disabled", **kw)
