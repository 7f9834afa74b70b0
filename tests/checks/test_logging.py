import json

from botocore.stub import Stubber

from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

MULTI = "cloudtrail_multiregion_trail_logging"
VALIDATION = "cloudtrail_log_file_validation_enabled"
KMS = "cloudtrail_trail_kms_encrypted"
BUCKET = "cloudtrail_trail_bucket_not_public"
CONFIG = "config_recorder_enabled"
GUARDDUTY = "guardduty_detector_enabled"
HUB = "securityhub_hub_enabled"
ALL = [MULTI, VALIDATION, KMS, BUCKET, CONFIG, GUARDDUTY, HUB]
ALL_MGMT = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]


def _trail(aws, name, *, region=REGION, bucket="trail-logs", logging=True, selectors=ALL_MGMT, **kw):
    s3 = aws.client("s3", region_name=REGION)
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    ct = aws.client("cloudtrail", region_name=region)
    arn = ct.create_trail(Name=name, S3BucketName=bucket, **kw)["TrailARN"]
    if logging:
        ct.start_logging(Name=name)
    if selectors:
        ct.put_event_selectors(TrailName=name, EventSelectors=selectors)
    return arn


# -- cloudtrail_multiregion_trail_logging --------------------------------------------
def test_logging_multiregion_trail_passes(aws):
    arn = _trail(aws, "org-audit", IsMultiRegionTrail=True)
    f = only(scan(aws, [MULTI]), MULTI, ACCOUNT_ID)
    assert f.status is Status.PASS
    assert f.evidence == {"IsMultiRegionTrail": True, "trail": arn, "IsLogging": True,
                          "management_events": ["read", "write"]}
    assert "org-audit" in f.reason and f.region == "global"


def test_advanced_selectors_and_trail_homed_in_another_region_pass(aws):
    _trail(aws, "eu-audit", region="eu-west-1", IsMultiRegionTrail=True, selectors=None)
    aws.client("cloudtrail", region_name="eu-west-1").put_event_selectors(
        TrailName="eu-audit",
        AdvancedEventSelectors=[{"Name": "mgmt", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}]}])
    f = only(scan(aws, [MULTI]), MULTI, ACCOUNT_ID)
    assert f.status is Status.PASS
    assert f.evidence["trail"].startswith("arn:aws:cloudtrail:eu-west-1:")


def test_no_trail_fails(aws):
    f = only(scan(aws, [MULTI]), MULTI, ACCOUNT_ID)
    assert f.status is Status.FAIL
    assert f.evidence == {"multi_region_trails": []}


def test_single_region_stopped_or_write_only_trails_fail(aws):
    _trail(aws, "regional")  # logging, all events, but one region only
    stopped = _trail(aws, "stopped", IsMultiRegionTrail=True, logging=False)
    write_only = _trail(aws, "write-only", IsMultiRegionTrail=True,
                        selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    f = only(scan(aws, [MULTI]), MULTI, ACCOUNT_ID)
    assert f.status is Status.FAIL
    rows = {r["trail"]: r for r in f.evidence["multi_region_trails"]}
    assert set(rows) == {stopped, write_only}
    assert rows[stopped]["IsLogging"] is False
    assert rows[write_only]["management_events"] == ["write"]


def test_advanced_read_only_management_selector_fails(aws):
    _trail(aws, "reads", IsMultiRegionTrail=True, selectors=None)
    aws.client("cloudtrail").put_event_selectors(
        TrailName="reads",
        AdvancedEventSelectors=[{"Name": "reads", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "readOnly", "Equals": ["true"]}]}])
    f = only(scan(aws, [MULTI]), MULTI, ACCOUNT_ID)
    assert f.status is Status.FAIL
    assert f.evidence["multi_region_trails"][0]["management_events"] == ["read"]


def _stubbed(aws, service, fill):
    """A Target whose `service` client (any region) is a Stubber-backed client."""
    stubbed = aws.client(service, region_name=REGION)
    stub = Stubber(stubbed)
    fill(stub)
    stub.activate()
    real = {}

    def factory(svc, region):
        if svc == service:
            return stubbed
        return real.setdefault((svc, region), aws.client(svc, region_name=region))

    return Target("t", ACCOUNT_ID, aws, [REGION], client_factory=factory), stub


