"""AWS Backup coverage and vault checks: resources, plans and vaults on moto; the backup selection
documents and vault policies (which moto lacks) from canned answers."""
import json

import pytest

from checks.base import Status
from checks.inventory.backup import BackupSelection
from tests.checks.canned import DENIED, THROTTLED, AwsError, scan_with
from tests.checks.conftest import ACCOUNT_ID, REGION, only, statuses

RDS, EBS, DDB, EFS = ("backup_rds_instance_in_plan", "backup_ebs_volume_in_plan",
                      "backup_dynamodb_table_in_plan", "backup_efs_filesystem_in_plan")
VAULT_KMS, VAULT_POLICY = "backup_vault_kms_encrypted", "backup_vault_policy_not_public"
P, F, E = Status.PASS, Status.FAIL, Status.ERROR
OTHER = "210987654321"
NO_POLICY = AwsError("ResourceNotFoundException", "no access policy")


def _plan(aws) -> str:
    return aws.client("backup").create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "Default", "ScheduleExpression": "cron(0 5 * * ? *)"}]}
    )["BackupPlanId"]


def _selections(plan_id: str, *docs: dict) -> dict:
    """Canned ListBackupSelections / GetBackupSelection answers for one plan's selection documents."""
    by_id = {f"sel-{i}": {"SelectionName": f"sel{i}", "IamRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/backup",
                          **doc} for i, doc in enumerate(docs)}
    return {
        "backup.ListBackupSelections": lambda p: {"BackupSelectionsList": [
            {"SelectionId": sid, "SelectionName": d["SelectionName"], "BackupPlanId": p["BackupPlanId"]}
            for sid, d in by_id.items()] if p["BackupPlanId"] == plan_id else []},
        "backup.GetBackupSelection": lambda p: {"BackupSelection": by_id[p["SelectionId"]],
                                                "SelectionId": p["SelectionId"], "BackupPlanId": p["BackupPlanId"]},
    }


def _volume(ec2, **tags) -> str:
    spec = [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    return ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, TagSpecifications=spec)["VolumeId"]


def _table(ddb, name: str, **tags) -> str:
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return name


