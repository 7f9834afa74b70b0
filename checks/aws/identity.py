"""Identity gaps beyond checks/aws/iam.py: password complexity and expiry, second active keys,
expired IAM server certificates, unattached full-admin policies, IAM Access Analyzer per region."""
from __future__ import annotations

from typing import Any

from checks.aws.iam import admin_statements
from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.accessanalyzer import analyzers
from checks.inventory.iam import credential_report, local_policies, password_policy, server_certificates

ACCOUNT = "AWS::::Account"
POLICY_ACTIONS = ["iam:GetAccountPasswordPolicy"]
EXTERNAL_ACCESS_TYPES = {"ACCOUNT", "ORGANIZATION"}  # the unused-access analyzers do not look for outside access


def _password_remediation(flag: str) -> str:
    return ("Console IAM > Account settings > Password policy > Edit > tick the requirement, or "
            f"`aws iam update-account-password-policy {flag}` (the call replaces the whole policy: pass every "
            "setting you keep, e.g. `--minimum-password-length 14 --password-reuse-prevention 24 "
            "--require-uppercase-characters --require-lowercase-characters --require-numbers --require-symbols`).")


def _register_character_class(key: str, field: str, what: str, flag: str, legacy: str) -> None:
    meta = CheckMeta(
        id=f"iam_password_policy_requires_{key}", title=f"The IAM password policy requires {what}",
        fail_title=f"The IAM password policy does not require {what}", service="iam", aspect="iam",
        severity=Severity.medium, scope="account", frameworks={"fsbp": ["IAM.7"]},
        remediation=_password_remediation(flag), iam_actions=POLICY_ACTIONS, resource_type=ACCOUNT,
        notes=f"CIS v1.2 {legacy} (dropped from later CIS versions); FSBP IAM.7 requires every character class.",
    )

    def check(scope: Scope):
        policy = password_policy(scope.inv)
        if policy is None:
            yield scope.failed(scope.account_id, "no password policy is set", evidence={field: None})
        elif policy.get(field):
            yield scope.passed(scope.account_id, f"passwords must contain {what}", evidence={field: True})
        else:
            yield scope.failed(scope.account_id, f"passwords need not contain {what}", evidence={field: False})

    check.__name__ = check.__qualname__ = meta.id
    register(meta)(check)


for _args in (("uppercase", "RequireUppercaseCharacters", "an uppercase letter", "--require-uppercase-characters",
               "1.5"),
              ("lowercase", "RequireLowercaseCharacters", "a lowercase letter", "--require-lowercase-characters",
               "1.6"),
              ("symbols", "RequireSymbols", "a symbol", "--require-symbols", "1.7"),
              ("numbers", "RequireNumbers", "a number", "--require-numbers", "1.8")):
    _register_character_class(*_args)


@register(CheckMeta(
    id="iam_password_policy_expires_passwords", title="IAM passwords expire within the configured number of days",
    fail_title="IAM passwords do not expire in time", service="iam", aspect="iam", severity=Severity.low,
    scope="account", frameworks={}, settings={"max_age_days": 90},
    remediation=_password_remediation("--max-password-age 90"), iam_actions=POLICY_ACTIONS, resource_type=ACCOUNT,
    notes=("CIS v1.2 1.11 (Security Hub IAM.17); later CIS versions and NIST SP 800-63B no longer ask for forced "
           "rotation, and FSBP IAM.7 judges expiry only when its optional MaxPasswordAge parameter is set."),
))
def iam_password_policy_expires_passwords(scope: Scope):
    limit = int(scope.setting("max_age_days"))
    policy = password_policy(scope.inv)
    age = None if policy is None or not policy.get("ExpirePasswords", "MaxPasswordAge" in policy) \
        else policy.get("MaxPasswordAge")
    ev = {"MaxPasswordAge": age, "max_age_days": limit}
    if policy is None:
        yield scope.failed(scope.account_id, "no password policy is set: passwords never expire", evidence=ev)
    elif age is None:
        yield scope.failed(scope.account_id, "passwords never expire", evidence=ev)
    elif int(age) > limit:
        yield scope.failed(scope.account_id, f"passwords expire after {age} days (> {limit})", evidence=ev)
    else:
        yield scope.passed(scope.account_id, f"passwords expire after {age} days", evidence=ev)


@register(CheckMeta(
    id="iam_user_single_active_access_key", title="IAM users have at most one active access key",
    fail_title="IAM user has two active access keys", service="iam", aspect="accounts_identities",
    severity=Severity.medium, scope="account", frameworks={"cis": ["1.13"]},
    remediation=("Move callers to one key, then deactivate the other: console IAM > Users > user > Security "
                 "credentials > Access keys > Actions > Deactivate, or `aws iam update-access-key --user-name USER "
                 "--access-key-id KEY_ID --status Inactive` (then `aws iam delete-access-key`)."),
    iam_actions=["iam:GenerateCredentialReport", "iam:GetCredentialReport"], resource_type="AWS::IAM::User",
    notes="Read from the shared credential report; users without active keys pass.",
))
def iam_user_single_active_access_key(scope: Scope):
    for u in credential_report(scope.inv):
        if u.is_root:
            continue
        active = [k.slot for k in u.active_keys]
        ev = {"active_keys": active}
        if len(active) > 1:
            yield scope.failed(u.user, f"{len(active)} access keys are active", arn=u.arn, evidence=ev)
        else:
            yield scope.passed(u.user, f"{len(active)} active access key(s)", arn=u.arn, evidence=ev)


