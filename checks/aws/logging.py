"""Logging and monitoring checks: CloudTrail, AWS Config, GuardDuty, Security Hub."""
from __future__ import annotations

import json
from typing import Any

from checks.aws.s3 import BUCKET_ACTIONS  # the shared bucket record's calls (owned log buckets)
from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.core import FetchError
from checks.inventory.logging import (
    Trail,
    config_recorders,
    guardduty_detectors,
    multi_region_activity,
    recorded_read_write,
    security_hub,
    trail_bucket,
    trails,
)
from checks.inventory.s3 import GROUP_URIS  # AllUsers / AuthenticatedUsers grantee URIs

TRAIL_LIST = ["cloudtrail:ListTrails", "cloudtrail:GetTrail", "cloudtrail:ListTags"]


def management_events(event_selectors: list[dict[str, Any]],
                      advanced_selectors: list[dict[str, Any]]) -> list[str]:
    """Which management events ("read", "write") the selectors record, sorted."""
    return recorded_read_write(event_selectors, advanced_selectors, category="Management",
                               basic_covers=lambda sel: sel.get("IncludeManagementEvents", True))  # API default: true


def _trail_kw(t: Trail) -> dict[str, Any]:
    return {"arn": t.arn, "region": t.home_region, "tags": t.tags}


def _owned(scope: Scope) -> list[Trail]:
    """Trails this account owns (another account's organization trail is judged there)."""
    return [t for t in trails(scope.inv) if t.owned]


@register(CheckMeta(
    id="cloudtrail_multiregion_trail_logging",
    fail_title="No multi-region CloudTrail trail logs read and write management events",
    title="A multi-region CloudTrail trail is logging read and write management events",
    service="cloudtrail",
    aspect="logging_monitoring",
    severity=Severity.high,
    scope="account",
    frameworks={"cis": ["3.1"], "fsbp": ["CloudTrail.1"]},
    remediation=("Create or fix a multi-region trail: console CloudTrail > Trails > Create trail (apply to all "
                 "regions, management events Read+Write), then start logging; or `aws cloudtrail create-trail "
                 "--name NAME --s3-bucket-name BUCKET --is-multi-region-trail && aws cloudtrail start-logging "
                 "--name NAME && aws cloudtrail put-event-selectors --trail-name NAME --event-selectors "
                 "'[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'`."),
    iam_actions=TRAIL_LIST + ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
    resource_type="AWS::::Account",
    notes="Organization trails from the management account count. Uses list_trails so trails homed in "
          "any region are seen; status and selectors are read in each trail's home region.",
))
def cloudtrail_multiregion_trail_logging(scope: Scope):
    seen: list[dict[str, Any]] = []
    errors: list[FetchError] = []
    for item in multi_region_activity(scope.inv):
        if isinstance(item, FetchError):
            errors.append(item)
            continue
        t, act = item
        mgmt = management_events(act.event_selectors, act.advanced_event_selectors)
        row = {"trail": t.arn, "IsLogging": act.is_logging, "management_events": mgmt}
        if act.is_logging and mgmt == ["read", "write"]:
            yield scope.passed(scope.account_id, f"multi-region trail {t.name} is logging read and write "
                               "management events", evidence={"IsMultiRegionTrail": True, **row})
            return
        seen.append(row)
    if errors:
        raise errors[0]  # cannot say FAIL while a trail we could not read might be the compliant one
    if not seen:
        yield scope.failed(scope.account_id, "no multi-region CloudTrail trail exists",
                           evidence={"multi_region_trails": []})
        return
    yield scope.failed(scope.account_id, "no multi-region trail is both logging and recording read and "
                       "write management events", evidence={"multi_region_trails": seen})


@register(CheckMeta(
    id="cloudtrail_log_file_validation_enabled",
    fail_title="CloudTrail trails without log file validation",
    title="CloudTrail trails have log file integrity validation enabled",
    service="cloudtrail",
    aspect="logging_monitoring",
    severity=Severity.medium,
    scope="account",
    frameworks={"cis": ["3.2"], "fsbp": ["CloudTrail.4"]},
    remediation=("Console CloudTrail > Trails > trail > General details > Edit > Log file validation: Enabled; "
                 "or `aws cloudtrail update-trail --name NAME --enable-log-file-validation`."),
    iam_actions=TRAIL_LIST,
    resource_type="AWS::CloudTrail::Trail",
    notes="Judged in the owning account only; organization trails of another account are skipped.",
))
def cloudtrail_log_file_validation_enabled(scope: Scope):
    for t in _owned(scope):
        if t.error is not None:
            yield scope.errored(t.name, t.error.code, t.error.message, **_trail_kw(t))
            continue
        ev = {"LogFileValidationEnabled": t.log_file_validation}
        if t.log_file_validation:
            yield scope.passed(t.name, "log file validation is enabled", evidence=ev, **_trail_kw(t))
        else:
            yield scope.failed(t.name, "log file validation is disabled", evidence=ev, **_trail_kw(t))


