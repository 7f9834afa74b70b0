"""Block Kit for the posture digest (pure): ``digest_message(digest, tz) -> {"text", "blocks"}``.

Times are shown in ``tz``; lists stop at :data:`MAX_LINES` items ("... and N more");
no mentions of teams (a digest informs, it does not page).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from bot.digest import Digest, OpenIncident, Posture
from bot.notify.text import names_list
from bot.slack.blocks import SECTION_LIMIT, escape
from bot.slack.blocks import zone as zone_of

MAX_LINES = 8
SEVERITY_ICON = {"critical": ":red_circle:", "high": ":large_orange_circle:", "medium": ":large_yellow_circle:",
                 "low": ":white_circle:"}


def digest_message(digest: Digest, tz: str) -> dict[str, Any]:
    zone = zone_of(tz)
    window = f"Since {_when(digest.since, zone)} · as of {_when(digest.generated_at, zone)}"
    posture = _posture_line(digest)
    if digest.all_clear:
        return {
            "text": f"SRM digest: all quiet. {_posture_line(digest, bold='')}",
            "blocks": [_section(":white_check_mark: *All quiet* - no new drift, nothing resolved, nothing past "
                                f"SLA, no risk exception expiring, no check errors, nothing open.\n{posture}"),
                       _context(window)],
        }
    if digest.quiet:  # nothing changed, but something is open: say so, never "all quiet"
        blocks_q = [_section(":large_blue_circle: *No change since the last digest* - no new drift, nothing "
                             f"resolved, nothing past SLA, no risk exception expiring, no check errors.\n{posture}")]
        if digest.open_incidents or digest.risk_accepted:
            blocks_q.append(_open_summary(digest, digest.generated_at))
        if digest.backlog:
            blocks_q.append(_backlog_section(digest))
        return {"text": f"SRM digest: no change. {_posture_line(digest, bold='')}", "blocks": [*blocks_q, _context(window)]}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Posture digest", "emoji": True}},
        _context(window), _section(posture), {"type": "divider"}]
    now = digest.generated_at
    if digest.past_sla:
        blocks.append(_list(f":rotating_light: *Not acknowledged, past SLA* ({len(digest.past_sla)})",
                            [_incident_line(i, now) + (f" · escalated (level {i.escalation_level})"
                                                       if i.escalation_level else "") for i in digest.past_sla]))
    if digest.new_failures:
        count = sum(len(d.resources) for d in digest.new_failures)
        blocks.append(_list(
            f":chart_with_downwards_trend: *New drift* ({count} resource(s) started failing)",
            [f"{SEVERITY_ICON[d.severity.value]} {escape(d.title)} - account {d.account_id} · {escape(d.team)}: "
             f"{_names(d.resources)}" + (f" (#{d.incident_id})" if d.incident_id else "")
             for d in digest.new_failures]))
    if digest.resolved:
        blocks.append(_list(f":white_check_mark: *Resolved* ({len(digest.resolved)})",
                            [f"#{r.id} {escape(r.title)} - account {r.account_id} · {escape(r.team)} · "
                             f"resolved {_when(r.resolved_at, zone)}" for r in digest.resolved]))
    if digest.open_incidents or digest.risk_accepted:
        blocks.append(_open_summary(digest, now))
    if digest.backlog:
        blocks.append(_backlog_section(digest))
    if digest.expiring:
        blocks.append(_list(f":hourglass_flowing_sand: *Risk exceptions expiring within 7 days* "
                            f"({len(digest.expiring)})",
                            [f"`{e.check_id}` on {escape(e.resource_id)} - account {e.account_id} ({e.region}) · "
                             f"expires {_when(e.expires_at, zone)} · accepted by <@{e.accepted_by}>"
                             for e in digest.expiring]))
    if digest.last_run is not None and digest.last_run.partial:
        run = digest.last_run
        done = f" ({run.units_done} of {run.units_total} units)" if run.units_total else ""
        blocks.append(_section(f":construction: *The latest scan (run #{run.id}) is partial*{done}: "
                               + ("still running" if run.status == "running" else "interrupted; the next scan "
                                  "of the same checks resumes it") + "."))
    if digest.errors:
        blocks.append(_list(f":warning: *Checks that errored in their latest run* ({len(digest.errors)})",
                            [f"`{e.check_id}` - account {e.account_id} ({e.region}): `{escape(e.code)}`"
                             for e in digest.errors]))
    blocks.append(_posture_section(":bar_chart: *Posture by aspect*", digest.aspects, "aspect"))
    blocks.append(_posture_section(":busts_in_silhouette: *Posture by team*", digest.teams, "team"))
    return {"text": _fallback(digest), "blocks": blocks}


def message_text(message: dict[str, Any]) -> str:
    """A rendered message as plain lines (for logs and terminals without Slack)."""
    lines = []
    for block in message["blocks"]:
        if block["type"] in ("section", "header"):
            lines.append(block["text"]["text"])
        elif block["type"] == "context":
            lines += [e["text"] for e in block["elements"]]
    return "\n".join(lines)


# -- pieces --------------------------------------------------------------------------
def _fallback(d: Digest) -> str:
    parts = []
    if d.new_failures:
        parts.append(f"{sum(len(x.resources) for x in d.new_failures)} newly failing resource(s)")
    if d.resolved:
        parts.append(f"{len(d.resolved)} incident(s) resolved")
    parts.append(f"{len(d.open_incidents)} open incident(s)" + (f" ({len(d.past_sla)} past SLA)" if d.past_sla else ""))
    if d.expiring:
        parts.append(f"{len(d.expiring)} risk exception(s) expiring")
    if d.errors:
        parts.append(f"{len(d.errors)} check error(s)")
    return f"SRM digest: {', '.join(parts)}. {_rate_line(d, bold='')}"


def _rate_line(d: Digest, bold: str = "*") -> str:
    t = d.totals
    if t.pass_rate is None:
        return "No findings stored yet (no scan has run)."
    accepted = f", {t.accepted} with accepted risk" if t.accepted else ""
    return f"{bold}{_pct(t)}{bold} of {t.passed + t.failed} resources pass ({t.failed} failing{accepted})."


def _posture_line(d: Digest, bold: str = "*") -> str:
    open_ = len(d.open_incidents)
    line = _rate_line(d, bold) + (f" {open_} incident(s) open" + _severities(d.by_severity) + "." if open_
                                  else " No incident open.")
    if d.backlog:
        line += f" Backlog: {sum(d.backlog.values())} check(s)."
    return line + _framework_line(d)


def _severities(by: dict[str, int]) -> str:
    return " (" + ", ".join(f"{n} {s}" for s, n in by.items()) + ")" if by else ""


def _framework_line(d: Digest) -> str:
    """Each framework's score, e.g. " Framework score: cis-4.0 36% (10/28)." (`/srm posture` has the detail)."""
    scores = [f"{escape(f.id)} {f.score:.0%} ({f.passed}/{f.covered})" for f in d.frameworks if f.score is not None]
    return f" Framework score: {', '.join(scores)}." if scores else ""


