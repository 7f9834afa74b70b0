"""The accept-risk modal's submission: validate, close, then let Incidents decide."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Callable

from slack_sdk import WebClient

from bot.slack.blocks import zone
from bot.slack.blocks_incident import refusal
from bot.slack.ids import ActionId, ActionValue, BlockId, CallbackId
from bot.slack.listeners.actions import actor_of, tell

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext


def parse_acceptance(values: dict[str, Any], now: datetime, tz: str) -> tuple[str, datetime | None, dict[str, str]]:
    """(justification, expires_at in UTC, errors by block id) from the modal's state values."""
    errors: dict[str, str] = {}
    justification = ((values.get(BlockId.justification, {}).get(ActionId.justification) or {}).get("value")
                     or "").strip()
    if len(justification) < 10:
        errors[BlockId.justification] = "Say why the risk is acceptable (at least 10 characters)."
    raw = (values.get(BlockId.expiry, {}).get(ActionId.expiry) or {}).get("selected_date")
    expires_at = None
    try:
        day = date.fromisoformat(raw or "")
        expires_at = datetime.combine(day, time(23, 59, 59), tzinfo=zone(tz)).astimezone(now.tzinfo)
    except ValueError:
        errors[BlockId.expiry] = "Pick the day the exception ends."
    if expires_at is not None and expires_at <= now:
        errors[BlockId.expiry] = "The exception must end in the future."
    return justification, expires_at, errors


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def on_accept_risk(ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any],
                       client: WebClient) -> None:
        value = ActionValue.parse(view["private_metadata"], "accept_risk")
        justification, expires_at, errors = parse_acceptance(
            view["state"]["values"], services.clock.now(), services.settings.srm_timezone)
        if errors or expires_at is None:
            return ack(response_action="errors", errors=errors)
        ack()  # closes the modal; the decision and its thread reply follow

        def accept() -> None:
            result = services.incidents.accept_risk(value.incident_id, actor_of(body), justification, expires_at)
            if not result.ok:  # told in a DM: a modal has no channel, and they may not be in the incident's
                tell(ctx, client, body, None, refusal(result.reason, value.incident_id))

        ctx.later(accept, body)

    ctx.registered.view(app, CallbackId.accept_risk, on_accept_risk)
