"""EFS checks on moto: encryption at rest, access point root directory and POSIX user."""
import pytest

from checks.base import Status
from tests.checks.canned import DENIED, THROTTLED, scan_with
from tests.checks.conftest import only, scan, statuses

EFS_ENC, EFS_BACKUP = "efs_filesystem_encrypted", "backup_efs_filesystem_in_plan"
ROOT, USER = "efs_accesspoint_root_directory_enforced", "efs_accesspoint_user_identity_enforced"
P, F, E = Status.PASS, Status.FAIL, Status.ERROR


def test_efs_encryption_at_rest(aws):
    efs = aws.client("efs")
    enc = efs.create_file_system(CreationToken="enc", Encrypted=True)["FileSystemId"]
    plain = efs.create_file_system(CreationToken="plain", Tags=[{"Key": "team", "Value": "data"}])["FileSystemId"]
    result = scan(aws, [EFS_ENC])
    assert statuses(result, EFS_ENC) == {enc: P, plain: F}
    assert only(result, EFS_ENC, plain).tags == {"team": "data"}
    assert only(result, EFS_ENC, plain).resource_arn.endswith(f"file-system/{plain}")


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_efs_listing_denied_or_throttled_is_an_error(aws, error):
    aws.client("efs").create_file_system(CreationToken="x")
    result = scan_with(aws, [EFS_ENC, EFS_BACKUP], canned={"efs.DescribeFileSystems": error})
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (EFS_ENC, E, error.code), (EFS_BACKUP, E, error.code)}


def test_access_points_must_pin_a_directory_and_a_posix_user(aws):
    efs = aws.client("efs")
    fs = efs.create_file_system(CreationToken="shared")["FileSystemId"]
    pinned = efs.create_access_point(
        FileSystemId=fs, PosixUser={"Uid": 1000, "Gid": 1000}, Tags=[{"Key": "team", "Value": "ml"}],
        RootDirectory={"Path": "/app", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "750"}},
    )["AccessPointId"]
    bare = efs.create_access_point(FileSystemId=fs)["AccessPointId"]

    result = scan(aws, [ROOT, USER])

    assert statuses(result, ROOT) == {pinned: P, bare: F}
    assert statuses(result, USER) == {pinned: P, bare: F}
    assert only(result, USER, pinned).evidence == {"FileSystemId": fs, "PosixUser": {"Uid": 1000, "Gid": 1000}}
    assert only(result, ROOT, pinned).tags == {"team": "ml"}
    assert result.summary.api_calls["efs.DescribeAccessPoints"] == 1  # one listing for both checks


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_access_point_listing_errors_are_errors(aws, error):
    efs = aws.client("efs")
    efs.create_access_point(FileSystemId=efs.create_file_system(CreationToken="x")["FileSystemId"])
    result = scan_with(aws, [ROOT, USER, EFS_ENC], canned={"efs.DescribeAccessPoints": error})
    assert {(f.check_id, f.status) for f in result.findings} == {(ROOT, E), (USER, E), (EFS_ENC, F)}
