"""S3 checks: account and bucket Block Public Access, public policy/ACL, encryption,
versioning, TLS-only policy and server access logging.

All run in account scope (ListBuckets is global); each bucket finding carries the
bucket's own region. A bucket whose needed detail could not be read gets an ERROR
finding for that bucket only (see :class:`checks.inventory.s3.ApiError`).
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.s3 import GROUP_URIS, ApiError, Bucket, account_public_access_block, buckets

BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# Every bucket check reads the one shared bucket record, whose fetch makes all of these calls.
BUCKET_ACTIONS = [
    "s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy", "s3:GetBucketAcl",
    "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning", "s3:GetBucketLogging",
    "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging",
]
BUCKET = "AWS::S3::Bucket"
# Condition keys that pin a Principal "*" statement to known callers (AWS "meaning of public").
RESTRICTING_KEYS = {
    "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount",
    "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgid",
    "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn", "aws:userid",
    "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
}
OPEN_VALUES = {"*", "0.0.0.0/0", "::/0"}


def _meta(id: str, title: str, aspect: str, severity: Severity, remediation: str,
          frameworks: dict[str, list[str]], **kw: Any) -> CheckMeta:
    return CheckMeta(id=id, title=title, service="s3", aspect=aspect, severity=severity,
                     scope="account", frameworks=frameworks, remediation=remediation,
                     iam_actions=kw.pop("iam_actions", BUCKET_ACTIONS),
                     resource_type=kw.pop("resource_type", BUCKET), **kw)


def _each(scope: Scope, *fields: str) -> Iterator[tuple[Bucket, dict[str, Any], Finding | None]]:
    """(bucket, finding kwargs, ERROR finding if a needed field could not be read)."""
    for b in buckets(scope.inv):
        kw: dict[str, Any] = {"arn": b.arn, "tags": {} if isinstance(b.tags, ApiError) else b.tags}
        if isinstance(b.region, str):
            kw["region"] = b.region
        # no region, no stable key: every check reports ERROR (never a finding re-keyed to another region)
        needed = ("region", *fields)
        err = next((getattr(b, f) for f in needed if isinstance(getattr(b, f), ApiError)), None)
        errored = scope.errored(b.name, err.code, f"{err.operation}: {err.message}", **kw) if err else None
        yield b, kw, errored


def _note(b: Bucket, reason: str) -> str:
    return f"{reason} (tags unreadable: {b.tags.code})" if isinstance(b.tags, ApiError) else reason


def _statements(policy: str) -> list[dict[str, Any]]:
    doc = json.loads(policy)
    st = doc.get("Statement", [])
    return [s for s in ([st] if isinstance(st, dict) else st) if isinstance(s, dict)]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _as_list(principal.get(k, [])) for k in ("AWS", "CanonicalUser"))
    return False


def _restricted(condition: Any) -> bool:
    """True when a positive condition pins the caller to fixed, non-wildcard values."""
    for op, kv in (condition or {}).items():
        o = op.lower()
        if "not" in o or o == "null" or o.endswith("ifexists") or o.startswith("forallvalues") \
                or not isinstance(kv, dict):
            continue
        for key, val in kv.items():
            vals = [str(v) for v in _as_list(val)]
            if key.lower() in RESTRICTING_KEYS and vals and not any(v in OPEN_VALUES or "*" in v for v in vals):
                return True
    return False


def public_statements(policy: str) -> list[str]:
    """Sids (or #index) of Allow statements open to everyone without a restricting condition."""
    out = []
    for i, s in enumerate(_statements(policy)):
        if s.get("Effect") != "Allow":
            continue
        if ("NotPrincipal" in s or _everyone(s.get("Principal"))) and not _restricted(s.get("Condition")):
            out.append(str(s.get("Sid") or f"#{i}"))
    return out


def tls_deny_statements(policy: str, bucket_arn: str) -> list[str]:
    """Sids of Deny s3:* for everyone when aws:SecureTransport is false, covering the bucket."""
    covers = {"*", bucket_arn, f"{bucket_arn}/*", f"{bucket_arn}*"}
    out = []
    for i, s in enumerate(_statements(policy)):
        if s.get("Effect") != "Deny" or not _everyone(s.get("Principal")):
            continue
        if not {"s3:*", "*"} & {str(a).lower() for a in _as_list(s.get("Action", []))}:
            continue
        if not covers & set(_as_list(s.get("Resource", []))):
            continue
        for op, kv in (s.get("Condition") or {}).items():
            if op.lower() in ("bool", "boolifexists") and isinstance(kv, dict):
                vals = {str(v).lower() for k, v0 in kv.items() if k.lower() == "aws:securetransport"
                        for v in _as_list(v0)}
                if "false" in vals:
                    out.append(str(s.get("Sid") or f"#{i}"))
                    break
    return out


@register(_meta(
    "s3_account_public_access_block_enabled", "S3 Block Public Access is on for the whole account",
    "data_protection", Severity.high,
    "Console S3 > Block Public Access settings for this account > Edit > Block all public access, or "
    "`aws s3control put-public-access-block --account-id ACCOUNT_ID --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    {"cis": ["2.1.4"], "fsbp": ["S3.1"]}, resource_type="AWS::::Account",
    iam_actions=["s3:GetAccountPublicAccessBlock"],
    fail_title="S3 Block Public Access is off for the account",
))
def s3_account_public_access_block_enabled(scope: Scope):
    cfg = account_public_access_block(scope.inv)
    if cfg is None:
        yield scope.failed(scope.account_id, "account-level Block Public Access is not configured",
                           evidence={"Configured": False})
        return
    evidence = {f: bool(cfg.get(f)) for f in BPA_FLAGS}
    off = [f for f in BPA_FLAGS if not evidence[f]]
    if off:
        yield scope.failed(scope.account_id, f"account-level Block Public Access is off for: {', '.join(off)}",
                           evidence=evidence)
    else:
        yield scope.passed(scope.account_id, "all four account-level Block Public Access settings are on",
                           evidence=evidence)


@register(_meta(
    "s3_bucket_public_access_block_enabled", "S3 buckets have Block Public Access on at bucket level",
    "data_protection", Severity.high,
    "Console S3 > bucket > Permissions > Block public access (bucket settings) > Edit > Block all public "
    "access, or `aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    {"cis": ["2.1.4"], "fsbp": ["S3.8"]},
    fail_title="S3 buckets without bucket-level Block Public Access",
))
def s3_bucket_public_access_block_enabled(scope: Scope):
    for b, kw, err in _each(scope, "public_access_block"):
        if err:
            yield err
        elif b.public_access_block is None:
            yield scope.failed(b.name, _note(b, "bucket-level Block Public Access is not configured"),
                               evidence={"Configured": False}, **kw)
        else:
            ev = {f: bool(b.public_access_block.get(f)) for f in BPA_FLAGS}
            off = [f for f in BPA_FLAGS if not ev[f]]
            if off:
                yield scope.failed(b.name, _note(b, f"Block Public Access is off for: {', '.join(off)}"),
                                   evidence=ev, **kw)
            else:
                yield scope.passed(b.name, _note(b, "all four Block Public Access settings are on"),
                                   evidence=ev, **kw)


@register(_meta(
    "s3_bucket_policy_not_public", "S3 bucket policies do not grant access to everyone",
    "data_protection", Severity.critical,
    "Console S3 > bucket > Permissions > Bucket policy: remove Principal \"*\" Allow statements or add a "
    "restricting Condition (aws:SourceVpce, aws:PrincipalOrgID, ...); CLI `aws s3api put-bucket-policy "
    "--bucket BUCKET --policy file://policy.json` (or `aws s3api delete-bucket-policy --bucket BUCKET`).",
    {"fsbp": ["S3.2", "S3.3"]},
    notes="Statement analysis: Allow with Principal */{AWS:*} or NotPrincipal and no fixed-value "
          "restricting condition. Block Public Access is judged by its own checks.",
    fail_title="S3 bucket policies grant access to everyone",
))
def s3_bucket_policy_not_public(scope: Scope):
    for b, kw, err in _each(scope, "policy"):
        if err:
            yield err
        elif b.policy is None:
            yield scope.passed(b.name, _note(b, "no bucket policy"), evidence={"PublicStatements": []}, **kw)
        else:
            public = public_statements(b.policy)
            ev = {"PublicStatements": public}
            if public:
                yield scope.failed(b.name, _note(b, f"policy allows everyone: {', '.join(public)}"),
                                   evidence=ev, **kw)
            else:
                yield scope.passed(b.name, _note(b, "no policy statement allows everyone"), evidence=ev, **kw)


@register(_meta(
    "s3_bucket_acl_not_public", "S3 bucket ACLs grant nothing to AllUsers or AuthenticatedUsers",
    "data_protection", Severity.critical,
    "Console S3 > bucket > Permissions > Access control list > Edit: remove Everyone / Authenticated users "
    "grants (better: Object Ownership = Bucket owner enforced), or `aws s3api put-bucket-acl --bucket BUCKET "
    "--acl private`.",
    {"fsbp": ["S3.2", "S3.3"]},
    fail_title="S3 bucket ACLs grant access to everyone",
))
def s3_bucket_acl_not_public(scope: Scope):
    for b, kw, err in _each(scope, "acl_grants"):
        if err:
            yield err
            continue
        grants = sorted(
            ({"Grantee": GROUP_URIS[g["Grantee"]["URI"]], "Permission": g.get("Permission", "")}
             for g in b.acl_grants
             if g.get("Grantee", {}).get("Type") == "Group" and g["Grantee"].get("URI") in GROUP_URIS),
            key=lambda g: (g["Grantee"], g["Permission"]))
        if grants:
            text = ", ".join(f"{g['Grantee']}:{g['Permission']}" for g in grants)
            yield scope.failed(b.name, _note(b, f"ACL grants public access: {text}"),
                               evidence={"PublicGrants": grants}, **kw)
        else:
            yield scope.passed(b.name, _note(b, "ACL has no public grants"), evidence={"PublicGrants": []}, **kw)


@register(_meta(
    "s3_bucket_default_encryption_enabled", "S3 buckets have default encryption configured",
    "encryption_at_rest", Severity.medium,
    "Console S3 > bucket > Properties > Default encryption > Edit (SSE-KMS preferred), or "
    "`aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration "
    "'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"}}]}'`.",
    {},
    notes="FSBP S3.4 (server-side encryption) was retired once AWS made SSE-S3 the default (Jan 2023); "
          "judged on what GetBucketEncryption returns. moto does not apply SSE-S3 by default.",
    fail_title="S3 buckets without default encryption",
))
def s3_bucket_default_encryption_enabled(scope: Scope):
    for b, kw, err in _each(scope, "encryption_rules"):
        if err:
            yield err
        elif not b.encryption_rules:
            yield scope.failed(b.name, _note(b, "no default encryption configuration"),
                               evidence={"SSEAlgorithms": []}, **kw)
        else:
            defaults = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in b.encryption_rules]
            ev = {"SSEAlgorithms": sorted({d.get("SSEAlgorithm", "") for d in defaults}),
                  "KMSMasterKeyIDs": sorted({d["KMSMasterKeyID"] for d in defaults if d.get("KMSMasterKeyID")}),
                  "BucketKeyEnabled": any(r.get("BucketKeyEnabled") for r in b.encryption_rules)}
            yield scope.passed(b.name, _note(b, f"default encryption: {', '.join(ev['SSEAlgorithms'])}"),
                               evidence=ev, **kw)


