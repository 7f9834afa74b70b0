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
