import json

import boto3
import pytest
from botocore.stub import Stubber
from freezegun import freeze_time
from moto import mock_aws

from checks.aws.iam import admin_statements, password_policy_problems
from checks.base import Status
from checks.inventory.iam import parse_credential_report, report_time
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

ROOT_MFA, ROOT_KEYS = "iam_root_mfa_enabled", "iam_root_access_keys_absent"
CONSOLE_MFA, PASSWORD = "iam_user_console_mfa_enabled", "iam_password_policy_strong"
ROTATED, UNUSED = "iam_access_keys_rotated_90_days", "iam_credentials_unused_45_days_disabled"
ADMIN, USER_POLICIES, SUPPORT = "iam_policy_no_full_admin_attached", "iam_user_no_attached_policies", "iam_support_role_exists"
REPORT_CHECKS = [CONSOLE_MFA, ROTATED, UNUSED]
ALL = [ROOT_MFA, ROOT_KEYS, *REPORT_CHECKS, PASSWORD, ADMIN, USER_POLICIES, SUPPORT]
HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
          "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n")
# Real AWS always has this row; moto never emits it.
ROOT_ROW = (f"<root_account>,arn:aws:iam::{ACCOUNT_ID}:root,2020-01-01T00:00:00+00:00,not_supported,"
            "2024-04-30T00:00:00+00:00,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,"
            "N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
BOB_ROW = (f"bob,arn:aws:iam::{ACCOUNT_ID}:user/bob,2024-04-01T00:00:00+00:00,true,no_information,"
           "2024-04-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")


@pytest.fixture
def aws_with_managed_policies():
    """Like `aws`, but with AWS-managed policies (AWSSupportAccess) loaded; moto skips them by default."""
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield boto3.Session(region_name=REGION)


def stubbed_run(aws, check_ids, responses):
    """Run checks against an IAM client whose answers are scripted with Stubber."""
    real = aws.client("iam")
    stub = Stubber(real)
    for op, kind, payload in responses:
        if kind == "ok":
            stub.add_response(op, payload)
        else:
            stub.add_client_error(op, service_error_code=payload, service_message="scripted", http_status_code=403)
    stub.activate()
    target = Target("t", ACCOUNT_ID, aws, ["us-east-1"], client_factory=lambda s, r: real)
    return run(select(check_ids), [target], max_workers=1)


def report(*rows):
    return [("generate_credential_report", "ok", {"State": "COMPLETE"}),
            ("get_credential_report", "ok", {"Content": (HEADER + "".join(rows)).encode(), "ReportFormat": "text/csv"})]


def console_user(iam, name, *, mfa=False, key=False):
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
    return iam.create_access_key(UserName=name)["AccessKey"] if key else None


# -- root (moto reports AccountMFAEnabled=0 and no root keys, always) ---------------------------
def test_root_without_mfa_fails_and_without_keys_passes(aws):
    result = scan(aws, [ROOT_MFA, ROOT_KEYS])
    mfa, keys = only(result, ROOT_MFA, ACCOUNT_ID), only(result, ROOT_KEYS, ACCOUNT_ID)
    assert (mfa.status, keys.status) == (Status.FAIL, Status.PASS)
    assert mfa.evidence == {"AccountMFAEnabled": 0} and keys.evidence == {"AccountAccessKeysPresent": 0}
    assert mfa.region == "global" and mfa.resource_arn == f"arn:aws:iam::{ACCOUNT_ID}:root"


def test_root_with_mfa_passes_and_with_keys_fails_stubbed(aws):
    # moto cannot give the root user an MFA device or access keys: script the summary instead.
    summary = {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1, "Users": 0}}
    result = stubbed_run(aws, [ROOT_MFA, ROOT_KEYS], [("get_account_summary", "ok", summary)])
    assert statuses(result, ROOT_MFA) == {ACCOUNT_ID: Status.PASS}
    assert statuses(result, ROOT_KEYS) == {ACCOUNT_ID: Status.FAIL}
    assert result.summary.api_calls == {"iam.GetAccountSummary": 1}


# -- credential report ---------------------------------------------------------------------------
def test_console_users_need_mfa_and_api_only_users_are_skipped(aws):
    iam = aws.client("iam")
    console_user(iam, "alice", mfa=True)
    console_user(iam, "bob")
    iam.create_user(UserName="robot")  # no password: not a console user
    result = scan(aws, [CONSOLE_MFA])
    assert statuses(result, CONSOLE_MFA) == {"alice": Status.PASS, "bob": Status.FAIL}
    assert only(result, CONSOLE_MFA, "bob").evidence == {"password_enabled": True, "mfa_active": False}


