"""Secrets Manager inventory: secrets with rotation settings (one paginated ListSecrets; never values)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from checks.base import tags_of
from checks.inventory.core import Inventory, paginate

RATE = re.compile(r"^rate\((\d+)\s+(hour|hours|day|days)\)$")


@dataclass
class Secret:
    name: str
    arn: str
    rotation_enabled: bool
    every_days: float | None  # the rotation interval; None when the schedule is a cron expression
    schedule: str  # "30 days" / the ScheduleExpression, for evidence
    last_rotated: datetime | None
    created: datetime | None
    last_accessed: datetime | None  # a date (AWS rounds to the day); None when never read
    owning_service: str
    tags: dict[str, str] = field(default_factory=dict)


def _interval(rules: dict) -> tuple[float | None, str]:
    if rules.get("AutomaticallyAfterDays"):
        n = int(rules["AutomaticallyAfterDays"])
        return float(n), f"{n} days"
    expr = str(rules.get("ScheduleExpression", "")).strip()
    m = RATE.match(expr)
    if m:
        n = int(m.group(1))
        return (n / 24 if m.group(2).startswith("hour") else float(n)), expr
    return None, expr


def secrets(inv: Inventory) -> list[Secret]:
    """Every secret in this region; ListSecrets returns metadata only, never secret values."""

    def fetch() -> list[Secret]:
        out = []
        for s in paginate(inv.client("secretsmanager"), "list_secrets", "SecretList"):
            every, schedule = _interval(s.get("RotationRules") or {})
            out.append(Secret(
                name=s["Name"], arn=s["ARN"], rotation_enabled=bool(s.get("RotationEnabled")),
                every_days=every, schedule=schedule, last_rotated=s.get("LastRotatedDate"),
                created=s.get("CreatedDate"), last_accessed=s.get("LastAccessedDate"),
                owning_service=s.get("OwningService", ""), tags=tags_of(s.get("Tags"))))
        return out

    return inv.memo("secretsmanager.secrets", fetch)
