"""Pure Block Kit builders for incidents: root message, first thread reply, event
replies, refusals, lists and the accept-risk modal.

The root message carries the buttons; each button's value is an
:class:`~bot.slack.ids.ActionValue` naming only the incident and the action.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.actions import ACTIONS, ActionSpec, choices
from bot.config import IncidentsConfig
from bot.models import Event, Incident, IncidentState, IncidentView
from bot.notify.text import event_text, names_list
from bot.slack.blocks import (
    Payload,
    chunked,
    context,
    escape,
    fields,
    header,
    link,
    mention,
    message,
    plain,
    section,
    team_mention,
    truncate,
    when,
)
from bot.slack.ids import ActionId, ActionValue, BlockId, CallbackId, action_id
from bot.slack.status import IncidentRow
from checks.base import Severity

SEVERITY_ICON = {Severity.critical: ":red_circle:", Severity.high: ":large_orange_circle:",
                 Severity.medium: ":large_yellow_circle:", Severity.low: ":white_circle:"}
STATE_ICON = {IncidentState.open: ":rotating_light:", IncidentState.acknowledged: ":eyes:",
              IncidentState.risk_accepted: ":shield:", IncidentState.resolved: ":white_check_mark:"}
MAX_RESOURCES = 15


def _names(ids: list[str], limit: int = 5) -> str:
    return names_list(ids, limit, lambda i: f"`{escape(i)}`")


def state_text(inc: Incident, now: datetime, tz: str | ZoneInfo) -> str:
    match inc.state:
        case IncidentState.open:
            text = "Open" + (f" (escalated, level {inc.escalation_level})" if inc.escalation_level else "")
        case IncidentState.acknowledged:
            text = f"Acknowledged by <@{inc.acknowledged_by}>" if inc.acknowledged_by else "Acknowledged"
        case IncidentState.risk_accepted:
            text = "Risk accepted"
        case _:
            text = f"Resolved {when(inc.resolved_at, tz)}"
    if inc.snoozed(now):
        text += f" · snoozed until {when(inc.snoozed_until, tz)}"
    return f"{STATE_ICON[inc.state]} {text}"


# -- the root message ----------------------------------------------------------------
def _actions(view: IncidentView, choices: "Choices") -> dict[str, Any]:
    """One control per registry action (bot/actions.py): a button, a select of its choices, or a modal opener."""
    inc = view.incident

    def value(spec: ActionSpec, param: str | None = None) -> str:
        return ActionValue(incident_id=inc.id, action=spec.id, param=param).dump()

    elements: list[dict[str, Any]] = []
    for spec in ACTIONS:
        if not spec.on_root or (spec.when_open_only and inc.state is not IncidentState.open):
            continue
        if spec.control == "select":
            options = choices(spec, inc)
            if options:
                elements.append({"type": "static_select", "action_id": action_id(spec),
                                 "placeholder": plain(spec.label),
                                 "options": [{"text": plain(label[:75]), "value": value(spec, v)}
                                             for label, v in options[:100]]})
            continue
        button: dict[str, Any] = {"type": "button", "action_id": action_id(spec), "text": plain(spec.label),
                                  "value": value(spec)}
        if spec.style:
            button["style"] = spec.style
        elements.append(button)
    return {"type": "actions", "block_id": BlockId.incident_actions, "elements": elements}


Choices = Callable[[ActionSpec, Incident], list[tuple[str, str]]]


def default_choices(spec: ActionSpec, inc: Incident) -> list[tuple[str, str]]:
    return choices(spec, inc, None, IncidentsConfig())


def incident_root(view: IncidentView, *, now: datetime, tz: str | ZoneInfo = "UTC",
                  choices: Choices = default_choices) -> Payload:
    """The incident's root message: what, where, how much, whose, and its state, with the buttons."""
    inc = view.incident
    failing = len(view.resources)
    excepted = sum(1 for r in view.resources if r.excepted_until)
    regions = sorted({r.finding.region for r in view.resources}) or view.regions  # a resolved root keeps it
    where = f"`{inc.account_id}`" + (f" · {', '.join(escape(r) for r in regions)}" if regions else "")
    count = f"{failing} resource(s)" + (f", {excepted} with accepted risk" if excepted else "")
    blocks = [
        *([header(":rotating_light: CRITICAL: act now")] if inc.severity is Severity.critical
          and inc.state is not IncidentState.resolved else []),
        section(f"{SEVERITY_ICON[inc.severity]} *{inc.severity.value.upper()}* · *{escape(inc.title)}*"),
        fields(f"*State*\n{state_text(inc, now, tz)}", f"*Owner*\n{escape(view.team.name)}",
               f"*Account / region*\n{where}", f"*Failing*\n{count}"),
        context(f"#{inc.id} · `{inc.check_id}` · opened {when(inc.opened_at, tz)}"
                + (f" · reopened {inc.reopen_count}×" if inc.reopen_count else "")),
    ]
    if inc.state is not IncidentState.resolved:
        blocks.append(_actions(view, choices))
    state = inc.state.value.replace("_", " ") + (" (snoozed)" if inc.snoozed(now) else "")
    text = (f"#{inc.id} [{inc.severity.value}] {inc.title} - account {inc.account_id}: {state}, "
            f"{failing} failing resource(s); owner {view.team.name}")
    return message(escape(text), blocks)


