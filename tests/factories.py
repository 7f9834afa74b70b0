"""Factories the tests share: findings and scan runs of one fictional account (no test module imports another)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Iterable

from bot.config import IncidentsConfig
from bot.owners import Owners, Team
from checks.base import Finding, Severity, Status
from checks.runner import GLOBAL_REGION, RunResult, RunSummary

ACCOUNT = "111111111111"
REGION = "us-east-1"
CHECK = "s3_bucket_public_access_blocked"


def finding(resource: str, status: str = "FAIL", *, check: str = CHECK, account: str = ACCOUNT,
            region: str = REGION, evidence: dict | None = None, tags: dict | None = None,
            severity: Severity = Severity.high) -> Finding:
    return Finding(check_id=check, account_id=account, region=region, resource_type="AWS::S3::Bucket",
                   resource_id=resource, status=Status(status), reason=f"{resource} is {status}",
                   evidence=evidence if evidence is not None else {"public": status == "FAIL"},
                   tags=tags or {}, severity=severity)


def scope_error(check: str = CHECK, account: str = ACCOUNT, region: str = REGION) -> Finding:
    return Finding(check_id=check, account_id=account, region=region, resource_type="scope",
                   resource_id="account" if region == GLOBAL_REGION else region, status=Status.ERROR,
                   reason="AccessDenied: no", error_code="AccessDenied")


def run_of(*findings: Finding, covered: Iterable[tuple[str, str, str]] | None = None,
           started_at: float = 1_700_000_000.0) -> RunResult:
    scopes = sorted(set(covered) if covered is not None
                    else {(f.account_id, f.region, f.check_id) for f in findings})
    summary = RunSummary(started_at=started_at, duration_s=0.1, checks_run=1, scopes=len(scopes),
                         findings={}, api_calls={}, duplicate_calls=0)
    return RunResult(findings=list(findings), summary=summary, covered=scopes)


# Most incident tests are about threads: they switch the first-contact baseline off (its own tests turn it on).
NO_BASELINE = IncidentsConfig(baseline=False)


# -- the fictional org the incident tests share --------------------------------------------
OTHER = "iam_user_mfa_enabled"
MEMBER, LEAD, ESC, ADMIN, OUTSIDER = "U0PLAT1", "U0PLATLEAD", "U0PLATESC", "U0ADMIN", "U0OUT"
METAS = {
    CHECK: SimpleNamespace(title="S3 buckets block public access", aspect="data_protection",
                           severity=Severity.critical, remediation="Turn on Block Public Access."),
    OTHER: SimpleNamespace(title="IAM users have MFA", aspect="iam", severity=Severity.low, remediation=""),
}


def make_owners(**over) -> Owners:
    return Owners(**{
        "admins": [ADMIN], "default_team": "security",
        "teams": [
            Team(id="platform", name="Platform", members=[MEMBER], leads=[LEAD], escalation=ESC),
            Team(id="data", name="Data", members=["U0DATA1"], escalation="U0DATAESC"),
            Team(id="security", name="Security", members=["U0SEC1"], escalation="U0SECESC"),
        ],
        "aspects": {"data_protection": "platform", "iam": "data"}, **over})
