"""Day one in a large account, against a Slack that enforces its per-channel posting limit (429 + Retry-After).

A first scan of >= 300 failing resources across 40+ checks and 4 teams, each team with its own channel:
no rate-limit answer, every message delivered once, at most (1 + critical incidents) root messages per
team channel; then opening one team's whole backlog is paced to the channel's rate."""
from __future__ import annotations

import json
import time
from collections import Counter

import boto3
import pytest
import yaml
from moto import mock_aws

from bot.config import Settings
from bot.models import IncidentState
from bot.slack.ids import ActionId
from tests.slack.conftest import ADMIN, REGION, SECRET, eventually

RATE, BURST = 8.0, 3  # the emulator enforces it; the bot is configured to the same (Slack: 1/s)
TEAMS = {"platform": "C0PLATFORM", "data": "C0DATA", "secops": "C0SECOPS", "appsec": "C0APPSEC"}
OWNERS = {
    "version": 1, "admins": [ADMIN], "default_team": "secops",
    "teams": [{"id": t, "name": t.title(), "members": [f"U0{t.upper()}1"], "escalation": f"U0{t.upper()}ESC",
               "channel": c} for t, c in TEAMS.items()],
    "aspects": {"iam": "appsec", "mfa": "appsec", "network_controls": "platform"},
}


@pytest.fixture
def settings(tmp_path, fake) -> Settings:  # overrides conftest's: four team channels, baseline on, a fast rate
    (tmp_path / "owners.yml").write_text(yaml.safe_dump(OWNERS))
    (tmp_path / "srm.yml").write_text(yaml.safe_dump({
        "version": 1, "incidents": {"channel": "C0DEFAULT", "security_channel": "C0SECURITY", "baseline": True,
                                    "posts_per_second": RATE, "post_burst": BURST}}))
    fake.limit_posts(RATE, BURST)
    return Settings(srm_db=tmp_path / "srm.db", srm_owners=tmp_path / "owners.yml", srm_config=tmp_path / "srm.yml",
                    srm_timezone="UTC", slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                    slack_api_base_url=fake.api_url, slack_app_token=None)


def seed_large_account(n: int = 60) -> None:
    s3, ec2, iam = boto3.client("s3", region_name=REGION), boto3.client("ec2", region_name=REGION), boto3.client("iam")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for i in range(n):
        team = list(TEAMS)[i % 4]
        s3.create_bucket(Bucket=f"bucket-{i:03d}")
        s3.put_bucket_tagging(Bucket=f"bucket-{i:03d}", Tagging={"TagSet": [{"Key": "team", "Value": team}]})
        sg = ec2.create_security_group(GroupName=f"sg-{i}", Description="x", VpcId=vpc)
        ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=False)
        iam.create_user(UserName=f"user-{i}")
        iam.create_login_profile(UserName=f"user-{i}", Password="Pass-word-123!")


def roots_by_channel(fake) -> Counter:
    return Counter(c["channel"] for c in fake.calls_of("chat.postMessage") if not c.get("thread_ts"))


def test_first_scan_of_a_large_account_is_paced_and_quiet(slack):
    services, fake = slack.services, slack.fake
    with mock_aws():
        seed_large_account()
        result, _ = services.scan()
    failing = [f for f in result.findings if f.status.value == "FAIL"]
    assert len(failing) >= 300 and result.summary.checks_run >= 40
    eventually(lambda: services.store.pending_outbox() == [], timeout=60)

    assert [c.status for c in fake.attempts if c.status == 429] == []  # the bot never hit the limit
    posts = fake.calls_of("chat.postMessage")
    keys = [row.key for row in services.store.outbox() if row.status == "delivered"]
    assert len(keys) == len(set(keys))  # every message once
    incidents = services.store.incidents()
    critical = Counter(i.team_id for i in incidents if i.state is IncidentState.open and i.severity.value == "critical")
    summaries = Counter(c["channel"] for c in posts if c["text"].startswith("Backlog for"))
    for team, channel in TEAMS.items():
        assert roots_by_channel(fake)[channel] <= 1 + critical[team], (team, roots_by_channel(fake))
        assert summaries[channel] <= 1
    assert sum(summaries.values()) >= 3  # the teams with a backlog each got one summary
    assert all(i.state in (IncidentState.backlog, IncidentState.open) for i in incidents)
    assert not any(i.state is IncidentState.open and i.severity.value != "critical" for i in incidents)


def test_opening_a_whole_backlog_is_spread_at_the_channel_rate(slack):
    services, fake = slack.services, slack.fake
    with mock_aws():
        seed_large_account(12)
        services.scan()
    eventually(lambda: services.store.pending_outbox() == [], timeout=60)
    team = max(TEAMS, key=lambda t: len(services.store.incidents(states=[IncidentState.backlog], team_id=t)))
    backlog = services.store.incidents(states=[IncidentState.backlog], team_id=team)
    assert len(backlog) >= 5
    fake.reset()
    t0 = time.monotonic()
    slack.click(ActionId.backlog_promote, json.dumps({"team_id": team, "min": "low"}), user=f"U0{team.upper()}1",
                channel=TEAMS[team], select=True)
    eventually(lambda: not services.store.incidents(states=[IncidentState.backlog], team_id=team)
               and services.store.pending_outbox() == [], timeout=60)
    elapsed = time.monotonic() - t0
    in_channel = [c for c in fake.calls_of("chat.postMessage") if c["channel"] == TEAMS[team]]
    assert len(in_channel) >= 2 * len(backlog)  # a root and its details reply per item
    assert [c.status for c in fake.attempts if c.status == 429] == []
    assert elapsed >= (len(in_channel) - BURST) / RATE * 0.9  # spread, not a burst
