import pytest
from botocore.stub import Stubber

from checks.aws.rds import MIN_BACKUP_RETENTION_DAYS
from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

ENCRYPTED = "rds_instance_storage_encrypted"
PUBLIC = "rds_instance_not_publicly_accessible"
BACKUP = "rds_instance_backup_retention_7_days"
MINOR = "rds_instance_auto_minor_version_upgrade"
SNAPSHOT = "rds_snapshot_not_public"
INSTANCE_CHECKS = [ENCRYPTED, PUBLIC, BACKUP, MINOR]


def make_db(rds, ident, **kw):
    rds.create_db_instance(
        DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin1", MasterUserPassword="password123", **kw)


@pytest.fixture
def two_dbs(aws):
    """'good' satisfies every instance check, 'bad' fails every one."""
    rds = aws.client("rds")
    make_db(rds, "good", StorageEncrypted=True, PubliclyAccessible=False, BackupRetentionPeriod=7,
            AutoMinorVersionUpgrade=True, Tags=[{"Key": "team", "Value": "data"}])
    make_db(rds, "bad", StorageEncrypted=False, PubliclyAccessible=True, BackupRetentionPeriod=1,
            AutoMinorVersionUpgrade=False, Tags=[{"Key": "team", "Value": "web"}])
    return aws


@pytest.mark.parametrize("check_id, key, good, bad", [
    (ENCRYPTED, "StorageEncrypted", True, False),
    (PUBLIC, "PubliclyAccessible", False, True),
    (BACKUP, "BackupRetentionPeriod", 7, 1),
    (MINOR, "AutoMinorVersionUpgrade", True, False),
])
def test_instance_check_passes_good_and_fails_bad(two_dbs, check_id, key, good, bad):
    result = scan(two_dbs, [check_id])

    assert statuses(result, check_id) == {"good": Status.PASS, "bad": Status.FAIL}
    g, b = only(result, check_id, "good"), only(result, check_id, "bad")
    assert g.evidence[key] == good and b.evidence[key] == bad
    assert b.tags == {"team": "web"} and g.tags == {"team": "data"}
    assert b.resource_type == "AWS::RDS::DBInstance"
    assert b.resource_arn == f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:bad"


def test_instance_checks_share_one_listing(two_dbs):
    result = scan(two_dbs, INSTANCE_CHECKS)

    assert len(result.findings) == 8
    assert result.summary.api_calls["rds.DescribeDBInstances"] == 1
    assert result.summary.duplicate_calls == 0


def test_backup_disabled_fails_and_read_replicas_are_not_judged(aws):
    rds = aws.client("rds")
    make_db(rds, "nobackup", BackupRetentionPeriod=0)
    make_db(rds, "primary", BackupRetentionPeriod=14)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="replica", SourceDBInstanceIdentifier="primary")

    result = scan(aws, [BACKUP])

    assert statuses(result, BACKUP) == {"nobackup": Status.FAIL, "primary": Status.PASS}
    f = only(result, BACKUP, "nobackup")
    assert f.reason == "automated backups are disabled"
    assert f.evidence == {"BackupRetentionPeriod": 0, "MinimumDays": MIN_BACKUP_RETENTION_DAYS}


