"""The accept-risk modal's submission: validate, close, then let Incidents decide."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Callable

from pydantic import ValidationError
from slack_sdk import WebClient

from bot.models import Actor
from bot.slack.blocks import zone
from bot.slack.blocks_incident import refusal
from bot.slack.ids import ActionId, ActionValue, BlockId, CallbackId
from bot.slack.listeners.actions import actor_of, tell

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext


log = logging.getLogger("bot.slack.views")
STALE_FORM = "This form is stale or malformed; open Accept risk again from the incident's latest message."


@dataclass(frozen=True)
class Submission:
    actor: Actor
    value: ActionValue
    values: dict[str, Any]


def parse_submission(body: Any, view: Any) -> Submission | None:
    """The one validating parser of the accept-risk modal's payload; None (logged once) when malformed."""
    try:
        value = ActionValue.parse(view["private_metadata"], "accept_risk")
        values = view["state"]["values"]
        if not isinstance(values, dict):
            raise TypeError("state.values is not an object")
        return Submission(actor=actor_of(body), value=value, values=values)
    except (KeyError, TypeError, AttributeError, ValueError, ValidationError) as exc:
        log.warning("malformed accept_risk submission refused: %s", str(exc).splitlines()[0][:200] if str(exc) else
                    type(exc).__name__)
        return None


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
        sub = parse_submission(body, view)
        if sub is None:
            return ack(response_action="errors", errors={BlockId.justification: STALE_FORM})
        value = sub.value
        justification, expires_at, errors = parse_acceptance(sub.values, services.clock.now(),
                                                             services.settings.srm_timezone)
        if errors or expires_at is None:
            return ack(response_action="errors", errors=errors)
        ack()  # closes the modal; the decision and its thread reply follow

        def accept() -> None:
            result = services.incidents.accept_risk(value.incident_id, sub.actor, justification, expires_at)
            if not result.ok:  # told in a DM: a modal has no channel, and they may not be in the incident's
                tell(ctx, client, body, None, refusal(result.reason, value.incident_id))

        ctx.later(accept, body)

    ctx.registered.view(app, CallbackId.accept_risk, on_accept_risk)