def test_organization_trail_of_management_account_counts_but_is_not_judged_here(aws):
    arn = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org-trail"

    def fill(stub):
        stub.add_response("list_trails", {"Trails": [
            {"TrailARN": arn, "Name": "org-trail", "HomeRegion": "eu-west-1"}]})
        stub.add_response("get_trail", {"Trail": {
            "Name": "org-trail", "TrailARN": arn, "IsMultiRegionTrail": True, "IsOrganizationTrail": True,
            "S3BucketName": "org-logs", "LogFileValidationEnabled": False}}, {"Name": arn})
        stub.add_response("get_trail_status", {"IsLogging": True}, {"Name": arn})
        stub.add_response("get_event_selectors", {"TrailARN": arn, "EventSelectors": ALL_MGMT},
                          {"TrailName": arn})

    target, stub = _stubbed(aws, "cloudtrail", fill)
    result = run(select([MULTI, VALIDATION]), [target], max_workers=1)
    assert only(result, MULTI, ACCOUNT_ID).status is Status.PASS
    assert statuses(result, VALIDATION) == {}  # the management account judges its own trail
    stub.assert_no_pending_responses()


def test_list_trails_access_denied_is_an_error_not_a_pass(aws):
    target, _ = _stubbed(aws, "cloudtrail", lambda stub: stub.add_client_error(
        "list_trails", service_error_code="AccessDeniedException", service_message="no", http_status_code=400))
    result = run(select([MULTI, VALIDATION]), [target])
    assert {f.check_id: (f.status, f.error_code) for f in result.findings} == {
        MULTI: (Status.ERROR, "AccessDeniedException"),
        VALIDATION: (Status.ERROR, "AccessDeniedException"),
    }
    assert result.summary.api_calls == {"cloudtrail.ListTrails": 1}  # the failure is memoised


# -- per-trail checks ----------------------------------------------------------------
def test_log_file_validation_pass_and_fail(aws):
    _trail(aws, "validated", EnableLogFileValidation=True, TagsList=[{"Key": "team", "Value": "sec"}])
    _trail(aws, "unvalidated")
    result = scan(aws, [VALIDATION])
    assert statuses(result, VALIDATION) == {"validated": Status.PASS, "unvalidated": Status.FAIL}
    ok = only(result, VALIDATION, "validated")
    assert ok.tags == {"team": "sec"} and ok.region == REGION
    assert only(result, VALIDATION, "unvalidated").evidence == {"LogFileValidationEnabled": False}


def test_kms_encryption_pass_and_fail(aws):
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    _trail(aws, "encrypted", KmsKeyId=key)
    _trail(aws, "plain")
    result = scan(aws, [KMS])
    assert statuses(result, KMS) == {"encrypted": Status.PASS, "plain": Status.FAIL}
    assert only(result, KMS, "encrypted").evidence == {"KmsKeyId": key}
    assert only(result, KMS, "plain").evidence == {"KmsKeyId": None}


