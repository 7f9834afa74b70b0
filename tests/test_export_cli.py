"""`srm check --format ...` and `srm export --run ...` through the CLI: moto in-process, a real SQLite file."""
from __future__ import annotations

import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from bot.cli import main

KMS = "kms_key_rotation_enabled"
ACCOUNT = "123456789012"


@pytest.fixture
def env(tmp_path, monkeypatch):
    for var in ("SRM_CONFIG", "SRM_DB", "SRM_OWNERS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def srm(*args: str):
    return CliRunner().invoke(main, list(args))


def test_check_writes_each_format(env):
    with mock_aws():
        key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
        sarif = srm("check", KMS, "--region", "us-east-1", "--format", "sarif")
        assert sarif.exit_code == 0, sarif.output
        [result] = json.loads(sarif.stdout)["runs"][0]["results"]
        assert result["ruleId"] == KMS and result["partialFingerprints"]["srmFindingId/v1"].endswith(key)
        out = env / "report.html"
        r = srm("check", KMS, "--region", "us-east-1", "--format", "html", "-o", str(out))
        assert r.exit_code == 0 and f"wrote {out}" in r.stderr
        assert key in out.read_text() and "<table>" in out.read_text()


def test_export_reads_a_stored_run(env):
    db = str(env / "srm.db")
    assert srm("export", "--format", "json", "--db", db).exit_code == 2  # nothing recorded yet
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        assert srm("scan", "--check", KMS, "--region", "us-east-1", "--db", db).exit_code == 0
        kms.enable_key_rotation(KeyId=key)
        assert srm("scan", "--check", KMS, "--region", "us-east-1", "--db", db).exit_code == 0

    runs = srm("runs", "--db", db)
    assert runs.exit_code == 0 and len(runs.output.strip().splitlines()) == 2
    latest = srm("export", "--format", "ocsf", "--db", db)
    assert latest.exit_code == 0, latest.output
    [event] = [ComplianceFinding.model_validate(d) for d in json.loads(latest.stdout)]
    assert event.compliance.status_id.name == "Pass" and event.finding_info.uid == f"{ACCOUNT}/us-east-1/{KMS}/{key}"

    first = srm("export", "--run", "1", "--format", "asff", "--db", db)
    assert first.exit_code == 0 and json.loads(first.stdout) == []  # the key was recorded again by run 2
    assert "not the newest" in first.stderr
    bad = srm("export", "--run", "99", "--format", "csv", "--db", db)
    assert bad.exit_code == 2 and "no stored run 99 (newest: 2)" in bad.output
