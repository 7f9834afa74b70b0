"""Logging and monitoring inventory: CloudTrail trails, AWS Config, GuardDuty, Security Hub.

CloudTrail is an account-wide service: ``list_trails`` (called once, in the scan's
home region) names every trail the account can see with its home region,
including organization trails created by the management account. Each trail's
detail, status and event selectors are read in that trail's home region.
A per-trail call AWS refuses does not sink the other trails: the trail carries
the error and only the checks that judge it report ERROR for it.

Config, GuardDuty and Security Hub are regional and are read once per region.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from botocore.exceptions import ClientError

from checks.inventory.core import FetchError, Inventory, call_or_none, error_code_of, paginate
from checks.inventory.s3 import ApiError
from checks.inventory.s3 import buckets as s3_buckets


# -- CloudTrail -------------------------------------------------------------------
@dataclass
class Trail:
    name: str
    arn: str
    home_region: str
    owned: bool  # False: an organization trail owned by another (management) account
    multi_region: bool = False
    organization: bool = False
    bucket: str = ""
    log_file_validation: bool = False
    kms_key_id: str = ""
    log_group_arn: str = ""  # CloudWatchLogsLogGroupArn: where the trail also delivers events, "" if nowhere
    tags: dict[str, str] = field(default_factory=dict)
    error: FetchError | None = None  # GetTrail/ListTags refused for this trail


@dataclass(frozen=True)
class TrailActivity:
    """What a trail records right now (GetTrailStatus + GetEventSelectors)."""

    is_logging: bool
    event_selectors: list[dict[str, Any]]
    advanced_event_selectors: list[dict[str, Any]]


@dataclass(frozen=True)
class TrailBucket:
    """The ACL grants and bucket policy of the S3 bucket a trail delivers to."""

    name: str
    acl_grants: list[dict[str, Any]]
    policy: str | None  # policy JSON text; None: the bucket has no policy


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def trails(inv: Inventory) -> list[Trail]:
    """Every trail visible to the account, each described in its home region."""

    def fetch() -> list[Trail]:
        listed = paginate(inv.client("cloudtrail"), "list_trails", "Trails")
        return [_describe_trail(inv, t) for t in sorted(listed, key=lambda t: t["TrailARN"])]

    return inv.memo("logging.trails", fetch)


def _describe_trail(inv: Inventory, info: dict[str, Any]) -> Trail:
    arn = info["TrailARN"]
    home = info.get("HomeRegion") or inv.region
    t = Trail(name=info.get("Name") or arn.rsplit("/", 1)[-1], arn=arn, home_region=home,
              owned=_account_of(arn) == inv.account_id)
    ct = inv.client("cloudtrail", region=home)
    try:
        d = ct.get_trail(Name=arn)["Trail"]
        t.multi_region = bool(d.get("IsMultiRegionTrail"))
        t.organization = bool(d.get("IsOrganizationTrail"))
        t.bucket = d.get("S3BucketName", "")
        t.log_file_validation = bool(d.get("LogFileValidationEnabled"))
        t.kms_key_id = d.get("KmsKeyId") or ""
        t.log_group_arn = d.get("CloudWatchLogsLogGroupArn") or ""
        if t.owned:
            resp = ct.list_tags(ResourceIdList=[arn])
            for rt in resp.get("ResourceTagList", []):
                t.tags.update({x["Key"]: x.get("Value", "") for x in rt.get("TagsList", []) if "Key" in x})
    except ClientError as exc:
        code, msg = error_code_of(exc)
        t.error = FetchError(code, msg, f"cloudtrail {arn}")
    return t


def trail_activity(inv: Inventory, trail: Trail) -> TrailActivity:
    """Logging status and event selectors of one trail, read in its home region."""

    def fetch() -> TrailActivity:
        ct = inv.client("cloudtrail", region=trail.home_region)
        status = ct.get_trail_status(Name=trail.arn)
        sel = ct.get_event_selectors(TrailName=trail.arn)
        return TrailActivity(
            is_logging=bool(status.get("IsLogging")),
            event_selectors=list(sel.get("EventSelectors") or []),
            advanced_event_selectors=list(sel.get("AdvancedEventSelectors") or []),
        )

    return inv.memo(f"logging.trail_activity.{trail.arn}", fetch)


_READ_WRITE = {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}


def recorded_read_write(event_selectors: list[dict[str, Any]], advanced_selectors: list[dict[str, Any]], *,
                        category: str, basic_covers: Callable[[dict[str, Any]], bool],
                        resource_type: str | None = None) -> list[str]:
    """Which of "read" and "write" a trail's selectors record, sorted, for events of ``category``
    ("Management", or "Data" of ``resource_type``): ``basic_covers(selector)`` says whether a basic event
    selector includes them; an advanced selector must name the category (and resource type)."""
    found: set[str] = set()
    for sel in event_selectors:
        if basic_covers(sel):
            found |= _READ_WRITE.get(sel.get("ReadWriteType", "All"), set())  # API default: All
    for sel in advanced_selectors:
        fields = {f.get("Field"): f for f in sel.get("FieldSelectors", [])}
        if category not in (fields.get("eventCategory") or {}).get("Equals", []):
            continue
        if resource_type is not None and resource_type not in (fields.get("resources.type") or {}).get("Equals", []):
            continue
        ro = fields.get("readOnly")
        if ro is None:
            found |= {"read", "write"}
            continue
        for v in ro.get("Equals", []):
            found.add("read" if str(v).lower() == "true" else "write")
        for v in ro.get("NotEquals", []):
            found.add("write" if str(v).lower() == "true" else "read")
    return sorted(found)


def multi_region_activity(inv: Inventory) -> Iterator[tuple[Trail, TrailActivity] | FetchError]:
    """Each multi-region trail with its activity, lazily (a caller that stops at the first good trail reads
    no more), or the FetchError of a trail that could not be read (its region coverage is then unknown)."""
    for t in trails(inv):
        if t.error is not None:
            yield t.error
            continue
        if not t.multi_region:
            continue
        try:
            yield t, trail_activity(inv, t)
        except FetchError as exc:
            yield exc


def trail_bucket(inv: Inventory, bucket: str) -> TrailBucket:
    """ACL and policy of one trail bucket (raises FetchError if AWS refuses).

    A bucket this account owns is read from the shared S3 inventory (so a full scan
    never asks S3 twice); a bucket elsewhere (a central log archive account) is read
    directly, once.
    """

    def fetch() -> TrailBucket:
        own = next((b for b in s3_buckets(inv) if b.name == bucket), None)
        if own is not None:
            for value, op in ((own.acl_grants, "GetBucketAcl"), (own.policy, "GetBucketPolicy")):
                if isinstance(value, ApiError):
                    raise FetchError(value.code, value.message, f"s3.{op} {bucket}")
            return TrailBucket(bucket, list(own.acl_grants), own.policy)  # type: ignore[arg-type]
        s3 = inv.client("s3")
        acl = s3.get_bucket_acl(Bucket=bucket)
        pol = call_or_none(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
        return TrailBucket(bucket, list(acl.get("Grants", [])), None if pol is None else pol.get("Policy"))

    return inv.memo(f"logging.trail_bucket.{bucket}", fetch)


# -- AWS Config -------------------------------------------------------------------
@dataclass(frozen=True)
class ConfigRecorder:
    name: str
    arn: str
    recording: bool
    all_supported: bool
    include_global_resource_types: bool
    strategy: str  # recordingStrategy.useOnly, "" when AWS does not say
    last_status: str = ""  # lastStatus of the recorder status: Pending | Success | Failure, "" if unsaid


def config_recorders(inv: Inventory) -> list[ConfigRecorder]:
    """This region's configuration recorders joined with their recording status."""

    def fetch() -> list[ConfigRecorder]:
        cfg = inv.client("config")
        recs = cfg.describe_configuration_recorders().get("ConfigurationRecorders", [])
        stats = cfg.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
        recording = {s.get("name"): bool(s.get("recording")) for s in stats}
        last_status = {s.get("name"): str(s.get("lastStatus") or "") for s in stats}
        out = []
        for r in recs:
            group = r.get("recordingGroup") or {}
            out.append(ConfigRecorder(
                name=r.get("name", ""), arn=r.get("arn", ""),
                recording=recording.get(r.get("name"), False),
                all_supported=bool(group.get("allSupported")),
                include_global_resource_types=bool(group.get("includeGlobalResourceTypes")),
                strategy=(group.get("recordingStrategy") or {}).get("useOnly", ""),
                last_status=last_status.get(r.get("name"), ""),
            ))
        return sorted(out, key=lambda r: r.name)

    return inv.memo("logging.config_recorders", fetch)


