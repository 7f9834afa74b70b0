import json

from botocore.stub import Stubber

from checks.aws.cis_gaps import s3_object_events
from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

PROFILE = "ec2_instance_profile_attached"
ACCESS_LOG = "cloudtrail_trail_bucket_access_logging"
WRITES = "cloudtrail_s3_write_events_logged"
READS = "cloudtrail_s3_read_events_logged"
AMI = "ami-12c6146b"  # moto does not check that the AMI exists
S3_DATA = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]


def _trail(aws, name, *, bucket="trail-logs", multi=True, selectors=None, advanced=None):
    s3 = aws.client("s3")
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    ct = aws.client("cloudtrail")
    arn = ct.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi)["TrailARN"]
    ct.start_logging(Name=name)
    if selectors is not None:
        ct.put_event_selectors(TrailName=name, EventSelectors=selectors)
    if advanced is not None:
        ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    return arn


# -- ec2_instance_profile_attached (CIS 1.18) ----------------------------------------
def test_instance_with_profile_passes_and_without_fails(aws):
    iam = aws.client("iam")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    prof = iam.create_instance_profile(InstanceProfileName="app")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    ec2 = aws.client("ec2")
    good = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                             IamInstanceProfile={"Arn": prof["Arn"]})["Instances"][0]["InstanceId"]
    bare = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "web"}]}])["Instances"][0]["InstanceId"]

    result = scan(aws, [PROFILE])

    assert statuses(result, PROFILE) == {good: Status.PASS, bare: Status.FAIL}
    assert only(result, PROFILE, good).evidence["IamInstanceProfile"] == prof["Arn"]
    f = only(result, PROFILE, bare)
    assert f.evidence["IamInstanceProfile"] is None
    assert f.tags == {"team": "web"}
    assert f.resource_arn.endswith(f"instance/{bare}")


# -- cloudtrail_trail_bucket_access_logging (CIS 3.4) ---------------------------------
def test_trail_bucket_with_access_logging_passes_and_without_fails(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="access-logs")
    s3.put_bucket_acl(Bucket="access-logs", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    _trail(aws, "logged", bucket="logged-trail-logs")
    s3.put_bucket_logging(Bucket="logged-trail-logs", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "ct/"}})
    _trail(aws, "silent", bucket="silent-trail-logs")

    result = scan(aws, [ACCESS_LOG])

    assert statuses(result, ACCESS_LOG) == {"logged": Status.PASS, "silent": Status.FAIL}
    assert only(result, ACCESS_LOG, "logged").evidence["LoggingEnabled"]["TargetBucket"] == "access-logs"
    f = only(result, ACCESS_LOG, "silent")
    assert f.evidence == {"bucket": "silent-trail-logs", "LoggingEnabled": None}
    assert f.resource_arn.startswith("arn:aws:cloudtrail:us-east-1:")


def test_trail_bucket_outside_the_account_is_an_error_not_a_pass(aws):
    _trail(aws, "central", bucket="archive-logs")
    aws.client("s3").delete_bucket(Bucket="archive-logs")  # now no bucket of this account holds the logs

    f = only(scan(aws, [ACCESS_LOG]), ACCESS_LOG, "central")

    assert f.status is Status.ERROR
    assert f.error_code == "BucketNotInAccount"


# -- cloudtrail_s3_write_events_logged / cloudtrail_s3_read_events_logged (CIS 3.8 / 3.9) --
def test_write_only_selector_passes_writes_and_fails_reads(aws):
    _trail(aws, "writes", selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
                                      "DataResources": S3_DATA}])

    result = scan(aws, [WRITES, READS])

    assert statuses(result, WRITES) == {ACCOUNT_ID: Status.PASS}
    assert statuses(result, READS) == {ACCOUNT_ID: Status.FAIL}
    assert only(result, READS, ACCOUNT_ID).evidence["multi_region_trails"][0]["s3_object_events"] == ["write"]


def test_advanced_read_selector_passes_reads_and_fails_writes(aws):
    _trail(aws, "reads", advanced=[{"Name": "s3 reads", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "readOnly", "Equals": ["true"]}]}])

    result = scan(aws, [WRITES, READS])

    assert statuses(result, READS) == {ACCOUNT_ID: Status.PASS}
    assert statuses(result, WRITES) == {ACCOUNT_ID: Status.FAIL}


def test_single_region_or_management_only_trails_fail_both(aws):
    _trail(aws, "local", multi=False, selectors=[{"ReadWriteType": "All", "DataResources": S3_DATA}])
    _trail(aws, "mgmt", selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])

    result = scan(aws, [WRITES, READS])

    for check in (WRITES, READS):
        f = only(result, check, ACCOUNT_ID)
        assert f.status is Status.FAIL
        assert [r["trail"].rsplit("/", 1)[-1] for r in f.evidence["multi_region_trails"]] == ["mgmt"]


def test_s3_object_events_reads_both_selector_kinds():
    assert s3_object_events([{"ReadWriteType": "All", "DataResources": S3_DATA}], []) == ["read", "write"]
    assert s3_object_events([{"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["x"]}]}], []) == []
    adv = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                               {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}]
    assert s3_object_events([], adv) == ["read", "write"]


def test_access_denied_on_trails_is_an_error_not_a_pass(aws):
    real = aws.client("cloudtrail")
    stub = Stubber(real)
    stub.add_client_error("list_trails", service_error_code="AccessDeniedException",
                          service_message="not allowed", http_status_code=400)
    stub.activate()
    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=lambda s, r: real)
    result = run(select([WRITES]), [target])
    [f] = result.findings
    assert f.status is Status.ERROR
    assert f.error_code == "AccessDeniedException"