MARKUP_CHARS = re.compile(r"[*_~]")


def _closing_brace(text: str, start: int) -> int | None:
    """Index of the brace closing the JSON object that opens at ``start`` (quotes respected)."""
    depth, quoted, i = 0, False, start
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def remediation_text(text: str) -> str:
    """Remediation prose as mrkdwn with every command, policy and identifier verbatim: backticked parts stay
    inline code, JSON documents become code blocks, and any other word mrkdwn would format (``s3:*``,
    ``aws_access_key``) is put in inline code, so a copied policy is the policy."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "`" and (j := text.find("`", i + 1)) > i:
            out.append(f"`{escape(text[i + 1:j])}`")
            i = j + 1
            continue
        end = _closing_brace(text, i) if text[i] == "{" else None
        if end is not None:
            out.append(f"\n```{escape(text[i:end + 1])}```\n")
            i = end + 1
            continue
        k = min([p for p in (text.find("`", i + 1), text.find("{", i + 1)) if p > i] or [len(text)])
        words = re.split(r"(\s+)", text[i:k])
        out.append("".join(f"`{escape(w)}`" if MARKUP_CHARS.search(w) else escape(w) for w in words))
        i = k
    return "".join(out).strip()


def critical_notice(view: IncidentView, channel: str) -> Payload:
    """A critical incident, announced in the security channel too (the thread lives in the team's channel)."""
    inc = view.incident
    text = (f":rotating_light: Critical #{inc.id}: *{escape(inc.title)}* in `{escape(inc.account_id)}`, "
            f"{len(view.resources)} resource(s); owned by {escape(view.team.name)}, thread in <#{channel}>.")
    return message(text, [section(text)])


def incident_details(view: IncidentView, tz: str | ZoneInfo = "UTC") -> Payload:
    """The first thread reply: mentions the owners, lists the failing resources, says how to fix them."""
    inc, n = view.incident, len(view.resources)
    blocks = [section(f"{team_mention(view.team)} this one is yours ({escape(view.team.name)}): "
                      f"*{n} resource(s) failing* `{inc.check_id}` in `{inc.account_id}`.")]
    if inc.severity is Severity.critical:  # the escalation contact hears at once, not after the SLA
        blocks.append(section(f":rotating_light: *Critical*: {mention(view.team.escalation)}, you are the "
                              f"escalation contact for {escape(view.team.name)}; this needs an owner now."))
    for r in view.resources[:MAX_RESOURCES]:
        f = r.finding
        line = f"*`{escape(f.region)}/{escape(f.resource_id)}`* ({escape(f.resource_type)})\n{escape(f.reason)}"
        if f.evidence:
            line += f"\n```{escape(truncate(json.dumps(f.evidence, sort_keys=True, default=str), 600))}```"
        if r.excepted_until:
            line += f"\n:shield: risk accepted until {when(r.excepted_until, tz)}"
        blocks.append(section(line))
    if n > MAX_RESOURCES:
        blocks.append(context(f"… and {n - MAX_RESOURCES} more: `srm incident show {inc.id}`"))
    if view.remediation:
        blocks.append(section(f":wrench: *Remediation*\n{remediation_text(view.remediation)}"))
    blocks.append(context("Acknowledge when you're on it; snooze or accept the risk with the buttons above."))
    text = f"{view.team.name}: {n} resource(s) failing for #{inc.id} {inc.title}"
    return message(escape(text), blocks)


# -- thread replies for events -------------------------------------------------------
def _at(value: object, tz: str | ZoneInfo) -> str:
    """An ISO time from event data, shown in the configured zone."""
    try:
        return when(datetime.fromisoformat(str(value)), tz)
    except ValueError:
        return escape(value)


def event_line(event: Event, tz: str | ZoneInfo = "UTC") -> str:
    """One mrkdwn line describing an event; data that came from people or AWS is escaped."""
    return event_text(event, esc=escape, at=lambda v: _at(v, tz), code=lambda t: f"`{t}`", emoji=True, mention=mention)


def incident_event(event: Event, view: IncidentView, tz: str | ZoneInfo = "UTC") -> Payload:
    line = event_line(event, tz)
    return message(f"#{view.incident.id}: {line}",
                   [section(line), context(f"#{view.incident.id} · {when(event.at, tz)} · now "
                                           f"{view.incident.state.value.replace('_', ' ')}")])


USER_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,20})&gt;")


