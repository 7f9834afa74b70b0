"""Incident controls, one listener per action of the registry (``bot/actions.py``).

Who clicked is ``body.user.id`` (Slack signs the request); the control's value names
only the incident, the action and a select's choice. Every payload goes through one
validating parser (:func:`parse_click`): a malformed or stale one gets "that button is
stale" and one log line, never a traceback. Whether the click is allowed is decided by
``Incidents`` from the database and the owners file; a refused click gets an ephemeral
explanation, an allowed one becomes a thread reply and a root update (the outbox).
Re-check is open to anyone (it only reads): the clicker is told it started, the scan runs
after the ack, and its result is an incident event. One re-check per incident at a time.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from pydantic import ValidationError
from slack_sdk import WebClient

from bot.actions import ACTIONS, BY_ID, ActionSpec, authorize, choices
from bot.models import Actor, Incident
from bot.services import ScanBusy
from bot.slack.blocks import escape, notice, zone
from bot.slack.blocks_incident import accept_risk_modal, recheck_started, refusal
from bot.slack.ids import ActionId, ActionValue, action_id
from checks.accounts import TargetError
from checks.base import Severity

if TYPE_CHECKING:  # pragma: no cover
    from slack_bolt import App

    from bot.slack.app import SlackContext

log = logging.getLogger("bot.slack.actions")
Ack = Callable[..., None]
STALE = "that button is stale or malformed; use the buttons on the incident's latest message"


@dataclass(frozen=True)
class Click:
    actor: Actor
    value: ActionValue


def parse_click(body: Any, action: Any, spec: ActionSpec) -> Click | None:
    """The one validating parser of an incident control's payload; None (logged once) when malformed."""
    try:
        user = body["user"]
        raw = action["selected_option"]["value"] if spec.control == "select" else action["value"]
        value = ActionValue.parse(raw, spec)
        actor = Actor(id=str(user["id"]), name=str(user.get("username") or user.get("name") or ""))
    except (KeyError, TypeError, AttributeError, ValueError, ValidationError) as exc:
        log.warning("malformed %s payload refused: %s", spec.id, str(exc).splitlines()[0][:200])
        return None
    return Click(actor=actor, value=value)


def actor_of(body: dict[str, Any]) -> Actor:
    user = body["user"]
    return Actor(id=str(user["id"]), name=str(user.get("username") or user.get("name") or ""))


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
    running: set[int] = set()  # incidents with a re-check in progress (in this process)
    running_lock = threading.Lock()

    def refused(client: WebClient, body: dict[str, Any], incident_id: int | None, reason: str) -> None:
        tell(ctx, client, body, None, refusal(reason, incident_id))

    def params(spec: ActionSpec, click: Click) -> dict[str, Any] | str:
        """The domain method's arguments for a select's choice, or why the choice is not offered."""
        inc = services.store.incident(click.value.incident_id)
        offered = {v for _, v in choices(spec, inc, services.owners, services.config.incidents)}
        if spec.param == "hours":
            if click.value.param not in offered:
                return f"{click.value.param} h is not one of the snooze choices"
            return {"until": services.clock.now() + timedelta(hours=click.value.hours or 0)}
        if spec.param == "team_id":
            return {"team_id": click.value.param or ""}
        return {}

    def do(spec: ActionSpec) -> Callable[[dict[str, Any], dict[str, Any], WebClient], None]:
        """A button or a select: parse, call the action's domain method, tell the clicker a refusal."""
        def work(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            click = parse_click(body, action, spec)
            if click is None:
                return refused(client, body, None, STALE)
            try:
                extra = params(spec, click) if spec.control == "select" else {}
            except KeyError:
                return refused(client, body, click.value.incident_id, f"no incident #{click.value.incident_id}")
            if isinstance(extra, str):
                return refused(client, body, click.value.incident_id, extra)
            result = getattr(services.incidents, spec.method)(click.value.incident_id, click.actor, **extra)
            if not result.ok:
                refused(client, body, click.value.incident_id, result.reason)

        work.__name__ = spec.id
        return work

    def clicked_incident(spec: ActionSpec, body: dict[str, Any], action: dict[str, Any],
                         client: WebClient) -> tuple[Click, Incident] | None:
        """The click and the incident it names, from the database; None (the clicker told why) otherwise."""
        click = parse_click(body, action, spec)
        if click is None:
            refused(client, body, None, STALE)
            return None
        try:
            return click, services.store.incident(click.value.incident_id)
        except KeyError as exc:
            refused(client, body, click.value.incident_id, str(exc.args[0]))
            return None

    def open_modal(spec: ActionSpec) -> Callable[[dict[str, Any], dict[str, Any], WebClient], None]:
        """Accept risk: ask first (spares a justification people may not give), then open the modal."""
        def work(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            found = clicked_incident(spec, body, action, client)
            if found is None:
                return
            click, inc = found
            why_not = authorize(services.owners, services.incidents.team_of(inc), click.actor.id, spec)
            if why_not:  # checked again (and recorded) when the modal is submitted
                return refused(client, body, inc.id, why_not)
            today = services.clock.now().astimezone(zone(services.settings.srm_timezone)).date()
            client.views_open(trigger_id=body["trigger_id"],  # valid 3 s: not worth keeping for a retry
                              view=accept_risk_modal(services.incidents.view(inc), today=today))

        work.__name__ = spec.id
        return work

    def recheck(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        found = clicked_incident(next(a for a in ACTIONS if a.method == "rechecked"), body, action, client)
        if found is None:
            return
        click, inc = found
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
            tell(ctx, client, body, None, recheck_started(inc, click.actor.id))
            started = services.clock.now()
            try:
                services.scan(services.select_checks([inc.check_id]), account=inc.account_id, asked=True)
            except (TargetError, KeyError, ValueError, ScanBusy) as exc:
                return refused(client, body, inc.id, f"the re-check could not run: {exc}")
            services.incidents.rechecked(inc.id, click.actor, since=started)
        finally:
            with running_lock:
                running.discard(inc.id)

    def promote_backlog(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """The backlog summary's menu: open threads for the team's items at or above a severity."""
        try:
            value = json.loads(action["selected_option"]["value"])
            team = services.owners.team(str(value["team_id"]))
            floor = Severity(str(value["min"]))
            actor = actor_of(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("malformed backlog.promote payload refused: %s", str(exc)[:200])
            return refused(client, body, None, STALE)
        why_not = authorize(services.owners, team, actor.id, BY_ID["promote"])
        if why_not:
            return refused(client, body, None, why_not)
        results = services.incidents.promote_backlog(team.id, actor, floor.value)
        opened = sum(1 for r in results if r.ok)
        tell(ctx, client, body, None, notice(f"Opening {opened} thread(s) for {escape(team.name)} "
                                             f"({floor.value} and worse); they are posted at the channel's pace.",
                                             icon=":arrow_up:"))

    ctx.registered.action(app, ActionId.backlog_promote, after_ack(ctx, promote_backlog))
    for spec in (a for a in ACTIONS if a.on_root):
        work = recheck if spec.method == "rechecked" else open_modal(spec) if spec.control == "modal" else do(spec)
        ctx.registered.action(app, action_id(spec), after_ack(ctx, work))
