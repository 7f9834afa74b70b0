"""What every export format shares: the input bundle, stable finding ids and severity mappings.

Exports are pure functions ``(ExportInput) -> str``. The input is the findings plus the
metadata of the checks that produced them; nothing here reads files, the clock or AWS.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from checks.base import CheckMeta, Finding

PRODUCT_NAME = "srm-bot"
VENDOR_NAME = "srm-bot"
# ASFF Id and SARIF fingerprints stay well under Security Hub's 512-character Id limit.
MAX_RESOURCE_PART = 200

TeamOf = Callable[[Finding], str]


@dataclass(frozen=True)
class ExportInput:
    """Findings to export, the declared metadata of their checks, and when the document is made."""

    findings: list[Finding]
    metas: Mapping[str, CheckMeta]
    generated_at: datetime  # aware UTC
    version: str = "0"
    team_of: TeamOf | None = None  # owners-file routing; None: the `team` tag (or "unassigned")
    title: str = "srm-bot findings"
    home_region: str = "us-east-1"  # where account-wide findings (region "global") are placed in ASFF

    def meta(self, finding: Finding) -> CheckMeta | None:
        return self.metas.get(finding.check_id)

    def team(self, finding: Finding) -> str:
        if self.team_of is not None:
            return self.team_of(finding)
        tags = {k.lower(): v for k, v in finding.tags.items()}
        return tags.get("team") or tags.get("owner") or "unassigned"


def json_array(items: Iterable[str]) -> str:
    """A JSON array with one already-serialised item per line: readable with grep, and written by the C
    encoder (``json.dumps(indent=...)`` falls back to the pure-Python one: 5x slower on big exports)."""
    body = ",\n".join(items)
    return f"[\n{body}\n]\n" if body else "[]\n"


def resource_part(resource_id: str) -> str:
    """The resource id as used inside ids: itself, or a hash suffix when it is very long."""
    if len(resource_id) <= MAX_RESOURCE_PART:
        return resource_id
    digest = hashlib.sha256(resource_id.encode()).hexdigest()[:16]
    return f"{resource_id[:MAX_RESOURCE_PART - 17]}#{digest}"


def finding_uid(finding: Finding) -> str:
    """Stable id of the thing judged: account/region/check/resource (same resource, same id, every run)."""
    return f"{finding.account_id}/{finding.region}/{finding.check_id}/{resource_part(finding.resource_id)}"


def frameworks_of(meta: CheckMeta | None) -> list[str]:
    """``["cis 1.10", "fsbp IAM.5"]``: every framework control the check maps to."""
    if meta is None:
        return []
    return [f"{fw} {ctl}" for fw, ctls in sorted(meta.frameworks.items()) for ctl in ctls]


def framework_names(meta: CheckMeta | None) -> list[str]:
    return sorted(fw for fw, ctls in (meta.frameworks.items() if meta else []) if ctls)


def title_of(finding: Finding, meta: CheckMeta | None) -> str:
    if meta is None:
        return finding.check_id
    return (meta.fail_title or meta.title) if finding.status.value == "FAIL" else meta.title


def iso_z(dt: datetime) -> str:
    """RFC 3339 UTC with millisecond precision and a Z, as ASFF and SARIF want it (naive means UTC)."""
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
