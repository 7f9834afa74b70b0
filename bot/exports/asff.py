"""AWS Security Finding Format (ASFF): the shape Security Hub's BatchImportFindings takes.

One ASFF finding per srm finding, with every field ASFF requires (SchemaVersion, Id,
ProductArn, GeneratorId, AwsAccountId, Types, CreatedAt, UpdatedAt, Severity, Title,
Description, Resources) plus Compliance.Status, RecordState and Workflow. Ids are stable
(account/region/check/resource), so importing the same finding again updates it.
"""
from __future__ import annotations

import json
import re
from typing import Any

from bot.exports.common import PRODUCT_NAME, VENDOR_NAME, ExportInput, finding_uid, iso_z, json_array, title_of
from checks.base import CheckMeta, Finding, Status
from checks.runner import GLOBAL_REGION

SCHEMA_VERSION = "2018-10-08"
DEFAULT_HOME_REGION = "us-east-1"
SEVERITY_LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}
SEVERITY_NORMALIZED = {"critical": 90, "high": 70, "medium": 40, "low": 1}
COMPLIANCE_STATUS = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.ERROR: "NOT_AVAILABLE"}
FRAMEWORK_TYPES = {
    "cis": "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
    "fsbp": "Software and Configuration Checks/AWS Security Best Practices",
}
DEFAULT_TYPE = "Software and Configuration Checks"
# What ASFF requires of every finding (Security Hub rejects a finding missing one).
REQUIRED_FIELDS = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
                   "UpdatedAt", "Severity", "Title", "Description", "Resources")
MAX_TITLE, MAX_DESCRIPTION, MAX_TEXT = 256, 1024, 512
CFN_TYPE_RE = re.compile(r"^AWS::([A-Za-z0-9]+)::([A-Za-z0-9]+)$")


def product_arn(partition: str, region: str, account_id: str) -> str:
    """The ARN of the account's own custom integration ("default" product) in a region."""
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


def asff_resource_type(cfn_type: str) -> str:
    """``AWS::S3::Bucket`` -> ``AwsS3Bucket`` (ASFF's spelling); anything else -> ``Other``."""
    m = CFN_TYPE_RE.match(cfn_type)
    return f"Aws{m.group(1)}{m.group(2)}" if m else "Other"


def home_region_of(finding: Finding, home_region: str) -> str:
    """Account-wide findings (region label ``global``) live in the home region's Security Hub."""
    return home_region if finding.region in (GLOBAL_REGION, "", "aws-global") else finding.region


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _resource_id(finding: Finding) -> str:
    return finding.resource_arn or finding.resource_id


def _types(meta: CheckMeta | None) -> list[str]:
    out = [FRAMEWORK_TYPES[fw] for fw, ctls in sorted((meta.frameworks if meta else {}).items())
           if ctls and fw in FRAMEWORK_TYPES]
    return out or [DEFAULT_TYPE]


def asff_finding(inp: ExportInput, f: Finding, *, partition: str = "aws", home_region: str | None = None,
                 product_account: str | None = None, created_at: str | None = None) -> dict[str, Any]:
    """One ASFF finding. ``product_account``: the account importing it (default: the finding's own);
    ``home_region``: where an account-wide finding goes (default: ``inp.home_region``)."""
    meta = inp.meta(f)
    region = home_region_of(f, home_region or inp.home_region)
    now = iso_z(inp.generated_at)
    resolved = f.status is Status.PASS
    resource: dict[str, Any] = {
        "Type": asff_resource_type(f.resource_type), "Id": _cut(_resource_id(f), 512),
        "Partition": partition, "Region": region,
    }
    tags = {k[:128]: v[:256] for k, v in sorted(f.tags.items()) if k.strip() and v.strip()}  # ASFF: non-empty
    if tags:
        resource["Tags"] = dict(list(tags.items())[:50])
    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUS[f.status]}
    if meta and meta.frameworks:
        controls = [f"{fw} {c}" for fw, cs in sorted(meta.frameworks.items()) for c in cs]
        compliance["RelatedRequirements"] = controls[:32]
    if f.status is Status.ERROR:
        compliance["StatusReasons"] = [{"ReasonCode": "CONFIG_ACCESS_DENIED" if "AccessDenied" in (f.error_code or "")
                                        else "INTERNAL_SERVICE_ERROR", "Description": _cut(f.reason, 2048)}]
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_uid(f),
        "ProductArn": product_arn(partition, region, product_account or f.account_id),
        "ProductName": PRODUCT_NAME,
        "CompanyName": VENDOR_NAME,
        "GeneratorId": f"{PRODUCT_NAME}/{f.check_id}",
        "AwsAccountId": f.account_id,
        "Region": region,
        "Types": _types(meta),
        "CreatedAt": created_at or now,
        "UpdatedAt": now,
        "Severity": {"Label": SEVERITY_LABEL[f.severity.value], "Original": f.severity.value},
        "Title": _cut(title_of(f, meta), MAX_TITLE),
        "Description": _cut(f.reason or title_of(f, meta), MAX_DESCRIPTION),
        "Resources": [resource],
        "Compliance": compliance,
        "RecordState": "ARCHIVED" if resolved else "ACTIVE",
        "Workflow": {"Status": "RESOLVED" if resolved else "NEW"},
        "ProductFields": {"srm/account_id": f.account_id, "srm/region": f.region, "srm/check_id": f.check_id,
                          "srm/status": f.status.value, "srm/fingerprint": f.fingerprint},
    }
    if meta is not None:
        out["Remediation"] = {"Recommendation": {"Text": _cut(meta.remediation, MAX_TEXT)}}
    return out


def render_asff(inp: ExportInput) -> str:
    """A JSON array of ASFF findings (what BatchImportFindings's ``Findings`` takes), one per line."""
    return json_array(json.dumps(asff_finding(inp, f), ensure_ascii=False) for f in inp.findings)
