"""`srm doctor`: real parts only. Slack is the emulator on 127.0.0.1 (auth.test answers with
X-OAuth-Scopes), AWS is moto in-process, the database a real SQLite file."""
from __future__ import annotations

import json
import os
import sqlite3

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto import mock_aws

from bot.cli import main
from bot.config import AwsConfig, Settings
from bot.demo.slack_emulator import FakeSlack
from bot.doctor import Level, check_aws, check_database, check_slack, manifest_scopes
from bot.owners import OWNERS_EXAMPLE_PATH
from bot.scheduler import SchedulerLock
from bot.store import MIGRATIONS, Store

SECRET = "0123456789abcdef0123456789abcdef"
ROLE = "arn:aws:iam::111111111111:role/srm-bot-readonly"
CONFIG = {"version": 1, "aws": {"accounts": [{"name": "prod", "assume_role_arn": ROLE}], "regions": ["eu-west-1"]},
          "incidents": {"channel": "C0INCIDENT"}, "digest": {"channel": "C0DIGEST"}}


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


@pytest.fixture
def env(tmp_path, monkeypatch, fake):
    """A complete set-up: own owners file and srm.yml, tokens pointing at the emulator."""
    (tmp_path / "owners.yml").write_text(OWNERS_EXAMPLE_PATH.read_text())
    (tmp_path / "srm.yml").write_text(yaml.safe_dump(CONFIG))
    for var in ("SRM_MATRIX", "SRM_SERVICES", "SRM_TIMEZONE", "SRM_PORT", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SRM_OWNERS", str(tmp_path / "owners.yml"))
    monkeypatch.setenv("SRM_CONFIG", str(tmp_path / "srm.yml"))
    monkeypatch.setenv("SRM_DB", str(tmp_path / "srm.db"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-good")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_BASE_URL", fake.api_url)
    return tmp_path


def doctor(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def line(output: str, start: str) -> str:
    """The result line whose level, area and name start with ``start`` (spaces collapsed), plus its fix."""
    lines = output.splitlines()
    for i, text in enumerate(lines):
        if " ".join(text.split()).startswith(start):
            return "\n".join([text, *[t for t in lines[i + 1:i + 4] if t.startswith(" ")]])
    raise AssertionError(f"no line starting {start!r} in:\n{output}")


def test_all_ok_exits_0_with_one_line_per_check(env, fake):
    Store(env / "srm.db").close()
    with mock_aws():
        code, out = doctor()
    assert code == 0, out
    for start in ("ok data matrix", "ok data owners", "ok data config", "ok database schema",
                  "ok database writable", "ok database scheduler", "ok slack bot token", "ok slack scopes",
                  "ok slack signing secret", "ok aws identity", "ok aws account prod"):
        assert line(out, start)
    assert "111111111111 as arn:aws:sts::111111111111:assumed-role/srm-bot-readonly/srm-bot" in out
    assert "FAIL" not in out and "Traceback" not in out
    assert fake.calls_of("auth.test")


def test_json_output(env):
    with mock_aws():
        code, out = doctor("--json", "--skip", "aws")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert {c["area"] for c in report["checks"]} == {"data", "database", "slack"}
    assert {c["level"] for c in report["checks"]} <= {"ok", "warn"}


def test_missing_scope_fails_naming_it_and_the_fix(env, fake):
    fake.scopes = [s for s in manifest_scopes() if s != "im:history"]
    code, out = doctor("--skip", "aws")
    assert code == 1
    text = line(out, "FAIL slack scopes")
    assert "im:history" in text and "manifest.yml" in text and "reinstall" in text


def test_extra_scope_is_a_warning(env, fake):
    fake.scopes = [*manifest_scopes(), "files:read"]
    code, out = doctor("--skip", "aws")
    assert code == 0 and "files:read" in line(out, "warn slack scopes")


def test_bad_token_fails(env, fake):
    fake.fail("auth.test", error="invalid_auth")
    code, out = doctor("--skip", "aws")
    assert code == 1
    assert "invalid_auth" in line(out, "FAIL slack bot token") and "Bot User OAuth Token" in out


def test_missing_tokens_fail_with_the_fix_not_a_crash(env, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    code, out = doctor("--skip", "aws")
    assert code == 1
    assert "SLACK_BOT_TOKEN is not set" in line(out, "FAIL slack bot token") and "manifest.yml" in out
    assert "SLACK_SIGNING_SECRET is not set" in line(out, "FAIL slack signing secret")


def test_token_of_the_wrong_kind_and_a_quoted_secret(fake):
    s = Settings(slack_bot_token="xoxp-user", slack_signing_secret=f'"{SECRET}"', slack_api_base_url=fake.api_url)
    results = {r.name: r for r in check_slack(s, manifest_scopes())}
    assert results["bot token"].level is Level.fail and "user token" in results["bot token"].message
    assert results["signing secret"].level is Level.fail and "quotes" in results["signing secret"].message
    assert not fake.attempts  # nothing sent with a token of the wrong kind


def test_slack_unreachable_is_a_failure():
    s = Settings(slack_bot_token="xoxb-1", slack_signing_secret=SECRET, slack_api_base_url="http://127.0.0.1:9/api/")
    token = {r.name: r for r in check_slack(s, manifest_scopes(), timeout=2)}["bot token"]
    assert token.level is Level.fail and "cannot reach the Slack Web API" in token.message


def test_socket_mode_app_token(fake):
    s = Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", slack_api_base_url=fake.api_url)
    results = {r.name: r for r in check_slack(s, manifest_scopes())}
    assert results["signing secret"].level is Level.ok and "Socket Mode" in results["app token"].message
    assert [c.method for c in fake.calls] == ["auth.test", "apps.connections.open"]
    fake.fail("apps.connections.open", error="not_allowed_token_type")
    results = {r.name: r for r in check_slack(s, manifest_scopes())}
    assert results["app token"].level is Level.fail and "not_allowed_token_type" in results["app token"].message


def test_broken_owners_file_fails_naming_file_and_entry(env):
    data = yaml.safe_load(OWNERS_EXAMPLE_PATH.read_text())
    first = next(iter(data["aspects"]))
    data["aspects"][first] = "ghosts"
    (env / "owners.yml").write_text(yaml.safe_dump(data))
    code, out = doctor("--skip", "aws", "--skip", "slack")
    assert code == 1
    text = line(out, "FAIL data owners")
    assert str(env / "owners.yml") in text and f"aspects.{first}: unknown team 'ghosts'" in text


def test_broken_config_skips_aws_and_bad_env_is_reported(env, monkeypatch):
    (env / "srm.yml").write_text("aws:\n  accounts: [{name: a, colour: red}]\n")
    code, out = doctor("--skip", "slack")
    assert code == 1 and "accounts[0].colour" in line(out, "FAIL data config")
    assert "not checked" in line(out, "warn aws accounts")
    monkeypatch.setenv("SRM_PORT", "abc")
    code, out = doctor()
    assert code == 1 and "SRM_PORT" in line(out, "FAIL data environment")


def test_database_states(tmp_path):
    db = tmp_path / "srm.db"
    assert [r.level for r in check_database(db)] == [Level.ok] and not db.exists()  # doctor creates nothing
    Store(db).close()
    assert [r.name for r in check_database(db)] == ["schema", "writable", "scheduler"]
    assert all(r.level is Level.ok for r in check_database(db))
    lock = SchedulerLock(db).acquire()
    try:
        held = {r.name: r for r in check_database(db)}["scheduler"]
        assert held.level is Level.ok and f"pid {os.getpid()}" in held.message
    finally:
        lock.release()
    assert "none running" in {r.name: r for r in check_database(db)}["scheduler"].message


def test_database_newer_schema_damaged_and_unreachable(tmp_path):
    db = tmp_path / "srm.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'x')", [MIGRATIONS[-1][0] + 1])
    [res] = check_database(db)
    assert res.level is Level.fail and "newer than this srm-bot" in res.message
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    [res] = check_database(junk)
    assert res.level is Level.fail and "cannot be read as SQLite" in res.message and "backup" in res.fix
    (tmp_path / "a-file").write_text("")
    [res] = check_database(tmp_path / "a-file" / "srm.db")
    assert res.level is Level.fail and "not a writable directory" in res.message


def test_database_write_locked_by_another_process_is_a_warning(tmp_path):
    db = tmp_path / "srm.db"
    Store(db).close()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        res = {r.name: r for r in check_database(db, lock_timeout=0.1)}["writable"]
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert res.level is Level.warn and "write lock" in res.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes")
def test_database_read_only_file_fails(tmp_path):
    db = tmp_path / "srm.db"
    Store(db).close()
    db.chmod(0o444)
    res = {r.name: r for r in check_database(db)}["writable"]
    assert res.level is Level.fail and "chown" in res.fix


def test_no_aws_credentials_is_a_failure_not_a_traceback(env, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (env / "srm.yml").write_text(yaml.safe_dump({"version": 1}))
    code, out = doctor("--skip", "slack")
    assert code == 1 and "Traceback" not in out
    text = line(out, "FAIL aws identity")
    assert "NoCredentialsError" in text and "AWS_PROFILE" in text


def _deny_assume_role(**kwargs):
    session = boto3.Session(**kwargs)

    def deny(**_):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: sts:AssumeRole"}},
                          "AssumeRole")

    session.events.register("before-call.sts.AssumeRole", deny)
    return session


def test_access_denied_on_assume_role_names_the_role_and_the_fix():
    cfg = AwsConfig.model_validate(CONFIG["aws"])
    with mock_aws():
        results = check_aws(cfg, session_factory=_deny_assume_role)
    by_name = {r.name: r for r in results}
    assert by_name["identity"].level is Level.ok
    prod = by_name["account prod"]
    assert prod.level is Level.fail and "AccessDenied" in prod.message and ROLE in prod.message
    assert "sts:AssumeRole" in prod.fix and "trust policy" in prod.fix


def test_organizations_members_and_a_wrong_account_id():
    cfg = AwsConfig.model_validate({"accounts": [{"name": "typo", "account_id": "999999999999"}],
                                    "organizations": {"enabled": True}, "regions": ["eu-west-1"]})
    with mock_aws():
        org = boto3.client("organizations")
        org.create_organization(FeatureSet="ALL")
        member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
        by_name = {r.name: r for r in check_aws(cfg)}
    ok_member, typo = by_name["account member"], by_name["account typo"]
    assert ok_member.level is Level.ok and member in ok_member.message
    assert "assumed-role/srm-bot-readonly" in ok_member.message
    assert typo.level is Level.fail and "srm.yml says 999999999999" in typo.message
