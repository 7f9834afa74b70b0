"""The posture digest: built from a store seeded through incidents.ingest, rendered, posted once.

Snapshots live in tests/snapshots/; regenerate with SNAPSHOT_UPDATE=1 (then read the diff).
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from bot.cli import main
from bot.config import Settings
from bot.demo.slack_emulator import FakeSlack
from bot.digest import DEFAULT_SINCE, Digest, Drift, Posture, build_digest, publish
from bot.main import build_services
from bot.models import Actor
from bot.notify.recording import RecordingNotifier
from bot.slack.digest_blocks import MAX_LINES, digest_message
from checks.base import Severity
from checks.runner import RunError
from tests.factories import finding, run_of, scope_error

UTC = timezone.utc
SNAPSHOTS = Path(__file__).parent / "snapshots"
T0 = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)  # Monday 08:00 CEST
S3P, KMS, MFA = "s3_bucket_policy_not_public", "kms_key_rotation_enabled", "iam_user_console_mfa_enabled"
PITR, EBS, GUARDDUTY = "dynamodb_table_pitr_enabled", "ec2_ebs_volume_encrypted", "guardduty_detector_enabled"
OWNERS = """
version: 1
admins: [U0ADMIN]
default_team: security
teams:
  - {id: platform, name: Platform, members: [U0PLAT1], escalation: U0PLATESC}
  - {id: data, name: Data, members: [U0DATA1], escalation: U0DATAESC}
  - {id: security, name: Security, members: [U0SEC1], escalation: U0SECESC}
aspects: {data_protection: platform, key_management: security, mfa: data}
"""
CONFIG = 'digest: {channel: C0DIGEST, cron: "0 9 * * 1-5", timezone: Europe/Berlin}\nincidents: {baseline: false}\n'


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def to(self, **kw) -> None:
        self.at = T0 + timedelta(**kw)


def assert_snapshot(name: str, data) -> None:  # noqa: ANN001
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with SNAPSHOT_UPDATE=1 to write it"
    assert text == path.read_text(), f"{path.name} changed: check the diff, then SNAPSHOT_UPDATE=1"


class DigestSink(RecordingNotifier):
    """The slack lane as the digest sees it: keeps what it was given (``down``: it raises instead)."""

    def __init__(self) -> None:
        super().__init__("slack")
        self.posts: list[tuple[str, dict]] = []
        self.down = False

    def publish_digest(self, digest, *, key):  # noqa: ANN001
        if self.down:
            raise ConnectionError("slack is down")
        self.posts.append(("C0DIGEST", digest_message(digest, "UTC")))
        return "C0DIGEST"


def make_services(tmp_path: Path, clock=None, config: str = CONFIG):  # noqa: ANN001, ANN201
    (tmp_path / "owners.yml").write_text(OWNERS)
    (tmp_path / "srm.yml").write_text(config)
    return build_services(Settings(srm_db=tmp_path / "srm.db", srm_owners=tmp_path / "owners.yml",
                                   srm_config=tmp_path / "srm.yml"), clock=clock, notifier=DigestSink())


def sink(svc) -> DigestSink:  # noqa: ANN001
    return svc.notifiers.get("slack")


def scan(*findings, at: datetime):  # noqa: ANN002, ANN201
    """A RunResult as checks.runner.run makes it: ERROR findings are the summary's errors."""
    run = run_of(*findings, started_at=at.timestamp())
    run.summary.errors = [RunError(check_id=f.check_id, account_id=f.account_id, region=f.region,
                                   code=f.error_code, message=f.reason) for f in findings if f.status == "ERROR"]
    return run


