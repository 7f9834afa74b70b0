"""IAM inventory (global): account summary, credential report, password policy, policies, users.

IAM is global, so every fetcher here is called from account-scoped checks and is
memoised once per account. The credential report is generated and read ONCE per
run and shared by every check that needs it.

Credential report values that are not dates: ``N/A`` (no such credential),
``no_information`` (never used / used before tracking began) and ``not_supported``
(the field does not apply, e.g. the root user's ``password_enabled``).
:func:`report_time` turns all of them into ``None``. The root user's row is named
``<root_account>``; moto never emits it, real AWS always does.
"""
from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import FetchError, Inventory, call_or_none, paginate

ROOT_USER = "<root_account>"
# Back-off between GetCredentialReport attempts while AWS builds the report (~15 s worst case).
REPORT_WAITS_S = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 4.5)
REPORT_NOT_READY = ("ReportInProgress", "ReportNotPresent", "ReportExpired")
NOT_A_DATE = {"", "N/A", "no_information", "not_supported"}


def report_time(value: str | None) -> datetime | None:
    """An ISO-8601 credential report timestamp as aware UTC, or None for N/A-style markers."""
    if value is None or value.strip() in NOT_A_DATE:
        return None
    try:
        ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


@dataclass
class AccessKeySlot:
    slot: str  # "access_key_1" | "access_key_2" (the report has no key ids)
    active: bool
    last_rotated: str  # raw report value, e.g. "2024-01-01T00:00:00+00:00" or "N/A"
    last_used: str  # raw report value, "N/A" when never used

    @property
    def last_rotated_at(self) -> datetime | None:
        return report_time(self.last_rotated)

    @property
    def last_used_at(self) -> datetime | None:
        return report_time(self.last_used)


@dataclass
class ReportUser:
    user: str
    arn: str
    created: str
    password_enabled: bool  # False for "false" and for root's "not_supported"
    password_last_used: str
    password_last_changed: str
    mfa_active: bool
    keys: list[AccessKeySlot] = field(default_factory=list)

    @property
    def is_root(self) -> bool:
        return self.user == ROOT_USER

    @property
    def password_last_used_at(self) -> datetime | None:
        return report_time(self.password_last_used)

    @property
    def password_set_at(self) -> datetime | None:
        """When the password was last set (falls back to user creation)."""
        return report_time(self.password_last_changed) or report_time(self.created)

    @property
    def active_keys(self) -> list[AccessKeySlot]:
        return [k for k in self.keys if k.active]


def parse_credential_report(content: bytes | str) -> list[ReportUser]:
    """The credential report CSV -> one ReportUser per row (root included, if present)."""
    text = content.decode("utf-8") if isinstance(content, (bytes, bytearray)) else content
    out: list[ReportUser] = []
    for row in csv.DictReader(io.StringIO(text)):
        keys = [
            AccessKeySlot(
                slot=f"access_key_{n}",
                active=row.get(f"access_key_{n}_active", "false") == "true",
                last_rotated=row.get(f"access_key_{n}_last_rotated", "N/A"),
                last_used=row.get(f"access_key_{n}_last_used_date", "N/A"),
            )
            for n in (1, 2)
        ]
        out.append(ReportUser(
            user=row["user"],
            arn=row.get("arn", ""),
            created=row.get("user_creation_time", "N/A"),
            password_enabled=row.get("password_enabled") == "true",
            password_last_used=row.get("password_last_used", "N/A"),
            password_last_changed=row.get("password_last_changed", "N/A"),
            mfa_active=row.get("mfa_active") == "true",
            keys=keys,
        ))
    return out


def credential_report(inv: Inventory) -> list[ReportUser]:
    """Generate (if needed) and read the credential report, once per account per run."""

    def fetch() -> list[ReportUser]:
        iam = inv.client("iam")
        iam.generate_credential_report()  # starts a build, or says COMPLETE if a fresh one exists
        last = ""
        for wait in REPORT_WAITS_S:  # bounded wait: poll the report, not the generator
            if wait:
                time.sleep(wait)
            try:
                return parse_credential_report(iam.get_credential_report()["Content"])
            except ClientError as exc:
                last = exc.response.get("Error", {}).get("Code", "")
                if last not in REPORT_NOT_READY:
                    raise
        raise FetchError(last or "ReportInProgress",
                         f"credential report not ready after {sum(REPORT_WAITS_S):.0f}s",
                         "iam.credential_report")

    return inv.memo("iam.credential_report", fetch)