@register(CheckMeta(
    id="cloudtrail_trail_kms_encrypted",
    fail_title="CloudTrail trails not encrypted with a KMS key",
    title="CloudTrail trails encrypt their log files with a KMS key (SSE-KMS)",
    service="cloudtrail",
    aspect="encryption_at_rest",
    severity=Severity.medium,
    scope="account",
    frameworks={"cis": ["3.5"], "fsbp": ["CloudTrail.2"]},
    remediation=("Console CloudTrail > Trails > trail > General details > Edit > Log file SSE-KMS encryption: "
                 "Enabled (key policy must allow CloudTrail); or `aws cloudtrail update-trail --name NAME "
                 "--kms-key-id KEY_ARN`."),
    iam_actions=TRAIL_LIST,
    resource_type="AWS::CloudTrail::Trail",
    notes="Judged in the owning account only; organization trails of another account are skipped.",
))
def cloudtrail_trail_kms_encrypted(scope: Scope):
    for t in _owned(scope):
        if t.error is not None:
            yield scope.errored(t.name, t.error.code, t.error.message, **_trail_kw(t))
            continue
        ev = {"KmsKeyId": t.kms_key_id or None}
        if t.kms_key_id:
            yield scope.passed(t.name, "log files are encrypted with a KMS key", evidence=ev, **_trail_kw(t))
        else:
            yield scope.failed(t.name, "log files are not encrypted with a KMS key (SSE-S3 only)",
                               evidence=ev, **_trail_kw(t))


def public_grants(grants: list[dict[str, Any]]) -> list[str]:
    """ACL grants to AllUsers/AuthenticatedUsers as sorted "Group:PERMISSION" strings."""
    out = set()
    for g in grants:
        group = GROUP_URIS.get((g.get("Grantee") or {}).get("URI", ""))
        if group:
            out.add(f"{group}:{g.get('Permission', '')}")
    return sorted(out)


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        vals = principal.values()
        return any(v == "*" or (isinstance(v, list) and "*" in v) for v in vals)
    return False


def public_statements(policy: str | None) -> list[str]:
    """Sids (or positions) of Allow statements to Principal "*" with no Condition."""
    if not policy:
        return []
    stmts = json.loads(policy).get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    return [str(s.get("Sid") or f"Statement[{i}]") for i, s in enumerate(stmts)
            if s.get("Effect") == "Allow" and _is_everyone(s.get("Principal")) and not s.get("Condition")]


@register(CheckMeta(
    id="cloudtrail_trail_bucket_not_public",
    fail_title="The CloudTrail log bucket is publicly accessible",
    title="The S3 bucket receiving CloudTrail logs is not publicly accessible",
    service="cloudtrail",
    aspect="logging_monitoring",
    severity=Severity.critical,
    scope="account",
    frameworks={},
    remediation=("Remove public grants and open policy statements: console S3 > bucket > Permissions > Access "
                 "control list / Bucket policy (and turn on Block public access); or `aws s3api put-bucket-acl "
                 "--bucket BUCKET --acl private` and `aws s3api put-bucket-policy --bucket BUCKET --policy "
                 "file://policy.json`."),
    iam_actions=TRAIL_LIST + BUCKET_ACTIONS,
    resource_type="AWS::CloudTrail::Trail",
    notes=("Security Hub CloudTrail.6 / CIS v1.2 2.3, v1.4 3.3; CIS removed it in v3.0 and it is not in FSBP. "
           "Judges ACL and policy only (Block Public Access is not considered). An owned bucket is read "
           "from the shared S3 inventory; a bucket in another account directly (ERROR if refused)."),
))
def cloudtrail_trail_bucket_not_public(scope: Scope):
    for t in _owned(scope):
        if t.error is not None:
            yield scope.errored(t.name, t.error.code, t.error.message, **_trail_kw(t))
            continue
        try:
            b = trail_bucket(scope.inv, t.bucket)
        except FetchError as exc:
            yield scope.errored(t.name, exc.code, exc.message, **_trail_kw(t))
            continue
        ev = {"bucket": t.bucket, "public_acl_grants": public_grants(b.acl_grants),
              "public_policy_statements": public_statements(b.policy)}
        if ev["public_acl_grants"] or ev["public_policy_statements"]:
            yield scope.failed(t.name, f"log bucket {t.bucket} is public via its ACL or bucket policy",
                               evidence=ev, **_trail_kw(t))
        else:
            yield scope.passed(t.name, f"log bucket {t.bucket} has no public ACL grant or open policy statement",
                               evidence=ev, **_trail_kw(t))


