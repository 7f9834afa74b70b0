"""CloudFront inventory (global): distributions, read once per account.

``list_distributions`` (paginated) already carries origins, cache behaviours and the
web ACL, so most checks need nothing else; tags (``list_tags_for_resource``) are read
per distribution with the listing, and the logging configuration
(``get_distribution_config``) only when a check asks for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of

GLOBAL_REGION = "us-east-1"  # CloudFront's API lives here


@dataclass
class Distribution:
    id: str
    arn: str
    domain: str
    viewer_policies: dict[str, str]  # path pattern ("*" = default behaviour) -> ViewerProtocolPolicy
    origins: list[dict[str, Any]]
    web_acl_id: str
    tags: dict[str, str] = field(default_factory=dict)
    tags_error: str = ""


def _items(block: Any) -> list[Any]:
    return list((block or {}).get("Items") or [])


def distributions(inv: Inventory) -> list[Distribution]:
    """Every CloudFront distribution of the account."""

    def fetch() -> list[Distribution]:
        cf = inv.client("cloudfront", region=GLOBAL_REGION)
        out = []
        for page in cf.get_paginator("list_distributions").paginate():
            for d in _items(page.get("DistributionList")):
                policies = {"*": (d.get("DefaultCacheBehavior") or {}).get("ViewerProtocolPolicy", "")}
                for b in _items(d.get("CacheBehaviors")):
                    policies[b.get("PathPattern", "?")] = b.get("ViewerProtocolPolicy", "")
                dist = Distribution(d["Id"], d.get("ARN", ""), d.get("DomainName", ""), policies,
                                    _items(d.get("Origins")), d.get("WebACLId") or "")
                try:
                    dist.tags = tags_of(_items(cf.list_tags_for_resource(Resource=dist.arn).get("Tags")))
                except ClientError as exc:
                    dist.tags_error = error_code_of(exc)[0]
                out.append(dist)
        return sorted(out, key=lambda d: d.id)

    return inv.memo("cloudfront.distributions", fetch)


def logging_configs(inv: Inventory) -> dict[str, dict[str, Any] | tuple[str, str]]:
    """Distribution id -> its standard logging block (Enabled, Bucket, Prefix), or (code, message) if refused."""

    def fetch() -> dict[str, dict[str, Any] | tuple[str, str]]:
        cf = inv.client("cloudfront", region=GLOBAL_REGION)
        out: dict[str, dict[str, Any] | tuple[str, str]] = {}
        for d in distributions(inv):
            try:
                cfg = cf.get_distribution_config(Id=d.id)["DistributionConfig"]
                out[d.id] = dict(cfg.get("Logging") or {})
            except ClientError as exc:
                out[d.id] = error_code_of(exc)
        return out

    return inv.memo("cloudfront.logging_configs", fetch)
