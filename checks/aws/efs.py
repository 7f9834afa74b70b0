"""EFS checks: encryption at rest; access points that pin a directory and a POSIX identity."""
from __future__ import annotations

from typing import Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.efs import access_points, file_systems


@register(CheckMeta(
    id="efs_filesystem_encrypted",
    title="EFS file systems are encrypted at rest",
    fail_title="EFS file systems are not encrypted at rest",
    service="efs", aspect="encryption_at_rest", severity=Severity.medium,
    frameworks={"cis": ["2.3.1"], "fsbp": ["EFS.1"]},
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


ACCESS_POINT = "AWS::EFS::AccessPoint"


@register(CheckMeta(
    id="efs_accesspoint_root_directory_enforced",
    title="EFS access points confine clients to a directory below the root",
    fail_title="EFS access points that expose the file system root",
    service="efs", aspect="data_protection", severity=Severity.medium,
    frameworks={"fsbp": ["EFS.3"]},
    remediation=("An access point's root directory is set when it is created: create one with a directory "
                 "(console EFS > Access points > Create, Root directory path, or `aws efs create-access-point "
                 "--file-system-id FS_ID --root-directory 'Path=/app,CreationInfo={OwnerUid=1000,OwnerGid=1000,"
                 "Permissions=750}'`), move clients to it and delete the old one."),
    iam_actions=["elasticfilesystem:DescribeAccessPoints"], resource_type=ACCESS_POINT,
))
def efs_accesspoint_root_directory_enforced(scope: Scope) -> Iterator[Finding]:
    for ap in access_points(scope.inv):
        kw = {"arn": ap.arn, "tags": ap.tags, "evidence": {"FileSystemId": ap.file_system_id, "Path": ap.root_path}}
        if ap.root_path.rstrip("/"):
            yield scope.passed(ap.access_point_id, f"clients are confined to {ap.root_path}", **kw)
        else:
            yield scope.failed(ap.access_point_id, "clients see the whole file system (root directory /)", **kw)


@register(CheckMeta(
    id="efs_accesspoint_user_identity_enforced",
    title="EFS access points enforce a POSIX user identity",
    fail_title="EFS access points that let clients choose their own user identity",
    service="efs", aspect="iam", severity=Severity.medium,
    frameworks={"fsbp": ["EFS.4"]},
    remediation=("The enforced user is set when an access point is created: create one with a POSIX user "
                 "(console EFS > Access points > Create, POSIX user, or `aws efs create-access-point "
                 "--file-system-id FS_ID --posix-user Uid=1000,Gid=1000`), move clients and delete the old one."),
    iam_actions=["elasticfilesystem:DescribeAccessPoints"], resource_type=ACCESS_POINT,
))
def efs_accesspoint_user_identity_enforced(scope: Scope) -> Iterator[Finding]:
    for ap in access_points(scope.inv):
        kw = {"arn": ap.arn, "tags": ap.tags,
              "evidence": {"FileSystemId": ap.file_system_id, "PosixUser": ap.posix_user}}
        if ap.posix_user:
            yield scope.passed(ap.access_point_id, f"enforces uid {ap.posix_user.get('Uid')} gid "
                               f"{ap.posix_user.get('Gid')}", **kw)
        else:
            yield scope.failed(ap.access_point_id, "no POSIX user is enforced", **kw)
