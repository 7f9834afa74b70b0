"""Pure Block Kit builders for answers: help, who owns, matrix, owners, scan results.

Every message builder returns ``{"text": fallback, "blocks": [...]}``; views
(modal, App Home) return a view object. Text a person typed, or that comes from
AWS, goes through :func:`escape` before it is put in mrkdwn, so it can never
become a ``<!channel>``, ``<@U..>`` or link. Incident builders: ``blocks_incident.py``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.answer import Answer
from bot.guard_status import from_check_status
from bot.matrix import CLOUD_MODELS, Matrix, Model, Owner
from bot.notify.text import visible
from bot.owners import Owners, Team
from bot.slack.ids import MAX_VARIANT_BUTTONS, ActionId, WhoValue
from bot.slack.status import CheckStatus

Payload = dict[str, Any]
SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text
MAX_BLOCKS = 50

OWNER_BADGE: dict[Owner, tuple[str, str]] = {
    Owner.provider: (":cloud:", "PROVIDER"),
    Owner.customer: (":bust_in_silhouette:", "CUSTOMER"),
    Owner.shared: (":handshake:", "SHARED"),
    Owner.depends: (":twisted_rightwards_arrows:", "DEPENDS ON THE SERVICE MODEL"),
    Owner.unknown: (":grey_question:", "NOT IN THE MATRIX"),
}
MODEL_LABEL = {Model.on_prem: "On-prem", Model.iaas: "IaaS", Model.paas: "PaaS", Model.saas: "SaaS"}
OWNER_SHORT = {"provider": "provider", "customer": "you", "shared": "shared"}
HELP_LINES = [  # (command, what it does: mrkdwn, already escaped)
    ("who owns <topic>", "who is responsible, e.g. `/srm who owns backups for RDS` (`who &lt;topic&gt;` works too)"),
    ("check [all|CHECK_ID|service|aspect]", "run the customer-side checks now, e.g. `/srm check s3`"),
    ("incidents [mine|open|all]", "your team's incidents, every active one, or all of them"),
    ("digest", "the posture digest"),
    ("matrix [iaas|paas|saas]", "the responsibility matrix"),
    ("owners", "the teams and what they own"),
    ("posture [cis-4.0|fsbp]", "the framework score and counts per section (`srm report` has the full report)"),
    ("help", "this message"),
]


# -- primitives ----------------------------------------------------------------------
def team_mention(team: Team) -> str:
    """How to address a team in Slack mrkdwn: its user group, else each member, else its name."""
    if team.usergroup:
        return f"<!subteam^{team.usergroup}>"
    return " ".join(f"<@{m}>" for m in team.members) or escape(team.name)


def mention(member_id: str) -> str:
    """A person by member id (the ``{@id}`` tokens of domain text and event actors)."""
    return f"<@{member_id}>"


def escape(text: object) -> str:
    """Text from people or AWS shown as mrkdwn: control and bidi characters made visible
    (:func:`~bot.notify.text.visible`), then Slack's escaping of &, < and > (in that order)."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def fields(*texts: str) -> dict[str, Any]:
    return {"type": "section", "fields": [mrkdwn(truncate(t, 1900)) for t in texts[:10]]}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts if t][:10]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text)}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def link(url: str | None, label: str) -> str:
    """A mrkdwn link (label escaped), or just the label without a URL."""
    return f"<{url}|{escape(label)}>" if url else escape(label)


def message(text: str, blocks: list[dict[str, Any]]) -> Payload:
    """A message payload; Slack shows ``text`` in notifications and where blocks cannot be shown."""
    if not text.strip():
        raise ValueError("a message needs a text fallback")
    return {"text": truncate(text, 3000), "blocks": blocks[:MAX_BLOCKS]}


def chunked(lines: Iterable[str], limit: int = SECTION_LIMIT) -> list[dict[str, Any]]:
    """Lines packed into as few sections as fit Slack's text limit."""
    out, buf = [], ""
    for line in lines:
        if buf and len(buf) + 1 + len(line) > limit:
            out.append(section(buf))
            buf = ""
        buf = f"{buf}\n{line}" if buf else line
    if buf:
        out.append(section(buf))
    return out


def zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(dt: datetime | None, tz: str | ZoneInfo = "UTC") -> str:
    return dt.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z") if dt else "-"


# -- simple messages -----------------------------------------------------------------
def notice(text: str, *, icon: str = ":information_source:") -> Payload:
    """One line (already safe mrkdwn) as a message."""
    return message(text, [section(f"{icon} {text}")])


