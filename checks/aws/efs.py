"""EFS checks: encryption at rest."""
from __future__ import annotations

from typing import Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.efs import file_systems


@register(CheckMeta(
    id="efs_filesystem_encrypted",
    title="EFS file systems are encrypted at rest",
    fail_title="EFS file systems are not encrypted at rest",
    service="efs", aspect="encryption_at_rest", severity=Severity.medium,
    frameworks={"cis": ["2.3.1"], "fsbp": ["EFS.1", "EFS.8"]},
    remediation=("Encryption at rest is fixed at creation: create an encrypted file system (console EFS > Create "
                 "file system > Customize > Enable encryption of data at rest, or `aws efs create-file-system "
                 "--encrypted --kms-key-id KEY_ID --creation-token TOKEN`), copy the data (e.g. AWS DataSync) and "
                 "delete the old one."),
    iam_actions=["elasticfilesystem:DescribeFileSystems"],
    resource_type="AWS::EFS::FileSystem",
))
def efs_filesystem_encrypted(scope: Scope) -> Iterator[Finding]:
    for fs in file_systems(scope.inv):
        evidence = {"Encrypted": fs.encrypted, "KmsKeyId": fs.kms_key_id or None}
        if fs.encrypted:
            yield scope.passed(fs.file_system_id, "encrypted at rest with KMS", arn=fs.arn, tags=fs.tags,
                               evidence=evidence)
        else:
            yield scope.failed(fs.file_system_id, "not encrypted at rest", arn=fs.arn, tags=fs.tags,
                               evidence=evidence)
