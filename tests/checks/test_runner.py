"""Runner and account resolution against in-process moto, plus the full-registry API-call audit."""
from __future__ import annotations

import json
import warnings
from types import SimpleNamespace as NS

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from checks.accounts import SCANNER_IAM_ACTIONS, TargetError, resolve_targets
from checks.base import Check, CheckMeta, Severity, Status
from checks.inventory.core import ApiCallCounter, FetchError
from checks.registry import load_all, select
from checks.runner import GLOBAL_REGION, Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION

OTHER_ACCOUNT = "111122223333"


def cfg(accounts=(), org=None, regions=(), max_workers=4):
    """A duck-typed stand-in for bot.config.AwsConfig (checks/ never imports bot/)."""
    return NS(accounts=list(accounts), organizations=org or NS(enabled=False),
              regions=regions if regions == "all" else list(regions), max_workers=max_workers)


def acct(name, *, role=None, profile=None, external_id=None, regions=None, account_id=None):
    return NS(name=name, account_id=account_id, profile=profile, assume_role_arn=role,
              external_id=external_id, regions=regions)


def fake_check(cid, fn, *, scope="region", severity=Severity.high) -> Check:
    """An unregistered check (the registry stays clean)."""
    meta = CheckMeta(id=cid, title=cid, service="test", aspect="iam", severity=severity, scope=scope,
                     remediation="n/a", iam_actions=[], resource_type="AWS::Test::Thing")
    return Check(meta, fn)


def refusing_factory(operation, denied=lambda params: True):
    """boto3.Session, except ``operation`` (e.g. "sts.AssumeRole") fails with AccessDenied."""

    def refuse(params, **_):
        if denied(params):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}},
                              operation.split(".")[1])

    def factory(**kw):
        session = boto3.Session(**kw)
        session.events.register(f"provide-client-params.{operation}", refuse)
        return session

    return factory