def help_message(unknown: str | None = None) -> Payload:
    about = "srm-bot answers who owns what in the cloud shared responsibility model, and watches the customer side."
    if unknown is not None:
        intro = f"I didn't understand `{escape(truncate(unknown, 200)) or ' '}`. Here is what I can do:"
        first = section(f":thinking_face: {intro}")
    else:
        intro = about
        first = section(f"*srm-bot* {about.removeprefix('srm-bot ')}")
    commands = [f"/srm {escape(cmd)}" for cmd, _ in HELP_LINES]
    blocks = [first,
              section("\n".join(f"• `{c}` - {what}" for c, (_, what) in zip(commands, HELP_LINES))),
              context("Or mention me (or DM me) with a question: _@srm who owns backups for RDS?_")]
    return message(f"{intro} Commands: {', '.join(commands)}", blocks)


# -- who owns ------------------------------------------------------------------------
def _check_line(st: CheckStatus) -> str:
    name = f"`{st.check_id}`"
    if not st.known:
        return f":white_circle: {name} - not a check this bot knows"
    if st.failing:
        incs = ", ".join(link(i.url, f"#{i.id} {i.state.value.replace('_', ' ')}") for i in st.incidents)
        return (f":red_circle: {name} {escape(st.title)} - *{st.failing} failing*"
                + (f" · incident {incs}" if incs else ""))
    if st.never_run:
        return f":white_circle: {name} {escape(st.title)} - not scanned yet"
    return f":large_green_circle: {name} {escape(st.title)} - {st.passing} passing"


def _variant_buttons(answer: Answer) -> list[dict[str, Any]]:
    """One button per variant, each in its own actions block (an action id is unique within a block)."""
    question = truncate(answer.question, 1400)
    out = []
    for n, v in enumerate(answer.variants[:MAX_VARIANT_BUTTONS]):
        value = WhoValue(question=question, variant=truncate(v.name, 100)).dump()
        button = {"type": "button", "action_id": ActionId.who_variant.value, "text": plain(v.name, 75), "value": value}
        out.append({"type": "actions", "block_id": f"who.variant.{n}", "elements": [button]})
    return out


def _recheck_button(statuses: list[CheckStatus]) -> dict[str, Any]:
    known = [s.check_id for s in statuses if s.known][:20]
    return {"type": "button", "action_id": ActionId.who_recheck.value, "text": plain("Re-check now"),
            "value": WhoValue(checks=known).dump()}


def who_owns_message(answer: Answer, team: Team | None, statuses: list[CheckStatus]) -> Payload:
    """The answer: owner badge, task or topic, explanation, per-model or per-variant owners, owning team,
    the provider page it comes from, guarding checks with a Re-check button, and the next step."""
    icon, label = OWNER_BADGE[answer.owner]
    if answer.owner is Owner.depends and answer.variants:
        label = "DEPENDS ON THE VARIANT"
    topic = escape(answer.task.title if answer.task else (answer.aspect_title or ""))
    blocks = [section(f"{icon} *{label}*" + (f" · {topic}" if topic else ""))]
    where = []
    if answer.service_name:
        where.append(escape(answer.service_name))
    if answer.service_model:
        where.append(MODEL_LABEL[answer.service_model] + ("" if answer.service_model_stated else " (assumed)"))
    if answer.provider:
        where.append(answer.provider.value.upper() + ("" if answer.provider_stated else " (assumed)"))
    blocks.append(context(f"You asked: _{escape(truncate(answer.question, 300))}_", " · ".join(where)))
    if answer.owner is Owner.shared and answer.provider_does and answer.customer_does:
        summary = answer.explanation.split(" Provider: ")[0]
        blocks.append(section(escape(summary)))
        blocks.append(fields(f"*Provider does*\n{escape(answer.provider_does)}",
                             f"*You do*\n{escape(answer.customer_does)}"))
    else:
        blocks.append(section(escape(answer.explanation)))
    if answer.breakdown:
        blocks.append(fields(*[f"*{MODEL_LABEL[Model(m)]}: {OWNER_SHORT.get(b.owner, b.owner)}*\n{escape(b.summary)}"
                               for m, b in answer.breakdown.items()]))
    if answer.variants:
        blocks.append(fields(*[f"*{escape(v.name)}*\n{OWNER_SHORT.get(v.owner, v.owner)}" for v in answer.variants]))
        if answer.asks_variant:
            blocks.extend(_variant_buttons(answer))
    owning = None
    if team is not None and answer.owner not in (Owner.provider, Owner.unknown):
        owning = f"{team_mention(team)} ({escape(team.name)})"
        blocks.append(section(f":busts_in_silhouette: Customer part owned by {owning}"))
    if answer.service_tasks:
        blocks.append(section(f"*On {escape(answer.service_name or answer.service)}, this covers*\n" + "\n".join(
            f"• {escape(t.title)} - {OWNER_SHORT.get(t.owner, t.owner)}" for t in answer.service_tasks[:8])))
    if answer.sources:
        blocks.append(context("Source: " + " · ".join(link(s.url, s.title) for s in answer.sources[:2])))
    if statuses:
        recheck = [_recheck_button(statuses)] if any(s.known for s in statuses) else []
        blocks.append(section("*Checks guarding this*\n" + "\n".join(_check_line(s) for s in statuses),
                              **({"accessory": recheck[0]} if recheck else {})))
    step = answer.next_step_given(from_check_status(statuses))
    if step:
        blocks.append(context(f":arrow_right: *Next step:* {escape(step)}"))
    if answer.alternatives:
        lead = "Did you mean" if answer.owner is Owner.unknown else "Close matches"
        blocks.append(context(f"{lead}: " + ", ".join(escape(a.title) for a in answer.alternatives)))
    failing = sum(1 for s in statuses if s.failing)
    text = f"{label}: {answer.topic}. {answer.explanation}"
    if team is not None and owning:
        text += f" Customer part owned by {team.name}."
    if failing:
        text += f" {failing} guarding check(s) failing."
    return message(escape(text), blocks)