def test_private_bucket_and_conditioned_policy_pass(aws):
    _trail(aws, "private-trail", bucket="private-logs")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::private-logs/*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}
    aws.client("s3").put_bucket_policy(Bucket="private-logs", Policy=json.dumps(policy))
    f = only(scan(aws, [BUCKET]), BUCKET, "private-trail")
    assert f.status is Status.PASS
    assert f.evidence == {"bucket": "private-logs", "public_acl_grants": [], "public_policy_statements": []}


def test_public_acl_and_open_policy_fail(aws):
    _trail(aws, "acl-trail", bucket="acl-logs")
    _trail(aws, "policy-trail", bucket="policy-logs")
    s3 = aws.client("s3")
    s3.put_bucket_acl(Bucket="acl-logs", ACL="public-read")
    s3.put_bucket_policy(Bucket="policy-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::policy-logs/*"}]}))
    result = scan(aws, [BUCKET])
    assert statuses(result, BUCKET) == {"acl-trail": Status.FAIL, "policy-trail": Status.FAIL}
    assert only(result, BUCKET, "acl-trail").evidence["public_acl_grants"] == ["AllUsers:READ"]
    assert only(result, BUCKET, "policy-trail").evidence["public_policy_statements"] == ["Everyone"]


def test_unreadable_bucket_in_another_account_is_an_error_for_that_trail_only(aws):
    _trail(aws, "denied-trail", bucket="archive-logs")

    def fill(stub):
        stub.add_response("list_buckets", {"Buckets": []})  # the log bucket lives in another account
        stub.add_client_error("get_bucket_acl", service_error_code="AccessDenied", service_message="no",
                              http_status_code=403, expected_params={"Bucket": "archive-logs"})

    target, stub = _stubbed(aws, "s3", fill)
    result = run(select([BUCKET, VALIDATION]), [target])
    f = only(result, BUCKET, "denied-trail")
    assert f.status is Status.ERROR and f.error_code == "AccessDenied"
    assert only(result, VALIDATION, "denied-trail").status is Status.FAIL
    stub.assert_no_pending_responses()


# -- AWS Config ----------------------------------------------------------------------
def _recorder(aws, *, start=True, all_supported=True):
    cfg = aws.client("config")
    group = {"allSupported": True, "includeGlobalResourceTypes": True} if all_supported else {
        "allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/config", "recordingGroup": group})
    if start:
        aws.client("s3").create_bucket(Bucket="config-delivery")
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-delivery"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")


def test_config_recording_all_types_passes(aws):
    _recorder(aws)
    f = only(scan(aws, [CONFIG]), CONFIG, REGION)
    assert f.status is Status.PASS
    assert f.evidence == {"recorders": [{"name": "default", "recording": True, "allSupported": True,
                                         "lastStatus": "PENDING"}]}  # moto: Pending until a delivery


def test_config_missing_stopped_or_partial_recorder_fails(aws):
    assert only(scan(aws, [CONFIG]), CONFIG, REGION).evidence == {"recorders": []}
    _recorder(aws, start=False)
    f = only(scan(aws, [CONFIG]), CONFIG, REGION)
    assert f.status is Status.FAIL and "not recording" in f.reason
    _recorder(aws, all_supported=False)
    f = only(scan(aws, [CONFIG]), CONFIG, REGION)
    assert f.status is Status.FAIL and "selected resource types" in f.reason


def test_config_recorder_whose_last_recording_failed_fails(aws):
    """CIS 3.3 asks for lastStatus SUCCESS; moto never fails a recorder, so the status is stubbed."""
    recorder = {"name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/config",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}}

    def fill(stub):
        stub.add_response("describe_configuration_recorders", {"ConfigurationRecorders": [recorder]})
        stub.add_response("describe_configuration_recorder_status", {"ConfigurationRecordersStatus": [
            {"name": "default", "recording": True, "lastStatus": "Failure", "lastErrorCode": "AccessDenied"}]})

    target, stub = _stubbed(aws, "config", fill)
    [f] = run(select([CONFIG]), [target]).findings
    assert f.status is Status.FAIL and "lastStatus Failure" in f.reason
    assert f.evidence == {"recorders": [{"name": "default", "recording": True, "allSupported": True,
                                         "lastStatus": "Failure"}]}
    stub.assert_no_pending_responses()


# -- GuardDuty -----------------------------------------------------------------------
def test_guardduty_enabled_passes_and_disabled_or_missing_fails(aws):
    assert only(scan(aws, [GUARDDUTY]), GUARDDUTY, REGION).status is Status.FAIL
    gd = aws.client("guardduty")
    did = gd.create_detector(Enable=False, Tags={"team": "secops"})["DetectorId"]
    f = only(scan(aws, [GUARDDUTY]), GUARDDUTY, REGION)
    assert f.status is Status.FAIL and f.evidence == {"detectors": {did: "DISABLED"}}
    gd.update_detector(DetectorId=did, Enable=True)
    f = only(scan(aws, [GUARDDUTY]), GUARDDUTY, REGION)
    assert f.status is Status.PASS and f.tags == {"team": "secops"}
    assert f.resource_arn == f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/{did}"


# -- Security Hub --------------------------------------------------------------------
def test_security_hub_disabled_fails_and_enabled_passes(aws):
    f = only(scan(aws, [HUB]), HUB, REGION)
    assert f.status is Status.FAIL and f.evidence == {"enabled": False}
    aws.client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    f = only(scan(aws, [HUB]), HUB, REGION)
    assert f.status is Status.PASS
    assert f.resource_arn == f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:hub/default"


def test_security_hub_access_denied_is_an_error_not_a_fail(aws):
    target, _ = _stubbed(aws, "securityhub", lambda stub: stub.add_client_error(
        "describe_hub", service_error_code="AccessDeniedException", service_message="no", http_status_code=403))
    [f] = run(select([HUB]), [target]).findings
    assert f.status is Status.ERROR and f.error_code == "AccessDeniedException"


# -- the whole file together -----------------------------------------------------------
def test_full_scan_calls_each_api_once_and_only_declared_actions(aws):
    _trail(aws, "audit", IsMultiRegionTrail=True, EnableLogFileValidation=True)
    _trail(aws, "eu-audit", region="eu-west-1", bucket="eu-logs", IsMultiRegionTrail=True)
    _recorder(aws)
    aws.client("guardduty").create_detector(Enable=True)
    result = scan(aws, ALL)
    assert result.summary.duplicate_calls == 0
    assert result.summary.findings["ERROR"] == 0
    declared = {a for c in select(ALL) for a in c.meta.iam_actions}
    s3_iam = {"ListBuckets": "ListAllMyBuckets", "GetBucketEncryption": "GetEncryptionConfiguration",
              "GetPublicAccessBlock": "GetBucketPublicAccessBlock"}  # S3 IAM names differ from API names
    called = {f"{svc}:{s3_iam.get(op, op) if svc == 's3' else op}"
              for svc, op in (name.split(".", 1) for name in result.summary.api_calls)}
    assert called <= declared, called - declared
