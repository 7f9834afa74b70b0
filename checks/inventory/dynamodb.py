"""DynamoDB inventory: tables with their point-in-time recovery status and tags.

One paginated ``list_tables`` per (account, region), then per table one
``describe_continuous_backups`` and one paginated ``list_tags_of_resource``.
A per-table failure is kept on the table (``error``) so the check reports ERROR
for that table alone; a table deleted mid-scan (TableNotFoundException from
describe_continuous_backups) is dropped. The table ARN is built from the scanned
account and region (ListTables returns names only).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of, paginate

TABLE_GONE = "TableNotFoundException"


@dataclass
class DynamoTable:
    name: str
    arn: str
    pitr_status: str = ""  # ENABLED | DISABLED (PointInTimeRecoveryStatus); "" when unread
    error: tuple[str, str] | None = None  # (code, message) when the table could not be read
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def pitr_enabled(self) -> bool:
        return self.pitr_status == "ENABLED"


def tables(inv: Inventory) -> list[DynamoTable]:
    """Every DynamoDB table in this region with PITR status and tags."""

    def fetch() -> list[DynamoTable]:
        ddb = inv.client("dynamodb")
        out: list[DynamoTable] = []
        for name in paginate(ddb, "list_tables", "TableNames"):
            table = DynamoTable(name, inv.arn("dynamodb", f"table/{name}"))
            try:
                desc = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
                pitr = desc.get("PointInTimeRecoveryDescription", {})
                table.pitr_status = pitr.get("PointInTimeRecoveryStatus", "DISABLED")
                table.tags = tags_of(paginate(ddb, "list_tags_of_resource", "Tags", ResourceArn=table.arn))
            except ClientError as exc:
                code, msg = error_code_of(exc)
                if code == TABLE_GONE and not table.pitr_status:
                    continue
                table.error = (code, msg)
            out.append(table)
        return out

    return inv.memo("dynamodb.tables", fetch)


@dataclass(frozen=True)
class TableDescription:
    deletion_protection: bool = False
    error: tuple[str, str] | None = None  # (code, message) when DescribeTable was refused


def table_descriptions(inv: Inventory) -> dict[str, TableDescription]:
    """DescribeTable of every listed table (deletion protection), keyed by table name.

    Shares the ``tables`` listing; a table deleted since the listing is left out.
    """

    def fetch() -> dict[str, TableDescription]:
        ddb = inv.client("dynamodb")
        out: dict[str, TableDescription] = {}
        for table in tables(inv):
            try:
                desc = ddb.describe_table(TableName=table.name)["Table"]
            except ClientError as exc:
                code, msg = error_code_of(exc)
                if code != TABLE_GONE:
                    out[table.name] = TableDescription(error=(code, msg))
                continue
            out[table.name] = TableDescription(bool(desc.get("DeletionProtectionEnabled", False)))
        return out

    return inv.memo("dynamodb.table_descriptions", fetch)