# -- account resolution ------------------------------------------------------------------
def test_default_chain_is_one_target_in_the_default_region(aws, monkeypatch):
    [t] = resolve_targets(None)
    assert (t.name, t.account_id, t.regions, t.partition) == ("default", ACCOUNT_ID, [REGION], "aws")
    assert t.client_factory is None
    assert resolve_targets(cfg(), region="eu-west-1")[0].regions == ["eu-west-1"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert resolve_targets(None)[0].regions == ["eu-central-1"]
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert resolve_targets(None)[0].regions == ["us-east-1"]
    assert resolve_targets(None, account=ACCOUNT_ID)[0].account_id == ACCOUNT_ID
    with pytest.raises(ValueError, match=r"unknown account 'prod'; choose one of: default \(123456789012\)"):
        resolve_targets(None, account="prod")


def test_default_chain_without_credentials_is_a_target_error(monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(TargetError) as err:
        resolve_targets(None)
    assert err.value.code == "NoCredentialsError"


def test_assume_role_target_reads_the_other_account(aws):
    role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/srm-readonly"
    [t] = resolve_targets(cfg([acct("prod", role=role, external_id="ext-123")]))
    assert (t.name, t.account_id, t.regions, t.client_factory) == ("prod", OTHER_ACCOUNT, [REGION], None)
    ident = t.open_session().client("sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/srm-readonly/srm-bot"
    mine = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    theirs = t.open_session().client("kms").create_key()["KeyMetadata"]["KeyId"]

    result = run(select(["kms_key_rotation_enabled"]), [t])

    assert {(f.account_id, f.resource_id) for f in result.findings} == {(OTHER_ACCOUNT, theirs)}
    assert mine != theirs


def test_profile_account_uses_the_named_profile(aws, tmp_path, monkeypatch):
    creds = tmp_path / "credentials"
    creds.write_text("[audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = s3cret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    [ok, missing] = resolve_targets(cfg([acct("audit", profile="audit"), acct("gone", profile="nope")]))
    assert (ok.name, ok.account_id, ok.client_factory) == ("audit", ACCOUNT_ID, None)
    assert ok.session.get_credentials().access_key == "AKIAAUDIT"
    assert missing.session is None
    with pytest.raises(FetchError, match="ProfileNotFound"):
        missing.open_session()


def test_assume_role_failure_becomes_error_findings_and_the_scan_goes_on(aws):
    good = f"arn:aws:iam::{OTHER_ACCOUNT}:role/srm"
    bad = "arn:aws:iam::444455556666:role/srm"
    targets = resolve_targets(cfg([acct("good", role=good), acct("bad", role=bad)], regions=[REGION, "eu-west-1"]),
                              session_factory=refusing_factory("sts.AssumeRole", lambda p: p["RoleArn"] == bad))
    assert [(t.name, t.account_id) for t in targets] == [("good", OTHER_ACCOUNT), ("bad", "444455556666")]
    targets[0].open_session().client("kms").create_key()

    result = run(select(["kms_key_rotation_enabled", "iam_root_mfa_enabled"]), targets)

    denied = [f for f in result.findings if f.account_id == "444455556666"]
    assert {(f.check_id, f.region, f.status, f.error_code) for f in denied} == {
        ("kms_key_rotation_enabled", REGION, Status.ERROR, "AccessDenied"),
        ("kms_key_rotation_enabled", "eu-west-1", Status.ERROR, "AccessDenied"),
        ("iam_root_mfa_enabled", GLOBAL_REGION, Status.ERROR, "AccessDenied"),
    }
    assert all(bad in f.reason for f in denied)
    assert {f.status for f in result.findings if f.account_id == OTHER_ACCOUNT} == {Status.FAIL}
    assert ("444455556666", "eu-west-1", "kms_key_rotation_enabled") in result.covered


def test_account_filter_by_name_or_id_and_unknown_names_the_choices(aws):
    config = cfg([acct("prod", role=f"arn:aws:iam::{OTHER_ACCOUNT}:role/r"),
                  acct("dev", role="arn:aws:iam::222233334444:role/r")])
    assert [t.name for t in resolve_targets(config, account="dev")] == ["dev"]
    assert [t.name for t in resolve_targets(config, account=OTHER_ACCOUNT)] == ["prod"]
    with pytest.raises(ValueError, match=r"unknown account 'qa'; choose one of: dev \(222233334444\), prod \(111122223333\)"):
        resolve_targets(config, account="qa")


def test_organizations_mode_assumes_the_role_in_active_accounts_minus_excluded(aws):
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = {name: org.create_account(AccountName=name, Email=f"{name}@example.com")
           ["CreateAccountStatus"]["AccountId"] for name in ("dev", "prod", "closed", "sandbox")}
    org.close_account(AccountId=ids["closed"])
    org_cfg = NS(enabled=True, role_name="srm-readonly", external_id=None, profile=None, exclude=[ids["sandbox"]])

    targets = resolve_targets(cfg(org=org_cfg, regions=[REGION]))

    assert sorted((t.name, t.account_id) for t in targets) == sorted(
        [("master", ACCOUNT_ID), ("dev", ids["dev"]), ("prod", ids["prod"])])
    for t in targets:
        arn = t.open_session().client("sts").get_caller_identity()["Arn"]
        assert arn == f"arn:aws:sts::{t.account_id}:assumed-role/srm-readonly/srm-bot"
    assert [t.name for t in resolve_targets(cfg(org=org_cfg), account="prod")] == ["prod"]


def test_organizations_listing_refused_or_empty_is_a_target_error(aws):
    org_cfg = NS(enabled=True, role_name="r", external_id=None, profile=None, exclude=[ACCOUNT_ID])
    with pytest.raises(TargetError) as err:
        resolve_targets(cfg(org=org_cfg), session_factory=refusing_factory("organizations.ListAccounts"))
    assert err.value.code == "AccessDenied"
    aws.client("organizations").create_organization(FeatureSet="ALL")
    with pytest.raises(TargetError, match="no ACTIVE account"):  # all excluded: never fall back to "me"
        resolve_targets(cfg(org=org_cfg))


def test_all_regions_lists_enabled_regions_and_region_flag_overrides(aws):
    [t] = resolve_targets(cfg(regions="all"))
    assert t.regions == sorted(t.regions)
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(t.regions)
    assert [t.regions for t in resolve_targets(cfg(regions="all"), region="eu-west-2")] == [["eu-west-2"]]
    per_account = cfg([acct("a", role=f"arn:aws:iam::{OTHER_ACCOUNT}:role/r", regions=["ca-central-1"])],
                      regions="all")
    assert resolve_targets(per_account)[0].regions == ["ca-central-1"]


# -- runner: errors are never PASS ---------------------------------------------------------
def test_fetch_error_is_an_error_with_its_code_and_a_crash_does_not_stop_other_checks(aws):
    def denied(scope):
        raise FetchError("AccessDeniedException", "nope", "kms.keys")

    def crashes(scope):
        yield scope.passed("half", "yielded before crashing")
        raise KeyError("Arn")

    def fine(scope):
        yield scope.passed("thing", "all good")

    checks = [fake_check("test_fetch_denied", denied), fake_check("test_check_crashes", crashes),
              fake_check("test_check_fine", fine)]
    result = run(checks, [Target("t", ACCOUNT_ID, aws, [REGION])], max_workers=2)

    by_check = {f.check_id: f for f in result.findings}
    assert len(result.findings) == 3  # the crashing check's partial PASS is dropped, not kept
    assert (by_check["test_fetch_denied"].status, by_check["test_fetch_denied"].error_code) == (
        Status.ERROR, "AccessDeniedException")
    assert by_check["test_check_crashes"].status is Status.ERROR
    assert by_check["test_check_crashes"].error_code == "CheckCrashed:KeyError"
    assert by_check["test_check_fine"].status is Status.PASS
    assert result.summary.findings == {"PASS": 1, "FAIL": 0, "ERROR": 2}
    assert {e.code for e in result.summary.errors} == {"AccessDeniedException", "CheckCrashed:KeyError"}


def test_covered_lists_every_scope_once(aws):
    checks = [fake_check("test_region_thing", lambda s: []),
              fake_check("test_account_thing", lambda s: [], scope="account")]
    targets = [Target("a", ACCOUNT_ID, aws, [REGION, "eu-west-1"]), Target("b", OTHER_ACCOUNT, aws, [REGION])]
    result = run(checks, targets)
    assert result.covered == sorted([
        (ACCOUNT_ID, GLOBAL_REGION, "test_account_thing"), (ACCOUNT_ID, REGION, "test_region_thing"),
        (ACCOUNT_ID, "eu-west-1", "test_region_thing"), (OTHER_ACCOUNT, GLOBAL_REGION, "test_account_thing"),
        (OTHER_ACCOUNT, REGION, "test_region_thing"),
    ])
    assert result.summary.scopes == 5 and result.findings == []


# -- the API-call audit over the whole registry -------------------------------------------
# S3 IAM action names differ from the API operation names.
S3_ACTIONS = {
    "ListBuckets": "ListAllMyBuckets", "HeadBucket": "ListBucket", "ListObjectsV2": "ListBucket",
    "GetBucketEncryption": "GetEncryptionConfiguration", "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration", "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration", "GetBucketCors": "GetBucketCORS",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
}
S3CONTROL_ACTIONS = {"GetPublicAccessBlock": "GetAccountPublicAccessBlock"}
IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch"}
_models = botocore.session.get_session()


def iam_action(call: str) -> str:
    """'s3.ListBuckets' -> 's3:ListAllMyBuckets'; 'ec2.DescribeVolumes' -> 'ec2:DescribeVolumes'."""
    service, op = call.split(".", 1)
    if service == "s3":
        return f"s3:{S3_ACTIONS.get(op, op)}"
    if service == "s3control":
        return f"s3:{S3CONTROL_ACTIONS.get(op, op)}"
    if service in ("apigateway", "apigatewayv2") and op.startswith(("Get", "List")):
        return "apigateway:GET"
    prefix = _models.get_service_model(service).signing_name
    return f"{IAM_PREFIX_OF_SIGNING_NAME.get(prefix, prefix)}:{op}"


def test_iam_action_mapping():
    assert iam_action("s3.ListBuckets") == "s3:ListAllMyBuckets"
    assert iam_action("s3.GetBucketEncryption") == "s3:GetEncryptionConfiguration"
    assert iam_action("s3.GetPublicAccessBlock") == "s3:GetBucketPublicAccessBlock"
    assert iam_action("s3control.GetPublicAccessBlock") == "s3:GetAccountPublicAccessBlock"
    assert iam_action("s3.GetBucketPolicyStatus") == "s3:GetBucketPolicyStatus"
    assert iam_action("cloudwatch.DescribeAlarms") == "cloudwatch:DescribeAlarms"
    assert iam_action("efs.DescribeFileSystems") == "elasticfilesystem:DescribeFileSystems"
    assert iam_action("elbv2.DescribeLoadBalancers") == "elasticloadbalancing:DescribeLoadBalancers"


OPEN_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::srm-audit-open/*"}]}
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def seed_account(session) -> None:
    """At least one resource of every kind the checks read, some compliant, some not.

    Extend this when a check starts reading a new kind of resource (the audit warns
    about supported checks that found nothing to judge).
    """
    c = session.client
    s3, ec2, iam = c("s3"), c("ec2"), c("iam")
    # S3: an open bucket with a policy, and a hardened one with every setting configured
    for name in ("srm-audit-open", "srm-audit-locked", "srm-audit-logs"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket="srm-audit-open", Policy=json.dumps(OPEN_POLICY))
    s3.put_bucket_tagging(Bucket="srm-audit-open", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    s3.put_bucket_encryption(Bucket="srm-audit-locked", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    s3.put_bucket_versioning(Bucket="srm-audit-locked", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_acl(Bucket="srm-audit-logs", ACL="log-delivery-write")
    s3.put_bucket_logging(Bucket="srm-audit-locked", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "srm-audit-logs", "TargetPrefix": "s3/"}})
    s3.put_public_access_block(Bucket="srm-audit-locked", PublicAccessBlockConfiguration={
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
    # EC2: an SG open to the world, volumes, a public snapshot, an instance, a flow log
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="srm-audit-ssh", Description="open ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    plain = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=True)
    snap = ec2.create_snapshot(VolumeId=plain)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SecurityGroupIds=[sg],
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "web"}]}])
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                         LogDestination="arn:aws:s3:::srm-audit-logs")
    # IAM: a user with a key, a console password, attached and inline policies; an admin policy
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "ops"}])
    iam.create_access_key(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Sup3r-secret-pw!")
    admin = iam.create_policy(PolicyName="srm-audit-admin", PolicyDocument=json.dumps(ADMIN_POLICY))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=admin)
    iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=json.dumps(ADMIN_POLICY))
    iam.create_role(RoleName="support", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.update_account_password_policy(MinimumPasswordLength=8)
    # KMS, CloudTrail (+ CloudWatch Logs), Config, GuardDuty, Security Hub
    key = c("kms").create_key(Description="audit")["KeyMetadata"]["KeyId"]
    logs = c("logs")
    logs.create_log_group(logGroupName="trail")
    group_arn = logs.describe_log_groups()["logGroups"][0]["arn"]
    ct = c("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="srm-audit-logs", IsMultiRegionTrail=True,
                    EnableLogFileValidation=True, KmsKeyId=key, CloudWatchLogsLogGroupArn=group_arn,
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/support",
                    TagsList=[{"Key": "team", "Value": "sec"}])
    ct.start_logging(Name="main")
    ct.put_event_selectors(TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    config = c("config")
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/support",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "srm-audit-logs"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    c("guardduty").create_detector(Enable=True)
    c("securityhub").enable_security_hub()
    # RDS: an instance, a manual snapshot shared publicly, a cluster snapshot
    rds = c("rds")
    rds.create_db_instance(DBInstanceIdentifier="db1", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20,
                           PubliclyAccessible=True, BackupRetentionPeriod=1)
    rds.create_db_snapshot(DBSnapshotIdentifier="db1-snap", DBInstanceIdentifier="db1")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="db1-snap", AttributeName="restore", ValuesToAdd=["all"])
    rds.create_db_cluster(DBClusterIdentifier="cl1", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="password123")
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="cl1-snap", DBClusterIdentifier="cl1")
    # DynamoDB: one table with point-in-time recovery, one without
    ddb = c("dynamodb")
    for name in ("orders", "sessions"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         Tags=[{"Key": "team", "Value": "shop"}])
    ddb.update_continuous_backups(TableName="orders",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    _seed_edge_and_data(session, vpc)


def _seed_edge_and_data(session, vpc) -> None:
    """Load balancers, CloudFront, API Gateway, OpenSearch, SNS, SQS, IAM extras (wave 2 families)."""
    c = session.client
    ec2, elb = c("ec2"), c("elbv2")
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{96 + i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    lb = elb.create_load_balancer(Name="srm-audit-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="srm-audit-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward)
    cert = c("acm").request_certificate(DomainName="audit.example.com")["CertificateArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-2016-08",
                        Certificates=[{"CertificateArn": cert}], DefaultActions=forward)
    c("elb").create_load_balancer(LoadBalancerName="srm-audit-clb", AvailabilityZones=[f"{REGION}a"], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}])
    c("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "srm-audit", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "app", "DomainName": "app.example.com", "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "match-viewer"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})
    apigw = c("apigateway")
    api = apigw.create_rest_api(name="srm-audit-api")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="prod")
    http_api = c("apigatewayv2").create_api(Name="srm-audit-http", ProtocolType="HTTP")["ApiId"]
    c("apigatewayv2").create_stage(ApiId=http_api, StageName="live")
    c("opensearch").create_domain(DomainName="srm-audit-search")
    c("sns").create_topic(Name="srm-audit-topic")
    c("sqs").create_queue(QueueName="srm-audit-queue")
    iam = c("iam")
    iam.create_policy(PolicyName="srm-audit-spare-admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    iam.upload_server_certificate(ServerCertificateName="srm-audit-cert", CertificateBody="body", PrivateKey="key")


def audit_run(session, checks):
    counter = ApiCallCounter()  # our own, to name duplicate (operation, params) pairs

    def client_factory(service, region):
        client = session.client(service, region_name=region)
        counter.attach(client)
        return client

    target = Target("audit", ACCOUNT_ID, session, [REGION], client_factory=client_factory)
    return run(checks, [target], max_workers=8), counter


def _culprits(session, checks, undeclared) -> list[str]:
    """Which checks, run alone, make a call they (and everyone else) did not declare."""
    out = []
    for check in checks:
        result, _ = audit_run(session, [check])
        for call in result.summary.api_calls:
            if call in undeclared and iam_action(call) not in check.meta.iam_actions:
                out.append(f"{check.meta.id}: {call} needs {iam_action(call)}")
    return out


@pytest.fixture
def seeded(aws):
    seed_account(aws)
    return aws


def test_full_registry_scan_calls_only_declared_actions_and_never_repeats_a_call(seeded):
    checks = list(load_all().values())
    result, counter = audit_run(seeded, checks)

    calls = result.summary.api_calls
    assert calls, "the full scan made no API calls at all"
    declared = {a for c in checks for a in c.meta.iam_actions} | set(SCANNER_IAM_ACTIONS)
    undeclared = sorted(call for call in calls if iam_action(call) not in declared)
    assert not undeclared, "undeclared API calls:\n" + "\n".join(_culprits(seeded, checks, set(undeclared)))

    dupes = sorted(f"{k} x{n}" for k, n in counter.params.items() if n > 1)  # (operation, params) pairs
    assert (result.summary.duplicate_calls, dupes) == (0, []), "calls made more than once (see right side)"
    assert counter.calls == result.summary.api_calls  # both counters saw the same calls

    quiet = sorted(c.meta.id for c in checks
                   if c.meta.moto == "supported" and not any(f.check_id == c.meta.id for f in result.findings))
    if quiet:  # a new check reading something seed_account does not create yet
        warnings.warn(f"no finding in the seeded account for: {', '.join(quiet)}; extend the seeding",
                      stacklevel=1)


def test_full_registry_scan_of_a_seeded_account_has_no_errors_for_moto_supported_checks(seeded):
    checks = list(load_all().values())
    result, _ = audit_run(seeded, checks)
    supported = {c.meta.id for c in checks if c.meta.moto == "supported"}
    errors = [f"{f.check_id} {f.resource_id}: {f.reason}" for f in result.findings
              if f.status is Status.ERROR and f.check_id in supported]
    assert not errors, "moto-supported checks errored:\n" + "\n".join(errors)
    assert result.summary.findings["FAIL"] > 0 and result.summary.findings["PASS"] > 0
    json.dumps([f.model_dump(mode="json") for f in result.findings])  # every finding serialises
