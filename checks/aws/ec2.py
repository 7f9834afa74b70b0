"""EC2 / VPC checks: network exposure, default security groups, flow logs, EBS, IMDS."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.ec2 import (
    ebs_encryption_by_default,
    flow_logs,
    instances,
    network_acls,
    owned_snapshots,
    security_groups,
    volumes,
    vpcs,
)

PUBLIC_V4, PUBLIC_V6 = "0.0.0.0/0", "::/0"
ALL_PROTOCOLS = {"-1", "all"}
PORTED_PROTOCOLS = {"tcp", "6", "udp", "17"}  # protocols whose rules carry a port range
ADMIN_PORTS = (22, 3389)
SG_ACTIONS = ["ec2:DescribeSecurityGroups"]

Perm = dict[str, Any]


# -- security group rule helpers ------------------------------------------------
def _public_sources(perm: Perm) -> list[str]:
    v4 = [r["CidrIp"] for r in perm.get("IpRanges", []) if r.get("CidrIp") == PUBLIC_V4]
    v6 = [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", []) if r.get("CidrIpv6") == PUBLIC_V6]
    return v4 + v6


def _port_range(perm: Perm) -> tuple[int, int] | None:
    """(from, to) ports the rule opens; None when the protocol has no ports (e.g. icmp)."""
    proto = str(perm.get("IpProtocol", "")).lower()
    if proto in ALL_PROTOCOLS:
        return (0, 65535)
    if proto in PORTED_PROTOCOLS:
        return (int(perm.get("FromPort", 0)), int(perm.get("ToPort", 65535)))
    return None


def _covers(port: int) -> Callable[[Perm], bool]:
    def pred(perm: Perm) -> bool:
        rng = _port_range(perm)
        return rng is not None and rng[0] <= port <= rng[1]
    return pred


def _all_ports(perm: Perm) -> bool:
    rng = _port_range(perm)  # 1-65535 is "all ports" too: port 0 is not usable
    return rng is not None and rng[0] <= 1 and rng[1] == 65535


def _public_rules(perms: list[Perm], pred: Callable[[Perm], bool]) -> list[dict[str, Any]]:
    """Ingress rules open to 0.0.0.0/0 or ::/0 that match ``pred``, one row per source."""
    rows = [
        {"IpProtocol": str(p.get("IpProtocol")), "FromPort": p.get("FromPort"),
         "ToPort": p.get("ToPort"), "Source": src}
        for p in perms if pred(p) for src in _public_sources(p)
    ]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def _sg_exposure(scope: Scope, pred: Callable[[Perm], bool], what: str) -> Iterable[Finding]:
    for sg in security_groups(scope.inv):
        bad = _public_rules(sg.ingress, pred)
        ev = {"GroupName": sg.name, "VpcId": sg.vpc_id, "PublicIngressRules": bad}
        kw: dict[str, Any] = {"arn": sg.arn, "evidence": ev, "tags": sg.tags}
        if bad:
            yield scope.failed(sg.group_id, f"{len(bad)} ingress rule(s) allow {what} from the internet", **kw)
        else:
            yield scope.passed(sg.group_id, f"no ingress rule allows {what} from the internet", **kw)


def _sg_remediation(what: str, port: str) -> str:
    return (f"Remove or narrow inbound rules that allow {what} from 0.0.0.0/0 or ::/0: console VPC > "
            "Security groups > group > Inbound rules > Edit inbound rules, or `aws ec2 "
            f"revoke-security-group-ingress --group-id SG_ID --protocol tcp --port {port} --cidr 0.0.0.0/0` "
            "(and `--ip-permissions` with Ipv6Ranges for ::/0). Prefer SSM Session Manager or a VPN.")


@register(CheckMeta(
    id="ec2_securitygroup_no_public_ssh",
    fail_title="Security groups allow SSH (22) from the internet",
    title="Security groups do not allow SSH (22) from the internet",
    service="ec2", aspect="network_controls", severity=Severity.high,
    frameworks={"cis": ["5.3", "5.4"]},
    remediation=_sg_remediation("port 22", "22"),
    iam_actions=SG_ACTIONS, resource_type="AWS::EC2::SecurityGroup",
))
def ec2_securitygroup_no_public_ssh(scope: Scope):
    yield from _sg_exposure(scope, _covers(22), "port 22 (SSH)")


@register(CheckMeta(
    id="ec2_securitygroup_no_public_rdp",
    fail_title="Security groups allow RDP (3389) from the internet",
    title="Security groups do not allow RDP (3389) from the internet",
    service="ec2", aspect="network_controls", severity=Severity.high,
    frameworks={"cis": ["5.3", "5.4"]},
    remediation=_sg_remediation("port 3389", "3389"),
    iam_actions=SG_ACTIONS, resource_type="AWS::EC2::SecurityGroup",
))
def ec2_securitygroup_no_public_rdp(scope: Scope):
    yield from _sg_exposure(scope, _covers(3389), "port 3389 (RDP)")


@register(CheckMeta(
    id="ec2_securitygroup_no_public_all_ports",
    fail_title="Security groups allow all ports from the internet",
    title="Security groups do not allow all traffic or all ports from the internet",
    service="ec2", aspect="network_controls", severity=Severity.critical,
    frameworks={"cis": ["5.3", "5.4"], "fsbp": ["EC2.18", "EC2.19"]},
    remediation=_sg_remediation("all traffic / ports 0-65535", "0-65535"),
    iam_actions=SG_ACTIONS, resource_type="AWS::EC2::SecurityGroup",
))
def ec2_securitygroup_no_public_all_ports(scope: Scope):
    yield from _sg_exposure(scope, _all_ports, "all traffic or all ports")


@register(CheckMeta(
    id="ec2_securitygroup_default_restricts_all",
    fail_title="Default security groups allow traffic",
    title="Each VPC's default security group has no inbound or outbound rules",
    service="ec2", aspect="network_controls", severity=Severity.medium,
    frameworks={"cis": ["5.5"], "fsbp": ["EC2.2"]},
    remediation=("Move resources to purpose-built security groups, then delete every rule of the default "
                 "group: console VPC > Security groups > default > Inbound rules / Outbound rules > Edit > "
                 "Delete, or `aws ec2 revoke-security-group-ingress --group-id SG_ID --ip-permissions ...` "
                 "and `aws ec2 revoke-security-group-egress --group-id SG_ID --ip-permissions ...`."),
    iam_actions=SG_ACTIONS, resource_type="AWS::EC2::SecurityGroup",
))
def ec2_securitygroup_default_restricts_all(scope: Scope):
    for sg in security_groups(scope.inv):
        if sg.name != "default" or not sg.vpc_id:
            continue
        ev = {"VpcId": sg.vpc_id, "InboundRules": len(sg.ingress), "OutboundRules": len(sg.egress)}
        kw: dict[str, Any] = {"arn": sg.arn, "evidence": ev, "tags": sg.tags}
        if sg.ingress or sg.egress:
            yield scope.failed(sg.group_id, f"default security group of {sg.vpc_id} has "
                               f"{len(sg.ingress)} inbound and {len(sg.egress)} outbound rule(s)", **kw)
        else:
            yield scope.passed(sg.group_id, f"default security group of {sg.vpc_id} has no rules", **kw)


NACL_SOURCES = (("CidrBlock", PUBLIC_V4), ("Ipv6CidrBlock", PUBLIC_V6))
NACL_PORT_PROTOCOLS = {"6": "tcp", "17": "udp", "tcp": "tcp", "udp": "udp"}


def _nacl_matches(entry: dict[str, Any], port: int, proto: str) -> bool:
    """Whether a NACL entry applies to traffic on ``port`` over ``proto`` ("tcp" or "udp")."""
    p = str(entry.get("Protocol", "")).lower()
    if p in ALL_PROTOCOLS:
        return True
    if NACL_PORT_PROTOCOLS.get(p) != proto:
        return False
    rng = entry.get("PortRange") or {}
    return int(rng.get("From", 0)) <= port <= int(rng.get("To", 65535))


def _nacl_admin_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inbound allow entries that let the internet reach port 22 or 3389 over TCP or UDP.

    Evaluated as AWS does: per address family, inbound entries from 0.0.0.0/0 (or ::/0) in
    rule-number order, the first one that matches the port and protocol decides. A deny ahead
    of a broad allow therefore closes the port; entries for narrower CIDRs neither open nor
    close it to "the internet".
    """
    inbound = sorted((e for e in entries if not e.get("Egress")), key=lambda e: int(e.get("RuleNumber") or 0))
    hits: dict[tuple[Any, str], dict[str, Any]] = {}
    for field, source in NACL_SOURCES:
        from_internet = [e for e in inbound if e.get(field) == source]
        for port in ADMIN_PORTS:
            for proto in ("tcp", "udp"):
                first = next((e for e in from_internet if _nacl_matches(e, port, proto)), None)
                if first is None or first.get("RuleAction") != "allow":
                    continue
                row = hits.setdefault((first.get("RuleNumber"), source), {
                    "RuleNumber": first.get("RuleNumber"), "Protocol": str(first.get("Protocol", "")).lower(),
                    "Source": source, "PortRange": first.get("PortRange"), "AdminPorts": []})
                if port not in row["AdminPorts"]:
                    row["AdminPorts"].append(port)
    return sorted(hits.values(), key=lambda r: (r["RuleNumber"] or 0, r["Source"]))


