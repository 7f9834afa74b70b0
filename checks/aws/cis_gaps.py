"""CIS AWS Foundations v4.0.0 automated recommendations no other module covered.

1.18 instance profiles on EC2 instances, 3.4 server access logging on the CloudTrail
bucket, and 3.8 / 3.9 S3 object-level (data event) logging of writes and reads.
"""
from __future__ import annotations

from typing import Any, Iterator

from checks.aws.s3 import BUCKET_ACTIONS
from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.core import FetchError
from checks.inventory.ec2 import instances
from checks.inventory.logging import Trail, multi_region_activity, recorded_read_write, trails
from checks.inventory.s3 import ApiError
from checks.inventory.s3 import buckets as s3_buckets

TRAIL_LIST = ["cloudtrail:ListTrails", "cloudtrail:GetTrail", "cloudtrail:ListTags"]
TRAIL_ACTIVITY = ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"]
S3_OBJECT = "AWS::S3::Object"


@register(CheckMeta(
    id="ec2_instance_profile_attached",
    fail_title="EC2 instances without an IAM instance profile",
    title="EC2 instances reach AWS through an attached IAM instance profile",
    service="ec2",
    aspect="iam",
    severity=Severity.medium,
    frameworks={"cis": ["1.18"]},
    remediation=("Attach a role: console EC2 > Instances > instance > Actions > Security > Modify IAM role, "
                 "or `aws ec2 associate-iam-instance-profile --instance-id INSTANCE_ID "
                 "--iam-instance-profile Name=PROFILE_NAME`; then remove any access keys stored on the host."),
    iam_actions=["ec2:DescribeInstances"],
    resource_type="AWS::EC2::Instance",
    notes="Judges every instance that is not terminated (stopped ones too).",
))
def ec2_instance_profile_attached(scope: Scope):
    for i in instances(scope.inv):
        ev = {"IamInstanceProfile": i.instance_profile_arn or None, "State": i.state}
        if i.instance_profile_arn:
            yield scope.passed(i.instance_id, "an IAM instance profile is attached",
                               arn=i.arn, evidence=ev, tags=i.tags)
        else:
            yield scope.failed(i.instance_id, "no IAM instance profile is attached",
                               arn=i.arn, evidence=ev, tags=i.tags)


def _trail_kw(t: Trail) -> dict[str, Any]:
    return {"arn": t.arn, "region": t.home_region, "tags": t.tags}


@register(CheckMeta(
    id="cloudtrail_trail_bucket_access_logging",
    fail_title="The CloudTrail log bucket has no server access logging",
    title="The S3 bucket receiving CloudTrail logs has server access logging enabled",
    service="cloudtrail",
    aspect="logging_monitoring",
    severity=Severity.low,
    scope="account",
    frameworks={"cis": ["3.4"]},
    remediation=("Console S3 > log bucket > Properties > Server access logging > Edit > Enable, pick a target "
                 "bucket; or `aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status "
                 "'{\"LoggingEnabled\":{\"TargetBucket\":\"TARGET\",\"TargetPrefix\":\"PREFIX/\"}}'`."),
    iam_actions=TRAIL_LIST + BUCKET_ACTIONS,
    resource_type="AWS::CloudTrail::Trail",
    notes=("Judged on trails this account owns. A bucket outside this account (a central log archive) is "
           "ERROR here: judge it in the account that owns it. An unreadable logging status is ERROR."),
))
def cloudtrail_trail_bucket_access_logging(scope: Scope):
    for t in trails(scope.inv):
        if not t.owned:
            continue
        if t.error is not None:
            yield scope.errored(t.name, t.error.code, t.error.message, **_trail_kw(t))
            continue
        own = next((b for b in s3_buckets(scope.inv) if b.name == t.bucket), None)
        if own is None:
            yield scope.errored(t.name, "BucketNotInAccount", f"log bucket {t.bucket} is not owned by this "
                                "account; its access logging cannot be judged here", **_trail_kw(t))
            continue
        if isinstance(own.logging, ApiError):
            yield scope.errored(t.name, own.logging.code, f"s3.{own.logging.operation} {t.bucket}: "
                                f"{own.logging.message}", **_trail_kw(t))
            continue
        ev = {"bucket": t.bucket, "LoggingEnabled": own.logging}
        if own.logging:
            yield scope.passed(t.name, f"log bucket {t.bucket} has server access logging to "
                               f"{own.logging.get('TargetBucket', '?')}", evidence=ev, **_trail_kw(t))
        else:
            yield scope.failed(t.name, f"log bucket {t.bucket} has server access logging disabled",
                               evidence=ev, **_trail_kw(t))