# -- matrix and owners ---------------------------------------------------------------
def matrix_message(matrix: Matrix, model: Model | None = None) -> Payload:
    if model is not None:
        title = f"Responsibility matrix - {MODEL_LABEL[model]}"
        lines = [f"{OWNER_BADGE[Owner(a.cells[model].owner)][0]} *{escape(a.title)}* - "
                 f"{OWNER_SHORT[a.cells[model].owner]}" for a in matrix.aspects]
    else:
        title = "Responsibility matrix - IaaS / PaaS / SaaS"
        lines = [f"*{escape(a.title)}* - " + " · ".join(
            f"{MODEL_LABEL[m]}: {OWNER_SHORT[a.cells[m].owner]}" for m in CLOUD_MODELS) for a in matrix.aspects]
    legend = "provider = the cloud provider does it · you = your organisation · shared = both, split per row"
    blocks = [header(title), *chunked(lines), context(legend + " · `/srm who owns &lt;topic&gt;` for the details")]
    return message(f"{title}: {len(matrix.aspects)} rows", blocks)


def owners_message(owners: Owners, aspect_titles: dict[str, str]) -> Payload:
    blocks = [header("Teams and what they own")]
    for t in owners.teams:
        owned = sorted(aspect_titles.get(a, a) for a, tid in owners.aspects.items() if tid == t.id)
        lines = [f"*{escape(t.name)}* (`{t.id}`) - {team_mention(t)}",
                 f"escalation <@{t.escalation}>" + (f" · leads {' '.join(f'<@{u}>' for u in t.leads)}"
                                                     if t.leads else "")]
        if t.id == owners.default_team:
            lines.append("_default team: anything not routed elsewhere_")
        if owned:
            lines.append("owns: " + ", ".join(escape(o) for o in owned))
        blocks.append(section("\n".join(lines)))
    if owners.admins:
        blocks.append(context("Admins: " + " ".join(f"<@{a}>" for a in owners.admins)))
    return message(f"{len(owners.teams)} teams: " + ", ".join(escape(t.name) for t in owners.teams), blocks)


# -- scans ---------------------------------------------------------------------------
def scan_started(n_checks: int, what: str) -> Payload:
    return notice(f"Running {n_checks} check(s) ({escape(what)}). I'll post the result here when the scan "
                  "finishes; incidents go to their thread.", icon=":mag:")


def scan_result(result: Any, outcome: Any, what: str) -> Payload:
    """``result``: checks.runner.RunResult; ``outcome``: bot.incidents.ScanOutcome."""
    s = result.summary
    counts = {k: s.findings.get(k, 0) for k in ("PASS", "FAIL", "ERROR")}
    icon = ":red_circle:" if counts["FAIL"] else (":warning:" if counts["ERROR"] else ":large_green_circle:")
    headline = (f"Scan of {escape(what)} finished in {s.duration_s:.1f} s: {s.checks_run} check(s) over "
                f"{s.scopes} scope(s) - {counts['PASS']} pass, {counts['FAIL']} fail, {counts['ERROR']} error")
    kinds: dict[str, int] = {}
    for e in outcome.events:
        kinds[e.kind.value] = kinds.get(e.kind.value, 0) + 1
    blocks = [section(f"{icon} {headline}")]
    if kinds:
        blocks.append(context("Incidents: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(kinds.items()))))
    if s.errors:
        lines = [f"• `{e.check_id}` {e.account_id}/{e.region}: {escape(e.code)}" for e in s.errors[:8]]
        if len(s.errors) > 8:
            lines.append(f"… and {len(s.errors) - 8} more")
        blocks.append(section("*Errors* (nothing was marked passing or failing for these)\n" + "\n".join(lines)))
    return message(headline, blocks)
