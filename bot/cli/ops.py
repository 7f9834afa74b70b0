"""`srm scan`, `srm incidents` and `srm incident show`: run checks into incidents, and look at them."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.table import Table

from bot.cli import main
from bot.config import Settings, load_config
from bot.models import Incident, IncidentState
from bot.notifiers import event_text
from bot.store import Store

STATE_STYLE = {"open": "bold red", "acknowledged": "yellow", "risk_accepted": "cyan", "resolved": "green"}
db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                         help="SQLite file [SRM_DB, default ./var/srm.db]")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _store(db: Path | None) -> Store:
    return Store(db or Settings().srm_db)


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(Settings().srm_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if dt else "-"


def _targets(aws_cfg: Any, account: str | None, region: str | None) -> list[Any]:
    """Scan targets from checks.accounts when it is there; else the default credential chain."""
    try:
        from checks.accounts import resolve_targets
    except ImportError:  # pragma: no cover - depends on which modules are installed
        import boto3

        from checks.runner import Target

        session = boto3.Session()
        ident = session.client("sts", region_name=region or session.region_name or "us-east-1").get_caller_identity()
        return [Target(name="default", account_id=ident["Account"], session=session,
                       regions=[region or session.region_name or "us-east-1"])]
    return resolve_targets(aws_cfg, account=account, region=region)


@main.command("scan")
@click.option("--region", help="Scan only this region (overrides the configured regions).")
@click.option("--account", help="Scan only this configured account (name or id).")
@click.option("--check", "check_ids", multiple=True, metavar="ID", help="Run only these checks (repeatable).")
@db_option
def scan_cmd(region: str | None, account: str | None, check_ids: tuple[str, ...], db: Path | None) -> None:
    """Run the checks, record drift, and open/update/resolve incidents (printed here)."""
    from bot.incidents import Incidents
    from bot.notifiers import ConsoleNotifier
    from bot.owners import load_owners
    from checks.registry import select
    from checks.runner import run

    settings = Settings()
    config = load_config(settings.srm_config)
    owners = load_owners(settings.srm_owners)
    try:
        checks = select(list(check_ids) or None)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    try:
        targets = _targets(config.aws, account, region)
    except Exception as exc:  # noqa: BLE001 - TargetError, ValueError, botocore: one clear line
        _fail(f"cannot reach AWS: {exc}")
    console = Console()
    result = run(checks, targets, max_workers=config.aws.max_workers)
    svc = Incidents(_store(db), owners, ConsoleNotifier(console), config=config.incidents)
    out = svc.ingest(result)
    counts = result.summary.findings
    console.print(f"scanned {len(targets)} account(s), {result.summary.scopes} scope(s): "
                  f"{counts.get('PASS', 0)} pass, {counts.get('FAIL', 0)} fail, {counts.get('ERROR', 0)} error; "
                  f"{len(out.drift)} change(s), {len(out.events)} incident event(s)", highlight=False)
    for err in result.summary.errors[:10]:
        console.print(f"  [yellow]error[/] {err.account_id}/{err.region} {err.check_id}: {err.code}",
                      highlight=False)
    active = svc.store.incidents(states=[s for s in IncidentState if s.active])
    console.print(f"{len(active)} active incident(s); see `srm incidents`", highlight=False)


@main.command("incidents")
@click.option("--state", type=click.Choice(["open", "all"]), default="open", show_default=True,
              help="open: every incident not resolved; all: resolved ones too.")
@click.option("--team", help="Only incidents assigned to this team id.")
@db_option
def incidents_cmd(state: str, team: str | None, db: Path | None) -> None:
    """List incidents."""
    store = _store(db)
    states = None if state == "all" else [s for s in IncidentState if s.active]
    rows = store.incidents(states=states, team_id=team)
    console, tz = Console(), _zone()
    if not rows:
        console.print("no incidents" + ("" if state == "all" else " open"))
        return
    table = Table("#", "state", "severity", "account", "check", "team", "failing", "opened")
    for inc in rows:
        failing = 0 if inc.state is IncidentState.resolved else len(store.failing(inc.account_id, inc.check_id))
        st = inc.state.value + (" (snoozed)" if inc.snoozed(datetime.now(tz)) else "")
        table.add_row(str(inc.id), f"[{STATE_STYLE[inc.state.value]}]{st}[/]", inc.severity.value, inc.account_id,
                      inc.check_id, inc.team_id, str(failing), _when(inc.opened_at, tz))
    console.print(table)


@main.group("incident")
def incident_group() -> None:
    """One incident."""


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
        excepted = {e.key: e for e in store.active_exceptions(inc.account_id, inc.check_id, datetime.now(tz))}
        for f in store.failing(inc.account_id, inc.check_id):
            exc = excepted.get(f.key)
            note = f"  [cyan](risk accepted until {_when(exc.expires_at, tz)})[/]" if exc else ""
            console.print(f"  {f.region}/{f.resource_id}: {f.reason}{note}", highlight=False)
    table = Table("when", "what", "by", "state", title="timeline", title_justify="left")
    for e in store.events(inc.id):
        moved = f"{e.from_state.value if e.from_state else '-'} -> {e.to_state.value}" if e.changes_state else ""
        table.add_row(_when(e.at, tz), event_text(e), e.actor, moved)
    console.print(table)


def _header(console: Console, inc: Incident, tz: ZoneInfo) -> None:
    console.print(f"[bold]#{inc.id} {inc.title}[/]  [{STATE_STYLE[inc.state.value]}]{inc.state.value}[/]",
                  highlight=False)
    console.print(f"  check {inc.check_id} · account {inc.account_id} · severity {inc.severity.value} · "
                  f"team {inc.team_id}", highlight=False)
    console.print(f"  opened {_when(inc.opened_at, tz)} · updated {_when(inc.updated_at, tz)}"
                  + (f" · acknowledged by {inc.acknowledged_by}" if inc.acknowledged_by else "")
                  + (f" · snoozed until {_when(inc.snoozed_until, tz)}" if inc.snoozed_until else "")
                  + (f" · escalation level {inc.escalation_level}" if inc.escalation_level else ""),
                  highlight=False)
