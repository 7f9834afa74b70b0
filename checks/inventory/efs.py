"""EFS inventory: file systems with their encryption and tags (one paginated call per region)."""
from __future__ import annotations

from dataclasses import dataclass, field

from checks.base import tags_of
from checks.inventory.core import Inventory, paginate


@dataclass
class FileSystem:
    file_system_id: str
    arn: str
    name: str
    encrypted: bool
    kms_key_id: str
    tags: dict[str, str] = field(default_factory=dict)


def file_systems(inv: Inventory) -> list[FileSystem]:
    """Every EFS file system in this region (DescribeFileSystems carries the tags)."""

    def fetch() -> list[FileSystem]:
        out = []
        for fs in paginate(inv.client("efs"), "describe_file_systems", "FileSystems"):
            fid = fs["FileSystemId"]
            out.append(FileSystem(
                file_system_id=fid,
                arn=fs.get("FileSystemArn") or inv.arn("elasticfilesystem", f"file-system/{fid}"),
                name=fs.get("Name", ""),
                encrypted=bool(fs.get("Encrypted")),
                kms_key_id=fs.get("KmsKeyId", "") if fs.get("Encrypted") else "",
                tags=tags_of(fs.get("Tags")),
            ))
        return out

    return inv.memo("efs.file_systems", fetch)


@dataclass
class AccessPoint:
    access_point_id: str
    arn: str
    file_system_id: str
    root_path: str  # "/" when the access point does not pin a directory
    posix_user: dict[str, int] | None  # the enforced Uid/Gid; None when callers keep their own identity
    tags: dict[str, str] = field(default_factory=dict)


def access_points(inv: Inventory) -> list[AccessPoint]:
    """Every EFS access point in this region (one paginated DescribeAccessPoints, no file system filter)."""

    def fetch() -> list[AccessPoint]:
        return [AccessPoint(
            access_point_id=a["AccessPointId"], arn=a.get("AccessPointArn", ""),
            file_system_id=a.get("FileSystemId", ""),
            root_path=(a.get("RootDirectory") or {}).get("Path") or "/",
            posix_user={k: int(v) for k, v in a["PosixUser"].items() if k in ("Uid", "Gid")}
            if a.get("PosixUser") else None,
            tags=tags_of(a.get("Tags")))
            for a in paginate(inv.client("efs"), "describe_access_points", "AccessPoints")]

    return inv.memo("efs.access_points", fetch)
