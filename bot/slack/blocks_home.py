"""The App Home tab: a posture summary and the viewer's team's open incidents (a pure builder)."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.incidents import Backlog
from bot.slack.blocks import chunked, context, divider, escape, header, section, when
from bot.slack.blocks_incident import SEVERITY_ICON, incident_line
from bot.slack.status import IncidentRow, Posture
from checks.base import Severity

MAX_ROWS = 30


def home_view(posture: Posture, teams: list[str], rows: list[IncidentRow], *,
              tz: str | ZoneInfo = "UTC", backlogs: list[Backlog] | None = None) -> dict[str, Any]:
    sev = " · ".join(f"{SEVERITY_ICON[s]} {s.value} {posture.by_severity.get(s.value, 0)}" for s in Severity)
    states = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(posture.by_state.items())) or "none"
    scan = (f"last scan {when(posture.last_scan_at, tz)} ({posture.last_scan_checks} checks)"
            if posture.last_scan_at else "no scan recorded yet: `/srm check all`")
    blocks: list[dict[str, Any]] = [
        header("Cloud posture"),
        section(f"*{posture.active} active incident(s)* ({states})\n{sev}"),
        section(f"*{posture.failing_checks} check(s) failing* on {posture.failing_resources} resource(s) "
                f"in {posture.accounts} account(s) · {scan}"),
        divider(),
    ]
    if not teams:
        blocks.append(section("You're not in any team of the owners file, so no incident is yours. "
                              "`/srm incidents open` lists every active one."))
    else:
        title = f"Open incidents for {', '.join(teams)}"
        blocks.append(header(title[:150]))
        if rows:
            blocks += chunked(incident_line(r, tz) for r in rows[:MAX_ROWS])
            if len(rows) > MAX_ROWS:
                blocks.append(context(f"… and {len(rows) - MAX_ROWS} more: `/srm incidents mine`"))
        else:
            blocks.append(section(f"Nothing open for {escape(', '.join(teams))} :tada:"))
        for b in backlogs or []:
            if b.lines:
                worst = ", ".join(f"{escape(x.title)} ({x.failing})" for x in b.lines[:3])
                blocks.append(section(f":inbox_tray: *Backlog for {escape(b.team.name)}*: {len(b.lines)} check(s), "
                                      f"{b.resources} resource(s) failing since first contact, no thread yet. "
                                      f"Worst: {worst}. Open threads from the team's backlog message."))
    blocks.append(divider())
    blocks.append(context("`/srm who owns &lt;topic&gt;` · `/srm incidents mine` · `/srm check s3` · `/srm help`"))
    return {"type": "home", "blocks": blocks[:100]}
