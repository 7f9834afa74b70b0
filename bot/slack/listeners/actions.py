"""Incident buttons: Acknowledge, Snooze, Accept risk (opens the modal), Re-check now.

Who clicked is ``body.user.id`` (Slack signs the request); the button value names
only the incident and the action. Whether the click is allowed is decided by
``Incidents`` from the database and the owners file; a refused click gets an
ephemeral explanation, an allowed one becomes a thread reply and a ``chat.update``
of the root (through the incident outbox). Re-check is open to anyone (it only
reads): the clicker is told it started, the scan runs after the ack, and its result
is an incident event (thread reply + root update) like any other. One re-check per
incident runs at a time; a click meanwhile is told so.
"""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from slack_sdk import WebClient

from bot.incident_actions import authorize
from bot.models import Actor, EventKind, Incident
from bot.slack.blocks_incident import accept_risk_modal, recheck_started, refusal
from bot.slack.blocks import zone
from bot.slack.ids import ActionId, ActionValue, IncidentAction

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext

Ack = Callable[..., None]


def actor_of(body: dict[str, Any]) -> Actor:
    user = body["user"]
    return Actor(id=user["id"], name=user.get("username") or user.get("name") or "")


def tell(ctx: "SlackContext", client: WebClient, body: dict[str, Any], channel: str | None,
         payload: dict[str, Any]) -> None:
    """An ephemeral message to whoever clicked, where they clicked (else in a DM)."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or channel
    if channel:
        ctx.send(f"ephemeral to {user}", lambda: client.chat_postEphemeral(channel=channel, user=user, **payload))
    else:
        ctx.send(f"DM to {user}", lambda: client.chat_postMessage(channel=user, **payload))


Work = Callable[[dict[str, Any], dict[str, Any], WebClient], None]


def after_ack(ctx: "SlackContext", work: Work) -> Callable[..., None]:
    """A listener that acks the click at once and does ``work(body, action, client)`` after the response."""
    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                 respond: Callable[..., Any]) -> None:
        ack()
        ctx.later(lambda: work(body, action, client), body, respond)

    listener.__name__ = work.__name__
    return listener


def register(app: "App", ctx: "SlackContext") -> None:
    services = ctx.services

    def refused(client: WebClient, body: dict[str, Any], incident_id: int, reason: str) -> None:
        tell(ctx, client, body, None, refusal(reason, incident_id))

    def incident_of(body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    kind: IncidentAction) -> Incident | None:
        """The incident the button names, from the database; None (the clicker told why) if it is gone."""
        value = ActionValue.parse(action["value"], kind)
        try:
            return services.store.incident(value.incident_id)
        except KeyError as exc:
            refused(client, body, value.incident_id, str(exc.args[0]))
            return None

    def acknowledge(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        value = ActionValue.parse(action["value"], IncidentAction.acknowledge)
        result = services.incidents.acknowledge(value.incident_id, actor_of(body))
        if not result.ok:
            refused(client, body, value.incident_id, result.reason)

    def snooze(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        value = ActionValue.parse(action["selected_option"]["value"], IncidentAction.snooze)
        if value.hours not in services.config.incidents.snooze_choices_hours:
            return refused(client, body, value.incident_id, f"{value.hours} h is not one of the snooze choices")
        until = services.clock.now() + timedelta(hours=value.hours or 0)
        result = services.incidents.snooze(value.incident_id, actor_of(body), until)
        if not result.ok:
            refused(client, body, value.incident_id, result.reason)

    def accept_risk(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        inc = incident_of(body, action, client, IncidentAction.accept_risk)
        if inc is None:
            return
        # checked again (and recorded) by Incidents.accept_risk when the modal is submitted;
        # asking first spares people a justification they may not give
        why_not = authorize(services.owners, services.incidents.team_of(inc), actor_of(body).id,
                            EventKind.accept_risk)
        if why_not:
            return refused(client, body, inc.id, why_not)
        today = services.clock.now().astimezone(zone(services.settings.srm_timezone)).date()
        client.views_open(trigger_id=body["trigger_id"],  # valid 3 s: not worth keeping for a retry
                          view=accept_risk_modal(services.incidents.view(inc), today=today))

    running: set[int] = set()  # incidents with a re-check in progress (in this process)
    running_lock = threading.Lock()

    def recheck(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        from bot.main import ScanBusy
        from checks.accounts import TargetError

        inc = incident_of(body, action, client, IncidentAction.recheck)
        if inc is None:
            return
        key = f"recheck:{inc.id}:{action.get('action_ts') or body.get('trigger_id')}"
        if not services.store.claim_message_key(key):
            return  # the same click delivered twice
        with running_lock:
            busy = inc.id in running
            running.add(inc.id)
        if busy:  # several people clicking at once: one scan, the others are told
            return refused(client, body, inc.id, "a re-check of this incident is already running; "
                                                 "its result will appear in the thread")
        try:
            actor = actor_of(body)
            tell(ctx, client, body, None, recheck_started(inc, actor.id))
            try:
                services.scan(services.select_checks([inc.check_id]), account=inc.account_id, asked=True)
            except (TargetError, KeyError, ValueError, ScanBusy) as exc:
                return refused(client, body, inc.id, f"the re-check could not run: {exc}")
            services.incidents.rechecked(inc.id, actor)
        finally:
            with running_lock:
                running.discard(inc.id)

    reg = ctx.registered
    reg.action(app, ActionId.acknowledge, after_ack(ctx, acknowledge))
    reg.action(app, ActionId.snooze, after_ack(ctx, snooze))
    reg.action(app, ActionId.accept_risk, after_ack(ctx, accept_risk))
    reg.action(app, ActionId.recheck, after_ack(ctx, recheck))
