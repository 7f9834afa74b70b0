"""`srm check`, `srm checks`, `srm iam-policy` through click's CliRunner against in-process moto."""
from __future__ import annotations

import csv
import io
import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from bot.cli import main
from bot.cli.scan import exit_code
from bot.exports.tabular import CSV_FIELDS
from checks.base import Check as CheckObj
from checks.base import CheckMeta, Finding, Severity, Status
from checks.policy import is_read_only, least_privilege_policy
from checks.registry import load_all

ROTATION = "kms_key_rotation_enabled"  # medium severity
ACCOUNT_ID = "123456789012"
OTHER = "111122223333"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("SRM_CONFIG", raising=False)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


@pytest.fixture
def stale_key(aws):
    return aws.client("kms").create_key(Description="no rotation")["KeyMetadata"]["KeyId"]


def srm(*args: str):
    return CliRunner().invoke(main, list(args))


def config(tmp_path, monkeypatch, body: str):
    path = tmp_path / "srm.yml"
    path.write_text(body)
    monkeypatch.setenv("SRM_CONFIG", str(path))


# -- srm check ------------------------------------------------------------------------------
def test_json_is_a_list_of_findings_and_nothing_else(stale_key):
    r = srm("check", ROTATION, "--format", "json")
    assert r.exit_code == 0, r.output  # medium FAIL is below the default --fail-on high
    [f] = json.loads(r.stdout)
    assert f["check_id"] == ROTATION and f["resource_id"] == stale_key
    assert (f["status"], f["severity"], f["account_id"], f["region"]) == ("FAIL", "medium", ACCOUNT_ID, "us-east-1")
    assert f["evidence"] == {"KeyRotationEnabled": False, "KeySpec": "SYMMETRIC_DEFAULT"}
    assert len(f["fingerprint"]) == 16 and f["resource_arn"].endswith(stale_key)
    assert "API calls" in r.stderr and "scanning" not in r.stderr  # summary only; no progress bar when piped


def test_fail_on_sets_the_exit_code(stale_key):
    assert srm("check", ROTATION, "--format", "json", "--fail-on", "medium").exit_code == 1
    assert srm("check", ROTATION, "--format", "json", "--fail-on", "low").exit_code == 1
    assert srm("check", ROTATION, "--format", "json", "--fail-on", "high").exit_code == 0
    assert srm("check", ROTATION, "--format", "json", "--fail-on", "never").exit_code == 0


def test_clean_scan_exits_zero(aws):
    key = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    aws.client("kms").enable_key_rotation(KeyId=key)
    r = srm("check", "--service", "kms", "--fail-on", "low", "--format", "json")
    assert r.exit_code == 0
    assert [(f["resource_id"], f["status"]) for f in json.loads(r.stdout)] == [(key, "PASS")]


def test_csv_has_the_header_and_one_row_per_finding(stale_key, aws):
    aws.client("kms").create_key()
    r = srm("check", ROTATION, "--format", "csv")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) == 3
    by_id = {row[CSV_FIELDS.index("resource_id")]: dict(zip(CSV_FIELDS, row)) for row in rows[1:]}
    assert by_id[stale_key]["status"] == "FAIL"
    assert json.loads(by_id[stale_key]["evidence"])["KeyRotationEnabled"] is False


def test_table_lists_failures_and_the_run_summary(stale_key):
    r = srm("check", ROTATION, "--fail-on", "medium")
    assert r.exit_code == 1
    assert ROTATION in r.stdout and stale_key in r.stdout and "FAIL" in r.stdout
    assert "PASS findings: 0" in r.stdout
    assert "1 checks, 1 scopes, 1 account(s)" in r.stdout and "API calls (0 duplicate)" in r.stdout