@register(CheckMeta(
    id="ec2_networkacl_no_public_admin_ports",
    fail_title="Network ACLs allow SSH/RDP from the internet",
    title="Network ACLs do not allow SSH/RDP (22, 3389) from the internet",
    service="ec2", aspect="network_controls", severity=Severity.medium,
    frameworks={"cis": ["5.2"], "fsbp": ["EC2.21"]},
    remediation=("Replace inbound allow entries from 0.0.0.0/0 or ::/0 that cover ports 22/3389 with "
                 "specific CIDRs: console VPC > Network ACLs > ACL > Inbound rules > Edit inbound rules, or "
                 "`aws ec2 replace-network-acl-entry --network-acl-id ACL_ID --ingress --rule-number N "
                 "--protocol tcp --port-range From=22,To=22 --cidr-block 10.0.0.0/8 --rule-action allow` "
                 "/ `aws ec2 delete-network-acl-entry --network-acl-id ACL_ID --ingress --rule-number N`, "
                 "or add deny entries for 22/3389 from 0.0.0.0/0 and ::/0 numbered below the allow."),
    iam_actions=["ec2:DescribeNetworkAcls"], resource_type="AWS::EC2::NetworkAcl",
    notes=("TCP, UDP and all-protocol entries count (CIS 5.1). Entries are evaluated in rule-number order "
           "as AWS does: a deny from the whole internet ahead of an allow keeps the port closed."),
))
def ec2_networkacl_no_public_admin_ports(scope: Scope):
    for acl in network_acls(scope.inv):
        bad = _nacl_admin_entries(acl.entries)
        ev = {"VpcId": acl.vpc_id, "IsDefault": acl.is_default, "PublicAdminIngressEntries": bad}
        kw: dict[str, Any] = {"arn": acl.arn, "evidence": ev, "tags": acl.tags}
        if bad:
            yield scope.failed(acl.acl_id, f"{len(bad)} inbound entr(y/ies) allow port 22/3389 "
                               "from the internet", **kw)
        else:
            yield scope.passed(acl.acl_id, "no inbound entry allows port 22/3389 from the internet", **kw)


