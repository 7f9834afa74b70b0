"""What Slack sends to the app, signed with the signing secret: slash commands, mentions, clicks.

Each request is also noted on the :class:`~bot.demo.recorder.DemoSlack` timeline
(``user.command``, ``user.message``, ``user.click``; a slash command's acknowledgement
as ``command.ack``), so the transcript shows who did what. Payload shapes are the
ones Slack sends (and tests/slack/conftest.py uses).
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from bot.demo import world
from bot.demo.recorder import DemoSlack
from bot.demo.slack_emulator import BOT_USER_ID, TEAM_ID, Call, signed_headers


class Workspace:
    """What Slack sends to the app: slash commands, mentions and clicks, signed with the signing secret."""

    def __init__(self, url: str, slack: DemoSlack, secret: str):
        self.url, self.slack, self.secret = url, slack, secret
        self._n = 0

    def _post(self, body: str, content_type: str) -> str:
        req = urllib.request.Request(f"{self.url}/slack/events", data=body.encode(), method="POST",
                                     headers=signed_headers(self.secret, body, content_type=content_type))
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"srm serve answered {e.code} to a signed request: {e.read().decode()[:200]}") from None

    def command(self, user: str, channel: str, text: str) -> str:
        """`/srm TEXT`; the acknowledgement is shown to the user. Returns the response_url path."""
        self._n += 1
        response_url = self.slack.response_url(f"cmd{self._n}")
        self.slack.note("user.command", user=user, channel=channel, text=f"/srm {text}", response_url=response_url)
        answer = self._post(urlencode({
            "token": "demo", "team_id": TEAM_ID, "team_domain": "acme", "channel_id": channel,
            "channel_name": world.DIRECTORY.get(channel, channel), "user_id": user, "user_name": user.lower(),
            "command": "/srm", "text": text, "api_app_id": "A0SRMDEMO", "response_url": response_url,
            "trigger_id": f"{self._n}.1.demo"}), "application/x-www-form-urlencoded")
        if answer.strip():
            try:
                shown = json.loads(answer)
            except ValueError:  # ack("plain text")
                shown = {"text": answer}
            self.slack.note("command.ack", user=user, channel=channel, **shown)
        return f"/respond/cmd{self._n}"

    def mention(self, user: str, channel: str, text: str) -> str:
        """`@srm-bot TEXT` in a channel; returns the message ts (the bot answers in its thread)."""
        ts = self.slack.new_ts()
        said = f"<@{BOT_USER_ID}> {text}"
        self.slack.note("user.message", user=user, channel=channel, ts=ts, text=said)
        self._n += 1
        self._post(json.dumps({
            "token": "demo", "team_id": TEAM_ID, "api_app_id": "A0SRMDEMO", "type": "event_callback",
            "event_id": f"Ev0DEMO{self._n:04d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": {"type": "app_mention", "user": user, "text": said, "channel": channel,
                      "channel_type": "channel", "ts": ts, "event_ts": ts}}), "application/json")
        return ts

    def click(self, user: str, message: Call, action_id: str) -> None:
        """Click the button ``action_id`` on the bot's message as it looks now."""
        channel = message.body["channel"]
        blocks = latest_blocks(self.slack, channel, message.ts)
        button = next((el for b in blocks if b.get("type") == "actions" for el in b.get("elements", [])
                       if el.get("action_id") == action_id), None)
        if button is None:
            raise RuntimeError(f"no {action_id} button on message {message.ts}")
        label = button["text"]["text"]
        self.slack.note("user.click", user=user, channel=channel, message_ts=message.ts, label=label)
        self._n += 1
        self._post(urlencode({"payload": json.dumps({
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0SRMDEMO", "token": "demo", "trigger_id": f"{self._n}.2.demo", "team": {"id": TEAM_ID},
            "container": {"type": "message", "message_ts": message.ts, "channel_id": channel},
            "channel": {"id": channel, "name": world.DIRECTORY.get(channel, channel)},
            "message": {"type": "message", "ts": message.ts, "text": message.body.get("text", ""), "blocks": blocks},
            "response_url": self.slack.response_url(f"act{self._n}"),
            "actions": [{"action_id": action_id, "block_id": "incident.actions", "type": "button",
                         "value": button["value"], "text": button["text"],
                         "action_ts": f"{time.time():.6f}"}]})}), "application/x-www-form-urlencoded")


def latest_blocks(slack: DemoSlack, channel: str, ts: str) -> list[dict[str, Any]]:
    """A message's blocks after its latest chat.update."""
    blocks: list[dict[str, Any]] = []
    for c in slack.calls:
        if c.get("channel") == channel and ((c.method == "chat.postMessage" and c.ts == ts)
                                            or (c.method == "chat.update" and c.get("ts") == ts)):
            blocks = c.get("blocks") or []
    return blocks