def test_access_keys_older_than_90_days_fail(aws):
    iam = aws.client("iam")
    with freeze_time("2024-01-01"):
        iam.create_user(UserName="old")
        iam.create_access_key(UserName="old")
        iam.create_user(UserName="parked")
        parked = iam.create_access_key(UserName="parked")["AccessKey"]["AccessKeyId"]
        iam.update_access_key(UserName="parked", AccessKeyId=parked, Status="Inactive")
    with freeze_time("2024-05-01"):
        iam.create_user(UserName="new")
        iam.create_access_key(UserName="new")
        result = scan(aws, [ROTATED])
    assert statuses(result, ROTATED) == {"old/access_key_1": Status.FAIL, "new/access_key_1": Status.PASS}
    old = only(result, ROTATED, "old/access_key_1")
    assert old.evidence == {"active": True, "last_rotated": "2024-01-01T00:00:00+00:00", "max_age_days": 90}
    assert "121 days" in old.reason and old.resource_type == "AWS::IAM::AccessKey"


def test_credentials_unused_for_45_days_fail(aws):
    iam = aws.client("iam")
    with freeze_time("2024-01-01"):
        console_user(iam, "stale", key=True)  # password and key never used since Jan 1
        busy = console_user(iam, "busy", key=True)
        iam.create_user(UserName="nocreds")
    with freeze_time("2024-02-20"):  # use busy's key: moto records the last-used date
        aws.client("sts", aws_access_key_id=busy["AccessKeyId"],
                   aws_secret_access_key=busy["SecretAccessKey"]).get_caller_identity()
    with freeze_time("2024-03-01"):
        console_user(iam, "fresh")
        result = scan(aws, [UNUSED])
    # busy's password was never used either, so only its key is fresh
    assert statuses(result, UNUSED) == {"stale": Status.FAIL, "busy": Status.FAIL,
                                        "fresh": Status.PASS, "nocreds": Status.PASS}
    stale = only(result, UNUSED, "stale").evidence
    assert stale["max_unused_days"] == 45
    assert stale["stale"] == [
        {"credential": "password", "basis": "never_used", "since": "2024-01-01T00:00:00+00:00"},
        {"credential": "access_key_1", "basis": "never_used", "since": "2024-01-01T00:00:00+00:00"},
    ]
    assert [s["credential"] for s in only(result, UNUSED, "busy").evidence["stale"]] == ["password"]
    assert only(result, UNUSED, "nocreds").evidence["credentials"] == []


@freeze_time("2024-05-01")
def test_root_row_and_na_markers_from_a_real_report_are_handled(aws):
    key_row = (f"carol,arn:aws:iam::{ACCOUNT_ID}:user/carol,2023-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,"
               "true,2024-04-20T00:00:00+00:00,2024-04-30T10:00:00+00:00,us-east-1,s3,"
               "true,2023-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n")
    result = stubbed_run(aws, REPORT_CHECKS, report(ROOT_ROW, BOB_ROW, key_row))
    assert statuses(result, CONSOLE_MFA) == {"bob": Status.FAIL}  # root's "not_supported" password: skipped
    assert statuses(result, ROTATED) == {"carol/access_key_1": Status.PASS, "carol/access_key_2": Status.FAIL}
    assert statuses(result, UNUSED) == {"bob": Status.PASS, "carol": Status.FAIL}
    assert only(result, UNUSED, "carol").evidence["stale"] == [
        {"credential": "access_key_2", "basis": "never_used", "since": "2023-01-01T00:00:00+00:00"}]
    assert result.summary.api_calls == {"iam.GenerateCredentialReport": 1, "iam.GetCredentialReport": 1}


def test_report_in_progress_is_waited_for(aws):
    steps = [("generate_credential_report", "ok", {"State": "STARTED"}),
             ("get_credential_report", "err", "ReportInProgress"),
             *report(BOB_ROW)[1:]]
    result = stubbed_run(aws, [CONSOLE_MFA], steps)
    assert statuses(result, CONSOLE_MFA) == {"bob": Status.FAIL}


def test_report_access_denied_is_one_error_per_check_not_a_pass(aws):
    result = stubbed_run(aws, REPORT_CHECKS, [("generate_credential_report", "err", "AccessDenied")])
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (c, Status.ERROR, "AccessDenied") for c in REPORT_CHECKS}
    assert result.summary.api_calls == {"iam.GenerateCredentialReport": 1}  # the failure is memoised


def test_report_parsing_markers():
    assert report_time("N/A") is report_time("no_information") is report_time("not_supported") is None
    assert report_time("2024-01-01T00:00:00+00:00").isoformat() == "2024-01-01T00:00:00+00:00"
    root, bob = parse_credential_report((HEADER + ROOT_ROW + BOB_ROW).encode())
    assert root.is_root and not root.password_enabled and root.active_keys[0].slot == "access_key_1"
    assert not bob.is_root and bob.password_last_used_at is None and bob.active_keys == []


