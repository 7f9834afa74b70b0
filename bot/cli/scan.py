"""`srm check`, `srm checks` and `srm iam-policy`: run and list the customer-side checks.

Exit codes of `srm check`: 0 clean, 1 a FAIL or ERROR finding at or above
``--fail-on`` (an ERROR is never a pass: we could not prove the control holds),
2 usage or configuration error (unknown check/aspect/service/account, no
credentials, bad config file).
"""
from __future__ import annotations

import difflib
import json
import re
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import click
from rich.console import Console
from rich.table import Table

from bot.cli import main
from bot.cli.export import export_input, load_cli_config, output_option, write_document
from bot.exports import EXPORT_FORMATS, render
from checks.base import Check, Finding, Severity, Status

FAIL_ON = ("critical", "high", "medium", "low", "never")
FORMATS = ("table", *EXPORT_FORMATS)
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
STATUS_STYLE = {Status.FAIL: "bold red", Status.ERROR: "bold yellow", Status.PASS: "green"}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}


def exit_code(findings: Iterable[Finding], fail_on: str) -> int:
    """1 when a FAIL or ERROR finding is at least as severe as ``fail_on``, else 0."""
    if fail_on == "never":
        return 0
    bar = Severity(fail_on).rank
    bad = (Status.FAIL, Status.ERROR)
    return 1 if any(f.status in bad and f.severity.rank >= bar for f in findings) else 0


def select_checks(check_ids: tuple[str, ...], run_all: bool, aspect: str | None, service: str | None) -> list[Check]:
    from checks.registry import load_all, select

    if run_all and check_ids:
        raise click.UsageError("give check ids or --all, not both")
    if not (check_ids or run_all or aspect or service):
        raise click.UsageError("name check id(s), --aspect, --service or --all (`srm checks` lists them)")
    try:
        return select(list(check_ids) or None, aspect=aspect, service=service)
    except KeyError as exc:
        reg = load_all()
        hints = []
        for cid in check_ids:
            if cid in reg:
                continue
            if cid.lower() in {c.meta.service for c in reg.values()}:
                hints.append(f"--service {cid.lower()}")
            elif cid in {c.meta.aspect for c in reg.values()}:
                hints.append(f"--aspect {cid}")
            else:
                hints += difflib.get_close_matches(cid, list(reg), n=1)
        hint = f" (did you mean {' / '.join(hints)}?)" if hints else ""
        raise click.UsageError(f"{exc.args[0]}{hint}") from None


@contextmanager
def progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback for `checks.runner.run` drawing a bar on a terminal; None when stderr is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scan", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def run_checks(selected: list[Check], targets: list, workers: int, settings: dict | None = None, aws=None):
    from checks.runner import Limits, run

    limits = Limits(check_timeout_s=getattr(aws, "check_timeout_s", None),
                    unit_timeout_s=getattr(aws, "unit_timeout_s", None))
    with progress_bar() as progress:
        return run(selected, targets, max_workers=workers, progress=progress, settings=settings, limits=limits)


def summary_line(result, n_targets: int) -> str:
    s = result.summary
    counts = " · ".join(f"{k} {v}" for k, v in s.findings.items())
    calls = sum(s.api_calls.values())
    line = (f"{counts} — {s.checks_run} checks, {s.scopes} scopes, {n_targets} account(s), "
            f"{s.duration_s:.1f}s, {calls} API calls ({s.duplicate_calls} duplicate)")
    if s.errors:
        codes = Counter(e.code for e in s.errors).most_common(5)
        line += "; errors: " + ", ".join(f"{c} x{n}" for c, n in codes)
    if s.units_timed_out:
        line += f"; {s.units_timed_out} unit(s) timed out"
    if s.partial:  # what could not be seen is unknown: nothing in it was taken for deleted or resolved
        line += f"; partial: {len(s.gaps) or len(s.errors)} gap(s), unseen resources left as they were"
    return line


def unreachable_lines(result) -> list[str]:
    """One ERROR line per account none of whose units could run (its checks are ERROR, never PASS)."""
    return [f"ERROR account {who}: {why}" for who, why in result.summary.unreachable.items()]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def render_table(result, n_targets: int) -> None:
    console = _console()
    bad = [f for f in result.findings if f.status is not Status.PASS]
    bad.sort(key=lambda f: (-f.severity.rank, f.status.value != "FAIL", f.check_id, f.account_id,
                            f.region, f.resource_id))
    if bad:
        table = Table(title="Failing and errored findings", title_justify="left")
        for col in ("Severity", "Status", "Check", "Account", "Region", "Resource", "Reason"):
            table.add_column(col, overflow="fold")
        for f in bad:
            table.add_row(f"[{SEVERITY_STYLE[f.severity.value]}]{f.severity.value}[/]",
                          f"[{STATUS_STYLE[f.status]}]{f.status.value}[/]", f.check_id, f.account_id,
                          f.region, f.resource_id, f.reason)
        console.print(table)
    else:
        console.print("No failing or errored findings.")
    console.print(f"PASS findings: {result.summary.findings.get('PASS', 0)}")
    console.print(summary_line(result, n_targets))


