"""S3 inventory: account-level Block Public Access and one record per bucket.

``list_buckets`` is global, so every S3 check runs in account scope and reads the
same memoised bucket list. Each bucket's detail (location, policy, ACL, default
encryption, versioning, logging, Block Public Access, tags) is fetched once, in
one pass, here. A per-bucket call that AWS refuses (AccessDenied, ...) does not
sink the whole scan: the field holds an :class:`ApiError` and only the checks
that need that field report ERROR for that bucket. A "not configured" code
becomes ``None``. A failure to list the buckets at all raises, as usual. A bucket
whose location cannot be read has no known region (so no stable key): it is a gap in
the listing (:meth:`Inventory.note_gap`) and every check reports ERROR for it.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from botocore.exceptions import ClientError

from checks.inventory.core import Inventory, call_or_none, paginate

T = TypeVar("T")

BUCKET_WORKERS = 8  # buckets fetched in parallel inside the one memoised pass

GROUP_URIS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}


@dataclass(frozen=True)
class ApiError:
    """A per-bucket call AWS refused; stands in for the value it would have returned."""

    code: str
    message: str
    operation: str


@dataclass
class Bucket:
    name: str
    arn: str
    region: str | ApiError  # us-east-1 when AWS says None/""; eu-west-1 for the legacy "EU"
    policy: str | None | ApiError = None  # the policy JSON text; None: no bucket policy
    acl_grants: list[dict[str, Any]] | ApiError = field(default_factory=list)
    encryption_rules: list[dict[str, Any]] | None | ApiError = None  # None: no default encryption
    versioning: dict[str, str] | ApiError = field(default_factory=dict)  # {"Status":..,"MFADelete":..}
    logging: dict[str, Any] | None | ApiError = None  # LoggingEnabled block; None: logging off
    public_access_block: dict[str, bool] | None | ApiError = None  # None: no bucket-level BPA
    tags: dict[str, str] | ApiError = field(default_factory=dict)


class _BucketGone(Exception):
    """The bucket was deleted between list_buckets and its detail calls."""


def normalise_region(constraint: str | None) -> str:
    """GetBucketLocation's LocationConstraint -> a real region name."""
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return constraint


def account_public_access_block(inv: Inventory) -> dict[str, bool] | None:
    """Account-level Block Public Access flags; None when never configured."""

    def fetch() -> dict[str, bool] | None:
        ctl = inv.client("s3control")
        resp = call_or_none(lambda: ctl.get_public_access_block(AccountId=inv.account_id),
                            "NoSuchPublicAccessBlockConfiguration")
        return None if resp is None else dict(resp["PublicAccessBlockConfiguration"])

    return inv.memo("s3.account_public_access_block", fetch)


def buckets(inv: Inventory) -> list[Bucket]:
    """Every bucket the account owns, with its detail, fetched once per run."""

    def fetch() -> list[Bucket]:
        s3 = inv.client("s3")
        names = [b["Name"] for b in paginate(s3, "list_buckets", "Buckets")]
        if len(names) <= 1:
            found = [_one_bucket(inv, n) for n in names]
        else:
            with ThreadPoolExecutor(max_workers=min(BUCKET_WORKERS, len(names))) as pool:
                found = list(pool.map(lambda n: _one_bucket(inv, n), names))
        return [b for b in found if b is not None]

    return inv.memo("s3.buckets", fetch)


def _one_bucket(inv: Inventory, name: str) -> Bucket | None:
    try:
        return _describe(inv, name)
    except _BucketGone:
        return None


def _guard(operation: str, fn: Callable[[], T], *missing: str) -> T | None | ApiError:
    """Run one per-bucket call: value, None when not configured, or an ApiError."""
    try:
        return fn()
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "ClientError")
        if code == "NoSuchBucket":
            raise _BucketGone(code) from exc
        if code in missing:
            return None
        return ApiError(code, str(err.get("Message") or exc), operation)


def _describe(inv: Inventory, name: str) -> Bucket:
    home = inv.client("s3")
    loc = _guard("GetBucketLocation", lambda: home.get_bucket_location(Bucket=name))
    region: str | ApiError = loc if isinstance(loc, ApiError) else normalise_region(
        (loc or {}).get("LocationConstraint"))
    # Ask the bucket's own region (no cross-region redirect); fall back to home if unknown.
    s3 = inv.client("s3", region) if isinstance(region, str) else home
    b = Bucket(name=name, arn=f"arn:{inv.partition}:s3:::{name}", region=region)
    if isinstance(region, ApiError):
        inv.note_gap("s3.buckets", f"{name}: region unknown ({region.code})")

    pol = _guard("GetBucketPolicy", lambda: s3.get_bucket_policy(Bucket=name), "NoSuchBucketPolicy")
    b.policy = pol if pol is None or isinstance(pol, ApiError) else pol.get("Policy")

    acl = _guard("GetBucketAcl", lambda: s3.get_bucket_acl(Bucket=name))
    b.acl_grants = acl if isinstance(acl, ApiError) else list((acl or {}).get("Grants", []))

    enc = _guard("GetBucketEncryption", lambda: s3.get_bucket_encryption(Bucket=name),
                 "ServerSideEncryptionConfigurationNotFoundError")
    b.encryption_rules = enc if enc is None or isinstance(enc, ApiError) else list(
        enc.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])) or None

    ver = _guard("GetBucketVersioning", lambda: s3.get_bucket_versioning(Bucket=name))
    b.versioning = ver if isinstance(ver, ApiError) else {
        k: v for k, v in (ver or {}).items() if k in ("Status", "MFADelete")}

    log = _guard("GetBucketLogging", lambda: s3.get_bucket_logging(Bucket=name))
    b.logging = log if isinstance(log, ApiError) else (log or {}).get("LoggingEnabled")

    pab = _guard("GetPublicAccessBlock", lambda: s3.get_public_access_block(Bucket=name),
                 "NoSuchPublicAccessBlockConfiguration")
    b.public_access_block = pab if pab is None or isinstance(pab, ApiError) else dict(
        pab["PublicAccessBlockConfiguration"])

    tag = _guard("GetBucketTagging", lambda: s3.get_bucket_tagging(Bucket=name), "NoSuchTagSet")
    b.tags = tag if isinstance(tag, ApiError) else {
        t["Key"]: t.get("Value", "") for t in (tag or {}).get("TagSet", [])}
    return b
