"""EC2/VPC inventory: security groups, network ACLs, VPCs, flow logs, EBS and instances.

Each listing is one paginated call per (account, region), memoised and shared by
every EC2 check. Snapshot permissions are read once per owned snapshot; a failure
on one snapshot is recorded on that snapshot (the check reports it as ERROR for
that resource) instead of failing the whole listing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of, paginate


@dataclass
class SecurityGroup:
    group_id: str
    name: str
    vpc_id: str
    arn: str
    ingress: list[dict[str, Any]]
    egress: list[dict[str, Any]]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class NetworkAcl:
    acl_id: str
    vpc_id: str
    is_default: bool
    arn: str
    entries: list[dict[str, Any]]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Vpc:
    vpc_id: str
    is_default: bool
    cidr: str
    arn: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class FlowLog:
    flow_log_id: str
    resource_id: str
    status: str


@dataclass
class Volume:
    volume_id: str
    encrypted: bool
    kms_key_id: str
    state: str
    arn: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    snapshot_id: str
    volume_id: str
    arn: str
    public: bool | None  # None when the permissions could not be read (see error)
    shared_with: list[str] = field(default_factory=list)  # account ids with createVolumePermission
    error: tuple[str, str] | None = None  # (code, message) of a failed attribute read
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Instance:
    instance_id: str
    state: str
    http_tokens: str
    http_endpoint: str
    arn: str
    tags: dict[str, str] = field(default_factory=dict)
    instance_profile_arn: str = ""  # IamInstanceProfile.Arn; "" when no instance profile is attached


def security_groups(inv: Inventory) -> list[SecurityGroup]:
    def fetch() -> list[SecurityGroup]:
        return [
            SecurityGroup(
                group_id=g["GroupId"],
                name=g.get("GroupName", ""),
                vpc_id=g.get("VpcId", ""),
                arn=g.get("SecurityGroupArn") or inv.arn("ec2", f"security-group/{g['GroupId']}"),
                ingress=g.get("IpPermissions", []),
                egress=g.get("IpPermissionsEgress", []),
                tags=tags_of(g.get("Tags")),
            )
            for g in paginate(inv.client("ec2"), "describe_security_groups", "SecurityGroups")
        ]

    return inv.memo("ec2.security_groups", fetch)


def network_acls(inv: Inventory) -> list[NetworkAcl]:
    def fetch() -> list[NetworkAcl]:
        return [
            NetworkAcl(
                acl_id=a["NetworkAclId"],
                vpc_id=a.get("VpcId", ""),
                is_default=bool(a.get("IsDefault")),
                arn=inv.arn("ec2", f"network-acl/{a['NetworkAclId']}"),
                entries=a.get("Entries", []),
                tags=tags_of(a.get("Tags")),
            )
            for a in paginate(inv.client("ec2"), "describe_network_acls", "NetworkAcls")
        ]

    return inv.memo("ec2.network_acls", fetch)


def vpcs(inv: Inventory) -> list[Vpc]:
    def fetch() -> list[Vpc]:
        return [
            Vpc(
                vpc_id=v["VpcId"],
                is_default=bool(v.get("IsDefault")),
                cidr=v.get("CidrBlock", ""),
                arn=inv.arn("ec2", f"vpc/{v['VpcId']}"),
                tags=tags_of(v.get("Tags")),
            )
            for v in paginate(inv.client("ec2"), "describe_vpcs", "Vpcs")
        ]

    return inv.memo("ec2.vpcs", fetch)


def flow_logs(inv: Inventory) -> list[FlowLog]:
    def fetch() -> list[FlowLog]:
        return [
            FlowLog(f["FlowLogId"], f.get("ResourceId", ""), f.get("FlowLogStatus", ""))
            for f in paginate(inv.client("ec2"), "describe_flow_logs", "FlowLogs")
        ]

    return inv.memo("ec2.flow_logs", fetch)


def ebs_encryption_by_default(inv: Inventory) -> bool:
    def fetch() -> bool:
        return bool(inv.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"])

    return inv.memo("ec2.ebs_encryption_by_default", fetch)


def volumes(inv: Inventory) -> list[Volume]:
    def fetch() -> list[Volume]:
        return [
            Volume(
                volume_id=v["VolumeId"],
                encrypted=bool(v.get("Encrypted")),
                kms_key_id=v.get("KmsKeyId", "") if v.get("Encrypted") else "",
                state=v.get("State", ""),
                arn=inv.arn("ec2", f"volume/{v['VolumeId']}"),
                tags=tags_of(v.get("Tags")),
            )
            for v in paginate(inv.client("ec2"), "describe_volumes", "Volumes")
        ]

    return inv.memo("ec2.volumes", fetch)


def owned_snapshots(inv: Inventory) -> list[Snapshot]:
    """Snapshots this account owns, each with its createVolumePermission (read once)."""

    def fetch() -> list[Snapshot]:
        ec2 = inv.client("ec2")
        out: list[Snapshot] = []
        for s in paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
            # AWS already filters by OwnerIds=["self"]; the guard keeps emulators that
            # ignore OwnerIds (moto) from handing us other owners' public AMI snapshots.
            if s.get("OwnerId") not in (None, inv.account_id):
                continue
            sid = s["SnapshotId"]
            snap = Snapshot(
                snapshot_id=sid,
                volume_id=s.get("VolumeId", ""),
                arn=inv.arn("ec2", f"snapshot/{sid}", account=False),
                public=None,
                tags=tags_of(s.get("Tags")),
            )
            try:
                perms = ec2.describe_snapshot_attribute(
                    SnapshotId=sid, Attribute="createVolumePermission"
                ).get("CreateVolumePermissions", [])
            except ClientError as exc:
                snap.error = error_code_of(exc)
            else:
                snap.public = any(p.get("Group") == "all" for p in perms)
                snap.shared_with = sorted(p["UserId"] for p in perms if "UserId" in p)
            out.append(snap)
        return out

    return inv.memo("ec2.owned_snapshots", fetch)


def instances(inv: Inventory) -> list[Instance]:
    """Instances that are not terminated."""

    def fetch() -> list[Instance]:
        out: list[Instance] = []
        for res in paginate(inv.client("ec2"), "describe_instances", "Reservations"):
            for i in res.get("Instances", []):
                state = i.get("State", {}).get("Name", "")
                if state == "terminated":
                    continue
                mo = i.get("MetadataOptions", {})
                out.append(Instance(
                    instance_id=i["InstanceId"],
                    state=state,
                    http_tokens=mo.get("HttpTokens", ""),
                    http_endpoint=mo.get("HttpEndpoint", ""),
                    arn=inv.arn("ec2", f"instance/{i['InstanceId']}"),
                    tags=tags_of(i.get("Tags")),
                    instance_profile_arn=(i.get("IamInstanceProfile") or {}).get("Arn", ""),
                ))
        return out

    return inv.memo("ec2.instances", fetch)
