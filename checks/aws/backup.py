"""AWS Backup: RDS, EBS, DynamoDB and EFS resources assigned to a backup plan; vault encryption and access.

Coverage is judged from the plans' resource selections (ARN patterns, tag conditions)
applied to each resource's ARN and tags (see :mod:`checks.inventory.backup`), so a
resource counts as soon as a plan selects it. moto emulates backup plans and vaults
but not ListBackupSelections / GetBackupSelection / GetBackupVaultAccessPolicy: tests
answer those from canned, shape-validated responses.
"""
from __future__ import annotations

from typing import Any, Iterator

from checks.aws.access_policy import other_accounts, public_statements
from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.backup import covering, key_manager, vault_policies, vaults
from checks.inventory.dynamodb import tables
from checks.inventory.ec2 import volumes
from checks.inventory.efs import file_systems
from checks.inventory.rds import db_instances

SELECTION_ACTIONS = ["backup:ListBackupPlans", "backup:ListBackupSelections", "backup:GetBackupSelection"]
SELECTION_GAP = "moto emulates backup plans but not backup:ListBackupSelections / backup:GetBackupSelection"


def _remediation(kind: str, arn_example: str) -> str:
    return (f"Assign the {kind} to a backup plan: console AWS Backup > Backup plans > plan > Assign resources "
            f"(by resource ID or by tag), or `aws backup create-backup-selection --backup-plan-id PLAN_ID "
            f"--backup-selection '{{\"SelectionName\":\"{kind.split()[0].lower()}\",\"IamRoleArn\":\"ROLE_ARN\","
            f"\"Resources\":[\"{arn_example}\"]}}'`.")


def _coverage_meta(id: str, kind: str, resource_type: str, arn_example: str, reads: list[str],
                   **kw: Any) -> CheckMeta:
    return CheckMeta(
        id=id, title=f"{kind[0].upper()}{kind[1:]}s are assigned to an AWS Backup plan",
        fail_title=f"{kind[0].upper()}{kind[1:]}s are in no AWS Backup plan",
        service="backup", aspect="backup_dr", severity=Severity.medium,
        remediation=_remediation(kind, arn_example), iam_actions=SELECTION_ACTIONS + reads,
        resource_type=resource_type, moto="stubber", **kw)


def _judge(scope: Scope, resource_id: str, arn: str, tags: dict[str, str]) -> Finding:
    plans = covering(scope.inv, arn, tags)
    if plans:
        return scope.passed(resource_id, f"selected by backup plan {plans[0]}", arn=arn, tags=tags,
                            evidence={"Selections": plans})
    return scope.failed(resource_id, "no backup plan selects it (by ARN or tag)", arn=arn, tags=tags,
                        evidence={"Selections": []})


@register(_coverage_meta(
    "backup_rds_instance_in_plan", "RDS DB instance", "AWS::RDS::DBInstance", "arn:aws:rds:REGION:ACCOUNT:db:NAME",
    ["rds:DescribeDBInstances"],
    notes=SELECTION_GAP + ". Instances of an Aurora or Multi-AZ DB cluster are backed up with their cluster "
    "and are not judged here. Security Hub RDS.26 (NIST standard, not FSBP) asks the same.",
))
def backup_rds_instance_in_plan(scope: Scope) -> Iterator[Finding]:
    for db in db_instances(scope.inv):
        if not db.cluster_id:
            yield _judge(scope, db.identifier, db.arn, db.tags)


@register(_coverage_meta(
    "backup_ebs_volume_in_plan", "EBS volume", "AWS::EC2::Volume", "arn:aws:ec2:REGION:ACCOUNT:volume/VOLUME_ID",
    ["ec2:DescribeVolumes"],
    notes=SELECTION_GAP + ". Security Hub EC2.28 (NIST standard, not FSBP) asks the same.",
))
def backup_ebs_volume_in_plan(scope: Scope) -> Iterator[Finding]:
    for v in volumes(scope.inv):
        yield _judge(scope, v.volume_id, v.arn, v.tags)


