"""IAM Access Analyzer inventory: the analyzers of one region (one paginated ListAnalyzers)."""
from __future__ import annotations

from dataclasses import dataclass

from checks.inventory.core import Inventory, paginate


@dataclass(frozen=True)
class Analyzer:
    name: str
    arn: str
    type: str  # ACCOUNT | ORGANIZATION | ACCOUNT_UNUSED_ACCESS | ORGANIZATION_UNUSED_ACCESS | ...
    status: str  # ACTIVE | CREATING | DISABLED | FAILED
    tags: dict[str, str]


def analyzers(inv: Inventory) -> list[Analyzer]:
    """Every Access Analyzer analyzer in this region."""

    def fetch() -> list[Analyzer]:
        client = inv.client("accessanalyzer")
        return sorted((Analyzer(a["name"], a.get("arn", ""), a.get("type", ""), a.get("status", ""),
                                dict(a.get("tags") or {}))
                       for a in paginate(client, "list_analyzers", "analyzers")), key=lambda a: a.name)

    return inv.memo("accessanalyzer.analyzers", fetch)
