"""EC2/VPC checks against moto, plus Stubber tests for AWS errors.

moto creates a default VPC with a default security group and default NACL (both
permissive) in every region, so tests assert on the ids they create, and on the
defaults only where the defaults are the point.
"""
import pytest
from botocore.stub import Stubber

from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

SSH, RDP, ALL = ("ec2_securitygroup_no_public_ssh", "ec2_securitygroup_no_public_rdp",
                 "ec2_securitygroup_no_public_all_ports")
DEFAULT_SG = "ec2_securitygroup_default_restricts_all"
NACL = "ec2_networkacl_no_public_admin_ports"
FLOW = "ec2_vpc_flow_logs_enabled"
EBS_DEFAULT = "ec2_ebs_default_encryption_enabled"
VOLUME = "ec2_ebs_volume_encrypted"
SNAPSHOT = "ec2_ebs_snapshot_not_public"
IMDS = "ec2_instance_imdsv2_required"
AMI = "ami-12c6146b"  # moto does not check that the AMI exists
P, F, E = Status.PASS, Status.FAIL, Status.ERROR


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch):
    """Skip moto's ~1300 built-in AMIs (and their snapshots): keeps this file fast."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def _vpc(ec2) -> str:
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def _sg(ec2, vpc: str, name: str, *perms: dict, tags: dict | None = None) -> str:
    extra = {}
    if tags:
        extra["TagSpecifications"] = [{"ResourceType": "security-group",
                                       "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc, **extra)["GroupId"]
    if perms:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(perms))
    return gid


def _tcp(lo: int, hi: int, cidr: str = "0.0.0.0/0") -> dict:
    key, ranges = ("Ipv6Ranges", [{"CidrIpv6": cidr}]) if ":" in cidr else ("IpRanges", [{"CidrIp": cidr}])
    return {"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi, key: ranges}


def _default_sg(ec2, vpc: str) -> str:
    return ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]},
    ])["SecurityGroups"][0]["GroupId"]


def _stubbed_run(aws, check_ids):
    """A real ec2 client wrapped in a Stubber, used for every scope of the run."""
    real = aws.client("ec2")
    stub = Stubber(real)
    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=lambda s, r: real)
    return stub, lambda: run(select(list(check_ids)), [target])


def test_security_group_exposure_checks(aws):
    ec2 = aws.client("ec2")
    vpc = _vpc(ec2)
    ssh = _sg(ec2, vpc, "ssh", _tcp(22, 22), tags={"team": "platform"})
    range_v6 = _sg(ec2, vpc, "range-v6", _tcp(0, 1024, "::/0"))
    rdp = _sg(ec2, vpc, "rdp", _tcp(3389, 3389))
    everything = _sg(ec2, vpc, "everything", {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    full_tcp = _sg(ec2, vpc, "full-tcp", _tcp(0, 65535))
    private = _sg(ec2, vpc, "private", _tcp(22, 22, "10.0.0.0/8"), _tcp(3389, 3389, "192.168.0.0/16"),
                  _tcp(443, 443), {"IpProtocol": "icmp", "FromPort": 8, "ToPort": 22,
                                   "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    closed = _sg(ec2, vpc, "closed")

    result = scan(aws, [SSH, RDP, ALL])

    expect = {
        SSH: {ssh: F, range_v6: F, rdp: P, everything: F, full_tcp: F, private: P, closed: P},
        RDP: {ssh: P, range_v6: P, rdp: F, everything: F, full_tcp: F, private: P, closed: P},
        ALL: {ssh: P, range_v6: P, rdp: P, everything: F, full_tcp: F, private: P, closed: P},
    }
    for check, want in expect.items():
        got = statuses(result, check)
        assert {k: got[k] for k in want} == want, check
    f = only(result, SSH, ssh)
    assert f.evidence["PublicIngressRules"] == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Source": "0.0.0.0/0"}]
    assert f.tags == {"team": "platform"}
    assert f.resource_arn == f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:security-group/{ssh}"
    assert f.severity == "high"
    assert only(result, SSH, range_v6).evidence["PublicIngressRules"][0]["Source"] == "::/0"
    assert only(result, ALL, everything).evidence["PublicIngressRules"][0]["IpProtocol"] == "-1"
    assert only(result, ALL, everything).severity == "critical"
    assert only(result, SSH, private).evidence["PublicIngressRules"] == []


def test_default_security_group_must_have_no_rules(aws):
    ec2 = aws.client("ec2")
    vpc = _vpc(ec2)
    clean = _default_sg(ec2, vpc)
    egress = ec2.describe_security_groups(GroupIds=[clean])["SecurityGroups"][0]["IpPermissionsEgress"]
    ec2.revoke_security_group_egress(GroupId=clean, IpPermissions=egress)
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    dirty = _default_sg(ec2, default_vpc)  # moto (like AWS) allows all outbound by default
    ec2.authorize_security_group_ingress(GroupId=dirty, IpPermissions=[_tcp(80, 80)])
    custom = _sg(ec2, vpc, "custom", _tcp(22, 22))

    result = scan(aws, [DEFAULT_SG])

    assert statuses(result, DEFAULT_SG) == {clean: P, dirty: F}  # non-default groups are not judged
    assert custom not in statuses(result, DEFAULT_SG)
    assert only(result, DEFAULT_SG, dirty).evidence == {"VpcId": default_vpc, "InboundRules": 1,
                                                        "OutboundRules": 1}
    assert only(result, DEFAULT_SG, clean).evidence["OutboundRules"] == 0


def test_network_acl_admin_ports(aws):
    ec2 = aws.client("ec2")
    vpc = _vpc(ec2)

    def acl(*entries: dict) -> str:
        aid = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        for n, e in enumerate(entries, start=1):
            ec2.create_network_acl_entry(NetworkAclId=aid, RuleNumber=n * 10, Egress=False, **e)
        return aid

    empty = acl()
    ssh_range = acl({"Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0",
                     "PortRange": {"From": 20, "To": 25}})
    rdp_v6 = acl({"Protocol": "6", "RuleAction": "allow", "Ipv6CidrBlock": "::/0",
                  "PortRange": {"From": 3389, "To": 3389}})
    safe = acl({"Protocol": "6", "RuleAction": "allow", "CidrBlock": "10.0.0.0/8",
                "PortRange": {"From": 22, "To": 22}},
               {"Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0",
                "PortRange": {"From": 443, "To": 443}},
               {"Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"})
    default_acl = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]},
    ])["NetworkAcls"][0]["NetworkAclId"]

    result = scan(aws, [NACL])

    got = statuses(result, NACL)
    assert {k: got[k] for k in (empty, ssh_range, rdp_v6, safe, default_acl)} == {
        empty: P, ssh_range: F, rdp_v6: F, safe: P, default_acl: F}
    assert only(result, NACL, ssh_range).evidence["PublicAdminIngressEntries"] == [
        {"RuleNumber": 10, "Protocol": "6", "Source": "0.0.0.0/0",
         "PortRange": {"From": 20, "To": 25}, "AdminPorts": [22]}]
    assert only(result, NACL, default_acl).evidence["PublicAdminIngressEntries"][0]["AdminPorts"] == [22, 3389]
    assert only(result, NACL, rdp_v6).evidence["PublicAdminIngressEntries"][0]["Source"] == "::/0"


def test_network_acl_first_matching_entry_decides_and_udp_counts(aws):
    """AWS evaluates NACL entries lowest rule number first (found side by side with Prowler)."""
    ec2 = aws.client("ec2")
    vpc = _vpc(ec2)

    def acl(*entries: tuple) -> str:
        aid = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        for n, action, proto, ports, cidr in entries:
            kw = {"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}
            src = {"Ipv6CidrBlock": cidr} if ":" in cidr else {"CidrBlock": cidr}
            ec2.create_network_acl_entry(NetworkAclId=aid, RuleNumber=n, Egress=False, RuleAction=action,
                                         Protocol=proto, **kw, **src)
        return aid

    world = "0.0.0.0/0"
    deny_first = acl((50, "deny", "6", (22, 22), world), (60, "deny", "6", (3389, 3389), world),
                     (100, "allow", "6", (0, 65535), world))
    allow_first = acl((50, "allow", "-1", None, world), (60, "deny", "6", (22, 22), world))
    udp_rdp = acl((50, "deny", "6", (3389, 3389), world), (100, "allow", "17", (3389, 3389), world))
    narrow_deny = acl((50, "deny", "6", (22, 22), "198.51.100.0/24"), (100, "allow", "6", (22, 22), world))
    v4_only_deny = acl((50, "deny", "-1", None, world), (100, "allow", "6", (22, 22), "::/0"))

    result = scan(aws, [NACL])

    got = statuses(result, NACL)
    assert {k: got[k] for k in (deny_first, allow_first, udp_rdp, narrow_deny, v4_only_deny)} == {
        deny_first: P, allow_first: F, udp_rdp: F, narrow_deny: F, v4_only_deny: F}
    assert only(result, NACL, allow_first).evidence["PublicAdminIngressEntries"] == [
        {"RuleNumber": 50, "Protocol": "-1", "Source": world, "PortRange": None, "AdminPorts": [22, 3389]}]
    assert only(result, NACL, udp_rdp).evidence["PublicAdminIngressEntries"] == [
        {"RuleNumber": 100, "Protocol": "17", "Source": world, "PortRange": {"From": 3389, "To": 3389},
         "AdminPorts": [3389]}]
    assert only(result, NACL, v4_only_deny).evidence["PublicAdminIngressEntries"][0]["Source"] == "::/0"


def test_vpc_flow_logs(aws):
    ec2 = aws.client("ec2")
    aws.client("s3").create_bucket(Bucket="srm-flow-logs")
    logged = _vpc(ec2)
    fl = ec2.create_flow_logs(ResourceIds=[logged], ResourceType="VPC", TrafficType="REJECT",
                              LogDestinationType="s3", LogDestination="arn:aws:s3:::srm-flow-logs")["FlowLogIds"][0]
    ec2.create_tags(Resources=[logged], Tags=[{"Key": "env", "Value": "prod"}])
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    result = scan(aws, [FLOW])

    assert statuses(result, FLOW) == {logged: P, default_vpc: F}
    f = only(result, FLOW, logged)
    assert f.evidence == {"FlowLogIds": [fl]}
    assert f.tags == {"env": "prod"}
    assert only(result, FLOW, default_vpc).evidence == {"FlowLogIds": []}


def test_ebs_default_encryption(aws):
    ec2 = aws.client("ec2")
    before = only(scan(aws, [EBS_DEFAULT]), EBS_DEFAULT, REGION)
    ec2.enable_ebs_encryption_by_default()
    after = only(scan(aws, [EBS_DEFAULT]), EBS_DEFAULT, REGION)

    assert (before.status, before.evidence) == (F, {"EbsEncryptionByDefault": False})
    assert (after.status, after.evidence) == (P, {"EbsEncryptionByDefault": True})


def test_ebs_volume_encryption(aws):
    ec2 = aws.client("ec2")
    enc = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a", Encrypted=True)["VolumeId"]
    plain = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a", TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "app", "Value": "db"}]}])["VolumeId"]

    result = scan(aws, [VOLUME])

    assert statuses(result, VOLUME) == {enc: P, plain: F}
    assert only(result, VOLUME, plain).evidence == {"Encrypted": False}
    assert only(result, VOLUME, plain).tags == {"app": "db"}
    assert only(result, VOLUME, enc).evidence["Encrypted"] is True


def test_ebs_snapshot_public(aws):
    ec2 = aws.client("ec2")
    vol = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    private, public, shared = (ec2.create_snapshot(VolumeId=vol)["SnapshotId"] for _ in range(3))
    ec2.modify_snapshot_attribute(SnapshotId=public, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    ec2.modify_snapshot_attribute(SnapshotId=shared, Attribute="createVolumePermission",
                                  OperationType="add", UserIds=["111122223333"])

    result = scan(aws, [SNAPSHOT])

    assert statuses(result, SNAPSHOT) == {private: P, public: F, shared: P}
    f = only(result, SNAPSHOT, public)
    assert f.evidence == {"PublicRestorable": True, "SharedWithAccounts": []}
    assert f.resource_arn == f"arn:aws:ec2:{REGION}::snapshot/{public}"
    assert only(result, SNAPSHOT, shared).evidence["SharedWithAccounts"] == ["111122223333"]


def test_instance_imdsv2(aws):
    ec2 = aws.client("ec2")
    strict = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                               MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    loose = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "web"}]}])["Instances"][0]["InstanceId"]
    gone = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone])

    result = scan(aws, [IMDS])

    assert statuses(result, IMDS) == {strict: P, loose: F}
    f = only(result, IMDS, loose)
    assert f.evidence == {"HttpTokens": "optional", "HttpEndpoint": "enabled"}
    assert f.tags == {"team": "web"}


def test_full_scan_lists_each_thing_once(aws):
    ec2 = aws.client("ec2")
    _sg(ec2, _vpc(ec2), "web", _tcp(22, 22))
    ec2.create_snapshot(VolumeId=ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"])
    ids = [SSH, RDP, ALL, DEFAULT_SG, NACL, FLOW, EBS_DEFAULT, VOLUME, SNAPSHOT, IMDS]

    result = scan(aws, ids)

    assert result.summary.duplicate_calls == 0
    assert result.summary.findings["ERROR"] == 0
    calls = result.summary.api_calls
    for op in ("DescribeSecurityGroups", "DescribeNetworkAcls", "DescribeVpcs", "DescribeFlowLogs",
               "GetEbsEncryptionByDefault", "DescribeVolumes", "DescribeSnapshots",
               "DescribeSnapshotAttribute", "DescribeInstances"):
        assert calls[f"ec2.{op}"] == 1, op
    declared = {a.split(":")[1] for c in select(ids) for a in c.meta.iam_actions}
    assert {k.split(".")[1] for k in calls} <= declared


def test_access_denied_on_listing_is_one_shared_error(aws):
    stub, go = _stubbed_run(aws, [SSH, RDP, ALL, DEFAULT_SG])
    # queued once: a second DescribeSecurityGroups call would hit an empty Stubber and fail differently
    stub.add_client_error("describe_security_groups", service_error_code="UnauthorizedOperation",
                          service_message="not allowed", http_status_code=403)
    with stub:
        result = go()

    assert len(result.findings) == 4
    assert {f.status for f in result.findings} == {E}
    assert {f.error_code for f in result.findings} == {"UnauthorizedOperation"}
    assert {f.check_id for f in result.findings} == {SSH, RDP, ALL, DEFAULT_SG}
    stub.assert_no_pending_responses()


def test_ebs_default_access_denied_is_an_error(aws):
    stub, go = _stubbed_run(aws, [EBS_DEFAULT])
    stub.add_client_error("get_ebs_encryption_by_default", service_error_code="UnauthorizedOperation",
                          service_message="not allowed", http_status_code=403)
    with stub:
        [f] = go().findings
    assert (f.status, f.error_code) == (E, "UnauthorizedOperation")


def test_snapshot_attribute_denied_errors_that_snapshot_only(aws):
    stub, go = _stubbed_run(aws, [SNAPSHOT])
    snaps = [{"SnapshotId": s, "OwnerId": owner, "VolumeId": "vol-1", "State": "completed"}
             for s, owner in (("snap-denied", ACCOUNT_ID), ("snap-ok", ACCOUNT_ID),
                              # an emulator that ignores OwnerIds (moto) returns others' snapshots:
                              # they are skipped, so no attribute call is queued for this one
                              ("snap-not-ours", "999999999999"))]
    stub.add_response("describe_snapshots", {"Snapshots": snaps}, {"OwnerIds": ["self"]})
    stub.add_client_error("describe_snapshot_attribute", service_error_code="UnauthorizedOperation",
                          service_message="no", http_status_code=403,
                          expected_params={"SnapshotId": "snap-denied", "Attribute": "createVolumePermission"})
    stub.add_response("describe_snapshot_attribute", {"SnapshotId": "snap-ok", "CreateVolumePermissions": []},
                      {"SnapshotId": "snap-ok", "Attribute": "createVolumePermission"})
    with stub:
        result = go()

    assert statuses(result, SNAPSHOT) == {"snap-denied": E, "snap-ok": P}
    assert only(result, SNAPSHOT, "snap-denied").error_code == "UnauthorizedOperation"
    stub.assert_no_pending_responses()
