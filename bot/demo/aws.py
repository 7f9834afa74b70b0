"""The demo's AWS: `moto_server` on 127.0.0.1 seeded with a sample account's mistakes.

moto is a dev dependency; the demo only runs from the project venv (`make demo`).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """A `moto_server` subprocess on a free loopback port; stopped on exit or Ctrl-C."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "MotoServer":
        """Start it in its own process group (a terminal's Ctrl-C reaches only us) and wait until it answers;
        stopped again if the start fails or is interrupted."""
        from bot.demo.processes import wait_http

        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
        if not exe:
            raise RuntimeError("moto_server not found: run `make demo` (it installs the dev extra)")
        env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
        self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_http(f"{self.url}/moto-api/data.json", self.proc, "moto_server", timeout=30)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        from bot.demo.processes import stop

        stop(self.proc)

    def env(self) -> dict[str, str]:
        """Environment that points boto3 (and `srm`) at this emulator."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
                "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}


@dataclass
class Seeded:
    ssh_group_id: str
    bucket: str
    user: str


def seed_account(session: boto3.session.Session) -> Seeded:
    """A sample account with the customer-side mistakes teams really make."""
    ec2 = session.client("ec2", region_name=REGION)
    s3 = session.client("s3", region_name=REGION)
    iam = session.client("iam")
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    # network: a bastion group owned (by tag) by the platform team, SSH from the office range only
    # (someone opens it to the world later: the demo's drift, see open_ssh)
    sg = ec2.create_security_group(GroupName="bastion", Description="bastion hosts", VpcId=vpc_id,
                                   TagSpecifications=[{"ResourceType": "security-group",
                                                       "Tags": [{"Key": "team", "Value": "platform"}]}])
    ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
    # data: a public, unencrypted, unversioned bucket
    bucket = "acme-shared-reports"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    # storage: an unencrypted volume
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=False)
    # identity: a console user without MFA, with a policy attached straight to the user
    user = "deploy-bot"
    iam.create_user(UserName=user)
    iam.create_login_profile(UserName=user, Password="Demo-Password-123!")
    policy = iam.create_policy(PolicyName="ci-deploy", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    iam.attach_user_policy(UserName=user, PolicyArn=policy["Policy"]["Arn"])
    # key management: a customer key without rotation
    session.client("kms", region_name=REGION).create_key(Description="app data key")
    return Seeded(ssh_group_id=sg["GroupId"], bucket=bucket, user=user)


def open_ssh(session: boto3.session.Session, seeded: Seeded) -> None:
    """The drift: someone opens SSH on the bastion group to the whole internet "for a quick test"."""
    session.client("ec2", region_name=REGION).authorize_security_group_ingress(
        GroupId=seeded.ssh_group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def fix_ssh(session: boto3.session.Session, seeded: Seeded) -> None:
    """What the platform team does after the incident: close SSH to the world."""
    session.client("ec2", region_name=REGION).revoke_security_group_ingress(
        GroupId=seeded.ssh_group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
