"""API-call audit for the OS patching, backup, certificate, secrets, serverless and container checks.

One seeded account (moto, plus canned answers for the reads moto lacks) is scanned by all
31 checks together: every call is a declared, read-only IAM action; no (operation,
parameters) pair is made twice; no check errors; every check judges something; and the
calls per operation grow linearly with the number of resources (equal increments from
n=2 to n=4 to n=6 resources of each kind).
"""
from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from datetime import datetime, timedelta, timezone

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from freezegun import freeze_time
from moto import mock_aws

from checks.base import Status
from checks.inventory.core import ApiCallCounter
from checks.registry import load_all
from checks.runner import Target, run
from tests.checks.canned import attach
from tests.checks.conftest import ACCOUNT_ID, REGION

SERVICES = ("ssm", "backup", "efs", "acm", "secretsmanager", "lambda", "eks", "ecr")
CHECKS = sorted((c for c in load_all().values() if c.meta.service in SERVICES), key=lambda c: c.meta.id)
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
_models = botocore.session.get_session()


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def iam_action(call: str) -> str:
    """'efs.DescribeFileSystems' -> 'elasticfilesystem:DescribeFileSystems' (the service's signing name)."""
    service, op = call.split(".", 1)
    return f"{_models.get_service_model(service).signing_name}:{op}"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    return buf.getvalue()


def _certificate(domain: str, use_rsa: bool) -> dict:
    key = rsa.generate_private_key(65537, 2048) if use_rsa else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    start = datetime.fromtimestamp(NOW.timestamp() - 86400, tz=timezone.utc)  # freezegun-proof datetimes
    end = datetime.fromtimestamp(NOW.timestamp() + 90 * 86400, tz=timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .sign(key, hashes.SHA256()))
    return {"Certificate": cert.public_bytes(serialization.Encoding.PEM),
            "PrivateKey": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())}


def seed(session, n: int) -> dict:
    """n resources of every kind the checks read; returns the canned answers for moto's gaps."""
    c = session.client
    ec2 = c("ec2")
    instance_ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n)
                    ["Instances"]]
    for _ in range(n):
        ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)
    role = c("iam").create_role(RoleName="seed", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam, ecr, eks, efs, sm = c("lambda"), c("ecr"), c("eks"), c("efs"), c("secretsmanager")
    rds, ddb, backup = c("rds"), c("dynamodb"), c("backup")
    for i in range(n):
        lam.create_function(FunctionName=f"fn{i}", Runtime="python3.8" if i % 2 else "python3.13", Role=role,
                            Handler="app.handler", Code={"ZipFile": _zip()},
                            Environment={"Variables": {"API_TOKEN" if i % 2 else "STAGE": "x"}})
        ecr.create_repository(repositoryName=f"repo{i}", imageTagMutability="IMMUTABLE" if i % 2 else "MUTABLE")
        eks.create_cluster(name=f"eks{i}", version="1.29", roleArn=role, resourcesVpcConfig={"subnetIds": ["s"]})
        fs = efs.create_file_system(CreationToken=f"fs{i}", Encrypted=bool(i % 2))["FileSystemId"]
        efs.create_access_point(FileSystemId=fs, **({"PosixUser": {"Uid": 1, "Gid": 1}} if i % 2 else {}))
        sm.create_secret(Name=f"secret{i}", SecretString="x")
        try:  # moto keeps the rotation settings, then cannot find (run) the rotation function
            sm.rotate_secret(SecretId=f"secret{i}",
                             RotationLambdaARN=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:r",
                             RotationRules={"AutomaticallyAfterDays": 30})
        except ClientError:
            pass
        c("acm").import_certificate(**_certificate(f"site{i}.example.com", use_rsa=bool(i % 2)))
        rds.create_db_instance(DBInstanceIdentifier=f"db{i}", Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20)
        ddb.create_table(TableName=f"t{i}", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        backup.create_backup_vault(BackupVaultName=f"vault{i}")
        backup.create_backup_plan(BackupPlan={"BackupPlanName": f"plan{i}", "Rules": [
            {"RuleName": "d", "TargetBackupVaultName": f"vault{i}"}]})
    selection = {"SelectionName": "all", "IamRoleArn": role, "Resources": ["arn:aws:ec2:*:*:volume/*"]}
    return {
        "ssm.DescribeInstanceInformation": {"InstanceInformationList": [
            {"InstanceId": i, "PingStatus": "Online", "ResourceType": "EC2Instance"} for i in instance_ids]},
        "ssm.DescribeInstancePatchStates": lambda p: {"InstancePatchStates": [
            {"InstanceId": i, "PatchGroup": "g", "BaselineId": "pb-0123456789abcdef0", "Operation": "Scan",
             "OperationStartTime": NOW - timedelta(days=1), "OperationEndTime": NOW - timedelta(days=1),
             "MissingCount": 1} for i in p["InstanceIds"]]},
        "backup.ListBackupSelections": lambda p: {"BackupSelectionsList": [
            {"SelectionId": f"sel-{p['BackupPlanId'][:8]}", "SelectionName": "all",
             "BackupPlanId": p["BackupPlanId"]}]},
        "backup.GetBackupSelection": lambda p: {"BackupSelection": selection, "SelectionId": p["SelectionId"],
                                                "BackupPlanId": p["BackupPlanId"]},
        "backup.GetBackupVaultAccessPolicy": lambda p: {"BackupVaultName": p["BackupVaultName"], "Policy": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "backup:*",
                                                     "Resource": "*"}]})},
        "lambda.ListFunctionUrlConfigs": lambda p: {"FunctionUrlConfigs": [
            {"FunctionUrl": f"https://{p['FunctionName']}.lambda-url.{REGION}.on.aws/",
             "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{p['FunctionName']}",
             "CreationTime": "2026-01-01", "LastModifiedTime": "2026-01-01", "AuthType": "NONE"}]},
    }


