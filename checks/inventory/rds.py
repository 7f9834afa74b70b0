"""RDS inventory: DB instances and manual DB / DB cluster snapshots with their sharing.

Each listing is done once per (account, region) and shared by every RDS check.
Snapshot sharing needs one ``describe_db[_cluster]_snapshot_attributes`` call per
snapshot; a failure of that call is kept on the snapshot (``error``) so the check
can report ERROR for that one snapshot instead of guessing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of, paginate

# A snapshot deleted between the listing and the attribute call no longer exists:
# there is nothing left to judge, so it is dropped rather than reported.
SNAPSHOT_GONE = {"DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault"}


@dataclass
class DbInstance:
    identifier: str
    arn: str
    engine: str
    storage_encrypted: bool
    publicly_accessible: bool
    backup_retention_days: int
    auto_minor_version_upgrade: bool
    read_replica_source: str  # "" unless this instance is a read replica
    cluster_id: str  # "" unless this instance belongs to an Aurora/Multi-AZ cluster
    tags: dict[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    iam_auth: bool = False  # IAMDatabaseAuthenticationEnabled
    engine_version: str = ""


@dataclass
class DbCluster:
    """An Aurora or Multi-AZ DB cluster (DocumentDB and Neptune clusters share the API and are left out)."""

    identifier: str
    arn: str
    engine: str
    deletion_protection: bool
    iam_auth: bool
    backup_retention_days: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class DbSnapshot:
    identifier: str
    arn: str
    kind: str  # "instance" (AWS::RDS::DBSnapshot) | "cluster" (AWS::RDS::DBClusterSnapshot)
    source: str  # the DB instance or DB cluster it was taken from
    restore: list[str] = field(default_factory=list)  # "restore" attribute values: account ids or "all"
    error: tuple[str, str] | None = None  # (code, message) when the attributes could not be read
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def resource_id(self) -> str:
        """Unique across both kinds (DB and cluster snapshot names are separate namespaces)."""
        prefix = "snapshot" if self.kind == "instance" else "cluster-snapshot"
        return f"{prefix}:{self.identifier}"

    @property
    def resource_type(self) -> str:
        return "AWS::RDS::DBSnapshot" if self.kind == "instance" else "AWS::RDS::DBClusterSnapshot"

    @property
    def public(self) -> bool:
        return "all" in self.restore


def _instance(raw: dict[str, Any]) -> DbInstance:
    return DbInstance(
        identifier=raw["DBInstanceIdentifier"],
        arn=raw.get("DBInstanceArn", ""),
        engine=raw.get("Engine", ""),
        storage_encrypted=bool(raw.get("StorageEncrypted", False)),
        publicly_accessible=bool(raw.get("PubliclyAccessible", False)),
        backup_retention_days=int(raw.get("BackupRetentionPeriod") or 0),
        auto_minor_version_upgrade=bool(raw.get("AutoMinorVersionUpgrade", False)),
        read_replica_source=raw.get("ReadReplicaSourceDBInstanceIdentifier")
        or raw.get("ReadReplicaSourceDBClusterIdentifier") or "",
        cluster_id=raw.get("DBClusterIdentifier") or "",
        tags=tags_of(raw.get("TagList")),
        deletion_protection=bool(raw.get("DeletionProtection", False)),
        iam_auth=bool(raw.get("IAMDatabaseAuthenticationEnabled", False)),
        engine_version=raw.get("EngineVersion", ""),
    )


def db_instances(inv: Inventory) -> list[DbInstance]:
    """Every DB instance in this region (one paginated describe_db_instances)."""

    def fetch() -> list[DbInstance]:
        rds = inv.client("rds")
        return [_instance(d) for d in paginate(rds, "describe_db_instances", "DBInstances")]

    return inv.memo("rds.db_instances", fetch)


NOT_RDS_ENGINES = ("docdb", "neptune")


def db_clusters(inv: Inventory) -> list[DbCluster]:
    """Every Aurora / Multi-AZ DB cluster in this region (one paginated describe_db_clusters)."""

    def fetch() -> list[DbCluster]:
        rds = inv.client("rds")
        out = []
        for raw in paginate(rds, "describe_db_clusters", "DBClusters"):
            engine = raw.get("Engine", "")
            if engine.startswith(NOT_RDS_ENGINES):
                continue
            out.append(DbCluster(
                identifier=raw["DBClusterIdentifier"], arn=raw.get("DBClusterArn", ""), engine=engine,
                deletion_protection=bool(raw.get("DeletionProtection", False)),
                iam_auth=bool(raw.get("IAMDatabaseAuthenticationEnabled", False)),
                backup_retention_days=int(raw.get("BackupRetentionPeriod") or 0),
                tags=tags_of(raw.get("TagList")),
            ))
        return out

    return inv.memo("rds.db_clusters", fetch)


def _restore_values(attrs: list[dict[str, Any]]) -> list[str]:
    for a in attrs:
        if a.get("AttributeName") == "restore":
            return sorted(a.get("AttributeValues") or [])
    return []


def _with_attributes(snap: DbSnapshot, call: Any, result_key: str, attrs_key: str) -> DbSnapshot | None:
    """Fill ``snap.restore`` from one attribute call; None when the snapshot is gone."""
    try:
        result = call()[result_key]
    except ClientError as exc:
        code, msg = error_code_of(exc)
        if code in SNAPSHOT_GONE:
            return None
        snap.error = (code, msg)
        return snap
    snap.restore = _restore_values(result.get(attrs_key, []))
    return snap


def _manual_snapshots(inv: Inventory, kind: str) -> list[DbSnapshot]:
    """Manual snapshots of one kind ("instance" or "cluster") owned by this account, each with its
    "restore" attribute: the two RDS APIs differ only in their names (``Db`` vs ``DbCluster``)."""
    noun = "DBSnapshot" if kind == "instance" else "DBClusterSnapshot"
    op = "db_snapshot" if kind == "instance" else "db_cluster_snapshot"
    parent = "DBInstanceIdentifier" if kind == "instance" else "DBClusterIdentifier"

    def fetch() -> list[DbSnapshot]:
        rds = inv.client("rds")
        attributes = getattr(rds, f"describe_{op}_attributes")
        out: list[DbSnapshot] = []
        for raw in paginate(rds, f"describe_{op}s", f"{noun}s", SnapshotType="manual"):
            ident = raw[f"{noun}Identifier"]
            snap = DbSnapshot(ident, raw.get(f"{noun}Arn", ""), kind, raw.get(parent, ""),
                              tags=tags_of(raw.get("TagList")))
            done = _with_attributes(snap, lambda: attributes(**{f"{noun}Identifier": ident}),
                                    f"{noun}AttributesResult", f"{noun}Attributes")
            if done is not None:
                out.append(done)
        return out

    return inv.memo(f"rds.manual_{op}s", fetch)


def manual_db_snapshots(inv: Inventory) -> list[DbSnapshot]:
    """Manual DB snapshots owned by this account, each with its "restore" attribute."""
    return _manual_snapshots(inv, "instance")


def manual_db_cluster_snapshots(inv: Inventory) -> list[DbSnapshot]:
    """Manual DB cluster snapshots owned by this account, each with its "restore" attribute."""
    return _manual_snapshots(inv, "cluster")
