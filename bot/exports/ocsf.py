"""OCSF Compliance Finding (class 2003) events, built and validated with py-ocsf-models.

One event per srm finding: compliance.status_id Pass/Fail (Unknown for ERROR: we could
not tell), finding_info.uid the stable finding id, the check in ``compliance.checks``,
the resource in ``resources`` and the framework controls in ``compliance.requirements``.
The cloud account sits in ``unmapped`` (this event class has no ``cloud`` object).
"""
from __future__ import annotations

from py_ocsf_models.events.findings.activity_id import ActivityID
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.compliance_finding_type_id import ComplianceFindingTypeID
from py_ocsf_models.events.findings.severity_id import SeverityID
from py_ocsf_models.events.findings.status_id import StatusID
from py_ocsf_models.objects.check import Check as OcsfCheck
from py_ocsf_models.objects.compliance import Compliance
from py_ocsf_models.objects.compliance_status import StatusID as ComplianceStatusID
from py_ocsf_models.objects.finding_info import FindingInformation
from py_ocsf_models.objects.metadata import Metadata
from py_ocsf_models.objects.product import Product
from py_ocsf_models.objects.remediation import Remediation
from py_ocsf_models.objects.resource_details import ResourceDetails

from bot.exports.common import (
    PRODUCT_NAME,
    VENDOR_NAME,
    ExportInput,
    finding_uid,
    framework_names,
    frameworks_of,
    json_array,
    title_of,
)
from checks.base import Finding, Status

SEVERITY_ID = {"critical": SeverityID.Critical, "high": SeverityID.High, "medium": SeverityID.Medium,
               "low": SeverityID.Low}
COMPLIANCE_ID = {Status.PASS: ComplianceStatusID.Pass, Status.FAIL: ComplianceStatusID.Fail,
                 Status.ERROR: ComplianceStatusID.Unknown}


def ocsf_event(inp: ExportInput, f: Finding) -> ComplianceFinding:
    meta = inp.meta(f)
    when = inp.generated_at
    millis = int(when.timestamp() * 1000)
    compliance_status = COMPLIANCE_ID[f.status]
    check = OcsfCheck(uid=f.check_id, name=meta.title if meta else f.check_id,
                      severity=f.severity.value.capitalize(), severity_id=SEVERITY_ID[f.severity.value],
                      standards=framework_names(meta) or None, status=compliance_status.name,
                      status_id=compliance_status)
    return ComplianceFinding(
        activity_id=ActivityID.Create,
        activity_name=ActivityID.Create.name,
        type_uid=ComplianceFindingTypeID.Create,
        type_name=f"Compliance Finding: {ActivityID.Create.name}",
        severity_id=SEVERITY_ID[f.severity.value],
        severity=f.severity.value.capitalize(),
        status_id=StatusID.Resolved if f.status is Status.PASS else StatusID.New,
        status=(StatusID.Resolved if f.status is Status.PASS else StatusID.New).name,
        status_code=f.status.value,
        status_detail=f.reason,
        message=f.reason,
        time=millis,
        time_dt=when,
        metadata=Metadata(
            product=Product(name=PRODUCT_NAME, vendor_name=VENDOR_NAME, version=inp.version, uid=PRODUCT_NAME),
            event_code=f.check_id,
            uid=finding_uid(f),
            tenant_uid=f.account_id,
            profiles=["cloud"],
        ),
        finding_info=FindingInformation(
            uid=finding_uid(f), title=title_of(f, meta), desc=f.reason,
            types=[meta.aspect] if meta else None, created_time=millis, created_time_dt=when,
        ),
        compliance=Compliance(
            status_id=compliance_status, control=f.check_id, desc=meta.title if meta else None,
            standards=framework_names(meta) or None, requirements=frameworks_of(meta) or None,
            checks=[check], category=meta.aspect if meta else None,
        ),
        remediation=Remediation(desc=meta.remediation) if meta else None,
        resources=[ResourceDetails(
            uid=f.resource_arn or f.resource_id, name=f.resource_id, type=f.resource_type, region=f.region,
            cloud_partition=f.resource_arn.split(":")[1] if f.resource_arn.startswith("arn:") else None,
            labels=[f"{k}:{v}" for k, v in sorted(f.tags.items())] or None,
            data={"evidence": f.evidence} if f.evidence else None,
        )],
        unmapped={"cloud": {"provider": "AWS", "account": {"uid": f.account_id}, "region": f.region},
                  "srm": {"fingerprint": f.fingerprint, "error_code": f.error_code, "team": inp.team(f)}},
    )


def render_ocsf(inp: ExportInput) -> str:
    """A JSON array of OCSF Compliance Finding events, one per line."""
    return json_array(ocsf_event(inp, f).model_dump_json(exclude_none=True) for f in inp.findings)