def account_summary(inv: Inventory) -> dict[str, int]:
    """GetAccountSummary's SummaryMap (AccountMFAEnabled, AccountAccessKeysPresent, ...)."""
    return inv.memo("iam.account_summary",
                    lambda: dict(inv.client("iam").get_account_summary()["SummaryMap"]))


def password_policy(inv: Inventory) -> dict[str, Any] | None:
    """The account password policy, or None when none is set (NoSuchEntity)."""

    def fetch() -> dict[str, Any] | None:
        iam = inv.client("iam")
        resp = call_or_none(iam.get_account_password_policy, "NoSuchEntity")
        return None if resp is None else dict(resp["PasswordPolicy"])

    return inv.memo("iam.password_policy", fetch)


def policy_document(doc: Any) -> dict[str, Any]:
    """A policy document as a dict (boto3 decodes it; raw API callers get URL-encoded JSON)."""
    if isinstance(doc, dict):
        return doc
    text = str(doc or "{}")
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


@dataclass
class ManagedPolicy:
    name: str
    arn: str
    version_id: str
    attachment_count: int
    document: dict[str, Any]


def local_policies(inv: Inventory) -> list[ManagedPolicy]:
    """Every customer-managed policy, attached or not, with its default version's document."""

    def fetch() -> list[ManagedPolicy]:
        iam = inv.client("iam")
        out: list[ManagedPolicy] = []
        for p in paginate(iam, "list_policies", "Policies", Scope="Local"):
            version = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])
            out.append(ManagedPolicy(p["PolicyName"], p["Arn"], p["DefaultVersionId"],
                                     int(p.get("AttachmentCount", 0)),
                                     policy_document(version["PolicyVersion"].get("Document"))))
        return out

    return inv.memo("iam.local_policies", fetch)


def attached_local_policies(inv: Inventory) -> list[ManagedPolicy]:
    """Customer-managed policies attached to something (from the one local policy listing)."""
    return [p for p in local_policies(inv) if p.attachment_count > 0]


@dataclass(frozen=True)
class ServerCertificate:
    name: str
    arn: str
    expiration: datetime | None


def server_certificates(inv: Inventory) -> list[ServerCertificate]:
    """SSL/TLS server certificates stored in IAM, with their expiry (one paginated listing)."""

    def fetch() -> list[ServerCertificate]:
        iam = inv.client("iam")
        out = []
        for c in paginate(iam, "list_server_certificates", "ServerCertificateMetadataList"):
            exp = c.get("Expiration")
            if isinstance(exp, datetime) and exp.tzinfo is None:
                exp = exp.replace(tzinfo=timezone.utc)
            out.append(ServerCertificate(c["ServerCertificateName"], c.get("Arn", ""),
                                         exp if isinstance(exp, datetime) else None))
        return sorted(out, key=lambda c: c.name)

    return inv.memo("iam.server_certificates", fetch)


@dataclass
class IamUser:
    name: str
    arn: str
    attached_policies: list[str]  # managed policy ARNs attached directly to the user
    inline_policies: list[str]  # inline policy names
    tags: dict[str, str] = field(default_factory=dict)


def users(inv: Inventory) -> list[IamUser]:
    """Every IAM user with its directly attached and inline policies and its tags."""

    def fetch() -> list[IamUser]:
        iam = inv.client("iam")
        out: list[IamUser] = []
        for u in paginate(iam, "list_users", "Users"):
            name = u["UserName"]
            try:
                attached = paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
                inline = paginate(iam, "list_user_policies", "PolicyNames", UserName=name)
                tags = paginate(iam, "list_user_tags", "Tags", UserName=name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                    continue  # deleted between the listing and the detail calls
                raise
            out.append(IamUser(name, u["Arn"], sorted(a["PolicyArn"] for a in attached),
                               sorted(inline), tags_of(tags)))
        return out

    return inv.memo("iam.users", fetch)


def support_policy_roles(inv: Inventory) -> list[str]:
    """Names of roles with the AWS-managed AWSSupportAccess policy attached."""

    def fetch() -> list[str]:
        iam = inv.client("iam")
        arn = f"arn:{inv.partition}:iam::aws:policy/AWSSupportAccess"
        roles = paginate(iam, "list_entities_for_policy", "PolicyRoles", PolicyArn=arn, EntityFilter="Role")
        return sorted(r["RoleName"] for r in roles)

    return inv.memo("iam.support_policy_roles", fetch)
