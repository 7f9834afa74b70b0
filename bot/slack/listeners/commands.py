"""`/srm`: quick answers are the acknowledgement itself; scans and the digest answer via response_url."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from bot.slack.replies import Asker, parse, reply, working

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext

COMMAND = "/srm"


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def on_srm(ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., None]) -> None:
        cmd = parse(command.get("text"))
        asker = Asker(user_id=command["user_id"], channel_id=command.get("channel_id"))
        if not cmd.slow:
            ack(**reply(services, asker, cmd, ctx.links))
            return
        ack(**working(services, cmd))
        respond(**reply(services, asker, cmd, ctx.links), response_type="ephemeral", replace_original=False)

    ctx.registered.command(app, COMMAND, on_srm)