@pytest.fixture(autouse=True)
def no_framework_scores(monkeypatch):
    """Framework scores depend on every registered check; tests/test_reports.py covers them in the digest."""
    monkeypatch.setattr("bot.digest.default_frameworks", lambda: {})


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def seeded(tmp_path, clock):
    """Two scans, an acknowledgement, a digest, an accepted risk and an escalation."""
    svc = make_services(tmp_path, clock)
    inc = svc.incidents
    inc.ingest(scan(finding("b1", check=S3P), finding("b2", "PASS", check=S3P), finding("b3", "PASS", check=S3P),
                    finding("k1", check=KMS), finding("k2", "PASS", check=KMS), finding("alice", check=MFA),
                    finding("t1", "PASS", check=PITR, tags={"team": "data"}), scope_error(EBS), at=T0))
    ids = {i.check_id: i.id for i in svc.store.incidents()}
    clock.to(minutes=30)
    assert inc.acknowledge(ids[MFA], Actor(id="U0DATA1")).ok
    clock.to(hours=1)
    first = build_digest(svc)
    assert publish(svc, first, key="digest:first")
    clock.to(hours=2)
    inc.ingest(scan(finding("b1", check=S3P), finding("b2", "PASS", check=S3P), finding("b3", check=S3P),
                    finding("k1", "PASS", check=KMS), finding("k2", "PASS", check=KMS), finding("alice", check=MFA),
                    finding("bob", check=MFA), finding("t1", check=PITR, tags={"team": "data"}),
                    finding("v1", "PASS", check=EBS), scope_error(GUARDDUTY), at=T0 + timedelta(hours=2)))
    clock.to(hours=2, minutes=5)
    pitr = svc.store.active_incident("111111111111", PITR)
    assert inc.accept_risk(pitr.id, Actor(id="U0ADMIN"), "table is rebuilt nightly", T0 + timedelta(days=5)).ok
    clock.to(hours=7)
    inc.sweep()
    clock.to(hours=8)
    return svc


def test_the_digest_reports_what_changed_since_the_last_one(seeded):
    d = build_digest(seeded)
    assert (d.since, d.generated_at) == (T0 + timedelta(hours=1), T0 + timedelta(hours=8))
    assert [(x.check_id, x.resources, x.team, x.severity.value) for x in d.new_failures] == [
        (S3P, ["b3"], "Platform", "critical"), (MFA, ["bob"], "Data", "high"), (PITR, ["t1"], "Data", "medium")]
    assert [(r.check_id, r.resolved_at) for r in d.resolved] == [(KMS, T0 + timedelta(hours=2))]
    assert [(i.check_id, i.state.value) for i in d.open_incidents] == [(MFA, "acknowledged"), (S3P, "open")]
    assert (d.by_severity, d.by_team, d.by_age, d.risk_accepted) == (
        {"critical": 1, "high": 1}, {"Data": 1, "Platform": 1}, {"< 1 day": 2}, 1)
    assert [(i.check_id, i.escalation_level) for i in d.past_sla] == [(S3P, 1)]  # critical: 15 min SLA
    assert [(e.check_id, e.resource_id, e.accepted_by) for e in d.expiring] == [(PITR, "t1", "U0ADMIN")]
    assert [(e.check_id, e.code) for e in d.errors] == [(GUARDDUTY, "AccessDenied")]  # EBS's error was rescanned
    aspects = {p.id: (p.passed, p.failed, p.accepted, p.pass_rate) for p in d.aspects}
    assert aspects["data_protection"] == (1, 2, 0, 0.3333) and aspects["backup_dr"] == (0, 1, 1, 0.0)
    assert aspects["key_management"] == (2, 0, 0, 1.0) and d.aspects[0].pass_rate == 0.0  # worst first
    assert {p.id: (p.passed, p.failed) for p in d.teams} == {"platform": (1, 2), "data": (0, 3), "security": (3, 0)}
    assert (d.totals.passed, d.totals.failed, d.quiet) == (4, 5, False)
    assert_snapshot("digest_full", d.model_dump(mode="json"))


