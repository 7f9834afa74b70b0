"""`/srm`: quick answers are the acknowledgement itself; scans and the digest answer via response_url.

Slack never retries a slash command, so there is nothing to de-duplicate here; the
response URL post is retried (``SlackContext.respond``) until Slack takes it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from bot.slack.replies import Asker, parse, reply, working

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext

COMMAND = "/srm"


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def on_srm(ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any]) -> None:
        cmd = parse(command.get("text"))
        asker = Asker(user_id=command["user_id"], channel_id=command.get("channel_id"))
        if not cmd.slow:
            return ack(**reply(services, asker, cmd, ctx.links))
        ack(**working(services, cmd))  # Slack has its answer; the scan or digest runs after it

        def answer() -> None:
            payload = reply(services, asker, cmd, ctx.links)
            ctx.respond(command.get("response_url"), {**payload, "response_type": "ephemeral",
                                                      "replace_original": False}, name=f"/srm {cmd.sub.value}")

        ctx.later(answer, command, respond)

    ctx.registered.command(app, COMMAND, on_srm)
