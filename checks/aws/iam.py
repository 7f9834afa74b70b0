"""IAM checks (global, CIS AWS Foundations Benchmark v3.0 section 1)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.iam import (
    ReportUser,
    account_summary,
    attached_local_policies,
    credential_report,
    password_policy,
    support_policy_roles,
    users,
)

ACCOUNT = "AWS::::Account"
REPORT_ACTIONS = ["iam:GenerateCredentialReport", "iam:GetCredentialReport"]
MIN_PASSWORD_LENGTH = 14  # CIS 1.8
MIN_PASSWORD_REUSE_PREVENTION = 24  # CIS 1.9
MAX_PASSWORD_AGE_DAYS: int | None = None  # None: expiry not required (CIS dropped it after v1.2); 90 to require
MAX_ACCESS_KEY_AGE_DAYS = 90  # CIS 1.14: older than this fails
MAX_UNUSED_DAYS = 45  # CIS 1.12: unused for this many days or more fails


def _root_arn(scope: Scope) -> str:
    return f"arn:{scope.partition}:iam::{scope.account_id}:root"


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


@register(CheckMeta(
    id="iam_root_mfa_enabled", title="The root user has MFA enabled", service="iam", aspect="mfa",
    fail_title="The root user has no MFA",
    severity=Severity.critical, scope="account", frameworks={"cis": ["1.5"]},
    remediation=("Sign in as root: console account menu > Security credentials > Multi-factor authentication "
                 "> Assign MFA device. Verify with `aws iam get-account-summary` (AccountMFAEnabled = 1)."),
    iam_actions=["iam:GetAccountSummary"], resource_type=ACCOUNT,
    moto="stubber", notes="moto always reports AccountMFAEnabled=0; the PASS case is tested with Stubber.",
))
def iam_root_mfa_enabled(scope: Scope):
    enabled = int(account_summary(scope.inv).get("AccountMFAEnabled", 0))
    ev = {"AccountMFAEnabled": enabled}
    if enabled:
        yield scope.passed(scope.account_id, "the root user has MFA enabled", arn=_root_arn(scope), evidence=ev)
    else:
        yield scope.failed(scope.account_id, "the root user has no MFA device", arn=_root_arn(scope), evidence=ev)


@register(CheckMeta(
    id="iam_root_access_keys_absent", title="The root user has no access keys", service="iam",
    fail_title="The root user has access keys",
    aspect="accounts_identities", severity=Severity.critical, scope="account",
    frameworks={"cis": ["1.4"], "fsbp": ["IAM.4"]},
    remediation=("Sign in as root: console account menu > Security credentials > Access keys > Delete. "
                 "Verify with `aws iam get-account-summary` (AccountAccessKeysPresent = 0)."),
    iam_actions=["iam:GetAccountSummary"], resource_type=ACCOUNT,
    moto="stubber", notes=("Judged from AccountAccessKeysPresent, which counts inactive root keys too (CIS 1.4: no key "
           "should exist). moto always reports 0; the FAIL case is tested with Stubber."),
))
def iam_root_access_keys_absent(scope: Scope):
    present = int(account_summary(scope.inv).get("AccountAccessKeysPresent", 0))
    ev = {"AccountAccessKeysPresent": present}
    if present:
        yield scope.failed(scope.account_id, "the root user has access keys", arn=_root_arn(scope), evidence=ev)
    else:
        yield scope.passed(scope.account_id, "the root user has no access keys", arn=_root_arn(scope), evidence=ev)


def _iam_users(scope: Scope) -> list[ReportUser]:
    """Credential report rows for IAM users (the root row is judged by the root checks)."""
    return [u for u in credential_report(scope.inv) if not u.is_root]


@register(CheckMeta(
    id="iam_user_console_mfa_enabled", title="IAM users with a console password have MFA", service="iam",
    fail_title="Console IAM users without MFA",
    aspect="mfa", severity=Severity.high, scope="account", frameworks={"cis": ["1.10"], "fsbp": ["IAM.5"]},
    remediation=("Console IAM > Users > user > Security credentials > Assign MFA device, or "
                 "`aws iam create-virtual-mfa-device` + `aws iam enable-mfa-device --user-name USER ...`."),
    iam_actions=REPORT_ACTIONS, resource_type="AWS::IAM::User",
))
def iam_user_console_mfa_enabled(scope: Scope):
    for u in _iam_users(scope):
        if not u.password_enabled:
            continue  # no console access; MFA for console sign-in does not apply
        ev = {"password_enabled": True, "mfa_active": u.mfa_active}
        if u.mfa_active:
            yield scope.passed(u.user, "console user has MFA", arn=u.arn, evidence=ev)
        else:
            yield scope.failed(u.user, "console user has no MFA device", arn=u.arn, evidence=ev)


def password_policy_problems(policy: dict[str, Any], *, min_length: int = MIN_PASSWORD_LENGTH,
                             min_reuse: int = MIN_PASSWORD_REUSE_PREVENTION,
                             max_age: int | None = MAX_PASSWORD_AGE_DAYS) -> list[str]:
    """What a password policy lacks; empty when it is strong enough."""
    problems = []
    length = int(policy.get("MinimumPasswordLength", 0))
    if length < min_length:
        problems.append(f"minimum length {length} < {min_length}")
    reuse = policy.get("PasswordReusePrevention")
    if reuse is None or int(reuse) < min_reuse:
        problems.append(f"reuse prevention {reuse or 'off'} < {min_reuse}")
    if max_age is not None:
        age = policy.get("MaxPasswordAge") if policy.get("ExpirePasswords", "MaxPasswordAge" in policy) else None
        if age is None:
            problems.append(f"passwords never expire (required <= {max_age} days)")
        elif int(age) > max_age:
            problems.append(f"passwords expire after {age} days > {max_age}")
    return problems


@register(CheckMeta(
    id="iam_password_policy_strong", title="The IAM password policy is strong", service="iam", aspect="iam",
    fail_title="The IAM password policy is weak or missing",
    severity=Severity.medium, scope="account", frameworks={"cis": ["1.8", "1.9"]},
    remediation=("Console IAM > Account settings > Password policy > Edit: minimum length 14, prevent reuse "
                 "of 24 passwords, or `aws iam update-account-password-policy --minimum-password-length 14 "
                 "--password-reuse-prevention 24`."),
    iam_actions=["iam:GetAccountPasswordPolicy"], resource_type=ACCOUNT,
    settings={"min_length": MIN_PASSWORD_LENGTH, "reuse_prevention": MIN_PASSWORD_REUSE_PREVENTION},
    notes="Expiry is judged by iam_password_policy_expires_passwords, character classes by their own checks.",
))
def iam_password_policy_strong(scope: Scope):
    min_length, min_reuse = int(scope.setting("min_length")), int(scope.setting("reuse_prevention"))
    required = {"MinimumPasswordLength": min_length,
                "PasswordReusePrevention": min_reuse, "MaxPasswordAge": MAX_PASSWORD_AGE_DAYS}
    policy = password_policy(scope.inv)
    if policy is None:
        yield scope.failed(scope.account_id, "no password policy",
                           evidence={"PasswordPolicy": None, "required": required})
        return
    ev = {k: policy.get(k) for k in ("MinimumPasswordLength", "PasswordReusePrevention",
                                       "ExpirePasswords", "MaxPasswordAge")}
    ev["required"] = required
    problems = password_policy_problems(policy, min_length=min_length, min_reuse=min_reuse)
    if problems:
        yield scope.failed(scope.account_id, "password policy is weak: " + "; ".join(problems), evidence=ev)
    else:
        yield scope.passed(scope.account_id, "password policy meets length and reuse requirements", evidence=ev)


@register(CheckMeta(
    id="iam_access_keys_rotated_90_days", title="Active IAM access keys are rotated within 90 days",
    fail_title="IAM access keys older than 90 days",
    service="iam", aspect="iam", severity=Severity.medium, scope="account",
    frameworks={"cis": ["1.14"], "fsbp": ["IAM.3"]},
    remediation=("Create a new key, move callers to it, then deactivate and delete the old one: console IAM > "
                 "Users > user > Security credentials > Access keys, or `aws iam create-access-key --user-name "
                 "USER` then `aws iam update-access-key --status Inactive` and `aws iam delete-access-key`."),
    iam_actions=REPORT_ACTIONS, resource_type="AWS::IAM::AccessKey",
    notes="The credential report has no key ids: resource ids are '<user>/access_key_1|2'.",
))
def iam_access_keys_rotated_90_days(scope: Scope):
    now = scope.now()
    for u in _iam_users(scope):
        for k in u.active_keys:
            rid = f"{u.user}/{k.slot}"
            rotated = k.last_rotated_at
            if rotated is None:
                yield scope.errored(rid, "UnreadableReport", f"no creation date for an active key ({k.last_rotated!r})",
                                    arn=u.arn)
                continue
            ev = {"active": True, "last_rotated": k.last_rotated, "max_age_days": MAX_ACCESS_KEY_AGE_DAYS}
            age = (now - rotated).days
            if age > MAX_ACCESS_KEY_AGE_DAYS:
                yield scope.failed(rid, f"active key is {age} days old (> {MAX_ACCESS_KEY_AGE_DAYS})", arn=u.arn,
                                   evidence=ev)
            else:
                yield scope.passed(rid, f"active key is {age} days old", arn=u.arn, evidence=ev)


def _credential_activity(u: ReportUser) -> list[tuple[str, str, datetime | None]]:
    """(credential, basis, last activity) per enabled credential; a never-used one counts from its creation."""
    out: list[tuple[str, str, datetime | None]] = []
    if u.password_enabled:
        used = u.password_last_used_at
        out.append(("password", "last_used", used) if used else ("password", "never_used", u.password_set_at))
    for k in u.active_keys:
        used = k.last_used_at
        out.append((k.slot, "last_used", used) if used else (k.slot, "never_used", k.last_rotated_at))
    return out


@register(CheckMeta(
    id="iam_credentials_unused_45_days_disabled", title="IAM credentials unused for 45 days are disabled",
    fail_title="IAM credentials unused for 45+ days are still enabled",
    service="iam", aspect="accounts_identities", severity=Severity.medium, scope="account",
    frameworks={"cis": ["1.12"]},
    remediation=("Console IAM > Users > user > Security credentials: disable console access and deactivate "
                 "unused keys, or `aws iam delete-login-profile --user-name USER` and `aws iam update-access-key "
                 "--user-name USER --access-key-id KEY --status Inactive`."),
    iam_actions=REPORT_ACTIONS, resource_type="AWS::IAM::User",
    notes="A never-used credential is aged from when it was set (password) or created (key).",
))
def iam_credentials_unused_45_days_disabled(scope: Scope):
    now = scope.now()
    for u in _iam_users(scope):
        activity = _credential_activity(u)
        stale = [
            {"credential": cred, "basis": basis, "since": when.isoformat() if when else None}
            for cred, basis, when in activity
            if when is None or (now - when).days >= MAX_UNUSED_DAYS
        ]
        if stale:
            names = ", ".join(s["credential"] for s in stale)
            yield scope.failed(u.user, f"unused for {MAX_UNUSED_DAYS}+ days: {names}", arn=u.arn,
                               evidence={"stale": stale, "max_unused_days": MAX_UNUSED_DAYS})
        else:
            creds = [cred for cred, _, _ in activity]
            reason = f"credentials used within {MAX_UNUSED_DAYS} days" if creds else "no password or active keys"
            yield scope.passed(u.user, reason, arn=u.arn,
                               evidence={"credentials": creds, "max_unused_days": MAX_UNUSED_DAYS})


def admin_statements(document: dict[str, Any]) -> list[str]:
    """Sids (or indexes) of statements allowing Action "*" on Resource "*"."""
    hits = []
    for i, st in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "*" in _as_list(st.get("Action")) and "*" in _as_list(st.get("Resource")):
            hits.append(str(st.get("Sid") or i))
    return hits


@register(CheckMeta(
    id="iam_policy_no_full_admin_attached", title="No attached customer-managed policy grants full \"*:*\" admin",
    fail_title="Attached customer-managed policies grant full \"*:*\" admin",
    service="iam", aspect="iam", severity=Severity.high, scope="account",
    frameworks={"cis": ["1.16"], "fsbp": ["IAM.1"]},
    remediation=("Replace the statement with least-privilege actions, or detach the policy: console IAM > "
                 "Policies > policy > Entities attached > Detach, or `aws iam list-entities-for-policy "
                 "--policy-arn ARN` then `aws iam detach-{user,group,role}-policy`."),
    iam_actions=["iam:ListPolicies", "iam:GetPolicyVersion"], resource_type="AWS::IAM::ManagedPolicy",
))
def iam_policy_no_full_admin_attached(scope: Scope):
    for p in attached_local_policies(scope.inv):
        hits = admin_statements(p.document)
        ev = {"default_version": p.version_id, "admin_statements": hits}
        if hits:
            yield scope.failed(p.name, 'allows Action "*" on Resource "*"', arn=p.arn, evidence=ev)
        else:
            yield scope.passed(p.name, "no full-admin statement", arn=p.arn, evidence=ev)


@register(CheckMeta(
    id="iam_user_no_attached_policies", title="IAM users get permissions only through groups or roles",
    fail_title="IAM users with policies attached directly",
    service="iam", aspect="iam", severity=Severity.low, scope="account",
    frameworks={"cis": ["1.15"], "fsbp": ["IAM.2"]},
    remediation=("Move the permissions to a group and add the user to it: console IAM > Users > user > "
                 "Permissions > Remove, or `aws iam detach-user-policy` / `aws iam delete-user-policy` "
                 "after `aws iam add-user-to-group`."),
    iam_actions=["iam:ListUsers", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:ListUserTags"],
    resource_type="AWS::IAM::User",
))
def iam_user_no_attached_policies(scope: Scope):
    for u in users(scope.inv):
        ev = {"attached_policies": u.attached_policies, "inline_policies": u.inline_policies}
        if u.attached_policies or u.inline_policies:
            n = len(u.attached_policies) + len(u.inline_policies)
            yield scope.failed(u.name, f"{n} polic{'y' if n == 1 else 'ies'} attached directly to the user",
                               arn=u.arn, evidence=ev, tags=u.tags)
        else:
            yield scope.passed(u.name, "no policies attached directly", arn=u.arn, evidence=ev, tags=u.tags)


@register(CheckMeta(
    id="iam_support_role_exists", title="A role for AWS Support incidents exists", service="iam",
    fail_title="No role for AWS Support incidents",
    aspect="incident_response", severity=Severity.low, scope="account", frameworks={"cis": ["1.17"]},
    remediation=("Console IAM > Roles > Create role (trusted: your account) > attach AWSSupportAccess, or "
                 "`aws iam attach-role-policy --role-name ROLE --policy-arn arn:aws:iam::aws:policy/AWSSupportAccess`."),
    iam_actions=["iam:ListEntitiesForPolicy"], resource_type=ACCOUNT,
))
def iam_support_role_exists(scope: Scope):
    roles = support_policy_roles(scope.inv)
    ev = {"support_roles": roles[:10], "count": len(roles)}
    if roles:
        yield scope.passed(scope.account_id, f"AWSSupportAccess is attached to {len(roles)} role(s)", evidence=ev)
    else:
        yield scope.failed(scope.account_id, "no role has AWSSupportAccess attached", evidence=ev)