def test_the_digest_message_shows_every_section_in_the_configured_time_zone(seeded):
    message = digest_message(build_digest(seeded), "Europe/Berlin")
    assert message["text"] == ("SRM digest: 3 newly failing resource(s), 1 incident(s) resolved, 2 open incident(s) "
                               "(1 past SLA), 1 risk exception(s) expiring, 1 check error(s). 44% of 9 resources "
                               "pass (5 failing, 1 with accepted risk).")
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert [t.split("*")[1] for t in texts[1:]] == [
        "Not acknowledged, past SLA", "New drift", "Resolved", "Open incidents",
        "Risk exceptions expiring within 7 days", "Checks that errored in their latest run", "Posture by aspect",
        "Posture by team"]
    context = message["blocks"][1]["elements"][0]["text"]
    assert context == "Since Mon 06 May 09:00 CEST · as of Mon 06 May 16:00 CEST"
    assert "expires Sat 11 May 08:00 CEST · accepted by <@U0ADMIN>" in texts[5]
    assert "<!subteam" not in json.dumps(message) and "<@U0PLAT1>" not in json.dumps(message)  # informs, no pings
    assert_snapshot("digest_full_message", message)


def test_nothing_changed_gives_the_short_all_quiet_form(tmp_path, clock):
    svc = make_services(tmp_path, clock)
    run = run_of(finding("k1", check=KMS), finding("k2", "PASS", check=KMS))
    svc.incidents.ingest(run)
    assert svc.incidents.acknowledge(svc.store.incidents()[0].id, Actor(id="U0SEC1")).ok
    clock.to(hours=1)
    digest = build_digest(svc)
    assert not digest.quiet and [x.resources for x in digest.new_failures] == [["k1"]]
    assert publish(svc, digest, key="d1")
    clock.to(hours=25)
    svc.incidents.ingest(run)  # the same findings again: no drift
    quiet = build_digest(svc)
    assert quiet.quiet and quiet.since == T0 + timedelta(hours=1) and len(quiet.open_incidents) == 1
    assert not quiet.all_clear  # an incident is open: the digest must never say "all quiet" then
    message = digest_message(quiet, "Europe/Berlin")
    assert message["text"] == "SRM digest: no change. 50% of 2 resources pass (1 failing). 1 incident(s) open (1 medium)."
    assert "All quiet" not in json.dumps(message) and "Open incidents" in json.dumps(message)
    assert_snapshot("digest_quiet_message", message)
    svc.incidents.ingest(run_of(finding("k1", "PASS", check=KMS), finding("k2", "PASS", check=KMS)))
    clock.to(hours=26)
    clear = build_digest(svc, since=T0 + timedelta(hours=25, minutes=30))
    assert clear.all_clear and digest_message(clear, "UTC")["text"].startswith("SRM digest: all quiet.")


def test_since_defaults_to_a_day_back_then_to_the_last_digest_posted(tmp_path, clock):
    svc = make_services(tmp_path, clock)
    assert build_digest(svc).since == T0 - DEFAULT_SINCE
    assert build_digest(svc, since=T0 - timedelta(hours=3)).since == T0 - timedelta(hours=3)
    digest = build_digest(svc)
    assert publish(svc, digest, key="k") == ["slack:C0DIGEST"]
    assert publish(svc, digest, key="k") is None  # posted before: not again
    assert len(sink(svc).posts) == 1
    clock.to(hours=2)
    assert build_digest(svc).since == T0


def test_a_failed_post_releases_its_key_so_it_can_be_sent_again(tmp_path, clock):
    svc = make_services(tmp_path, clock)
    digest = build_digest(svc)

    sink(svc).down = True
    with pytest.raises(ConnectionError):
        publish(svc, digest, key="k")
    assert svc.store.last_digest_at() is None
    sink(svc).down = False
    assert publish(svc, digest, key="k")
    assert len(sink(svc).posts) == 1 and svc.store.last_digest_at() == T0


