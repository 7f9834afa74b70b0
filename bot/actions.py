"""The ONE registry of incident actions: id, label, who may do it, the event it records, its text.

Everything else is derived from :data:`ACTIONS`: the Slack action ids and controls
(``bot/slack/ids.py``, ``blocks_incident.py``, ``listeners/actions.py``), the
authorization rule (:func:`authorize`), the event line every notifier shows
(``bot/notify/text.py``) and the CLI (``srm incident <action>``). Adding an action is
one entry here plus its domain method on ``Incidents`` (named by ``method``) and tests.

Who may do what is decided from the database (the incident's assigned team) and the
owners file, never from what a button says.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Literal

from bot.models import EventKind, Incident

if TYPE_CHECKING:  # pragma: no cover
    from bot.config import IncidentsConfig
    from bot.owners import Owners, Team


class Who(StrEnum):
    team = "team"  # members or leads of the assigned team, and admins
    risk_owner = "risk_owner"  # admins, and the team's leads when leads_can_accept_risk
    anyone = "anyone"  # it only reads (re-check)


Render = Callable[..., str]  # the notifier's esc/at/code/names/mention, passed by keyword


@dataclass(frozen=True)
class ActionSpec:
    id: str
    label: str  # button / menu label
    who: Who
    event: EventKind  # what an attempt records (refused attempts too)
    method: str  # the Incidents method that does it
    emoji: str
    control: Literal["button", "select", "modal"] = "button"
    style: Literal["primary", "danger"] | None = None
    param: str | None = None  # the parameter a select's choice fills ("hours", "team_id")
    when_open_only: bool = False  # offered only while the incident is open (not yet acknowledged)
    on_root: bool = True  # offered on the incident's root message (False: CLI and summaries only)

    def verb(self) -> str:
        return self.id.replace("_", " ")


def hours_label(hours: int) -> str:
    if hours % 168 == 0:
        return f"{hours // 168} week" + ("s" if hours // 168 > 1 else "")
    if hours % 24 == 0:
        return f"{hours // 24} day" + ("s" if hours // 24 > 1 else "")
    return f"{hours} hour" + ("s" if hours > 1 else "")


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(id="acknowledge", event=EventKind.acknowledge, label="Acknowledge", who=Who.team,
               method="acknowledge", emoji=":eyes:", style="primary", when_open_only=True),
    ActionSpec(id="snooze", event=EventKind.snooze, label="Snooze…", who=Who.team, method="snooze", emoji=":zzz:",
               control="select", param="hours"),
    ActionSpec(id="reassign", event=EventKind.reassign, label="Reassign to team…", who=Who.team, method="reassign",
               emoji=":arrows_counterclockwise:", control="select", param="team_id"),
    ActionSpec(id="accept_risk", event=EventKind.accept_risk, label="Accept risk", who=Who.risk_owner,
               method="accept_risk", emoji=":shield:", control="modal"),
    ActionSpec(id="promote", event=EventKind.promoted, label="Open a thread", who=Who.team, method="promote",
               emoji=":arrow_up:", on_root=False),
    ActionSpec(id="recheck", event=EventKind.rechecked, label="Re-check now", who=Who.anyone, method="rechecked",
               emoji=":mag:"),
)
BY_ID: dict[str, ActionSpec] = {a.id: a for a in ACTIONS}


def action(action_id: str) -> ActionSpec:
    """Raises KeyError naming the unknown action."""
    try:
        return BY_ID[action_id]
    except KeyError:
        raise KeyError(f"unknown incident action {action_id!r} (known: {', '.join(BY_ID)})") from None


def choices(spec: ActionSpec, incident: Incident, owners: "Owners | None",
            config: "IncidentsConfig") -> list[tuple[str, str]]:
    """(label, value) of a select action's options for this incident."""
    if spec.param == "hours":
        return [(f"Snooze {hours_label(h)}", str(h)) for h in config.snooze_choices_hours]
    if spec.param == "team_id" and owners is not None:
        return [(t.name, t.id) for t in owners.teams if t.id != incident.team_id]
    return []


def authorize(owners: "Owners", team: "Team", actor_id: str, spec: ActionSpec | str) -> str | None:
    """None when ``actor_id`` may do the action on an incident assigned to ``team``; else why not."""
    spec = action(spec) if isinstance(spec, str) else spec
    if spec.who is Who.anyone or owners.is_admin(actor_id):
        return None
    if spec.who is Who.risk_owner:
        if owners.leads_can_accept_risk:
            if actor_id in team.leads:
                return None
            return f"only admins or leads of {team.name} can {spec.verb()}"
        return f"only admins can {spec.verb()}"
    if actor_id in team.members or actor_id in team.leads:
        return None
    return f"only members of {team.name} or admins can {spec.verb()} this incident"


BY_EVENT: dict[EventKind, ActionSpec] = {a.event: a for a in ACTIONS}


def describe(event_kind: EventKind, d: dict[str, Any], who: str, *, esc: Render, at: Render,
             names: Callable[[list[str]], str], reason: str = "") -> str | None:
    """The event line of an action event (None when ``event_kind`` is not an action)."""
    spec = BY_EVENT.get(event_kind)
    match spec.id if spec else None:
        case "acknowledge":
            return f"Acknowledged by {who}"
        case "snooze":
            return f"Snoozed by {who} until {at(d.get('until'))}"
        case "reassign":
            return f"Reassigned by {who} from {esc(d.get('from_name', ''))} to {esc(d.get('to_name', ''))}"
        case "accept_risk":
            return (f"Risk accepted by {who} until {at(d.get('expires_at'))} for {names(d.get('resources', []))}: "
                    f"{esc(d.get('justification', ''))}")
        case "promote":
            if who == "srm-bot":
                return f"Opened from the backlog: {esc(reason)}"
            return f"Opened from the backlog by {who}: {len(d.get('failing', []))} resource(s) failing"
        case "recheck":
            still = d.get("failing", [])
            return (f"Re-check by {who}: still {len(still)} resource(s) failing: {names(still)}" if still
                    else f"Re-check by {who}: nothing fails any more")
    return None
