"""Data checks: public-write buckets, SNS/SQS/OpenSearch encryption, RDS/DynamoDB safeguards."""
import json

import pytest
from botocore.stub import Stubber

from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

WRITE = "s3_bucket_no_public_write"
SNS = "sns_topic_encrypted_at_rest"
SQS = "sqs_queue_encrypted_at_rest"
OS_REST = "opensearch_domain_encrypted_at_rest"
OS_N2N = "opensearch_domain_node_to_node_encrypted"
OS_HTTPS = "opensearch_domain_https_required"
RDS_DEL = "rds_instance_deletion_protection_enabled"
RDS_IAM = "rds_instance_iam_auth_enabled"
CL_DEL = "rds_cluster_deletion_protection_enabled"
CL_IAM = "rds_cluster_iam_auth_enabled"
CL_BACKUP = "rds_cluster_backup_retention_min_days"
INST_BACKUP = "rds_instance_backup_retention_7_days"
DDB_DEL = "dynamodb_table_deletion_protection_enabled"


def _run(aws, ids, settings=None, factory=None):
    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=factory)
    return run(select(ids), [target], max_workers=2, settings=settings)


def _stubbed_factory(aws, service, fill):
    client = aws.client(service, region_name=REGION)
    stub = Stubber(client)
    fill(stub)
    stub.activate()
    real = {}
    return lambda svc, region: client if svc == service else real.setdefault(
        (svc, region), aws.client(svc, region_name=region))