def refusal(reason: str, incident_id: int | None = None) -> Payload:
    """The ephemeral answer to a refused click."""
    subject = f" on #{incident_id}" if incident_id else ""
    # reasons are ours ("already acknowledged by <@U0...>"): escaped, then their user mentions restored
    reason = USER_MENTION.sub(r"<@\1>", escape(reason))
    text = f"Sorry, that didn't go through{subject}: {reason}"
    return message(text, [section(f":no_entry: {text}")])


def recheck_started(inc: Incident, actor: str) -> Payload:
    """The ephemeral answer to a Re-check click; the result follows in the thread."""
    text = (f":mag: Re-checking `{inc.check_id}` in `{inc.account_id}` for <@{actor}>; "
            f"the result goes to the thread of #{inc.id}.")
    return message(text, [section(text)])


# -- lists ---------------------------------------------------------------------------
def incident_line(row: IncidentRow, tz: str | ZoneInfo = "UTC") -> str:
    label = link(row.url, f"#{row.id} {row.title}")
    extra = f" · snoozed until {when(row.snoozed_until, tz)}" if row.snoozed_until else ""
    failing = f" · {row.failing} failing" if row.state is not IncidentState.resolved else ""
    return (f"{SEVERITY_ICON[row.severity]} *{label}* `{row.account_id}` · {row.state.value.replace('_', ' ')}"
            f"{failing} · {escape(row.team_name)}{extra}")


def incidents_list(rows: list[IncidentRow], scope: str, tz: str | ZoneInfo = "UTC", *,
                   teams: list[str] | None = None, limit: int = 25) -> Payload:
    title = {"mine": "Your team's incidents", "open": "Active incidents", "all": "All incidents"}.get(scope, scope)
    if scope == "mine" and teams is not None and not teams:
        text = "You're not in any team of the owners file, so no incident is yours. Try `/srm incidents open`."
        return message(text, [section(f":information_source: {text}")])
    if not rows:
        text = f"{title}: none" + (" :tada:" if scope != "all" else "")
        return message(text, [section(text)])
    blocks = [header(f"{title} ({len(rows)})")]
    if teams:
        blocks.append(context("Teams: " + ", ".join(escape(t) for t in teams)))
    blocks += chunked(incident_line(r, tz) for r in rows[:limit])
    if len(rows) > limit:
        blocks.append(context(f"… and {len(rows) - limit} more: `srm incidents --state {scope}`"))
    return message(f"{title}: {len(rows)}", blocks)


# -- the accept-risk modal -----------------------------------------------------------
def accept_risk_modal(view: IncidentView, *, today: date, default_days: int = 30) -> dict[str, Any]:
    inc = view.incident
    n = len([r for r in view.resources if not r.excepted_until]) or len(view.resources)
    initial = date.fromordinal(today.toordinal() + default_days)
    return {
        "type": "modal",
        "callback_id": CallbackId.accept_risk,
        "private_metadata": ActionValue(incident_id=inc.id, action="accept_risk").dump(),
        "title": plain("Accept risk", 24),
        "submit": plain("Accept risk", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*#{inc.id} {escape(inc.title)}* in `{inc.account_id}`\nThe {n} resource(s) failing now "
                    "stop alerting until the exception expires. Later failures still alert."),
            {"type": "input", "block_id": BlockId.justification, "label": plain("Justification"),
             "element": {"type": "plain_text_input", "action_id": ActionId.justification, "multiline": True,
                         "min_length": 10, "max_length": 1000,
                         "placeholder": plain("Why is this risk acceptable, and who agreed?")}},
            {"type": "input", "block_id": BlockId.expiry, "label": plain("Expires on"),
             "element": {"type": "datepicker", "action_id": ActionId.expiry, "initial_date": initial.isoformat()},
             "hint": plain("The exception ends at the end of this day; the incident reopens if it still fails.")},
        ],
    }
