"""Who a resource-based policy lets in: everyone, or other accounts (no checks here).

Shared by the Lambda, ECR and Backup vault checks. "Everyone" follows the S3 checks'
reading (:func:`checks.aws.s3.public_statements`): an Allow with Principal ``*`` (or
``{"AWS": "*"}``, or NotPrincipal) and no condition pinning the caller to fixed values.
"""
from __future__ import annotations

import json
import re
from typing import Any

from checks.aws.s3 import public_statements

ACCOUNT_IN_PRINCIPAL = re.compile(r"^(?:arn:[^:]+:iam::)?(\d{12})(?::|$)")

__all__ = ["public_statements", "other_accounts"]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def other_accounts(policy: str, own_account: str) -> list[str]:
    """Account ids other than ``own_account`` named as AWS principals of Allow statements."""
    doc = json.loads(policy)
    statements = doc.get("Statement", [])
    found: set[str] = set()
    for s in [statements] if isinstance(statements, dict) else statements:
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal")
        if not isinstance(principal, dict):
            continue
        for p in _as_list(principal.get("AWS", [])):
            m = ACCOUNT_IN_PRINCIPAL.match(str(p))
            if m and m.group(1) != own_account:
                found.add(m.group(1))
    return sorted(found)
