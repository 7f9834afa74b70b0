"""Security Hub push on moto: import FAIL findings, fix a resource, re-scan, see it resolved, no duplicate.

moto implements BatchImportFindings (upsert by Id) and GetFindings (without filters), but not
BatchUpdateFindings. The e2e test therefore applies BatchUpdateFindings's workflow change to moto's
own store through a botocore ``before-call`` hook (the Stubber's mechanism), recording each call;
partial failures, which moto cannot produce, are tested with the Stubber.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import botocore.handlers
import pytest
import yaml
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from click.testing import CliRunner
from moto import mock_aws
from moto.securityhub.models import securityhub_backends

from bot.cli import main
from bot.exports import ExportInput
from bot.securityhub import BATCH_SIZE, SecurityHubPusher
from checks.base import Finding, Status
from checks.registry import load_all

KMS = "kms_key_rotation_enabled"
ACCOUNT = "123456789012"
REGION = "us-east-1"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def workflow_updates(monkeypatch):
    """BatchUpdateFindings on moto: set the workflow on moto's stored findings; record each call."""
    calls: list[dict] = []

    def batch_update_findings(params, **_):
        params = json.loads(params["body"])  # the serialized request
        calls.append(params)
        ids = {i["Id"] for i in params["FindingIdentifiers"]}
        arn = params["FindingIdentifiers"][0]["ProductArn"]
        _, _, _, region, account = arn.split(":")[:5]
        for stored in securityhub_backends[account][region].findings:
            if stored.id in ids:
                stored.data["Workflow"] = dict(params["Workflow"])
        processed = [{"Id": i, "ProductArn": arn} for i in sorted(ids)]
        return AWSResponse("", 200, {}, None), {"ProcessedFindings": processed, "UnprocessedFindings": []}

    hook = ("before-call.securityhub.BatchUpdateFindings", batch_update_findings)
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, hook])
    return calls


@pytest.fixture
def env(tmp_path, monkeypatch):
    for var in ("SRM_CONFIG", "SRM_DB", "SRM_OWNERS"):
        monkeypatch.delenv(var, raising=False)
    cfg = tmp_path / "srm.yml"
    cfg.write_text(yaml.safe_dump({"aws": {"regions": [REGION]}, "securityhub": {"push_after_scan": True}}))
    monkeypatch.setenv("SRM_CONFIG", str(cfg))
    return tmp_path


