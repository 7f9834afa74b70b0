"""The Slack app end to end: the real WSGI server on 127.0.0.1:0, requests signed with the
signing secret, and a fake Slack Web API (bot/demo/slack_emulator.py) recording what the app sends."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import yaml

from bot.config import Settings
from bot.demo.slack_emulator import BOT_USER_ID, TEAM_ID, FakeSlack, signed_headers
from bot.main import build_notifiers, build_services
from bot.services import Services
from bot.slack.app import build_app, make_client
from bot.slack.server import make_server, wsgi_app
from checks.runner import Target

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0INCIDENT"
ASK_CHANNEL = "C0ASKHERE"
MEMBER, LEAD, ESC, ADMIN, OUTSIDER, DATA = "U0PLAT1", "U0PLATLEAD", "U0PLATESC", "U0ADMIN", "U0OUTSIDE", "U0DATA1"
ACCOUNT_ID = "123456789012"  # moto's account
REGION = "us-east-1"
VERSIONING = "s3_bucket_versioning_enabled"  # aspect backup_dr -> platform

OWNERS = {
    "version": 1, "admins": [ADMIN], "default_team": "security",
    "teams": [
        {"id": "platform", "name": "Platform Engineering", "members": [MEMBER], "leads": [LEAD],
         "escalation": ESC, "usergroup": "S0PLATFORM"},
        {"id": "data", "name": "Data & Storage", "members": [DATA], "escalation": "U0DATAESC"},
        {"id": "security", "name": "Security", "members": ["U0SEC1"], "escalation": "U0SECESC"},
    ],
    "aspects": {"backup_dr": "platform", "data_protection": "platform", "iam": "data", "mfa": "data"},
}


def moto_targets(aws_cfg: Any, *, account: str | None = None, region: str | None = None) -> list[Target]:
    """One moto-backed account (works inside a test's ``mock_aws()``)."""
    return [Target(name="test", account_id=ACCOUNT_ID, session=boto3.Session(region_name=REGION),
                   regions=[region or REGION])]


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


@pytest.fixture
def settings(tmp_path, fake) -> Settings:
    (tmp_path / "owners.yml").write_text(yaml.safe_dump(OWNERS))
    (tmp_path / "srm.yml").write_text(yaml.safe_dump({"version": 1, "incidents": {"channel": CHANNEL, "baseline": False}}))
    return Settings(srm_db=tmp_path / "srm.db", srm_owners=tmp_path / "owners.yml", srm_config=tmp_path / "srm.yml",
                    srm_timezone="UTC", slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                    slack_api_base_url=fake.api_url, slack_app_token=None)


@pytest.fixture
def services(settings) -> Services:
    svc = build_services(settings, targets=moto_targets)
    yield svc
    svc.store.close()


def eventually(predicate: Any, timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` is true (background listener work finishing after Slack's call)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class SlackHarness:
    """Talks to the running app the way Slack does."""

    def __init__(self, url: str, fake: FakeSlack, services: Services, app: Any):
        self.url, self.fake, self.services, self.app = url, fake, services, app
        self._n = 0

    def _id(self) -> int:
        self._n += 1
        return self._n

    def send(self, body: str, headers: dict[str, str] | None = None, path: str = "/slack/events") -> Reply:
        req = urllib.request.Request(self.url + path, data=body.encode(), headers=headers or {}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return Reply(r.status, r.read().decode(), dict(r.headers))
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.read().decode(), dict(e.headers))

    def signed(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
               extra: dict[str, str] | None = None, timestamp: int | None = None) -> Reply:
        return self.send(body, {**signed_headers(SECRET, body, timestamp, content_type), **(extra or {})})

    def command(self, text: str, user: str = MEMBER, channel: str = ASK_CHANNEL) -> Reply:
        n = self._id()
        return self.signed(urlencode({
            "token": "x", "team_id": TEAM_ID, "team_domain": "srm-test", "channel_id": channel,
            "channel_name": "ask", "user_id": user, "user_name": user.lower(), "command": "/srm", "text": text,
            "api_app_id": "A0SRM", "response_url": self.fake.response_url(f"cmd{n}"), "trigger_id": f"{n}.1.x"}))

    def event(self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None) -> Reply:
        body = json.dumps({"token": "x", "team_id": TEAM_ID, "api_app_id": "A0SRM", "type": "event_callback",
                           "event_id": event_id or f"Ev{self._id():08d}", "event_time": int(time.time()),
                           "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
                           "event": event})
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.signed(body, content_type="application/json", extra=extra)

    def interaction(self, payload: dict[str, Any]) -> Reply:
        return self.signed(urlencode({"payload": json.dumps(payload)}))

    def click(self, action_id: str, value: str, *, user: str = MEMBER, message_ts: str = "1.1",
              channel: str = CHANNEL, select: bool = False) -> Reply:
        n = self._id()
        action = {"action_id": action_id, "block_id": "incident.actions", "action_ts": f"17000{n}.000"}
        if select:
            action.update(type="static_select", selected_option={"text": {"type": "plain_text", "text": "x"},
                                                                 "value": value})
        else:
            action.update(type="button", value=value)
        return self.interaction({
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0SRM", "token": "x", "trigger_id": f"{n}.2.trigger", "team": {"id": TEAM_ID},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel, "name": "incidents"}, "message": {"type": "message", "ts": message_ts},
            "response_url": self.fake.response_url(f"act{n}"), "actions": [action]})

    def submit_view(self, view: dict[str, Any], values: dict[str, Any], user: str = ADMIN) -> Reply:
        return self.interaction({
            "type": "view_submission", "team": {"id": TEAM_ID}, "api_app_id": "A0SRM", "token": "x",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "trigger_id": "9.9.t",
            "view": {**view, "id": "V0FAKE", "state": {"values": values}}})

    def settle(self, seconds: float = 0.3) -> None:
        """Give background listener work a moment (used only to show that nothing MORE happens)."""
        time.sleep(seconds)


@pytest.fixture
def slack(services, fake):
    client = make_client(services.settings, backoff=0.01, retries=2)
    for notifier in build_notifiers(services, slack_client=client):  # as bot.main.build_slack_runtime does
        services.notifiers.add(notifier)
    app = build_app(services, client=client, retry_delays=(0.05, 0.1))
    server = make_server(wsgi_app(app, health=lambda: {"schema": services.store.schema_version}), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield SlackHarness(f"http://127.0.0.1:{server.server_port}", fake, services, app)
    server.shutdown()
    server.server_close()
    app.listener_runner.listener_executor.shutdown(wait=True)
    app.srm.pending.close()