@register(CheckMeta(
    id="ec2_vpc_flow_logs_enabled",
    fail_title="VPCs without flow logs",
    title="Every VPC has a flow log",
    service="ec2", aspect="logging_monitoring", severity=Severity.medium,
    frameworks={"cis": ["3.7"], "fsbp": ["EC2.6"]},
    remediation=("Create a flow log (at least REJECT traffic) for the VPC: console VPC > Your VPCs > VPC > "
                 "Flow logs > Create flow log, or `aws ec2 create-flow-logs --resource-type VPC "
                 "--resource-ids VPC_ID --traffic-type REJECT --log-destination-type s3 "
                 "--log-destination arn:aws:s3:::BUCKET`."),
    iam_actions=["ec2:DescribeVpcs", "ec2:DescribeFlowLogs"], resource_type="AWS::EC2::VPC",
))
def ec2_vpc_flow_logs_enabled(scope: Scope):
    by_vpc: dict[str, list[str]] = {}
    for fl in flow_logs(scope.inv):
        by_vpc.setdefault(fl.resource_id, []).append(fl.flow_log_id)
    for vpc in vpcs(scope.inv):
        ids = sorted(by_vpc.get(vpc.vpc_id, []))
        kw: dict[str, Any] = {"arn": vpc.arn, "evidence": {"FlowLogIds": ids}, "tags": vpc.tags}
        if ids:
            yield scope.passed(vpc.vpc_id, f"VPC has {len(ids)} flow log(s)", **kw)
        else:
            yield scope.failed(vpc.vpc_id, "VPC has no flow log", **kw)


@register(CheckMeta(
    id="ec2_ebs_default_encryption_enabled",
    fail_title="EBS encryption by default is off",
    title="EBS encryption by default is enabled in the region",
    service="ec2", aspect="encryption_at_rest", severity=Severity.medium,
    frameworks={"cis": ["5.1.1"], "fsbp": ["EC2.7"]},
    remediation=("Turn on EBS encryption by default in every region: console EC2 > Settings > Data protection "
                 "and security > EBS encryption > Manage > Enable, or `aws ec2 enable-ebs-encryption-by-default "
                 "--region REGION`."),
    iam_actions=["ec2:GetEbsEncryptionByDefault"], resource_type="AWS::::Account",
))
def ec2_ebs_default_encryption_enabled(scope: Scope):
    enabled = ebs_encryption_by_default(scope.inv)
    ev = {"EbsEncryptionByDefault": enabled}
    if enabled:
        yield scope.passed(scope.region, "new EBS volumes are encrypted by default", evidence=ev)
    else:
        yield scope.failed(scope.region, "EBS encryption by default is disabled", evidence=ev)


