"""Who-owns buttons: a variant button re-asks the question naming that variant; Re-check runs the guarding checks.

Both only read (the answer) or scan (read-only on AWS), so anyone may click. The answer or the scan
result goes back to the clicker as an ephemeral message, after the click is acknowledged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.slack import blocks as B
from bot.slack.ids import ActionId, WhoValue
from bot.slack.listeners.actions import after_ack, tell
from bot.slack.status import check_statuses

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def reask(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        value = WhoValue.model_validate_json(action["value"])
        answer = services.resolver.who_owns(f"{value.question} ({value.variant})")
        team = services.owners.team(answer.team) if answer.team else None
        statuses = check_statuses(services, answer.checks, ctx.links)
        tell(ctx, client, body, None, B.who_owns_message(answer, team, statuses))

    def recheck(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        from bot.services import ScanBusy
        from checks.accounts import TargetError

        value = WhoValue.model_validate_json(action["value"])
        try:
            checks = services.select_checks(value.checks)
            result, outcome = services.scan(checks, asked=True, keep_findings=False)
        except (KeyError, TargetError, ValueError, ScanBusy) as exc:
            return tell(ctx, client, body, None, B.notice(f"The re-check could not start: {B.escape(exc)}",
                                                          icon=":warning:"))
        tell(ctx, client, body, None, B.scan_result(result, outcome, ", ".join(value.checks)))

    reg = ctx.registered
    reg.action(app, ActionId.who_recheck, after_ack(ctx, recheck))
    reg.action(app, ActionId.who_variant, after_ack(ctx, reask))