@register(CheckMeta(
    id="config_recorder_enabled",
    fail_title="AWS Config is not recording all resource types",
    title="AWS Config is recording all resource types in the region",
    service="config",
    aspect="configuration_management",
    severity=Severity.medium,
    frameworks={"cis": ["3.3"], "fsbp": ["Config.1"]},
    remediation=("Console AWS Config > Settings > Edit: record all resource types, then start recording; or "
                 "`aws configservice put-configuration-recorder --configuration-recorder "
                 "name=default,roleARN=ROLE_ARN --recording-group allSupported=true` and "
                 "`aws configservice start-configuration-recorder --configuration-recorder-name default`."),
    iam_actions=["config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"],
    resource_type="AWS::Config::ConfigurationRecorder",
    notes=("CIS 3.3 audit: recording all supported types, and the recorder's lastStatus is not Failure "
           "(Pending, right after a start, is not a failure)."),
))
def config_recorder_enabled(scope: Scope):
    recs = config_recorders(scope.inv)
    ev = {"recorders": [{"name": r.name, "recording": r.recording, "allSupported": r.all_supported,
                         "lastStatus": r.last_status} for r in recs]}
    complete = [r for r in recs if r.recording and r.all_supported]
    good = [r for r in complete if r.last_status.lower() != "failure"]
    if good:
        yield scope.passed(scope.region, f"recorder {good[0].name} records all resource types",
                           evidence=ev, arn=good[0].arn)
    elif complete:
        yield scope.failed(scope.region, f"recorder {complete[0].name} is recording but its last recording "
                           "attempt failed (lastStatus Failure)", evidence=ev, arn=complete[0].arn)
    elif not recs:
        yield scope.failed(scope.region, "no AWS Config recorder exists in this region", evidence=ev)
    elif not any(r.recording for r in recs):
        yield scope.failed(scope.region, "the AWS Config recorder is not recording", evidence=ev, arn=recs[0].arn)
    else:
        yield scope.failed(scope.region, "AWS Config records only selected resource types", evidence=ev,
                           arn=recs[0].arn)


@register(CheckMeta(
    id="guardduty_detector_enabled",
    fail_title="GuardDuty is off in the region",
    title="GuardDuty is enabled in the region",
    service="guardduty",
    aspect="threat_detection",
    severity=Severity.medium,
    frameworks={"fsbp": ["GuardDuty.1"]},
    remediation=("Console GuardDuty > Get started > Enable GuardDuty (or Settings > Resume); or "
                 "`aws guardduty create-detector --enable` / `aws guardduty update-detector --detector-id ID "
                 "--enable`."),
    iam_actions=["guardduty:ListDetectors", "guardduty:GetDetector"],
    resource_type="AWS::GuardDuty::Detector",
))
def guardduty_detector_enabled(scope: Scope):
    dets = guardduty_detectors(scope.inv)
    ev = {"detectors": {d.detector_id: d.status for d in dets}}
    on = [d for d in dets if d.status == "ENABLED"]
    if on:
        yield scope.passed(scope.region, f"detector {on[0].detector_id} is enabled", evidence=ev,
                           arn=on[0].arn, tags=on[0].tags)
    elif dets:
        yield scope.failed(scope.region, f"detector {dets[0].detector_id} is {dets[0].status or 'not enabled'}",
                           evidence=ev, arn=dets[0].arn, tags=dets[0].tags)
    else:
        yield scope.failed(scope.region, "no GuardDuty detector exists in this region", evidence=ev)


@register(CheckMeta(
    id="securityhub_hub_enabled",
    fail_title="Security Hub is off in the region",
    title="Security Hub is enabled in the region",
    service="securityhub",
    aspect="configuration_management",
    severity=Severity.medium,
    frameworks={"cis": ["4.16"]},
    remediation=("Console Security Hub > Go to Security Hub > Enable Security Hub; or "
                 "`aws securityhub enable-security-hub --enable-default-standards`."),
    iam_actions=["securityhub:DescribeHub"],
    resource_type="AWS::SecurityHub::Hub",
    notes="DescribeHub's InvalidAccessException 'not subscribed' means disabled; any other error is an ERROR.",
))
def securityhub_hub_enabled(scope: Scope):
    hub = security_hub(scope.inv)
    if hub is None:
        yield scope.failed(scope.region, "Security Hub is not enabled in this region", evidence={"enabled": False})
    else:
        yield scope.passed(scope.region, "Security Hub is enabled", arn=hub.get("HubArn", ""),
                           evidence={"enabled": True})