# -- S3 public write -------------------------------------------------------------------
def _policy(bucket, statement):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Resource": f"arn:aws:s3:::{bucket}/*", "Effect": "Allow", **statement}]})


def test_public_write_by_policy_or_acl_fails_and_public_read_or_restricted_write_pass(aws):
    s3 = aws.client("s3")
    for name in ("open-put", "open-acl", "open-read", "org-put", "private"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket="open-put", Policy=_policy("open-put", {
        "Sid": "Drop", "Principal": "*", "Action": ["s3:Get*", "s3:Put*"]}))
    # (moto maps the canned ACL public-read-write to READ only, so the grant is spelled out)
    s3.put_bucket_acl(Bucket="open-acl", GrantWrite='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    s3.put_bucket_policy(Bucket="open-read", Policy=_policy("open-read", {
        "Sid": "Read", "Principal": "*", "Action": "s3:GetObject"}))
    s3.put_bucket_policy(Bucket="org-put", Policy=_policy("org-put", {
        "Sid": "Org", "Principal": "*", "Action": "s3:PutObject",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}))

    result = scan(aws, [WRITE])

    assert statuses(result, WRITE) == {"open-put": Status.FAIL, "open-acl": Status.FAIL, "open-read": Status.PASS,
                                       "org-put": Status.PASS, "private": Status.PASS}
    assert only(result, WRITE, "open-put").evidence == {"PublicWriteGrants": [], "PublicWriteStatements": ["Drop"]}
    assert only(result, WRITE, "open-acl").evidence["PublicWriteGrants"] == ["AllUsers:WRITE"]


# -- SNS / SQS ---------------------------------------------------------------------------
def test_sns_topics_with_and_without_kms_key(aws):
    sns = aws.client("sns")
    sns.create_topic(Name="sealed", Attributes={"KmsMasterKeyId": "alias/aws/sns"},
                     Tags=[{"Key": "team", "Value": "ops"}])
    sns.create_topic(Name="plain")
    result = scan(aws, [SNS])
    assert statuses(result, SNS) == {"sealed": Status.PASS, "plain": Status.FAIL}
    assert only(result, SNS, "sealed").tags == {"team": "ops"}
    assert only(result, SNS, "plain").resource_arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:plain"


def test_sns_refused_attributes_is_an_error_for_that_topic(aws):
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:locked"

    def fill(stub):
        stub.add_response("list_topics", {"Topics": [{"TopicArn": arn}]})
        stub.add_client_error("get_topic_attributes", service_error_code="AuthorizationError",
                              service_message="no", http_status_code=403)

    f = only(_run(aws, [SNS], factory=_stubbed_factory(aws, "sns", fill)), SNS, "locked")
    assert (f.status, f.error_code) == (Status.ERROR, "AuthorizationError")


def test_sqs_queues_sse_kms_sse_sqs_and_none(aws):
    sqs = aws.client("sqs")
    sqs.create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    sqs.create_queue(QueueName="managed", Attributes={"SqsManagedSseEnabled": "true"}, tags={"team": "ops"})
    sqs.create_queue(QueueName="plain", Attributes={"SqsManagedSseEnabled": "false"})
    result = scan(aws, [SQS])
    assert statuses(result, SQS) == {"kms": Status.PASS, "managed": Status.PASS, "plain": Status.FAIL}
    assert only(result, SQS, "managed").tags == {"team": "ops"}
    assert only(result, SQS, "plain").resource_arn == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:plain"


def test_sqs_list_denied_is_an_error_not_a_pass(aws):
    def fill(stub):
        stub.add_client_error("list_queues", service_error_code="AccessDenied", service_message="no",
                              http_status_code=403)

    [f] = _run(aws, [SQS], factory=_stubbed_factory(aws, "sqs", fill)).findings
    assert (f.status, f.error_code) == (Status.ERROR, "AccessDenied")


# -- OpenSearch ----------------------------------------------------------------------------
@pytest.fixture
def two_domains(aws):
    client = aws.client("opensearch")
    client.create_domain(DomainName="good", EncryptionAtRestOptions={"Enabled": True},
                         NodeToNodeEncryptionOptions={"Enabled": True},
                         DomainEndpointOptions={"EnforceHTTPS": True,
                                                "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
                         TagList=[{"Key": "team", "Value": "search"}])
    client.create_domain(DomainName="bad", EncryptionAtRestOptions={"Enabled": False},
                         NodeToNodeEncryptionOptions={"Enabled": False},
                         DomainEndpointOptions={"EnforceHTTPS": False})
    return aws


@pytest.mark.parametrize("check_id", [OS_REST, OS_N2N, OS_HTTPS])
def test_opensearch_good_passes_bad_fails(two_domains, check_id):
    result = scan(two_domains, [check_id])
    assert statuses(result, check_id) == {"good": Status.PASS, "bad": Status.FAIL}
    assert only(result, check_id, "good").tags == {"team": "search"}


def test_opensearch_checks_share_one_listing(two_domains):
    result = scan(two_domains, [OS_REST, OS_N2N, OS_HTTPS])
    assert result.summary.api_calls["opensearch.DescribeDomains"] == 1
    assert result.summary.api_calls["opensearch.ListTags"] == 2
    assert result.summary.duplicate_calls == 0


def test_opensearch_tls_policy_setting_narrows_what_passes(two_domains):
    settings = {OS_HTTPS: {"allowed_tls_policies": ["Policy-Min-TLS-1-2-PFS-2023-10"]}}
    f = only(_run(two_domains, [OS_HTTPS], settings=settings), OS_HTTPS, "good")
    assert f.status is Status.FAIL and "Policy-Min-TLS-1-2-2019-07" in f.reason


# -- RDS -------------------------------------------------------------------------------------
def _db(rds, ident, engine="postgres", **kw):
    rds.create_db_instance(DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password123", **kw)


def _cluster(rds, ident, **kw):
    rds.create_db_cluster(DBClusterIdentifier=ident, Engine="aurora-postgresql", MasterUsername="admin1",
                          MasterUserPassword="password123", **kw)


def test_rds_instance_deletion_protection_and_iam_auth(aws):
    rds = aws.client("rds")
    _db(rds, "good", DeletionProtection=True, EnableIAMDatabaseAuthentication=True)
    _db(rds, "bad")
    _db(rds, "oracle", engine="oracle-ee", LicenseModel="bring-your-own-license")
    result = scan(aws, [RDS_DEL, RDS_IAM])
    assert statuses(result, RDS_DEL) == {"good": Status.PASS, "bad": Status.FAIL, "oracle": Status.FAIL}
    assert statuses(result, RDS_IAM) == {"good": Status.PASS, "bad": Status.FAIL}  # Oracle has no IAM auth
    assert result.summary.api_calls["rds.DescribeDBInstances"] == 1


def test_rds_cluster_checks_and_aurora_members_are_judged_by_their_cluster(aws):
    rds = aws.client("rds")
    _cluster(rds, "good", DeletionProtection=True, EnableIAMDatabaseAuthentication=True, BackupRetentionPeriod=14)
    _cluster(rds, "bad", BackupRetentionPeriod=1)
    rds.create_db_instance(DBInstanceIdentifier="bad-1", DBClusterIdentifier="bad", Engine="aurora-postgresql",
                           DBInstanceClass="db.r6g.large")
    result = scan(aws, [CL_DEL, CL_IAM, CL_BACKUP, RDS_DEL, RDS_IAM])
    for check_id in (CL_DEL, CL_IAM, CL_BACKUP):
        assert statuses(result, check_id) == {"good": Status.PASS, "bad": Status.FAIL}
    assert statuses(result, RDS_DEL) == {} and statuses(result, RDS_IAM) == {}
    assert only(result, CL_BACKUP, "bad").evidence == {"BackupRetentionPeriod": 1, "MinimumDays": 7}
    assert result.summary.api_calls["rds.DescribeDBClusters"] == 1


def test_backup_retention_settings_override_the_default(aws):
    rds = aws.client("rds")
    _cluster(rds, "c14", BackupRetentionPeriod=14)
    _db(rds, "d14", BackupRetentionPeriod=14)
    settings = {CL_BACKUP: {"min_days": 30}, INST_BACKUP: {"min_days": 30}}
    result = _run(aws, [CL_BACKUP, INST_BACKUP], settings=settings)
    assert statuses(result, CL_BACKUP) == {"c14": Status.FAIL}
    assert statuses(result, INST_BACKUP) == {"d14": Status.FAIL}
    assert only(result, INST_BACKUP, "d14").evidence["MinimumDays"] == 30


def test_rds_cluster_listing_throttled_is_an_error(aws):
    def fill(stub):
        stub.add_client_error("describe_db_clusters", service_error_code="Throttling", service_message="slow down",
                              http_status_code=400)

    result = _run(aws, [CL_DEL, CL_IAM], factory=_stubbed_factory(aws, "rds", fill))
    assert {(f.status, f.error_code) for f in result.findings} == {(Status.ERROR, "Throttling")}
    assert len(result.findings) == 2


# -- DynamoDB -----------------------------------------------------------------------------------
def _table(ddb, name, **kw):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **kw)


def test_dynamodb_deletion_protection_pass_and_fail_sharing_the_listing(aws):
    ddb = aws.client("dynamodb")
    _table(ddb, "kept", DeletionProtectionEnabled=True)
    _table(ddb, "loose")
    result = scan(aws, [DDB_DEL, "dynamodb_table_pitr_enabled"])
    assert statuses(result, DDB_DEL) == {"kept": Status.PASS, "loose": Status.FAIL}
    assert result.summary.api_calls["dynamodb.ListTables"] == 1
    assert result.summary.api_calls["dynamodb.DescribeTable"] == 2


def test_dynamodb_describe_denied_is_an_error_for_that_table(aws):
    def fill(stub):
        stub.add_response("list_tables", {"TableNames": ["locked"]})
        stub.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED"}})
        stub.add_response("list_tags_of_resource", {"Tags": []})
        stub.add_client_error("describe_table", service_error_code="AccessDeniedException",
                              service_message="no", http_status_code=400)

    f = only(_run(aws, [DDB_DEL], factory=_stubbed_factory(aws, "dynamodb", fill)), DDB_DEL, "locked")
    assert (f.status, f.error_code) == (Status.ERROR, "AccessDeniedException")