@register(CheckMeta(
    id="ec2_ebs_volume_encrypted",
    fail_title="Unencrypted EBS volumes",
    title="EBS volumes are encrypted at rest",
    service="ec2", aspect="encryption_at_rest", severity=Severity.medium,
    frameworks={"fsbp": ["EC2.3"]},
    remediation=("An existing volume cannot be encrypted in place: snapshot it, copy the snapshot with "
                 "encryption, create a volume from the copy and swap it in (console EC2 > Snapshots > Copy "
                 "snapshot > Encrypt), e.g. `aws ec2 copy-snapshot --source-region REGION --source-snapshot-id "
                 "SNAP_ID --encrypted`; enable `aws ec2 enable-ebs-encryption-by-default` to prevent new ones."),
    iam_actions=["ec2:DescribeVolumes"], resource_type="AWS::EC2::Volume",
))
def ec2_ebs_volume_encrypted(scope: Scope):
    for v in volumes(scope.inv):
        ev: dict[str, Any] = {"Encrypted": v.encrypted}
        if v.encrypted:
            ev["KmsKeyId"] = v.kms_key_id
            yield scope.passed(v.volume_id, "volume is encrypted", arn=v.arn, evidence=ev, tags=v.tags)
        else:
            yield scope.failed(v.volume_id, "volume is not encrypted", arn=v.arn, evidence=ev, tags=v.tags)


@register(CheckMeta(
    id="ec2_ebs_snapshot_not_public",
    fail_title="EBS snapshots are publicly restorable",
    title="EBS snapshots are not publicly restorable",
    service="ec2", aspect="data_protection", severity=Severity.critical,
    frameworks={"fsbp": ["EC2.1"]},
    remediation=("Remove the public createVolumePermission: console EC2 > Snapshots > snapshot > Actions > "
                 "Snapshot settings > Modify permissions > Private, or `aws ec2 modify-snapshot-attribute "
                 "--snapshot-id SNAP_ID --attribute createVolumePermission --operation-type remove "
                 "--group-names all`. Consider `aws ec2 enable-snapshot-block-public-access`."),
    iam_actions=["ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute"],
    resource_type="AWS::EC2::Snapshot",
))
def ec2_ebs_snapshot_not_public(scope: Scope):
    for s in owned_snapshots(scope.inv):
        kw: dict[str, Any] = {"arn": s.arn, "tags": s.tags}
        if s.error is not None:
            yield scope.errored(s.snapshot_id, s.error[0], s.error[1], **kw)
            continue
        ev = {"PublicRestorable": s.public, "SharedWithAccounts": s.shared_with}
        if s.public:
            yield scope.failed(s.snapshot_id, "snapshot can be restored by any AWS account", evidence=ev, **kw)
        else:
            yield scope.passed(s.snapshot_id, "snapshot is not public", evidence=ev, **kw)


@register(CheckMeta(
    id="ec2_instance_imdsv2_required",
    fail_title="EC2 instances still allow IMDSv1",
    title="EC2 instances require IMDSv2 (session tokens)",
    service="ec2", aspect="configuration_management", severity=Severity.high,
    frameworks={"cis": ["5.7"], "fsbp": ["EC2.8"]},
    remediation=("Require IMDSv2 tokens: console EC2 > Instances > instance > Actions > Instance settings > "
                 "Modify instance metadata options > IMDSv2 Required, or `aws ec2 modify-instance-metadata-options "
                 "--instance-id INSTANCE_ID --http-tokens required --http-endpoint enabled`."),
    iam_actions=["ec2:DescribeInstances"], resource_type="AWS::EC2::Instance",
))
def ec2_instance_imdsv2_required(scope: Scope):
    for i in instances(scope.inv):
        ev = {"HttpTokens": i.http_tokens, "HttpEndpoint": i.http_endpoint}
        kw: dict[str, Any] = {"arn": i.arn, "evidence": ev, "tags": i.tags}
        if i.http_tokens == "required":
            yield scope.passed(i.instance_id, "IMDSv2 is required", **kw)
        else:
            yield scope.failed(i.instance_id, f"IMDS HttpTokens is {i.http_tokens or 'unset'}; "
                               "IMDSv1 is still allowed", **kw)