# -- password policy -----------------------------------------------------------------------------
def test_missing_password_policy_fails(aws):
    f = only(scan(aws, [PASSWORD]), PASSWORD, ACCOUNT_ID)
    assert f.status is Status.FAIL and f.reason == "no password policy"
    assert f.evidence["PasswordPolicy"] is None


@pytest.mark.parametrize("length,reuse,status", [(14, 24, Status.PASS), (8, 24, Status.FAIL), (14, 5, Status.FAIL)])
def test_password_policy_length_and_reuse(aws, length, reuse, status):
    aws.client("iam").update_account_password_policy(MinimumPasswordLength=length, PasswordReusePrevention=reuse)
    f = only(scan(aws, [PASSWORD]), PASSWORD, ACCOUNT_ID)
    assert f.status is status
    assert (f.evidence["MinimumPasswordLength"], f.evidence["PasswordReusePrevention"]) == (length, reuse)


def test_password_expiry_only_judged_when_required():
    strong = {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "ExpirePasswords": False}
    assert password_policy_problems(strong) == []
    assert password_policy_problems(strong, max_age=90) == ["passwords never expire (required <= 90 days)"]
    assert password_policy_problems({**strong, "ExpirePasswords": True, "MaxPasswordAge": 90}, max_age=90) == []
    assert password_policy_problems({**strong, "ExpirePasswords": True, "MaxPasswordAge": 365}, max_age=90) == [
        "passwords expire after 365 days > 90"]


def test_password_policy_access_denied_is_an_error_not_missing(aws):
    result = stubbed_run(aws, [PASSWORD], [("get_account_password_policy", "err", "AccessDenied")])
    [f] = result.findings
    assert (f.status, f.error_code) == (Status.ERROR, "AccessDenied")


# -- policies, users, support role ---------------------------------------------------------------
def _policy(iam, name, *statements):
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]


def test_attached_full_admin_policies_fail(aws):
    iam = aws.client("iam")
    iam.create_group(GroupName="ops")
    admin = _policy(iam, "admin", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    listy = _policy(iam, "listy", {"Sid": "All", "Effect": "Allow", "Action": ["s3:*", "*"], "Resource": ["*"]})
    narrow = _policy(iam, "narrow", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                     {"Effect": "Deny", "Action": "*", "Resource": "*"})
    _policy(iam, "unattached", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    for arn in (admin, listy, narrow):
        iam.attach_group_policy(GroupName="ops", PolicyArn=arn)
    result = scan(aws, [ADMIN])
    assert statuses(result, ADMIN) == {"admin": Status.FAIL, "listy": Status.FAIL, "narrow": Status.PASS}
    assert only(result, ADMIN, "listy").evidence == {"default_version": "v1", "admin_statements": ["All"]}
    assert only(result, ADMIN, "admin").resource_arn == admin


def test_admin_statement_forms():
    assert admin_statements({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}) == ["0"]
    assert admin_statements({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}]}) == []
    assert admin_statements({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}) == []


def test_users_with_direct_policies_fail(aws):
    iam = aws.client("iam")
    for name in ("direct", "inline", "clean"):
        iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": name}])
    read = _policy(iam, "read", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    iam.attach_user_policy(UserName="direct", PolicyArn=read)
    iam.put_user_policy(UserName="inline", PolicyName="extra", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    result = scan(aws, [USER_POLICIES])
    assert statuses(result, USER_POLICIES) == {"direct": Status.FAIL, "inline": Status.FAIL, "clean": Status.PASS}
    assert only(result, USER_POLICIES, "direct").evidence["attached_policies"] == [read]
    assert only(result, USER_POLICIES, "inline").evidence["inline_policies"] == ["extra"]
    assert only(result, USER_POLICIES, "clean").tags == {"team": "clean"}


def test_support_role(aws_with_managed_policies):
    aws = aws_with_managed_policies
    assert statuses(scan(aws, [SUPPORT]), SUPPORT) == {ACCOUNT_ID: Status.FAIL}
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="support", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="support", PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")
    f = only(scan(aws, [SUPPORT]), SUPPORT, ACCOUNT_ID)
    assert f.status is Status.PASS and f.evidence == {"support_roles": ["support"], "count": 1}


# -- the whole module ----------------------------------------------------------------------------
def test_full_scan_calls_each_api_once_and_declares_it(aws):
    iam = aws.client("iam")
    console_user(iam, "alice", key=True)
    result = scan(aws, ALL)
    assert not result.summary.errors
    assert result.summary.duplicate_calls == 0
    declared = {a for c in select(ALL) for a in c.meta.iam_actions}
    called = {name.replace("iam.", "iam:") for name in result.summary.api_calls}
    assert called <= declared, called - declared
    assert result.summary.api_calls["iam.GenerateCredentialReport"] == 1
    assert result.summary.api_calls["iam.GetCredentialReport"] == 1