def _open_summary(d: Digest, now: datetime) -> dict[str, Any]:
    def counts(c: dict[str, int]) -> str:
        return " · ".join(f"{escape(k)} {v}" for k, v in c.items()) or "-"

    lines = [f"By severity: {counts(d.by_severity)}", f"By team: {counts(d.by_team)}",
             f"By age: {counts(d.by_age)}"]
    if d.risk_accepted:
        lines.append(f"Risk accepted (not counted as open): {d.risk_accepted}")
    oldest = [f"Oldest: {_incident_line(i, now)}" for i in d.open_incidents[:1]]
    return _section(f":file_folder: *Open incidents* ({len(d.open_incidents)})\n" + "\n".join(lines + oldest))


def _backlog_section(d: Digest) -> dict[str, Any]:
    counts = " · ".join(f"{k} {v}" for k, v in d.backlog.items())
    return _section(f":inbox_tray: *Backlog* ({sum(d.backlog.values())} check(s), {d.backlog_resources} resource(s) "
                    f"failing since first contact, no thread yet)\nBy severity: {counts}\n"
                    "Open threads from each team's backlog message, or `srm incident promote ID`.")


def _incident_line(i: OpenIncident, now: datetime) -> str:
    ack = " · acknowledged" if i.state.value == "acknowledged" else ""
    return (f"{SEVERITY_ICON[i.severity.value]} #{i.id} {escape(i.title)} - account {i.account_id} · "
            f"{escape(i.team)} · open {_age(now - i.opened_at)}{ack}")


def _posture_section(title: str, rows: list[Posture], noun: str) -> dict[str, Any]:
    failing = [p for p in rows if p.failed]
    lines = [f"{escape(p.title)}: {_pct(p)} ({p.passed}/{p.passed + p.failed}) · {p.failed} failing"
             + (f" ({p.accepted} accepted)" if p.accepted else "") for p in failing]
    clean = len(rows) - len(failing)
    tail = f"\n{clean} more {noun}(s) all passing" if clean and failing else ""
    if not rows:
        return _section(f"{title}\nNo findings yet.")
    if not failing:
        return _section(f"{title}\nEvery {noun} passes ({len(rows)}).")
    return _section(_bullets(title, lines) + tail)


def _list(title: str, lines: list[str]) -> dict[str, Any]:
    return _section(_bullets(title, lines))


def _bullets(title: str, lines: Iterable[str]) -> str:
    lines = list(lines)
    shown = [f"• {line}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"... and {len(lines) - MAX_LINES} more")
    return "\n".join([title, *shown])


def _section(text: str) -> dict[str, Any]:
    if len(text) > SECTION_LIMIT:
        text = text[:SECTION_LIMIT - 4].rsplit("\n", 1)[0] + "\n..."
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _names(ids: list[str], limit: int = 5) -> str:
    return names_list(ids, limit, escape)


def _pct(p: Posture) -> str:
    return "-" if p.pass_rate is None else f"{int(p.pass_rate * 100)}%"  # floor: 99.9% is not 100%


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return "< 1 h"
    return f"{int(hours)} h" if hours < 48 else f"{int(hours // 24)} d"


def _when(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%a %d %b %H:%M %Z")


