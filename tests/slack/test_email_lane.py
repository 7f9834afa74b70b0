"""The second notifier lane end to end: a scan opens an incident that arrives in Slack (the fake Web API)
and by e-mail (a real SMTP server on 127.0.0.1, aiosmtpd); an acknowledgement clicked in Slack reaches both."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import Message

import pytest
import yaml
from aiosmtpd.controller import Controller

from bot.config import Settings
from bot.models import IncidentState
from bot.slack.ids import ActionValue, action_id
from tests.factories import finding, run_of
from tests.slack.conftest import CHANNEL, MEMBER, OWNERS, SECRET, VERSIONING, eventually


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def settings(tmp_path, fake, inbox) -> Settings:  # overrides conftest's: the e-mail lane is configured too
    owners = {**OWNERS, "teams": [{**t, "email": f"{t['id']}@example.org"} for t in OWNERS["teams"]]}
    (tmp_path / "owners.yml").write_text(yaml.safe_dump(owners))
    (tmp_path / "srm.yml").write_text(yaml.safe_dump({
        "version": 1, "incidents": {"channel": CHANNEL, "baseline": False},
        "email": {"smtp_host": "127.0.0.1", "smtp_port": inbox[1], "sender": "srm@example.org",
                  "to": ["secops@example.org"]}}))
    return Settings(srm_db=tmp_path / "srm.db", srm_owners=tmp_path / "owners.yml", srm_config=tmp_path / "srm.yml",
                    srm_timezone="UTC", slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                    slack_api_base_url=fake.api_url, slack_app_token=None)


def test_an_incident_reaches_slack_and_email_and_an_ack_in_slack_reaches_both(slack, inbox):
    box, _ = inbox
    services = slack.services
    assert services.notifiers.lanes == ("slack", "email")
    services.incidents.ingest(run_of(finding("bucket-a", check=VERSIONING)))
    root = slack.fake.wait_for("chat.postMessage", 2)[0]
    [opened] = box.messages
    inc = services.store.incidents()[0]
    assert opened["Subject"].startswith(f"[srm] #{inc.id} [medium] ") and "bucket-a" in opened.get_content()
    assert sorted(a.strip() for a in opened["To"].split(",")) == ["platform@example.org", "secops@example.org"]
    refs = {r.kind: r for r in services.store.conversations(inc.id)}
    assert refs["slack"].thread == root.ts and refs["email"].thread == opened["Message-ID"]

    slack.click(action_id("acknowledge"), ActionValue(incident_id=inc.id, action="acknowledge").dump(),
                user=MEMBER, message_ts=root.ts)
    eventually(lambda: len(box.messages) == 2)
    reply = box.messages[1]
    assert reply["In-Reply-To"] == opened["Message-ID"] and reply["Subject"].startswith("Re: [srm]")
    assert f"Acknowledged by @{MEMBER}" in reply.get_content()
    [thread_reply] = [c for c in slack.fake.wait_for("chat.postMessage", 3) if c.get("thread_ts") == root.ts][1:]
    assert "Acknowledged by" in thread_reply["text"]
    assert services.store.incident(inc.id).state is IncidentState.acknowledged
    eventually(lambda: services.store.pending_outbox() == [])
    services.incidents.deliver()  # nothing left: no lane sends twice
    assert len(box.messages) == 2 and len([c for c in slack.fake.calls_of("chat.postMessage")]) == 3


def test_a_process_without_the_lanes_notifiers_leaves_each_lane_pending_for_the_server(services, inbox):
    """`srm scan` builds no notifier: both lanes' rows wait, nothing is mailed, no conversation is pretended."""
    services.incidents.ingest(run_of(finding("bucket-a", check=VERSIONING)))
    assert sorted({o.lane for o in services.store.pending_outbox()}) == ["email", "slack"]
    assert inbox[0].messages == [] and services.store.conversations(services.store.incidents()[0].id) == []