def srm(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def hub_findings() -> dict[str, dict]:
    return {f.id: f.data for f in securityhub_backends[ACCOUNT][REGION].findings}


def test_push_fix_rescan_resolves_without_duplicates(env, workflow_updates):
    db = str(env / "srm.db")
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        fixed = kms.create_key(Description="will rotate")["KeyMetadata"]["KeyId"]
        stays = kms.create_key(Description="stays stale")["KeyMetadata"]["KeyId"]

        code, out = srm("scan", "--check", KMS, "--db", db)
        assert code == 0, out
        assert "Security Hub: 2 imported, 0 resolved in 1 account(s), 1 region(s)" in out
        hub = hub_findings()
        fixed_id, stays_id = (f"{ACCOUNT}/{REGION}/{KMS}/{k}" for k in (fixed, stays))
        assert set(hub) == {fixed_id, stays_id}
        assert {d["RecordState"] for d in hub.values()} == {"ACTIVE"}
        assert {d["Compliance"]["Status"] for d in hub.values()} == {"FAILED"}
        created = hub[stays_id]["CreatedAt"]

        kms.enable_key_rotation(KeyId=fixed)
        code, out = srm("scan", "--check", KMS, "--db", db)
        assert "Security Hub: 1 imported, 1 resolved" in out, out

        hub = hub_findings()
        assert len(securityhub_backends[ACCOUNT][REGION].findings) == 2  # updated in place, never duplicated
        assert (hub[fixed_id]["RecordState"], hub[fixed_id]["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
        assert hub[fixed_id]["Workflow"] == {"Status": "RESOLVED"}
        assert (hub[stays_id]["RecordState"], hub[stays_id]["Compliance"]["Status"]) == ("ACTIVE", "FAILED")
        assert hub[stays_id]["CreatedAt"] == created  # the first import's time survives updates
        assert [[i["Id"] for i in c["FindingIdentifiers"]] for c in workflow_updates] == [[fixed_id]]

        # pushing the same stored run again changes nothing and resolves nothing twice
        code, out = srm("securityhub", "push", "--db", db)
        assert code == 0 and "1 imported, 0 resolved" in out
        assert len(securityhub_backends[ACCOUNT][REGION].findings) == 2 and len(workflow_updates) == 1


def test_pushing_an_older_run_pushes_the_current_state_of_its_scopes(env, workflow_updates):
    """Run 2 re-recorded the failing key; pushing run 1 must not take it for gone."""
    db = str(env / "srm.db")
    with mock_aws():
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
        srm("scan", "--check", KMS, "--db", db)
        srm("scan", "--check", KMS, "--db", db)
        code, out = srm("securityhub", "push", "--run", "1", "--db", db)
        assert code == 0 and "1 imported, 0 resolved" in out, out
        assert hub_findings()[f"{ACCOUNT}/{REGION}/{KMS}/{key}"]["RecordState"] == "ACTIVE"
        assert workflow_updates == []


def test_a_deleted_resource_is_resolved_too(env, workflow_updates):
    db = str(env / "srm.db")
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        key = kms.create_key(Description="stale")["KeyMetadata"]["KeyId"]
        srm("scan", "--check", KMS, "--db", db)
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)  # the check skips keys pending deletion
        code, out = srm("scan", "--check", KMS, "--db", db)
        hub = hub_findings()[f"{ACCOUNT}/{REGION}/{KMS}/{key}"]
        assert hub["RecordState"] == "ARCHIVED" and hub["Workflow"] == {"Status": "RESOLVED"}, out


# -- unit: batches and partial failures ---------------------------------------------------------
def fails(n: int) -> ExportInput:
    meta = load_all()[KMS].meta
    findings = [Finding(check_id=KMS, account_id=ACCOUNT, region=REGION, resource_type=meta.resource_type,
                        resource_id=f"key-{i:04d}", status=Status.FAIL, reason="rotation off", severity=meta.severity)
                for i in range(n)]
    return ExportInput(findings=findings, metas={KMS: meta}, generated_at=NOW)


class CountingClient:
    """A real moto client that remembers the size of each import batch."""

    def __init__(self, client):
        self.client, self.batches = client, []

    def batch_import_findings(self, **kw):
        self.batches.append(len(kw["Findings"]))
        return self.client.batch_import_findings(**kw)

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_imports_go_in_batches_of_100():
    with mock_aws():
        spy = CountingClient(boto3.client("securityhub", region_name=REGION))
        report = SecurityHubPusher(lambda a, r: spy).push(fails(250))
        assert spy.batches == [BATCH_SIZE, BATCH_SIZE, 50] and report.imported == 250 and report.ok
        assert len(securityhub_backends[ACCOUNT][REGION].findings) == 250


def _stubbed():
    client = boto3.client("securityhub", region_name=REGION)
    return client, Stubber(client)


def test_partial_failures_are_retried_then_succeed():
    client, stub = _stubbed()
    inp = fails(3)
    stub.add_response("get_findings", {"Findings": []})
    bad = f"{ACCOUNT}/{REGION}/{KMS}/key-0001"
    stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 2, "FailedFindings": [
        {"Id": bad, "ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]})
    stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []})
    sleeps: list[float] = []
    with stub:
        report = SecurityHubPusher(lambda a, r: client, sleep=sleeps.append).push(inp)
    stub.assert_no_pending_responses()
    assert (report.imported, report.retried, report.failed, sleeps) == (3, 1, [], [1.0])


def test_findings_that_keep_failing_are_reported_not_dropped():
    client, stub = _stubbed()
    bad = f"{ACCOUNT}/{REGION}/{KMS}/key-0000"
    stub.add_response("get_findings", {"Findings": []})
    for _ in range(3):
        stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
            {"Id": bad, "ErrorCode": "InvalidInput", "ErrorMessage": "bad field"}]})
    with stub:
        report = SecurityHubPusher(lambda a, r: client, sleep=lambda s: None).push(fails(1))
    assert not report.ok and [(f.finding_id, f.code) for f in report.failed] == [(bad, "InvalidInput")]
    assert report.imported == 0 and report.retried == 2 and "1 FAILED (InvalidInput)" in report.line()


def test_an_access_denied_account_is_reported_and_the_rest_go_on():
    client, stub = _stubbed()
    stub.add_client_error("get_findings", "AccessDeniedException", "no securityhub:GetFindings")
    with stub:
        report = SecurityHubPusher(lambda a, r: client).push(fails(1))
    assert [(f.code, f.finding_id) for f in report.failed] == [("AccessDeniedException", "*")]


def test_an_error_scope_resolves_nothing():
    """An ERROR finding in a scope means we could not tell: its active findings stay active."""
    client, stub = _stubbed()
    meta = load_all()[KMS].meta
    existing_id = f"{ACCOUNT}/{REGION}/{KMS}/key-0000"
    doc = {"Id": existing_id, "ProductArn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default",
           "GeneratorId": f"srm-bot/{KMS}", "RecordState": "ACTIVE", "AwsAccountId": ACCOUNT,
           "SchemaVersion": "2018-10-08", "Types": ["x"], "CreatedAt": "t", "UpdatedAt": "t", "Title": "t",
           "Description": "d", "Resources": [{"Type": "Other", "Id": "key-0000"}], "Severity": {"Label": "MEDIUM"}}
    error = Finding(check_id=KMS, account_id=ACCOUNT, region=REGION, resource_type="scope", resource_id=REGION,
                    status=Status.ERROR, reason="AccessDenied: no", error_code="AccessDenied", severity=meta.severity)
    stub.add_response("get_findings", {"Findings": [doc]})
    with stub:
        report = SecurityHubPusher(lambda a, r: client).push(
            ExportInput(findings=[error], metas={KMS: meta}, generated_at=NOW))
    stub.assert_no_pending_responses()  # no import, no update
    assert report.resolved == 0 and report.ok
