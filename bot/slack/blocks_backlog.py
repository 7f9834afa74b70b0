"""A team's backlog summary (failures found at first contact): one message instead of a thread each."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.slack.blocks import Payload, chunked, context, escape, message, plain, section
from bot.slack.ids import ActionId

if TYPE_CHECKING:  # pragma: no cover
    from bot.incidents import Backlog

SEVERITY_DOT = {"critical": ":red_circle:", "high": ":large_orange_circle:", "medium": ":large_yellow_circle:",
                "low": ":white_circle:"}
SHOWN = 12


def promote_value(team_id: str, min_severity: str) -> str:
    return json.dumps({"team_id": team_id, "min": min_severity}, separators=(",", ":"))


def backlog_message(backlog: "Backlog") -> Payload:
    """Counts by severity, the worst checks with a few resources each, and a menu to open threads."""
    team, lines = backlog.team, backlog.lines
    counts = ", ".join(f"{n} {s}" for s, n in backlog.by_severity.items())
    head = (f":inbox_tray: *Backlog for {escape(team.name)}*: {len(lines)} check(s), {backlog.resources} failing "
            f"resource(s) found at first contact ({counts}). No thread each: these were failing before srm-bot "
            "first looked. New drift opens threads as usual.")
    items = [f"{SEVERITY_DOT.get(x.severity.value, '')} *{escape(x.title)}* · `{escape(x.account_id)}` · "
             f"{x.failing} resource(s): " + ", ".join(f"`{escape(r)}`" for r in x.worst)
             + (" …" if x.failing > len(x.worst) else "") for x in lines[:SHOWN]]
    if len(lines) > SHOWN:
        items.append(f"… and {len(lines) - SHOWN} more (`srm incidents --state backlog`)")
    options = [("Open threads for all", "low")]
    severities = [s for s in ("critical", "high", "medium") if any(x.severity.value == s for x in lines)]
    options += [(f"Open threads for {s} and worse" if s != "critical" else "Open threads for critical", s)
                for s in severities]
    menu: dict[str, Any] = {"type": "static_select", "action_id": ActionId.backlog_promote,
                            "placeholder": plain("Open threads…"),
                            "options": [{"text": plain(label), "value": promote_value(team.id, sev)}
                                        for label, sev in options]}
    blocks = [section(head), *chunked(items), {"type": "actions", "block_id": "backlog.actions", "elements": [menu]},
              context("Opening threads posts one root message per check, paced to the channel's rate.")]
    return message(escape(f"Backlog for {team.name}: {len(lines)} check(s), {backlog.resources} resource(s)"), blocks)