@register(_coverage_meta(
    "backup_dynamodb_table_in_plan", "DynamoDB table", "AWS::DynamoDB::Table",
    "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME",
    ["dynamodb:ListTables", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"],
    notes=SELECTION_GAP + ". Security Hub DynamoDB.4 (NIST standard, not FSBP) asks the same.",
))
def backup_dynamodb_table_in_plan(scope: Scope) -> Iterator[Finding]:
    for t in tables(scope.inv):
        if t.error:
            yield scope.errored(t.name, t.error[0], t.error[1], arn=t.arn)
        else:
            yield _judge(scope, t.name, t.arn, t.tags)


@register(_coverage_meta(
    "backup_efs_filesystem_in_plan", "EFS file system", "AWS::EFS::FileSystem",
    "arn:aws:elasticfilesystem:REGION:ACCOUNT:file-system/FS_ID",
    ["elasticfilesystem:DescribeFileSystems"], frameworks={"fsbp": ["EFS.2"]},
    notes=SELECTION_GAP + ". EFS automatic backups appear as the plan aws/efs/automatic-backup-plan.",
))
def backup_efs_filesystem_in_plan(scope: Scope) -> Iterator[Finding]:
    for fs in file_systems(scope.inv):
        yield _judge(scope, fs.file_system_id, fs.arn, fs.tags)


@register(CheckMeta(
    id="backup_vault_kms_encrypted",
    title="Backup vaults encrypt recovery points with a KMS key",
    fail_title="Backup vaults without the required KMS encryption",
    service="backup", aspect="encryption_at_rest", severity=Severity.medium,
    remediation=("A vault's key is chosen when it is created: create a vault with your key (console AWS Backup > "
                 "Backup vaults > Create, Encryption key) or `aws backup create-backup-vault --backup-vault-name "
                 "NAME --encryption-key-arn KEY_ARN`, point the plans' rules at it and let old recovery points "
                 "expire."),
    iam_actions=["backup:ListBackupVaults", "kms:DescribeKey"],
    resource_type="AWS::Backup::BackupVault",
    settings={"require_customer_managed_key": False},
    notes="With require_customer_managed_key, a vault using the AWS managed key (aws/backup) fails too; "
          "its key is read with kms:DescribeKey once per distinct key.",
))
def backup_vault_kms_encrypted(scope: Scope) -> Iterator[Finding]:
    want_cmk = bool(scope.setting("require_customer_managed_key"))
    for v in vaults(scope.inv):
        if not v.encryption_key_arn:
            yield scope.failed(v.name, "no KMS encryption key is recorded for the vault", arn=v.arn,
                               evidence={"EncryptionKeyArn": None})
            continue
        evidence: dict[str, Any] = {"EncryptionKeyArn": v.encryption_key_arn}
        if want_cmk and v.vault_type == "BACKUP_VAULT":
            manager = key_manager(scope.inv, v.encryption_key_arn)
            evidence["KeyManager"] = manager
            if manager != "CUSTOMER":
                yield scope.failed(v.name, "encrypted with an AWS managed key, not a customer managed key",
                                   arn=v.arn, evidence=evidence)
                continue
        yield scope.passed(v.name, "recovery points are encrypted with a KMS key", arn=v.arn, evidence=evidence)


@register(CheckMeta(
    id="backup_vault_policy_not_public",
    title="Backup vault access policies admit neither everyone nor other accounts",
    fail_title="Backup vault access policies open to everyone or to other accounts",
    service="backup", aspect="backup_dr", severity=Severity.high,
    remediation=("Remove Allow statements for Principal \"*\" or for other accounts: console AWS Backup > Backup "
                 "vaults > vault > Access policy > Edit, or `aws backup delete-backup-vault-access-policy "
                 "--backup-vault-name NAME` / `aws backup put-backup-vault-access-policy --backup-vault-name NAME "
                 "--policy file://policy.json`. List accounts you copy backups to in the setting trusted_accounts."),
    iam_actions=["backup:ListBackupVaults", "backup:GetBackupVaultAccessPolicy"],
    resource_type="AWS::Backup::BackupVault", moto="stubber",
    settings={"trusted_accounts": []},
    notes="moto does not emulate backup:GetBackupVaultAccessPolicy.",
))
def backup_vault_policy_not_public(scope: Scope) -> Iterator[Finding]:
    trusted = {str(a) for a in scope.setting("trusted_accounts")}
    policies = vault_policies(scope.inv)
    for v in vaults(scope.inv):
        policy = policies.get(v.name)
        if not policy:
            yield scope.passed(v.name, "no access policy", arn=v.arn, evidence={"Policy": False})
            continue
        open_sids = public_statements(policy)
        foreign = [a for a in other_accounts(policy, scope.account_id) if a not in trusted]
        evidence = {"PublicStatements": open_sids, "OtherAccounts": foreign}
        if open_sids:
            yield scope.failed(v.name, f"policy allows everyone (statements {', '.join(open_sids)})",
                               arn=v.arn, evidence=evidence)
        elif foreign:
            yield scope.failed(v.name, f"policy allows other accounts: {', '.join(foreign)}",
                               arn=v.arn, evidence=evidence)
        else:
            yield scope.passed(v.name, "policy admits only this account", arn=v.arn, evidence=evidence)