def test_selection_rules_resources_tags_conditions_and_exclusions():
    arn = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:volume/vol-1"
    sel = BackupSelection("p", "plan", "s", "sel")
    assert sel.covers(arn, {})  # no Resources and no ListOfTags: everything
    assert BackupSelection("p", "plan", "s", "sel", resources=["arn:aws:ec2:*:*:volume/*"]).covers(arn, {})
    assert not BackupSelection("p", "plan", "s", "sel", resources=["arn:aws:rds:*:*:db:*"]).covers(arn, {})
    by_tag = BackupSelection("p", "plan", "s", "sel", list_of_tags=[
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}])
    assert by_tag.covers(arn, {"backup": "daily"}) and not by_tag.covers(arn, {"backup": "never"})
    conditions = BackupSelection("p", "plan", "s", "sel", resources=["*"], conditions={
        "StringLike": [{"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "prod*"}],
        "StringNotEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "skip"}]})
    assert conditions.covers(arn, {"env": "prod-eu"})
    assert not conditions.covers(arn, {"env": "prod-eu", "backup": "skip"})  # AND
    assert not conditions.covers(arn, {"env": "dev"})
    excluded = BackupSelection("p", "plan", "s", "sel", resources=["*"], not_resources=[arn])
    assert not excluded.covers(arn, {})


def test_ebs_volumes_selected_by_arn_or_tag_pass_the_rest_fail(aws):
    ec2 = aws.client("ec2")
    by_arn, by_tag, bare = _volume(ec2), _volume(ec2, backup="daily"), _volume(ec2, backup="never")
    plan = _plan(aws)
    canned = _selections(plan, {"Resources": [f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:volume/{by_arn}"]},
                         {"ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                                          "ConditionValue": "daily"}]})
    result = scan_with(aws, [EBS], canned=canned)

    assert statuses(result, EBS) == {by_arn: P, by_tag: P, bare: F}
    assert only(result, EBS, by_tag).evidence == {"Selections": ["daily/sel1"]}
    assert only(result, EBS, bare).tags == {"backup": "never"}


def test_rds_dynamodb_and_efs_coverage_by_wildcard_and_tag_condition(aws):
    rds = aws.client("rds")
    for name, tier in (("db-gold", "gold"), ("db-plain", "none")):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20,
                               Tags=[{"Key": "tier", "Value": tier}])
    ddb = aws.client("dynamodb")
    gold_table, plain_table = _table(ddb, "orders", tier="gold"), _table(ddb, "scratch")
    efs = aws.client("efs")
    gold_fs = efs.create_file_system(CreationToken="a", Tags=[{"Key": "tier", "Value": "gold"}])["FileSystemId"]
    plain_fs = efs.create_file_system(CreationToken="b")["FileSystemId"]
    canned = _selections(_plan(aws), {"Resources": ["*"], "Conditions": {
        "StringEquals": [{"ConditionKey": "aws:ResourceTag/tier", "ConditionValue": "gold"}]}})

    result = scan_with(aws, [RDS, DDB, EFS], canned=canned)

    assert statuses(result, RDS) == {"db-gold": P, "db-plain": F}
    assert statuses(result, DDB) == {gold_table: P, plain_table: F}
    assert statuses(result, EFS) == {gold_fs: P, plain_fs: F}


def test_no_plan_at_all_fails_every_resource_without_reading_selections(aws):
    vol = _volume(aws.client("ec2"))
    result = scan_with(aws, [EBS])  # ListBackupPlans is moto's: no plans, so no selection calls
    assert statuses(result, EBS) == {vol: F}
    assert "backup.ListBackupSelections" not in result.summary.api_calls


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_unreadable_selections_are_errors_for_every_coverage_check(aws, error):
    _volume(aws.client("ec2"))
    _table(aws.client("dynamodb"), "t")
    aws.client("efs").create_file_system(CreationToken="x")
    aws.client("rds").create_db_instance(DBInstanceIdentifier="db", Engine="postgres", DBInstanceClass="db.t3.micro",
                                         MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20)
    plan = _plan(aws)
    canned = {**_selections(plan, {"Resources": ["*"]}), "backup.GetBackupSelection": error}
    result = scan_with(aws, [RDS, EBS, DDB, EFS], canned=canned)
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (c, E, error.code) for c in (RDS, EBS, DDB, EFS)}
    assert result.summary.api_calls["backup.GetBackupSelection"] == 1  # one failure, shared by four checks


def test_vault_encryption_and_the_customer_managed_key_setting(aws):
    cmk = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    aws_managed = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/00000000-aaaa-bbbb-cccc-000000000000"
    backup = aws.client("backup")
    backup.create_backup_vault(BackupVaultName="mine", EncryptionKeyArn=cmk)
    backup.create_backup_vault(BackupVaultName="aws-key", EncryptionKeyArn=aws_managed)
    backup.create_backup_vault(BackupVaultName="unrecorded")  # moto records no key when none is given

    result = scan_with(aws, [VAULT_KMS])
    assert statuses(result, VAULT_KMS) == {"mine": P, "aws-key": P, "unrecorded": F}
    assert "kms.DescribeKey" not in result.summary.api_calls  # the key owner is read only when it matters

    def describe_key(p):  # moto has no AWS managed keys: answer that one, pass the CMK's real metadata
        manager = "AWS" if p["KeyId"] == aws_managed else "CUSTOMER"
        return {"KeyMetadata": {"KeyId": p["KeyId"].rsplit("/", 1)[1], "Arn": p["KeyId"], "KeyManager": manager}}

    strict = scan_with(aws, [VAULT_KMS], canned={"kms.DescribeKey": describe_key},
                       settings={VAULT_KMS: {"require_customer_managed_key": True}})
    assert statuses(strict, VAULT_KMS) == {"mine": P, "aws-key": F, "unrecorded": F}
    assert only(strict, VAULT_KMS, "aws-key").evidence["KeyManager"] == "AWS"
    assert strict.summary.api_calls["kms.DescribeKey"] == 2  # once per distinct key


def test_vault_listing_denied_is_an_error(aws):
    aws.client("backup").create_backup_vault(BackupVaultName="v")
    result = scan_with(aws, [VAULT_KMS, VAULT_POLICY], canned={"backup.ListBackupVaults": DENIED})
    assert {(f.check_id, f.status) for f in result.findings} == {(VAULT_KMS, E), (VAULT_POLICY, E)}


def _policy(principal, condition=None) -> str:
    st = {"Effect": "Allow", "Principal": principal, "Action": "backup:CopyIntoBackupVault", "Resource": "*"}
    statement = {**st, "Condition": condition} if condition else st
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_vault_policies_open_to_everyone_or_other_accounts_fail_unless_trusted(aws):
    backup = aws.client("backup")
    for name in ("none", "own", "public", "org-only", "partner"):
        backup.create_backup_vault(BackupVaultName=name)
    policies = {
        "own": _policy({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}),
        "public": _policy("*"),
        "org-only": _policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        "partner": _policy({"AWS": f"arn:aws:iam::{OTHER}:root"}),
    }

    def answer(p):
        name = p["BackupVaultName"]
        return {"BackupVaultName": name, "Policy": policies[name]} if name in policies else NO_POLICY

    canned = {"backup.GetBackupVaultAccessPolicy": answer}
    result = scan_with(aws, [VAULT_POLICY], canned=canned)
    assert statuses(result, VAULT_POLICY) == {"none": P, "own": P, "public": F, "org-only": P, "partner": F}
    assert only(result, VAULT_POLICY, "partner").evidence["OtherAccounts"] == [OTHER]

    trusted = scan_with(aws, [VAULT_POLICY], canned=canned, settings={VAULT_POLICY: {"trusted_accounts": [OTHER]}})
    assert statuses(trusted, VAULT_POLICY)["partner"] is P


def test_a_table_whose_details_cannot_be_read_is_an_error_for_that_table(aws):
    name = _table(aws.client("dynamodb"), "orders")
    canned = {**_selections(_plan(aws), {"Resources": ["*"]}), "dynamodb.DescribeContinuousBackups": DENIED}
    result = scan_with(aws, [DDB], canned=canned)
    f = only(result, DDB, name)
    assert (f.status, f.error_code) == (E, DENIED.code)
