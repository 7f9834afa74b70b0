"""`srm digest` and `srm schedule list|run`: the posture digest and the scheduler from the command line.

`srm digest --post` and `srm schedule run` post with slack_sdk's WebClient
(SLACK_BOT_TOKEN, SLACK_API_BASE_URL). Exit 2 when the token or channel is
missing, when Slack refuses the post, or when another scheduler holds the database.
"""
from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from bot.cli import main
from bot.cli.ops import db_option
from bot.digest import Digest
from bot.logs import setup_logging
from bot.notify.text import names_list
from bot.notify.text import terminal as escape

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _services(db: Path | None, *, deliver: bool = False, create_db: bool = True):  # noqa: ANN202 - Services
    from pydantic import ValidationError

    from bot.config import Settings
    from bot.main import build_services

    try:
        settings = Settings(srm_db=db) if db else Settings()
    except ValidationError as exc:
        raise click.UsageError(f"bad environment setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") \
            from None
    return build_services(settings, deliver=deliver, create_db=create_db)


def _names(ids: list[str], limit: int = 10) -> str:
    return names_list(ids, limit)


@main.command("digest")
@click.option("--print", "mode", flag_value="print", default=True, help="Show the digest here (the default).")
@click.option("--post", "mode", flag_value="post",
              help="Post it to digest.channel (needs SLACK_BOT_TOKEN); it becomes the last digest.")
@db_option
def digest_cmd(mode: str, db: Path | None) -> None:
    """The posture digest since the last one posted: drift, incidents, SLA, expiring exceptions, errors."""
    from bot.digest import build_digest, publish

    services = _services(db, deliver=mode == "post", create_db=mode == "post")  # --print only reads
    cfg = services.config.digest
    digest = build_digest(services)
    if mode == "print":
        render_digest(Console(highlight=False), digest, cfg.timezone)
        return
    if not services.notifiers.delivering:
        _fail("no notifier lane can post here: set SLACK_BOT_TOKEN (and digest.channel), "
              "or an `email:` section with digest_to")
    key = f"digest:cli:{digest.generated_at.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%MZ')}"
    try:
        where = publish(services, digest, key=key)
    except OSError as exc:
        _fail(f"could not reach the notifier: {exc}")
    except Exception as exc:  # noqa: BLE001 - a refusal (SlackApiError, SMTP error) is one line
        response = getattr(exc, "response", None) or {}
        _fail(f"the digest was refused: {response.get('error') or exc}")
    if where is None:
        click.echo(f"already posted ({key}); not again")
    elif not where:
        _fail("no digest target: set digest.channel (Slack) or email.digest_to")
    else:
        click.echo("posted the digest to " + ", ".join(where))