@register(_meta(
    "s3_bucket_versioning_enabled", "S3 buckets have versioning enabled",
    "backup_dr", Severity.medium,
    "Console S3 > bucket > Properties > Bucket Versioning > Edit > Enable, or "
    "`aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled`.",
    {},
    fail_title="S3 buckets without versioning",
))
def s3_bucket_versioning_enabled(scope: Scope):
    for b, kw, err in _each(scope, "versioning"):
        if err:
            yield err
            continue
        status = b.versioning.get("Status") or "NeverEnabled"
        ev = {"Status": status, "MFADelete": b.versioning.get("MFADelete") or "Disabled"}
        if status == "Enabled":
            yield scope.passed(b.name, _note(b, "versioning is enabled"), evidence=ev, **kw)
        else:
            yield scope.failed(b.name, _note(b, f"versioning is {status}"), evidence=ev, **kw)


@register(_meta(
    "s3_bucket_tls_only_policy", "S3 bucket policies deny requests that are not over TLS",
    "encryption_in_transit", Severity.medium,
    "Console S3 > bucket > Permissions > Bucket policy: add {\"Effect\":\"Deny\",\"Principal\":\"*\","
    "\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::BUCKET\",\"arn:aws:s3:::BUCKET/*\"],\"Condition\":"
    "{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}; CLI `aws s3api put-bucket-policy --bucket BUCKET "
    "--policy file://policy.json`.",
    {"cis": ["2.1.1"], "fsbp": ["S3.5"]},
    fail_title="S3 buckets accept requests that are not over TLS",
))
def s3_bucket_tls_only_policy(scope: Scope):
    for b, kw, err in _each(scope, "policy"):
        if err:
            yield err
            continue
        sids = tls_deny_statements(b.policy, b.arn) if b.policy else []
        ev = {"HasPolicy": b.policy is not None, "DenyInsecureStatements": sids}
        if sids:
            yield scope.passed(b.name, _note(b, f"policy denies non-TLS requests: {', '.join(sids)}"),
                               evidence=ev, **kw)
        else:
            why = "no bucket policy" if b.policy is None else "no Deny on aws:SecureTransport=false for s3:*"
            yield scope.failed(b.name, _note(b, why), evidence=ev, **kw)


@register(_meta(
    "s3_bucket_access_logging_enabled", "S3 buckets have server access logging enabled",
    "logging_monitoring", Severity.low,
    "Console S3 > bucket > Properties > Server access logging > Edit > Enable (target bucket in the same "
    "region), or `aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status "
    "'{\"LoggingEnabled\":{\"TargetBucket\":\"LOG_BUCKET\",\"TargetPrefix\":\"BUCKET/\"}}'`.",
    {"fsbp": ["S3.9"]},
    fail_title="S3 buckets without server access logging",
))
def s3_bucket_access_logging_enabled(scope: Scope):
    for b, kw, err in _each(scope, "logging"):
        if err:
            yield err
        elif b.logging:
            ev = {"TargetBucket": b.logging.get("TargetBucket", ""), "TargetPrefix": b.logging.get("TargetPrefix", "")}
            yield scope.passed(b.name, _note(b, f"access logs go to {ev['TargetBucket']}"), evidence=ev, **kw)
        else:
            yield scope.failed(b.name, _note(b, "server access logging is off"),
                               evidence={"TargetBucket": "", "TargetPrefix": ""}, **kw)
