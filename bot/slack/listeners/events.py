"""Mentions, DMs and the App Home tab.

Bolt acks an event when its listener returns; the listener only claims the event
and hands the answer to ``ctx.later``, so the ack is immediate. A retried delivery
(``X-Slack-Retry-Num``) repeats the ``event_id``: the first delivery claims
``event:<event_id>`` in the store and a repeat finds it claimed, so it never
produces a second answer. Answers go out through ``ctx.send``: a post Slack
rejects with 429/5xx (after the client's own retries) is kept and retried later.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.slack.blocks_home import home_view
from bot.slack.replies import Asker, parse, reply, working
from bot.slack.status import posture, team_incidents

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext

MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def first_delivery(ctx: "SlackContext", body: dict[str, Any]) -> bool:
    """Claim this event (and, for a message, the message itself); False for a repeat."""
    claims = []
    if body.get("event_id"):
        claims.append(f"event:{body['event_id']}")
    event = body.get("event") or {}
    if event.get("channel") and event.get("ts"):
        claims.append(f"message:{event['channel']}:{event['ts']}")
    return all([ctx.services.store.claim_message_key(k) for k in claims])


def question_of(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's own mention (a leading one of any user if the bot id is unknown)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:
        text = MENTION.sub(" ", text, count=1)
    return " ".join(text.split())


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def answer_in_thread(body: dict[str, Any], client: WebClient) -> None:
        event = body["event"]
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, other bots: nothing was asked
        if not first_delivery(ctx, body):
            return
        cmd = parse(question_of(event.get("text", ""), ctx.bot_user_id), question_by_default=True)
        thread = {"channel": event["channel"], "thread_ts": event.get("thread_ts") or event["ts"]}
        name = f"answer to {event['channel']}/{event['ts']}"

        def answer() -> None:
            if cmd.slow:
                ctx.send(name, lambda: client.chat_postMessage(**thread, **working(services, cmd)))
            payload = reply(services, Asker(user_id=event["user"], channel_id=event["channel"]), cmd, ctx.links)
            ctx.send(name, lambda: client.chat_postMessage(**thread, unfurl_links=False, **payload))

        ctx.later(answer, body)

    def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return

        def publish() -> None:
            teams, rows = team_incidents(services, event["user"], ctx.links)
            backlogs = [services.incidents.backlog(t.id) for t in services.owners.teams_of(event["user"])]
            view = home_view(posture(services), teams, rows, tz=services.settings.srm_timezone, backlogs=backlogs)
            ctx.send(f"home of {event['user']}", lambda: client.views_publish(user_id=event["user"], view=view))

        ctx.later(publish, body)

    ctx.registered.event(app, "app_mention", answer_in_thread)
    ctx.registered.event(app, "message.im", answer_in_thread)
    ctx.registered.event(app, "app_home_opened", on_home_opened)