def test_long_lists_are_cut_and_text_is_escaped():
    drift = [Drift(account_id="111111111111", check_id=f"s3_check_{i:02}", title=f"Check <{i}> & co",
                   severity=Severity.high, team="Platform", resources=[f"bucket-{j}" for j in range(7)], since=T0)
             for i in range(20)]
    digest = Digest(generated_at=T0, since=T0 - timedelta(days=1), new_failures=drift,
                    totals=Posture(id="all", title="All", passed=1, failed=140),
                    aspects=[Posture(id=f"a{i}", title=f"Aspect {i}", passed=i, failed=1) for i in range(40)])
    message = digest_message(digest, "Not/AZone")  # an unknown zone falls back to UTC
    assert len(message["blocks"]) <= 50 and message["text"].startswith("SRM digest: 140 newly failing")
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in sections)
    [new] = [t for t in sections if "New drift" in t]
    assert new.count("\n• ") == MAX_LINES and new.endswith("... and 12 more")
    assert "Check &lt;0&gt; &amp; co" in new and "bucket-4 and 2 more" in new
    assert "as of Mon 06 May 06:00 UTC" in message["blocks"][1]["elements"][0]["text"]


# -- srm digest ----------------------------------------------------------------------------------
@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def srm(seeded, *args: str, **env: str):  # noqa: ANN001, ANN201
    tmp = seeded.store.path.parent
    env = {"SRM_DB": str(seeded.store.path), "SRM_OWNERS": str(tmp / "owners.yml"),
           "SRM_CONFIG": str(tmp / "srm.yml"), "SLACK_BOT_TOKEN": None, "SLACK_API_BASE_URL": None, **env}
    return CliRunner().invoke(main, list(args), env=env)


def test_srm_digest_prints_by_default(seeded):
    with freeze_time(T0 + timedelta(hours=8)):
        r = srm(seeded, "digest")
    assert r.exit_code == 0, r.output
    assert "Posture digest since Mon 06 May 09:00 CEST · as of Mon 06 May 16:00 CEST" in r.stdout
    for text in ("Past SLA", "New drift", "Resolved", "Risk exception expiring", "Check error", "AccessDenied",
                 "Data protection", "by severity: critical 1, high 1", "U0ADMIN"):
        assert text in r.stdout, text


def test_srm_digest_post_needs_a_token_and_a_channel(seeded, tmp_path):
    r = srm(seeded, "digest", "--post")
    assert r.exit_code == 2 and "no notifier lane can post here: set SLACK_BOT_TOKEN" in r.stderr
    (tmp_path / "nochannel.yml").write_text("digest: {timezone: UTC}\n")
    r = srm(seeded, "digest", "--post", SLACK_BOT_TOKEN="xoxb-test", SRM_CONFIG=str(tmp_path / "nochannel.yml"))
    assert r.exit_code == 2 and "no digest target: set digest.channel" in r.stderr


def test_srm_digest_post_posts_once_per_minute_and_marks_the_time(seeded, slack):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.api_url}
    with freeze_time(T0 + timedelta(hours=8, seconds=10)):
        slack.fail("chat.postMessage", times=1, error="not_in_channel")  # HTTP 200 {"ok": false, ...}
        r = srm(seeded, "digest", "--post", **env)
        assert r.exit_code == 2 and "the digest was refused: not_in_channel" in r.stderr
        first = srm(seeded, "digest", "--post", **env)
        again = srm(seeded, "digest", "--post", **env)
    assert first.exit_code == 0 and "posted the digest to slack:C0DIGEST" in first.stdout
    assert again.exit_code == 0 and "already posted (digest:cli:2024-05-06T14:00Z)" in again.stdout
    attempts = slack.attempts_of("chat.postMessage")
    assert [c.response["ok"] for c in attempts] == [False, True]  # the refused one, then one post
    assert [c.method for c in slack.attempts] == ["chat.postMessage", "chat.postMessage"]
    body = attempts[-1]
    assert body["channel"] == "C0DIGEST"
    assert body["text"].startswith("SRM digest: 3 newly failing") and body["blocks"][0]["type"] == "header"
    assert seeded.store.last_digest_at() == T0 + timedelta(hours=8, seconds=10)
