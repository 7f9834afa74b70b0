"""`srm scan`, `srm incidents` and `srm incident show`: run checks into incidents, and look at them."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.table import Table

from bot.cli import main
from bot.config import Settings
from bot.models import Incident, IncidentState, SystemClock
from bot.notify.text import event_text
from bot.notify.text import terminal as escape
from bot.store import Store

STATE_STYLE = {"backlog": "dim", "open": "bold red", "acknowledged": "yellow", "risk_accepted": "cyan",
               "resolved": "green"}
db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                         help="SQLite file [SRM_DB, default ./var/srm.db]")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _store(db: Path | None) -> Store:
    """The database for a read-only command: a missing file is an error, never a new empty database."""
    return Store(db or Settings().srm_db, create=False)


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(Settings().srm_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if dt else "-"


@main.command("scan")
@click.option("--region", help="Scan only this region (overrides the configured regions).")
@click.option("--account", help="Scan only this configured account (name or id).")
@click.option("--check", "check_ids", multiple=True, metavar="ID", help="Run only these checks (repeatable).")
@db_option
def scan_cmd(region: str | None, account: str | None, check_ids: tuple[str, ...], db: Path | None) -> None:
    """Run the checks, record drift, and open/update/resolve incidents (printed here)."""
    from bot.cli.scan import load_cli_config, progress_bar, select_checks, summary_line, unreachable_lines
    from bot.main import build_services
    from bot.notify.console import ConsoleReporter
    from checks.accounts import TargetError

    checks = select_checks(check_ids, not check_ids, None, None)
    cfg = load_cli_config()  # a bad environment or config file: exit 2 before anything runs
    console = Console(highlight=False, soft_wrap=True)
    settings = Settings(srm_db=db) if db else Settings()
    reporter = ConsoleReporter(console)
    services = build_services(settings)  # no notifier lane here: posts stay in the outbox for `srm serve`
    try:
        with progress_bar() as progress:
            result, out = services.scan(checks, account=account, region=region, progress=progress,
                                        keep_findings=cfg.securityhub.push_after_scan)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except TargetError as exc:
        _fail(str(exc))
    for event in out.events:  # shown here; Slack posts stay in the outbox for `srm serve`
        reporter.show(event, services.incidents.view(services.store.incident(event.incident_id)))
    console.print(summary_line(result, len({a for a, _, _ in result.covered}) or 1))
    for line in unreachable_lines(result):
        console.print(escape(line))
    for run_id in out.abandoned_runs:
        console.print(f"run #{run_id} was interrupted before it finished; it stays recorded as partial")
    if out.units_resumed:
        console.print(f"run #{out.run_id} resumed: {out.units_resumed} of {out.units_total} units were finished "
                      "by an interrupted scan and not run again")
    active = services.store.incidents(states=[s for s in IncidentState if s.active])
    console.print(f"{out.changes} change(s), {len(out.events)} incident event(s); "
                  f"{len(active)} active incident(s) (`srm incidents`)")
    if cfg.securityhub.push_after_scan:  # opt-in (srm.yml securityhub:)
        from bot.cli.export import echo_push_report, push_to_securityhub

        echo_push_report(push_to_securityhub(cfg, result.findings, result.covered))


@main.command("incidents")
@click.option("--state", type=click.Choice(["open", "backlog", "all"]), default="open", show_default=True,
              help="open: not resolved and not in the backlog; backlog: failing at first contact, no thread yet; "
                   "all: every incident, resolved ones too.")
@click.option("--team", help="Only incidents assigned to this team id.")
@db_option
def incidents_cmd(state: str, team: str | None, db: Path | None) -> None:
    """List incidents."""
    store = _store(db)
    states = {"all": None, "backlog": [IncidentState.backlog],
              "open": [s for s in IncidentState if s.active and s is not IncidentState.backlog]}[state]
    rows = store.incidents(states=states, team_id=team)
    console, tz = Console(), _zone()
    if not rows:
        console.print("no incidents" + {"all": "", "open": " open", "backlog": " in the backlog"}[state])
        return
    table = Table("#", "state", "severity", "account", "check", "team", "failing", "opened")
    for inc in rows:
        failing = 0 if inc.state is IncidentState.resolved else len(store.failing(inc.account_id, inc.check_id))
        st = inc.state.value + (" (snoozed)" if inc.snoozed(SystemClock().now()) else "")
        table.add_row(str(inc.id), f"[{STATE_STYLE[inc.state.value]}]{st}[/]", inc.severity.value, inc.account_id,
                      inc.check_id, inc.team_id, str(failing), _when(inc.opened_at, tz))
    console.print(table)


@main.group("incident")
def incident_group() -> None:
    """One incident: show it, or act on it as a named member (`--as`; the same rules as the Slack buttons)."""


@incident_group.command("show")
@click.argument("incident_id", type=int)
@db_option
def incident_show(incident_id: int, db: Path | None) -> None:
    """An incident, its failing resources and its timeline."""
    store = _store(db)
    try:
        inc = store.incident(incident_id)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    console, tz = Console(), _zone()
    _header(console, inc, tz)
    if inc.state is not IncidentState.resolved:
        now = SystemClock().now()
        excepted = {e.key: e for e in store.active_exceptions(inc.account_id, inc.check_id, now)}
        for f in store.failing(inc.account_id, inc.check_id):
            exc = excepted.get(f.key)
            note = f"  [cyan](risk accepted until {_when(exc.expires_at, tz)})[/]" if exc else ""
            console.print(f"  {escape(f'{f.region}/{f.resource_id}: {f.reason}')}{note}", highlight=False)
    table = Table("when", "what", "by", "state", title="timeline", title_justify="left")
    for e in store.events(inc.id):
        moved = f"{e.from_state.value if e.from_state else '-'} -> {e.to_state.value}" if e.changes_state else ""
        table.add_row(_when(e.at, tz), escape(event_text(e)), e.actor, moved)
    console.print(table)


def _header(console: Console, inc: Incident, tz: ZoneInfo) -> None:
    console.print(f"[bold]#{inc.id} {escape(inc.title)}[/]  [{STATE_STYLE[inc.state.value]}]{inc.state.value}[/]",
                  highlight=False)
    console.print(f"  check {inc.check_id} · account {inc.account_id} · severity {inc.severity.value} · "
                  f"team {inc.team_id}", highlight=False)
    console.print(f"  opened {_when(inc.opened_at, tz)} · updated {_when(inc.updated_at, tz)}"
                  + (f" · acknowledged by {inc.acknowledged_by}" if inc.acknowledged_by else "")
                  + (f" · snoozed until {_when(inc.snoozed_until, tz)}" if inc.snoozed_until else "")
                  + (f" · escalation level {inc.escalation_level}" if inc.escalation_level else ""),
                  highlight=False)
