"""`srm report --framework cis-4.0|fsbp`: how the latest findings stand against a compliance framework."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli import main
from bot.config import Settings
from bot.frameworks import available, get_framework
from bot.models import SystemClock
from bot.report_formats import RENDERERS
from bot.reports import FrameworkReport, ReqStatus, build_report
from bot.store import Store
from checks.registry import load_all

SHOWN_RESOURCES = 5  # failing resources listed per requirement in the terminal (all of them in json/csv/html)
STATUS_STYLE = {ReqStatus.PASS: "green", ReqStatus.FAIL: "bold red", ReqStatus.ERROR: "bold yellow",
                ReqStatus.NO_DATA: "dim", ReqStatus.NOT_COVERED: "magenta", ReqStatus.MANUAL: "cyan"}


def render_text(console: Console, report: FrameworkReport) -> None:
    sections = Table(title=f"{escape(report.name)} v{escape(report.version)} by section")
    sections.add_column("Section")
    for st in ReqStatus:
        sections.add_column(st.value, justify="right")
    for s in report.sections:
        sections.add_row(escape(f"{s.id} {s.title}"), *[str(s.counts[st] or "") for st in ReqStatus])
    sections.add_row("[b]Total[/]", *[f"[b]{report.counts[st]}[/]" for st in ReqStatus])
    reqs = Table(title="Requirements", show_lines=False)
    for col in ("Id", "Requirement", "Status", "Checks"):
        reqs.add_column(col)
    for r in report.requirements:
        text = escape(r.title)
        for f in r.failing[:SHOWN_RESOURCES]:
            text += f"\n  [red]x[/] {escape(f'{f.account_id}/{f.region}/{f.resource_id}')} [dim]({escape(f.reason)})[/]"
        if len(r.failing) > SHOWN_RESOURCES:
            text += f"\n  [dim]... and {len(r.failing) - SHOWN_RESOURCES} more (--format json|csv|html)[/]"
        if r.errors:
            text += f"\n  [yellow]errors:[/] {escape('; '.join(r.errors))}"
        status = f"[{STATUS_STYLE[r.status]}]{r.status.value}[/]"
        reqs.add_row(escape(r.id), text, status, escape("\n".join(r.checks)) or "[dim]-[/]")
    console.print(sections)
    console.print(reqs)
    accounts = ", ".join(report.accounts) or "none scanned yet (run `srm scan`)"
    console.print(f"accounts: {escape(accounts)}")
    console.print(f"[b]{escape(report.summary_line())}[/]")


@main.command("report")
@click.option("--framework", "framework_id", required=True, metavar="ID",
              help=f"Framework id ({', '.join(available())}).")
@click.option("--format", "fmt", type=click.Choice(["text", *RENDERERS]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file, not stdout.")
@click.option("--account", help="Only this account id.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file [SRM_DB, default ./var/srm.db]")
def report_cmd(framework_id: str, fmt: str, output: Path | None, account: str | None, db: Path | None) -> None:
    """Per requirement PASS / FAIL / ERROR / NO DATA / NOT COVERED / MANUAL from the latest scan, and a score."""
    try:
        framework = get_framework(framework_id)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--framework") from None
    store = Store(db or Settings().srm_db)
    report = build_report(framework, store, load_all().values(), now=SystemClock().now(), account_id=account)
    if fmt == "text":
        if output:
            with output.open("w", encoding="utf-8") as fh:
                render_text(Console(file=fh, width=160, highlight=False, soft_wrap=False), report)
        else:
            render_text(Console(highlight=False), report)
    else:
        body = RENDERERS[fmt](report)
        if output:
            output.write_text(body, encoding="utf-8")
        else:
            sys.stdout.write(body)
    if output:
        click.echo(f"wrote {output} ({report.summary_line()})", err=True)