def test_aspect_and_region_select_what_runs(stale_key):
    r = srm("check", "--aspect", "key_management", "--region", "eu-west-1", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []  # the key lives in us-east-1


@pytest.mark.parametrize("args, message", [
    (["nope_such_check"], "unknown check id(s): nope_such_check"),
    (["kms_key_rotaton"], "did you mean kms_key_rotation_enabled?"),
    (["kms"], "did you mean --service kms?"),
    (["--aspect", "nope"], "no check guards aspect 'nope'"),
    (["--service", "nope"], "no check for service 'nope'"),
    ([], "name check id(s), --aspect, --service or --all"),
    (["--all", ROTATION], "give check ids or --all, not both"),
    (["--all", "--region", "mars-1"], "does not look like an AWS region"),
    (["--all", "--account", "prod"], "unknown account 'prod'; choose one of: default (123456789012)"),
    (["--all", "--format", "xml"], "Invalid value for '--format'"),
])
def test_usage_errors_exit_2_with_one_clear_message(aws, args, message):
    r = srm("check", *args)
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output


def test_config_accounts_and_account_filter(aws, tmp_path, monkeypatch):
    config(tmp_path, monkeypatch, f"""
aws:
  accounts:
    - name: prod
      assume_role_arn: arn:aws:iam::{OTHER}:role/srm-readonly
    - name: dev
      assume_role_arn: arn:aws:iam::222233334444:role/srm-readonly
  regions: [us-east-1]
""")
    r = srm("check", ROTATION, "--account", "prod", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    assert "1 account(s)" in r.stderr
    r = srm("check", ROTATION, "--account", "qa")
    assert r.exit_code == 2
    assert "unknown account 'qa'; choose one of: dev (222233334444), prod (111122223333)" in r.output


def test_broken_config_exits_2_without_traceback(aws, tmp_path, monkeypatch):
    config(tmp_path, monkeypatch, "aws:\n  regionz: [us-east-1]\n")
    r = srm("check", "--all")
    assert r.exit_code == 2
    assert "srm.yml" in r.output and "regionz" in r.output and "Traceback" not in r.output


def test_no_credentials_exits_2_with_one_line(monkeypatch):
    monkeypatch.delenv("SRM_CONFIG", raising=False)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    r = srm("check", ROTATION)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: NoCredentialsError") and r.stderr.count("\n") == 1


def _finding(status: Status, severity: Severity) -> Finding:
    return Finding(check_id="x_y_z", account_id=ACCOUNT_ID, region="us-east-1", resource_type="T",
                   resource_id="r", status=status, reason="r", severity=severity)


def test_exit_code_counts_fail_and_error_at_or_above_the_bar():
    high_error = [_finding(Status.ERROR, Severity.high)]
    assert exit_code(high_error, "high") == 1  # an ERROR is never a pass
    assert exit_code(high_error, "critical") == 0
    assert exit_code([_finding(Status.PASS, Severity.critical)], "low") == 0
    assert exit_code([_finding(Status.FAIL, Severity.low)], "low") == 1
    assert exit_code([_finding(Status.FAIL, Severity.critical)], "never") == 0


# -- srm checks / srm iam-policy ------------------------------------------------------------
def test_checks_json_lists_the_registry():
    r = srm("checks", "--format", "json")
    assert r.exit_code == 0
    listed = json.loads(r.stdout)
    assert [c["id"] for c in listed] == sorted(load_all())
    kms = next(c for c in listed if c["id"] == ROTATION)
    assert (kms["severity"], kms["aspect"], kms["service"], kms["moto"]) == (
        "medium", "key_management", "kms", "supported")
    assert kms["frameworks"] == {"cis": ["3.6"]}  # KMS.4 is a CIS/NIST control, not FSBP


def test_checks_table_shows_id_severity_aspect_service_frameworks():
    r = srm("checks")
    assert r.exit_code == 0
    line = next(ln for ln in r.stdout.splitlines() if ROTATION in ln)
    for cell in ("medium", "key_management", "kms", "cis 3.6", "supported"):
        assert cell in line
    assert f"{len(load_all())} checks" in r.stdout


def test_iam_policy_is_the_read_only_union_without_assume_role():
    r = srm("iam-policy")
    assert r.exit_code == 0
    policy = json.loads(r.stdout)
    [stmt] = policy["Statement"]
    assert policy["Version"] == "2012-10-17" and stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    actions = stmt["Action"]
    assert actions == sorted(set(actions))
    declared = {a for c in load_all().values() for a in c.meta.iam_actions}
    assert declared <= set(actions)
    assert {"kms:ListKeys", "sts:GetCallerIdentity", "organizations:ListAccounts", "ec2:DescribeRegions"} <= set(actions)
    assert "sts:AssumeRole" not in actions
    assert all(is_read_only(a) for a in actions)


def test_policy_refuses_a_write_action():
    meta = CheckMeta(id="s3_bucket_fixer_bad", title="t", service="s3", aspect="iam", severity=Severity.low,
                     remediation="n/a", iam_actions=["s3:ListAllMyBuckets", "s3:PutBucketPolicy"],
                     resource_type="AWS::S3::Bucket")
    with pytest.raises(ValueError, match="s3:PutBucketPolicy"):
        least_privilege_policy([CheckObj(meta, lambda s: [])])
    assert is_read_only("iam:GenerateCredentialReport") and is_read_only("cloudtrail:LookupEvents")
    assert not is_read_only("iam:GenerateOrganizationsAccessReport") and not is_read_only("ec2:RunInstances")