def audited_scan(session, canned: dict):
    counter = ApiCallCounter()

    def factory(service, region):
        client = attach(session.client(service, region_name=region), canned)
        counter.attach(client)
        return client

    target = Target("audit", ACCOUNT_ID, session, [REGION], client_factory=factory)
    return run(CHECKS, [target], max_workers=8), counter


def test_there_are_31_checks_in_these_families():
    assert len(CHECKS) == 31


@freeze_time(NOW)
def test_every_call_is_declared_read_only_once_and_every_check_judges(aws):
    result, counter = audited_scan(aws, seed(aws, 3))

    declared = {a for c in CHECKS for a in c.meta.iam_actions}
    made = {iam_action(call) for call in result.summary.api_calls}
    assert made - declared == set(), "calls no check declares"
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in made)
    assert sorted(k for k, n in counter.params.items() if n > 1) == []
    assert result.summary.duplicate_calls == 0
    assert [f"{f.check_id}: {f.reason}" for f in result.findings if f.status is Status.ERROR] == []
    judged = Counter(f.check_id for f in result.findings)
    assert sorted(c.meta.id for c in CHECKS if not judged[c.meta.id]) == []
    assert {f.status for f in result.findings} == {Status.PASS, Status.FAIL}


def test_calls_grow_linearly_with_resources():
    counts = []
    for n in (2, 4, 6):
        with mock_aws(), freeze_time(NOW):
            session = boto3.Session(region_name=REGION)
            result, _ = audited_scan(session, seed(session, n))
            counts.append(Counter(result.summary.api_calls))
    for op in counts[2]:
        steps = (counts[1][op] - counts[0][op], counts[2][op] - counts[1][op])
        assert steps[0] == steps[1], f"{op}: {counts[0][op]}, {counts[1][op]}, {counts[2][op]} is not linear"
        assert steps[1] <= 2 * 3, f"{op}: more than 3 calls per resource of a kind"


def test_each_region_is_listed_once_and_findings_carry_their_region(aws):
    for region in (REGION, "eu-west-1"):
        aws.client("efs", region_name=region).create_file_system(CreationToken=f"fs-{region}")
        aws.client("ecr", region_name=region).create_repository(repositoryName=f"repo-{region}")
    checks = [c for c in CHECKS if c.meta.service in ("efs", "ecr")]
    target = Target("audit", ACCOUNT_ID, aws, [REGION, "eu-west-1"])
    result = run(checks, [target], max_workers=4)

    assert result.summary.api_calls["efs.DescribeFileSystems"] == 2  # once per region
    assert result.summary.api_calls["ecr.DescribeRepositories"] == 2
    assert result.summary.duplicate_calls == 0
    by_region = {(f.region, f.resource_id) for f in result.findings if f.check_id == "ecr_repository_tag_immutable"}
    assert by_region == {(REGION, f"repo-{REGION}"), ("eu-west-1", "repo-eu-west-1")}


def test_an_api_the_emulator_lacks_is_one_shared_error_never_a_retry_per_check(aws):
    aws.client("ec2").create_volume(AvailabilityZone=f"{REGION}a", Size=1)
    aws.client("efs").create_file_system(CreationToken="fs")
    aws.client("backup").create_backup_plan(BackupPlan={"BackupPlanName": "p", "Rules": [
        {"RuleName": "r", "TargetBackupVaultName": "Default"}]})
    checks = [c for c in CHECKS if c.meta.id in ("backup_ebs_volume_in_plan", "backup_efs_filesystem_in_plan")]
    result, counter = audited_scan(aws, {})  # moto in-process raises NotImplementedError for ListBackupSelections
    coverage = [f for f in result.findings if f.check_id in {c.meta.id for c in checks}]
    assert {(f.status, f.error_code) for f in coverage} == {(Status.ERROR, "NotImplemented")}
    assert result.summary.api_calls["backup.ListBackupSelections"] == 1
    assert [k for k, n in counter.params.items() if n > 1] == []
