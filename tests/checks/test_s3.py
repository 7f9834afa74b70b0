import json

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from checks.aws.s3 import public_statements, tls_deny_statements
from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, only, scan, statuses

ACCOUNT_BPA = "s3_account_public_access_block_enabled"
BUCKET_BPA = "s3_bucket_public_access_block_enabled"
POLICY = "s3_bucket_policy_not_public"
ACL = "s3_bucket_acl_not_public"
ENCRYPTION = "s3_bucket_default_encryption_enabled"
VERSIONING = "s3_bucket_versioning_enabled"
TLS = "s3_bucket_tls_only_policy"
LOGGING = "s3_bucket_access_logging_enabled"
BUCKET_CHECKS = [BUCKET_BPA, POLICY, ACL, ENCRYPTION, VERSIONING, TLS, LOGGING]
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def _policy(s3, bucket, *statements):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def _allow_all(bucket, sid="Public", **extra):
    return {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*", **extra}


def _deny_http(bucket, action="s3:*", value="false"):
    return {"Sid": "DenyHttp", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": action,
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": value}}}


def test_account_block_public_access(aws):
    assert only(scan(aws, [ACCOUNT_BPA]), ACCOUNT_BPA, ACCOUNT_ID).evidence == {"Configured": False}

    ctl = aws.client("s3control")
    ctl.put_public_access_block(AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration={**ALL_ON, "RestrictPublicBuckets": False})
    f = only(scan(aws, [ACCOUNT_BPA]), ACCOUNT_BPA, ACCOUNT_ID)
    assert f.status is Status.FAIL and f.evidence["RestrictPublicBuckets"] is False
    assert "RestrictPublicBuckets" in f.reason and f.resource_type == "AWS::::Account"

    ctl.put_public_access_block(AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=ALL_ON)
    f = only(scan(aws, [ACCOUNT_BPA]), ACCOUNT_BPA, ACCOUNT_ID)
    assert f.status is Status.PASS and f.evidence == ALL_ON


def test_bucket_block_public_access(aws):
    s3 = aws.client("s3")
    for b in ("bpa-full", "bpa-partial", "bpa-none"):
        s3.create_bucket(Bucket=b)
    s3.put_public_access_block(Bucket="bpa-full", PublicAccessBlockConfiguration=ALL_ON)
    s3.put_public_access_block(Bucket="bpa-partial", PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicPolicy": False})

    result = scan(aws, [BUCKET_BPA])

    assert statuses(result, BUCKET_BPA) == {"bpa-full": Status.PASS, "bpa-partial": Status.FAIL, "bpa-none": Status.FAIL}
    assert only(result, BUCKET_BPA, "bpa-partial").evidence["BlockPublicPolicy"] is False
    assert only(result, BUCKET_BPA, "bpa-none").evidence == {"Configured": False}
    f = only(result, BUCKET_BPA, "bpa-full")
    assert f.resource_arn == "arn:aws:s3:::bpa-full" and f.region == "us-east-1"


def test_bucket_policy_public_vs_restricted(aws):
    s3 = aws.client("s3")
    for b in ("pol-public", "pol-aws-star", "pol-vpce", "pol-none"):
        s3.create_bucket(Bucket=b)
    _policy(s3, "pol-public", _allow_all("pol-public"))
    _policy(s3, "pol-aws-star", {**_allow_all("pol-aws-star", sid="AwsStar"), "Principal": {"AWS": ["*"]}})
    _policy(s3, "pol-vpce", _allow_all("pol-vpce", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1234"}}))

    result = scan(aws, [POLICY])

    assert statuses(result, POLICY) == {"pol-public": Status.FAIL, "pol-aws-star": Status.FAIL,
                                        "pol-vpce": Status.PASS, "pol-none": Status.PASS}
    assert only(result, POLICY, "pol-public").evidence == {"PublicStatements": ["Public"]}
    assert only(result, POLICY, "pol-aws-star").evidence == {"PublicStatements": ["AwsStar"]}


@pytest.mark.parametrize("condition, public", [
    (None, True),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, False),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ({"StringLike": {"aws:SourceArn": "arn:aws:*"}}, True),
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, True),
    ({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}, True),
    ({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}, True),
    ({"Null": {"aws:SourceVpce": "false"}}, True),
])
def test_public_statement_conditions(condition, public):
    st = _allow_all("b", **({"Condition": condition} if condition else {}))
    assert bool(public_statements(json.dumps({"Statement": [st]}))) is public


def test_bucket_acl_public_grants(aws):
    s3 = aws.client("s3")
    for b, acl in (("acl-private", "private"), ("acl-read", "public-read"), ("acl-auth", "authenticated-read")):
        s3.create_bucket(Bucket=b, ACL=acl)

    result = scan(aws, [ACL])

    assert statuses(result, ACL) == {"acl-private": Status.PASS, "acl-read": Status.FAIL, "acl-auth": Status.FAIL}
    assert only(result, ACL, "acl-read").evidence == {"PublicGrants": [{"Grantee": "AllUsers", "Permission": "READ"}]}
    assert only(result, ACL, "acl-auth").evidence["PublicGrants"][0]["Grantee"] == "AuthenticatedUsers"


def test_default_encryption(aws):
    s3 = aws.client("s3")
    for b in ("enc-s3", "enc-kms", "enc-none"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_encryption(Bucket="enc-s3", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_encryption(Bucket="enc-kms", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/data"},
                   "BucketKeyEnabled": True}]})

    result = scan(aws, [ENCRYPTION])

    assert statuses(result, ENCRYPTION) == {"enc-s3": Status.PASS, "enc-kms": Status.PASS, "enc-none": Status.FAIL}
    assert only(result, ENCRYPTION, "enc-s3").evidence["SSEAlgorithms"] == ["AES256"]
    kms = only(result, ENCRYPTION, "enc-kms").evidence
    assert kms["SSEAlgorithms"] == ["aws:kms"] and kms["KMSMasterKeyIDs"] == ["alias/data"] and kms["BucketKeyEnabled"]
    assert only(result, ENCRYPTION, "enc-none").evidence == {"SSEAlgorithms": []}


def test_versioning(aws):
    s3 = aws.client("s3")
    for b in ("ver-on", "ver-suspended", "ver-never"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket="ver-on", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket="ver-suspended", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket="ver-suspended", VersioningConfiguration={"Status": "Suspended"})

    result = scan(aws, [VERSIONING])

    assert statuses(result, VERSIONING) == {"ver-on": Status.PASS, "ver-suspended": Status.FAIL, "ver-never": Status.FAIL}
    assert only(result, VERSIONING, "ver-suspended").evidence["Status"] == "Suspended"
    assert only(result, VERSIONING, "ver-never").evidence["Status"] == "NeverEnabled"


def test_tls_only_policy(aws):
    s3 = aws.client("s3")
    for b in ("tls-deny", "tls-none", "tls-narrow", "tls-true"):
        s3.create_bucket(Bucket=b)
    _policy(s3, "tls-deny", _deny_http("tls-deny"))
    _policy(s3, "tls-narrow", _deny_http("tls-narrow", action="s3:GetObject"))
    _policy(s3, "tls-true", _deny_http("tls-true", value="true"))

    result = scan(aws, [TLS])

    assert statuses(result, TLS) == {"tls-deny": Status.PASS, "tls-none": Status.FAIL,
                                     "tls-narrow": Status.FAIL, "tls-true": Status.FAIL}
    assert only(result, TLS, "tls-deny").evidence == {"HasPolicy": True, "DenyInsecureStatements": ["DenyHttp"]}
    assert only(result, TLS, "tls-none").evidence == {"HasPolicy": False, "DenyInsecureStatements": []}


def test_tls_statement_must_cover_the_bucket():
    other = _deny_http("other-bucket")
    assert tls_deny_statements(json.dumps({"Statement": other}), "arn:aws:s3:::mine") == []
    star = {**_deny_http("x"), "Principal": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": False}}}
    assert tls_deny_statements(json.dumps({"Statement": [star]}), "arn:aws:s3:::mine") == ["DenyHttp"]


def test_access_logging(aws):
    s3 = aws.client("s3")
    for b in ("log-target", "log-on"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_acl(Bucket="log-target", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    s3.put_bucket_logging(Bucket="log-on", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "log-target", "TargetPrefix": "log-on/"}})

    result = scan(aws, [LOGGING])

    assert statuses(result, LOGGING) == {"log-on": Status.PASS, "log-target": Status.FAIL}
    assert only(result, LOGGING, "log-on").evidence == {"TargetBucket": "log-target", "TargetPrefix": "log-on/"}


def test_region_labels_tags_and_one_fetch_per_bucket(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="home-bucket")
    s3.create_bucket(Bucket="irish-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.create_bucket(Bucket="legacy-eu-bucket", CreateBucketConfiguration={"LocationConstraint": "EU"})
    s3.put_bucket_tagging(Bucket="irish-bucket", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})

    result = scan(aws, [ACCOUNT_BPA, *BUCKET_CHECKS])

    regions = {f.resource_id: f.region for f in result.findings if f.check_id == VERSIONING}
    assert regions == {"home-bucket": "us-east-1", "irish-bucket": "eu-west-1", "legacy-eu-bucket": "eu-west-1"}
    assert only(result, VERSIONING, "irish-bucket").tags == {"team": "data"}
    calls = result.summary.api_calls
    assert calls["s3.ListBuckets"] == 1 and calls["s3control.GetPublicAccessBlock"] == 1
    for op in ("GetBucketLocation", "GetBucketPolicy", "GetBucketAcl", "GetBucketEncryption",
               "GetBucketVersioning", "GetBucketLogging", "GetPublicAccessBlock", "GetBucketTagging"):
        assert calls[f"s3.{op}"] == 3, op
    assert result.summary.duplicate_calls == 0
    assert result.summary.findings["ERROR"] == 0


def _denied(*operations, bucket=None):
    """A before-call hook that answers AccessDenied for these operations (optionally one bucket)."""
    def hook(model, context, **_):
        if model.name in operations and (bucket is None or context["input_params"].get("Bucket") == bucket):
            return AWSResponse("https://s3.amazonaws.com", 403, {}, None), {
                "Error": {"Code": "AccessDenied", "Message": "Access Denied"}, "ResponseMetadata": {}}
        return None
    return hook


def test_per_bucket_access_denied_errors_only_that_bucket_and_data(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="locked-bucket")
    s3.create_bucket(Bucket="open-bucket")
    s3.put_bucket_versioning(Bucket="locked-bucket", VersioningConfiguration={"Status": "Enabled"})

    def factory(service, region):
        client = aws.client(service, region_name=region)
        client.meta.events.register("before-call.s3.*", _denied("GetBucketPolicy", "GetBucketTagging", bucket="locked-bucket"))
        return client

    result = run(select(BUCKET_CHECKS), [Target("t", ACCOUNT_ID, aws, ["us-east-1"], client_factory=factory)])

    for check in (POLICY, TLS):
        f = only(result, check, "locked-bucket")
        assert f.status is Status.ERROR and f.error_code == "AccessDenied"
        assert "GetBucketPolicy" in f.reason and f.region == "us-east-1"
        assert only(result, check, "open-bucket").status is not Status.ERROR
    ver = only(result, VERSIONING, "locked-bucket")
    assert ver.status is Status.PASS and "tags unreadable: AccessDenied" in ver.reason and ver.tags == {}
    assert sum(f.status is Status.ERROR for f in result.findings) == 2


def test_a_bucket_whose_region_cannot_be_read_is_an_error_for_every_bucket_check(aws):
    """Throttled or denied GetBucketLocation: no verdict under a wrong region key (that would be drift noise)."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="lost-bucket")
    s3.create_bucket(Bucket="fine-bucket")

    def factory(service, region):
        client = aws.client(service, region_name=region)
        client.meta.events.register("before-call.s3.*", _denied("GetBucketLocation", bucket="lost-bucket"))
        return client

    result = run(select(BUCKET_CHECKS), [Target("t", ACCOUNT_ID, aws, ["us-east-1"], client_factory=factory)])

    lost = [f for f in result.findings if f.resource_id == "lost-bucket"]
    assert lost and {(f.status, f.error_code) for f in lost} == {(Status.ERROR, "AccessDenied")}
    assert {f.region for f in result.findings if f.resource_id == "fine-bucket"} == {"us-east-1"}


def _stubbed_target(aws, stubs):
    return Target("t", ACCOUNT_ID, aws, ["us-east-1"], client_factory=lambda s, r: stubs[s])


def test_access_denied_listing_buckets_is_an_error_not_a_pass(aws):
    s3, ctl = aws.client("s3"), aws.client("s3control")
    stub = Stubber(s3)
    stub.add_client_error("list_buckets", service_error_code="AccessDenied",
                          service_message="not allowed", http_status_code=403)
    ctl_stub = Stubber(ctl)
    ctl_stub.add_client_error("get_public_access_block", service_error_code="AccessDenied",
                              service_message="not allowed", http_status_code=403)
    stub.activate(), ctl_stub.activate()

    result = run(select([ACCOUNT_BPA, *BUCKET_CHECKS]), [_stubbed_target(aws, {"s3": s3, "s3control": ctl})])

    assert len(result.findings) == 8  # one scope ERROR per check, the failed listing is not retried
    assert all(f.status is Status.ERROR and f.error_code == "AccessDenied" for f in result.findings)
    assert result.summary.api_calls == {"s3.ListBuckets": 1, "s3control.GetPublicAccessBlock": 1}


def test_stubbed_bucket_detail_denied_and_deleted_bucket(aws):
    s3 = aws.client("s3")
    stub = Stubber(s3)
    stub.add_response("list_buckets", {"Buckets": [{"Name": "only-bucket"}]})
    stub.add_response("get_bucket_location", {"LocationConstraint": "eu-west-1"})
    stub.add_response("get_bucket_policy", {"Policy": json.dumps({"Statement": [_deny_http("only-bucket")]})})
    stub.add_client_error("get_bucket_acl", service_error_code="AccessDenied", http_status_code=403)
    stub.add_client_error("get_bucket_encryption", service_error_code="ServerSideEncryptionConfigurationNotFoundError",
                          http_status_code=404)
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"})
    stub.add_response("get_bucket_logging", {})
    stub.add_client_error("get_public_access_block", service_error_code="AccessDenied", http_status_code=403)
    stub.add_client_error("get_bucket_tagging", service_error_code="NoSuchTagSet", http_status_code=404)
    stub.activate()

    result = run(select(BUCKET_CHECKS), [_stubbed_target(aws, {"s3": s3})])

    assert statuses(result, ACL) == {"only-bucket": Status.ERROR}
    assert statuses(result, BUCKET_BPA) == {"only-bucket": Status.ERROR}
    assert statuses(result, TLS) == statuses(result, VERSIONING) == {"only-bucket": Status.PASS}
    assert statuses(result, ENCRYPTION) == statuses(result, LOGGING) == {"only-bucket": Status.FAIL}
    assert {f.region for f in result.findings} == {"eu-west-1"}
    stub.assert_no_pending_responses()

    gone = aws.client("s3")
    gone_stub = Stubber(gone)
    gone_stub.add_response("list_buckets", {"Buckets": [{"Name": "deleted-bucket"}]})
    gone_stub.add_client_error("get_bucket_location", service_error_code="NoSuchBucket", http_status_code=404)
    gone_stub.activate()
    assert run(select(BUCKET_CHECKS), [_stubbed_target(aws, {"s3": gone})]).findings == []