@main.command("check")
@click.argument("check_ids", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every registered check.")
@click.option("--aspect", help="Only checks guarding this matrix aspect (e.g. encryption_at_rest).")
@click.option("--service", help="Only checks for this AWS service (e.g. s3).")
@click.option("--account", help="Only this configured account (name or 12-digit id).")
@click.option("--region", help="Scan only this region (overrides the config).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="high", show_default=True,
              help="Exit 1 when a FAIL or ERROR finding is at least this severe.")
@click.option("--workers", type=click.IntRange(1, 64), help="Parallel checks [config aws.max_workers].")
@output_option
@click.pass_context
def check_cmd(ctx: click.Context, check_ids: tuple[str, ...], run_all: bool, aspect: str | None,
              service: str | None, account: str | None, region: str | None, fmt: str, fail_on: str,
              workers: int | None, output: Path | None) -> None:
    """Run customer-side checks now, e.g. `srm check --service s3 --format json`.

    Formats besides the table: json, csv (srm's own shape), ocsf (OCSF Compliance Finding), asff
    (Security Hub), sarif (SARIF 2.1.0, failing resources) and html (a self-contained report).
    """
    from checks.accounts import TargetError, resolve_targets

    if fmt == "table" and output is not None:
        raise click.UsageError(f"--output needs a document format: --format {'|'.join(EXPORT_FORMATS)}")
    selected = select_checks(check_ids, run_all, aspect, service)
    if region is not None and not REGION_RE.match(region):
        raise click.UsageError(f"--region {region!r} does not look like an AWS region (e.g. eu-west-1)")
    cfg = load_cli_config()
    try:
        targets = resolve_targets(cfg.aws, account=account, region=region)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except TargetError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)
    result = run_checks(selected, targets, workers or cfg.aws.max_workers, cfg.checks, cfg.aws)
    if fmt == "table":
        render_table(result, len(targets))
    else:
        write_document(render(fmt, export_input(result.findings)), output)
        click.echo(summary_line(result, len(targets)), err=True)
    for line in unreachable_lines(result):
        click.echo(line, err=True)
    ctx.exit(exit_code(result.findings, fail_on))


@main.command("checks")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
def checks_cmd(fmt: str) -> None:
    """List the registered checks: id, severity, aspect, service, frameworks, moto support."""
    from checks.registry import load_all

    metas = sorted((c.meta for c in load_all().values()), key=lambda m: m.id)
    if fmt == "json":
        click.echo(json.dumps([m.model_dump(mode="json") for m in metas], indent=2))
        return
    table = Table(title=f"{len(metas)} checks", title_justify="left")
    for col in ("Id", "Severity", "Aspect", "Service", "Scope", "Frameworks", "Moto"):
        table.add_column(col, overflow="fold")
    for m in metas:
        fw = "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(m.frameworks.items()) if v)
        table.add_row(m.id, f"[{SEVERITY_STYLE[m.severity.value]}]{m.severity.value}[/]", m.aspect,
                      m.service, m.scope, fw, m.moto)
    _console().print(table)


@main.command("iam-policy")
@click.option("--with-securityhub", is_flag=True,
              help="Also print the separate Security Hub write policy: a JSON object of both policies "
                   "keyed by name (srm-bot-readonly, srm-bot-securityhub).")
@click.pass_context
def iam_policy_cmd(ctx: click.Context, with_securityhub: bool) -> None:
    """Print the least-privilege IAM policy for the read-only scanning role (JSON).

    sts:AssumeRole is not in it: grant that to the identity srm-bot runs as.
    """
    from checks.policy import least_privilege_policy, securityhub_write_policy
    from checks.registry import load_all

    try:
        policy = least_privilege_policy(load_all().values())
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)
    if with_securityhub:
        click.echo(json.dumps({"srm-bot-readonly": policy, "srm-bot-securityhub": securityhub_write_policy()},
                              indent=2))
        return
    click.echo(json.dumps(policy, indent=2))