# -- GuardDuty --------------------------------------------------------------------
@dataclass(frozen=True)
class Detector:
    detector_id: str
    arn: str
    status: str  # ENABLED | DISABLED
    tags: dict[str, str]


def guardduty_detectors(inv: Inventory) -> list[Detector]:
    """This region's GuardDuty detectors (there is at most one per region)."""

    def fetch() -> list[Detector]:
        gd = inv.client("guardduty")
        out = []
        for did in paginate(gd, "list_detectors", "DetectorIds"):
            d = gd.get_detector(DetectorId=did)
            out.append(Detector(did, inv.arn("guardduty", f"detector/{did}"),
                                str(d.get("Status", "")), dict(d.get("Tags") or {})))
        return sorted(out, key=lambda d: d.detector_id)

    return inv.memo("logging.guardduty_detectors", fetch)


# -- Security Hub -----------------------------------------------------------------
def security_hub(inv: Inventory) -> dict[str, Any] | None:
    """DescribeHub's answer, or None when the account is not subscribed here."""

    def fetch() -> dict[str, Any] | None:
        sh = inv.client("securityhub")
        try:
            resp = sh.describe_hub()
        except ClientError as exc:
            code, msg = error_code_of(exc)
            if code == "InvalidAccessException" and "not subscribed" in msg.lower():
                return None
            raise
        return {k: resp[k] for k in ("HubArn", "AutoEnableControls") if k in resp}

    return inv.memo("logging.security_hub", fetch)
