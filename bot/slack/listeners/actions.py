"""Incident buttons: Acknowledge, Snooze, Accept risk (opens the modal), Re-check now.

Who clicked is ``body.user.id`` (Slack signs the request); the button value names
only the incident and the action. Whether the click is allowed is decided by
``Incidents`` from the database and the owners file; a refused click gets an
ephemeral explanation, an allowed one becomes a thread reply and a ``chat.update``
of the root (through the incident outbox).
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from slack_sdk import WebClient

from bot.incident_actions import authorize
from bot.models import Actor, EventKind
from bot.slack.blocks_incident import accept_risk_modal, recheck_result, refusal
from bot.slack.blocks import zone
from bot.slack.ids import ActionId, ActionValue, IncidentAction

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext

Ack = Callable[..., None]


def actor_of(body: dict[str, Any]) -> Actor:
    user = body["user"]
    return Actor(id=user["id"], name=user.get("username") or user.get("name") or "")


def tell(client: WebClient, body: dict[str, Any], channel: str | None, payload: dict[str, Any]) -> None:
    """An ephemeral message to whoever clicked, where they clicked (else in a DM)."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or channel
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, **payload)
    else:
        client.chat_postMessage(channel=user, **payload)


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def refused(client: WebClient, body: dict[str, Any], incident_id: int, reason: str) -> None:
        tell(client, body, None, refusal(reason, incident_id))

    def on_acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        value = ActionValue.parse(action["value"], IncidentAction.acknowledge)
        result = services.incidents.acknowledge(value.incident_id, actor_of(body))
        if not result.ok:
            refused(client, body, value.incident_id, result.reason)

    def on_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        value = ActionValue.parse(action["selected_option"]["value"], IncidentAction.snooze)
        if value.hours not in services.config.incidents.snooze_choices_hours:
            return refused(client, body, value.incident_id, f"{value.hours} h is not one of the snooze choices")
        until = services.clock.now() + timedelta(hours=value.hours or 0)
        result = services.incidents.snooze(value.incident_id, actor_of(body), until)
        if not result.ok:
            refused(client, body, value.incident_id, result.reason)

    def on_accept_risk(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        value = ActionValue.parse(action["value"], IncidentAction.accept_risk)
        try:
            inc = services.store.incident(value.incident_id)
        except KeyError as exc:
            return refused(client, body, value.incident_id, str(exc.args[0]))
        # checked again (and recorded) by Incidents.accept_risk when the modal is submitted;
        # asking first spares people a justification they may not give
        why_not = authorize(services.owners, services.incidents.team_of(inc), actor_of(body).id,
                            EventKind.accept_risk)
        if why_not:
            return refused(client, body, inc.id, why_not)
        today = services.clock.now().astimezone(zone(services.settings.srm_timezone)).date()
        client.views_open(trigger_id=body["trigger_id"],
                          view=accept_risk_modal(services.incidents.view(inc), today=today))

    def on_recheck(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        from checks.accounts import TargetError

        value = ActionValue.parse(action["value"], IncidentAction.recheck)
        try:
            inc = services.store.incident(value.incident_id)
        except KeyError as exc:
            return refused(client, body, value.incident_id, str(exc.args[0]))
        key = f"recheck:{inc.id}:{action.get('action_ts') or body.get('trigger_id')}"
        if not services.store.claim_message_key(key):
            return  # the same click delivered twice
        actor = actor_of(body).id
        try:
            services.scan(services.select_checks([inc.check_id]), account=inc.account_id)
        except (TargetError, KeyError, ValueError) as exc:
            return refused(client, body, inc.id, f"the re-check could not run: {exc}")
        inc = services.store.incident(inc.id)
        if inc.ref is not None:
            failing = len(services.incidents.view(inc).resources)
            client.chat_postMessage(channel=inc.ref.channel, thread_ts=inc.ref.ts,
                                    **recheck_result(inc, failing, actor))

    reg = ctx.registered
    reg.action(app, ActionId.acknowledge, on_acknowledge)
    reg.action(app, ActionId.snooze, on_snooze)
    reg.action(app, ActionId.accept_risk, on_accept_risk)
    reg.action(app, ActionId.recheck, on_recheck)