@register(CheckMeta(
    id="iam_server_certificate_not_expired", title="No expired SSL/TLS certificates are stored in IAM",
    fail_title="An expired SSL/TLS certificate is still stored in IAM", service="iam", aspect="encryption_in_transit",
    severity=Severity.medium, scope="account", frameworks={"cis": ["1.19"]},
    remediation=("Make sure nothing (a Classic Load Balancer, CloudFront) still uses it, then delete it (IAM server "
                 "certificates have no console page): `aws iam delete-server-certificate "
                 "--server-certificate-name NAME`. Prefer ACM for new certificates."),
    iam_actions=["iam:ListServerCertificates"], resource_type="AWS::IAM::ServerCertificate",
    notes="Today comes from the scan's clock.",
))
def iam_server_certificate_not_expired(scope: Scope):
    now = scope.now()
    for c in server_certificates(scope.inv):
        ev: dict[str, Any] = {"Expiration": c.expiration.isoformat() if c.expiration else None}
        if c.expiration is None:
            yield scope.errored(c.name, "UnreadableExpiration", "the listing gave no expiry date", arn=c.arn)
        elif c.expiration <= now:
            yield scope.failed(c.name, f"expired {(now - c.expiration).days} days ago", arn=c.arn, evidence=ev)
        else:
            yield scope.passed(c.name, f"valid for {(c.expiration - now).days} more days", arn=c.arn, evidence=ev)


@register(CheckMeta(
    id="iam_policy_unattached_no_full_admin",
    title="No unattached customer-managed policy grants full \"*:*\" admin",
    fail_title="An unattached customer-managed policy grants full \"*:*\" admin", service="iam", aspect="iam",
    severity=Severity.medium, scope="account", frameworks={"fsbp": ["IAM.1"]},
    remediation=("Delete the policy or narrow it before anyone attaches it: console IAM > Policies > policy > "
                 "Delete / Edit, or `aws iam delete-policy --policy-arn ARN` (or `aws iam create-policy-version "
                 "--policy-arn ARN --policy-document file://narrow.json --set-as-default`)."),
    iam_actions=["iam:ListPolicies", "iam:GetPolicyVersion"], resource_type="AWS::IAM::ManagedPolicy",
    notes=("FSBP IAM.1 judges every customer-managed policy; attached ones are judged by "
           "iam_policy_no_full_admin_attached (CIS 1.16), so this check covers the unattached rest."),
))
def iam_policy_unattached_no_full_admin(scope: Scope):
    for p in local_policies(scope.inv):
        if p.attachment_count:
            continue
        hits = admin_statements(p.document)
        ev = {"default_version": p.version_id, "admin_statements": hits}
        if hits:
            yield scope.failed(p.name, 'allows Action "*" on Resource "*" (unattached)', arn=p.arn, evidence=ev)
        else:
            yield scope.passed(p.name, "no full-admin statement", arn=p.arn, evidence=ev)


@register(CheckMeta(
    id="accessanalyzer_analyzer_enabled", title="IAM Access Analyzer watches for external access in the region",
    fail_title="No active IAM Access Analyzer for external access in the region", service="accessanalyzer",
    aspect="iam", severity=Severity.low, frameworks={"cis": ["1.20"]},
    remediation=("Console IAM > Access analyzer > Create analyzer (type: external access, zone of trust: account or "
                 "organization) in every region, or `aws accessanalyzer create-analyzer --analyzer-name default "
                 "--type ACCOUNT --region REGION`."),
    iam_actions=["access-analyzer:ListAnalyzers"], resource_type="AWS::AccessAnalyzer::Analyzer",
    moto="stubber", notes="moto has no Access Analyzer; PASS/FAIL/ERROR are tested with Stubber. Unused-access "
                          "analyzers do not count (they do not report outside access).",
))
def accessanalyzer_analyzer_enabled(scope: Scope):
    found = analyzers(scope.inv)
    ev = {"analyzers": [{"name": a.name, "type": a.type, "status": a.status} for a in found]}
    active = [a for a in found if a.status == "ACTIVE" and a.type in EXTERNAL_ACCESS_TYPES]
    if active:
        yield scope.passed(scope.region, f"analyzer {active[0].name} ({active[0].type}) is active", arn=active[0].arn,
                           tags=active[0].tags, evidence=ev)
    elif found:
        yield scope.failed(scope.region, "no active external-access analyzer (only: "
                           + ", ".join(f"{a.name} {a.type} {a.status}" for a in found) + ")", evidence=ev)
    else:
        yield scope.failed(scope.region, "no analyzer exists in this region", evidence=ev)
