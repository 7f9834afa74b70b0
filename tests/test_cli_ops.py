"""`srm scan`, `srm incidents`, `srm incident show` end to end: moto in-process, a real SQLite file."""
from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
import yaml
from click.testing import CliRunner
from moto import mock_aws

from bot.cli import main
from bot.incidents import Incidents
from bot.models import Actor
from bot.notify.recording import RecordingNotifier
from bot.store import Store
from tests.factories import ADMIN, MEMBER, METAS, NO_BASELINE, OUTSIDER, finding, make_owners, run_of

KMS = "kms_key_rotation_enabled"


@pytest.fixture
def env(tmp_path, monkeypatch):
    owners = make_owners().model_dump(exclude_none=True)
    path = tmp_path / "owners.yml"
    path.write_text(yaml.safe_dump(owners))
    for var in ("SRM_DB", "SRM_TIMEZONE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "srm.yml").write_text("incidents: {baseline: false}\n")  # these tests follow threads
    monkeypatch.setenv("SRM_CONFIG", str(tmp_path / "srm.yml"))
    monkeypatch.setenv("SRM_OWNERS", str(path))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: no wrapping in the assertions
    return tmp_path


def srm(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_scan_opens_then_resolves_an_incident_and_the_listing_follows(env):
    db = str(env / "var" / "srm.db")
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        tags = [{"TagKey": "team", "TagValue": "data"}]
        key = kms.create_key(Description="stale", Tags=tags)["KeyMetadata"]["KeyId"]

        code, out = srm("scan", "--check", KMS, "--region", "us-east-1", "--db", db)
        assert code == 0, out
        assert "#1 [medium] Customer-managed KMS keys rotate automatically - account 123456789012: open" in out
        assert f"us-east-1/{key}: automatic key rotation is disabled" in out
        assert "1 change(s), 1 incident event(s); 1 active incident(s)" in out and "FAIL 1" in out

        code, out = srm("incidents", "--db", db)
        assert code == 0 and KMS in out and "data" in out and "open" in out

        code, again = srm("scan", "--check", KMS, "--region", "us-east-1", "--db", db)
        assert "0 change(s), 0 incident event(s)" in again and "#1 [" not in again

        kms.enable_key_rotation(KeyId=key)
        code, out = srm("scan", "--check", KMS, "--region", "us-east-1", "--db", db)
        assert code == 0 and "#1 Resolved: every resource passes" in out

    assert "no incidents open" in srm("incidents", "--db", db)[1]
    code, out = srm("incidents", "--state", "all", "--db", db)
    assert "resolved" in out and KMS in out
    code, out = srm("incident", "show", "1", "--db", db)
    assert code == 0
    assert "Opened: 1 resource(s) failing" in out and "Resolved: every resource passes" in out
    assert "open -> resolved" in out


def test_a_cli_scan_leaves_slack_posts_to_the_bot(env):
    """`srm scan` against the bot's database shows events but never takes the bot's outbox rows."""
    db = env / "var" / "srm.db"
    with mock_aws():
        boto3.client("kms", region_name="us-east-1").create_key(Description="stale")
        code, out = srm("scan", "--check", KMS, "--region", "us-east-1", "--db", str(db))
    assert code == 0 and "#1 [medium]" in out
    store = Store(db)
    assert store.conversation(1, "slack") is None  # no pretend conversation
    assert [o.kind.value for o in store.pending_outbox()] == ["open"]
    bot = RecordingNotifier()  # the bot's notifier, later: delivers it, once
    assert Incidents(store, make_owners(), bot, lookup=METAS.get, config=NO_BASELINE).deliver() == 1
    assert [c[0] for c in bot.calls] == ["open"] and store.pending_outbox() == []
    assert store.conversation(1, "slack") is not None


def test_show_lists_resources_refusals_and_state_changes(env):
    db = env / "srm.db"
    svc = Incidents(Store(db), make_owners(), RecordingNotifier(), lookup=METAS.get, config=NO_BASELINE)
    svc.ingest(run_of(finding("bucket-a"), finding("bucket-b")))
    svc.acknowledge(1, Actor(id=OUTSIDER))
    svc.acknowledge(1, Actor(id=MEMBER))
    svc.accept_risk(1, Actor(id=ADMIN), "public website", svc.clock.now() + timedelta(days=10))

    code, out = srm("incident", "show", "1", "--db", str(db))
    assert code == 0
    assert "#1 S3 buckets block public access" in out and "risk_accepted" in out
    assert "us-east-1/bucket-a: bucket-a is FAIL" in out and "risk accepted until" in out
    assert "refused" in out and f"Acknowledged by @{MEMBER}" in out
    assert "open -> acknowledged" in out and "acknowledged -> risk_accepted" in out


def test_listing_filters_by_team(env):
    db = env / "srm.db"
    svc = Incidents(Store(db), make_owners(), RecordingNotifier(), lookup=METAS.get, config=NO_BASELINE)
    svc.ingest(run_of(finding("a"), finding("u", check="iam_user_mfa_enabled")))
    _, platform = srm("incidents", "--team", "platform", "--db", str(db))
    assert "s3_bucket_public_access_blocked" in platform and "iam_user_mfa_enabled" not in platform
    assert "no incidents open" in srm("incidents", "--team", "security", "--db", str(db))[1]


def test_errors_are_one_line_and_exit_2(env):
    db = str(env / "srm.db")
    Store(db).close()
    code, out = srm("incident", "show", "99", "--db", db)
    assert (code, out.strip()) == (2, "error: no incident #99")
    code, out = srm("scan", "--check", "nope_not_a_check", "--db", db)
    assert code == 2 and "unknown check id(s): nope_not_a_check" in out  # srm check's own message


def test_log_format_json_gives_one_object_per_line_and_quiets_the_aws_libraries(capsys):
    import json
    import logging

    from bot.logs import setup_logging

    try:
        setup_logging("INFO", "json")
        logging.getLogger("bot.test").info("hello %s", "there")
        logging.getLogger("botocore.retryhandler").info("retry noise")
        line = capsys.readouterr().err.strip().splitlines()
        assert len(line) == 1 and json.loads(line[0])["message"] == "hello there"
        assert json.loads(line[0])["level"] == "INFO" and json.loads(line[0])["logger"] == "bot.test"
    finally:
        logging.getLogger().handlers[:] = []