def s3_object_events(event_selectors: list[dict[str, Any]],
                     advanced_selectors: list[dict[str, Any]]) -> list[str]:
    """Which S3 object data events ("read", "write") the selectors record, sorted."""
    return recorded_read_write(
        event_selectors, advanced_selectors, category="Data", resource_type=S3_OBJECT,
        basic_covers=lambda sel: any(d.get("Type") == S3_OBJECT for d in sel.get("DataResources", [])))


def _object_logging(scope: Scope, kind: str) -> Iterator[Finding]:
    """PASS when a logging multi-region trail records S3 object `kind` ("read"/"write") events."""
    seen: list[dict[str, Any]] = []
    errors: list[FetchError] = []
    for item in multi_region_activity(scope.inv):
        if isinstance(item, FetchError):
            errors.append(item)
            continue
        t, act = item
        events = s3_object_events(act.event_selectors, act.advanced_event_selectors)
        row = {"trail": t.arn, "IsLogging": act.is_logging, "s3_object_events": events}
        if act.is_logging and kind in events:
            yield scope.passed(scope.account_id, f"multi-region trail {t.name} logs S3 object-level {kind} "
                               "events", evidence=row)
            return
        seen.append(row)
    if errors:
        raise errors[0]  # a trail we could not read might be the compliant one: ERROR, not FAIL
    yield scope.failed(scope.account_id, f"no logging multi-region trail records S3 object-level {kind} events",
                       evidence={"multi_region_trails": seen})


def _selector_remediation(rw: str) -> str:
    return ("Console CloudTrail > Trails > multi-region trail > Data events > Edit > add S3, all current and "
            f"future buckets, {'Write' if rw == 'WriteOnly' else 'Read'} events; or `aws cloudtrail "
            "put-event-selectors --trail-name NAME --event-selectors '[{\"ReadWriteType\":\"" + rw + "\","
            "\"IncludeManagementEvents\":true,\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
            "\"Values\":[\"arn:aws:s3\"]}]}]'` (use All to cover 3.8 and 3.9 at once).")


@register(CheckMeta(
    id="cloudtrail_s3_write_events_logged",
    fail_title="S3 object-level write events are not logged by CloudTrail",
    title="A multi-region CloudTrail trail logs S3 object-level write events",
    service="cloudtrail",
    aspect="logging_monitoring",
    severity=Severity.medium,
    scope="account",
    frameworks={"cis": ["3.8"]},
    remediation=_selector_remediation("WriteOnly"),
    iam_actions=TRAIL_LIST + TRAIL_ACTIVITY,
    resource_type="AWS::::Account",
    notes="Basic (DataResources AWS::S3::Object) and advanced (resources.type) selectors both count; "
          "organization trails from the management account count.",
))
def cloudtrail_s3_write_events_logged(scope: Scope):
    yield from _object_logging(scope, "write")


@register(CheckMeta(
    id="cloudtrail_s3_read_events_logged",
    fail_title="S3 object-level read events are not logged by CloudTrail",
    title="A multi-region CloudTrail trail logs S3 object-level read events",
    service="cloudtrail",
    aspect="logging_monitoring",
    severity=Severity.medium,
    scope="account",
    frameworks={"cis": ["3.9"]},
    remediation=_selector_remediation("ReadOnly"),
    iam_actions=TRAIL_LIST + TRAIL_ACTIVITY,
    resource_type="AWS::::Account",
    notes="Basic (DataResources AWS::S3::Object) and advanced (resources.type) selectors both count; "
          "organization trails from the management account count.",
))
def cloudtrail_s3_read_events_logged(scope: Scope):
    yield from _object_logging(scope, "read")