def test_public_snapshots_fail_private_and_shared_pass(aws):
    rds = aws.client("rds")
    make_db(rds, "db1")
    for name in ("private", "shared", "public"):
        rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier="db1",
                               Tags=[{"Key": "team", "Value": "data"}])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="shared", AttributeName="restore",
                                     ValuesToAdd=["210987654321"])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="public", AttributeName="restore", ValuesToAdd=["all"])
    rds.create_db_cluster(DBClusterIdentifier="c1", Engine="aurora-postgresql",
                          MasterUsername="admin1", MasterUserPassword="password123")
    for name in ("cprivate", "cpublic"):
        rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=name, DBClusterIdentifier="c1")
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="cpublic", AttributeName="restore",
                                             ValuesToAdd=["all"])

    result = scan(aws, [SNAPSHOT])

    assert statuses(result, SNAPSHOT) == {
        "snapshot:private": Status.PASS, "snapshot:shared": Status.PASS, "snapshot:public": Status.FAIL,
        "cluster-snapshot:cprivate": Status.PASS, "cluster-snapshot:cpublic": Status.FAIL,
    }
    pub = only(result, SNAPSHOT, "snapshot:public")
    assert pub.evidence == {"Public": True, "SharedWithAccounts": 0, "Source": "db1"}
    assert pub.tags == {"team": "data"}
    assert pub.resource_type == "AWS::RDS::DBSnapshot"
    assert pub.resource_arn.endswith(":snapshot:public")
    assert only(result, SNAPSHOT, "snapshot:shared").evidence["SharedWithAccounts"] == 1
    cpub = only(result, SNAPSHOT, "cluster-snapshot:cpublic")
    assert cpub.resource_type == "AWS::RDS::DBClusterSnapshot"
    assert cpub.evidence["Source"] == "c1"
    # automated snapshots are not listed; one attribute call per manual snapshot
    assert result.summary.api_calls["rds.DescribeDBSnapshotAttributes"] == 3
    assert result.summary.api_calls["rds.DescribeDBClusterSnapshotAttributes"] == 2
    assert result.summary.duplicate_calls == 0


def stubbed_run(session, checks, setup):
    """Run ``checks`` against a Stubber-backed RDS client prepared by ``setup(stub)``."""
    real = session.client("rds")
    stub = Stubber(real)
    setup(stub)
    stub.activate()
    target = Target("t", ACCOUNT_ID, session, [REGION], client_factory=lambda s, r: real)
    return run(select(checks), [target])


def test_access_denied_on_instances_is_one_error_per_check_not_a_pass(aws):
    result = stubbed_run(aws, INSTANCE_CHECKS, lambda stub: stub.add_client_error(
        "describe_db_instances", service_error_code="AccessDenied", service_message="not allowed",
        http_status_code=403))

    assert {f.check_id: f.status for f in result.findings} == {c: Status.ERROR for c in INSTANCE_CHECKS}
    assert {f.error_code for f in result.findings} == {"AccessDenied"}
    assert result.summary.api_calls["rds.DescribeDBInstances"] == 1  # the failure is shared, not retried


def test_access_denied_on_snapshot_listing_is_an_error(aws):
    result = stubbed_run(aws, [SNAPSHOT], lambda stub: stub.add_client_error(
        "describe_db_snapshots", service_error_code="AccessDenied", service_message="not allowed",
        http_status_code=403))

    [f] = result.findings
    assert f.status is Status.ERROR and f.error_code == "AccessDenied"


def test_unreadable_snapshot_attributes_error_that_snapshot_only(aws):
    def setup(stub):
        stub.add_response("describe_db_snapshots", {"DBSnapshots": [
            {"DBSnapshotIdentifier": "locked", "DBSnapshotArn": f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:snapshot:locked",
             "DBInstanceIdentifier": "db1", "TagList": [{"Key": "team", "Value": "data"}]},
            {"DBSnapshotIdentifier": "gone", "DBInstanceIdentifier": "db1"},
        ]})
        stub.add_client_error("describe_db_snapshot_attributes", service_error_code="AccessDenied",
                              service_message="no", http_status_code=403,
                              expected_params={"DBSnapshotIdentifier": "locked"})
        stub.add_client_error("describe_db_snapshot_attributes", service_error_code="DBSnapshotNotFound",
                              service_message="deleted", http_status_code=404,
                              expected_params={"DBSnapshotIdentifier": "gone"})
        stub.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []})

    result = stubbed_run(aws, [SNAPSHOT], setup)

    [f] = result.findings  # the deleted snapshot is dropped, the unreadable one is an ERROR
    assert (f.resource_id, f.status, f.error_code) == ("snapshot:locked", Status.ERROR, "AccessDenied")
    assert f.tags == {"team": "data"}