def render_digest(console: Console, d: Digest, tz: str) -> None:
    """The digest in the terminal: the same sections as the Slack message, as lines."""
    zone = ZoneInfo(tz)

    def when(dt: datetime) -> str:
        return dt.astimezone(zone).strftime("%a %d %b %H:%M %Z")

    def sev(s: str) -> str:
        return f"[{SEVERITY_STYLE[s]}]{s}[/]"

    def section(title: str, lines: list[str]) -> None:
        if lines:
            console.print(f"[bold]{title}[/] ({len(lines)})")
            for line in lines:
                console.print(f"  {line}", soft_wrap=True)

    t = d.totals
    console.print(f"[bold]Posture digest[/] since {when(d.since)} · as of {when(d.generated_at)}")
    rate = "no findings yet" if t.pass_rate is None else f"{int(t.pass_rate * 100)}% of {t.passed + t.failed} pass"
    console.print(f"  {rate}; {t.failed} failing ({t.accepted} with accepted risk); {len(d.open_incidents)} "
                  f"incident(s) open, {len(d.past_sla)} past SLA, {d.risk_accepted} risk-accepted", soft_wrap=True)
    if d.quiet:
        console.print("  [green]All quiet[/]: no new drift, nothing resolved, nothing past SLA, "
                      "no exception expiring, no check errors.", soft_wrap=True)
    section("Past SLA, not acknowledged", [
        f"{sev(i.severity.value)} #{i.id} {escape(i.title)} - account {i.account_id} · {escape(i.team)} · "
        f"open since {when(i.opened_at)}" for i in d.past_sla])
    section("New drift", [f"{sev(x.severity.value)} {escape(x.title)} - account {x.account_id} · "
                          f"{escape(x.team)}: {escape(_names(x.resources))}" for x in d.new_failures])
    section("Resolved", [f"#{r.id} {escape(r.title)} - account {r.account_id} · {escape(r.team)} · "
                         f"{when(r.resolved_at)}" for r in d.resolved])
    section("Risk exception expiring", [f"{e.check_id} on {escape(e.resource_id)} - account {e.account_id} "
                                        f"({e.region}) · {when(e.expires_at)} · by {e.accepted_by}"
                                        for e in d.expiring])
    section("Check error", [f"{e.check_id} - account {e.account_id} ({e.region}): {escape(e.code)}"
                            for e in d.errors])
    if d.open_incidents:
        console.print("[bold]Open incidents[/] by severity: " + ", ".join(f"{k} {v}" for k, v in d.by_severity.items())
                      + " · by team: " + ", ".join(f"{k} {v}" for k, v in d.by_team.items())
                      + " · by age: " + ", ".join(f"{k} {v}" for k, v in d.by_age.items()), soft_wrap=True)
    for title, posture in (("aspect", d.aspects), ("team", d.teams)):
        if posture:
            table = Table(title, "pass rate", "passed", "failing", "accepted")
            for p in posture:
                table.add_row(escape(p.title), "-" if p.pass_rate is None else f"{int(p.pass_rate * 100)}%",
                              str(p.passed), str(p.failed), str(p.accepted))
            console.print(table)


@main.group("schedule")
def schedule_group() -> None:
    """The scheduler: scheduled scans, the digest and the minute sweep (docs/scheduling.md)."""


@schedule_group.command("list")
@db_option
def schedule_list(db: Path | None) -> None:
    """Jobs, their next run times and their last slot."""
    from bot.scheduler import job_specs, upcoming

    services = _services(db)
    now = services.clock.now()
    table = Table("job", "what", "cron", "next runs", "last slot")
    for spec in job_specs(services.config):
        zone = ZoneInfo(spec.timezone)
        nxt = ", ".join(t.astimezone(zone).strftime("%a %d %b %H:%M %Z") for t in upcoming(spec.trigger, now, 2))
        last = services.store.slots(spec.id, limit=1)
        slot = f"{last[0]['slot'][:16]}Z {last[0]['outcome'] or 'running'}" if last else "-"
        table.add_row(spec.id, escape(spec.description), f"{spec.cron} ({spec.timezone})", nxt, escape(slot))
    table.add_row("sweep", "escalation and expiry sweep", "every minute", "-", "-")
    Console().print(table)


@schedule_group.command("run")
@db_option
@click.option("--log-format", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="json: one JSON object per line for log shippers.")
def schedule_run(db: Path | None, log_format: str) -> None:
    """Run the scheduler without the Slack app (a headless worker). Stop with Ctrl-C or SIGTERM.

    With SLACK_BOT_TOKEN, incident conversations and digests go to Slack (429/5xx retried);
    without it digests are logged and incident posts stay in the outbox for a process that has the token.
    """
    from bot.scheduler import SchedulerLocked, build_scheduler

    setup_logging("INFO", log_format)
    services = _services(db, deliver=True)
    lanes = [n.kind for n in services.notifiers.delivering]
    try:
        sched = build_scheduler(services)
    except SchedulerLocked as exc:
        _fail(str(exc))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sched.start()
    delivered = f"delivered by lane(s) {', '.join(lanes)}" if lanes else \
        "kept in the outbox (no SLACK_BOT_TOKEN, no email section)"
    click.echo(f"scheduler running against {services.store.path} with {len(sched.get_jobs())} job(s); "
               f"incident conversations and digests {delivered}", err=True)
    try:
        stop.wait()
    finally:
        sched.shutdown()
