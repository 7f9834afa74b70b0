"""`srm export`: a stored run's findings as OCSF, ASFF, SARIF, CSV, JSON or an HTML report.

Thin glue: the formats live in :mod:`bot.exports`; this module gathers their input (the
findings, the checks' metadata, the owners file's team routing) and writes the document.
``srm check --format ...`` uses the same :func:`export_input`.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import click

from bot.cli import main
from bot.config import Settings, SrmConfig
from bot.datafiles import DataFileError
from bot.exports import EXPORT_FORMATS, ExportInput, render
from bot.exports.common import TeamOf
from bot.owners import load_owners
from bot.store import Store
from checks.accounts import home_region
from checks.base import Finding, Severity, Status
from checks.registry import load_all
from checks.runner import GLOBAL_REGION

if TYPE_CHECKING:
    from bot.securityhub import PushReport, ScopeKey

db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                         help="SQLite file [SRM_DB, default ./var/srm.db]")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
                             help="Write the document to this file instead of stdout.")


def srm_version() -> str:
    try:
        return version("srm-bot")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0"


def owners_team_of(owners_path: Path | None = None) -> TeamOf | None:
    """Team routing from the owners file (tag naming a team, else the aspect's team, else the default);
    None when the file cannot be read, so reports fall back to the resources' `team` tag."""
    try:
        owners = load_owners(owners_path or Settings().srm_owners)
    except (DataFileError, OSError):
        return None
    metas = {cid: c.meta for cid, c in load_all().items()}

    def team_of(f: Finding) -> str:
        meta = metas.get(f.check_id)
        return owners.route(meta.aspect if meta else None, f.tags).id

    return team_of


def export_input(findings: Iterable[Finding], *, title: str = "srm-bot findings",
                 generated_at: datetime | None = None) -> ExportInput:
    return ExportInput(findings=list(findings), metas={cid: c.meta for cid, c in load_all().items()},
                       generated_at=generated_at or datetime.now(timezone.utc), version=srm_version(),
                       team_of=owners_team_of(), title=title, home_region=home_region())


def write_document(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({len(text.encode())} bytes)", err=True)


def errors_as_findings(run: dict) -> list[Finding]:
    """The ERROR findings of a stored run, rebuilt from its recorded errors (the findings table keeps
    PASS/FAIL only)."""
    registry = load_all()
    out = []
    for e in run.get("errors") or []:
        check = registry.get(e["check_id"])
        out.append(Finding(
            check_id=e["check_id"], account_id=e["account_id"], region=e["region"], resource_type="scope",
            resource_id="account" if e["region"] == GLOBAL_REGION else e["region"], status=Status.ERROR,
            reason=e["message"], error_code=e["code"],
            severity=check.meta.severity if check else Severity.medium))
    return out


def stored_run(store: Store, run_ref: str) -> dict:
    """The run row for ``latest`` or a run id; UsageError naming the choice when unknown."""
    if run_ref != "latest" and not run_ref.isdigit():
        raise click.UsageError(f"--run {run_ref!r}: give a run id (see `srm runs`) or 'latest'")
    run = store.run(None if run_ref == "latest" else int(run_ref))
    if run is None:
        newest = store.run()
        hint = f" (newest: {newest['id']})" if newest else " (no scan recorded yet: run `srm scan`)"
        raise click.UsageError(f"no stored run {run_ref}{hint}")
    return run


def stored_run_findings(store: Store, run_ref: str) -> tuple[dict, list[Finding]]:
    """(run row, the findings it recorded and no later run recorded again, plus its errors)."""
    run = stored_run(store, run_ref)
    newest = store.run()
    if newest and newest["id"] != run["id"]:
        click.echo(f"note: run {run['id']} is not the newest ({newest['id']}); resources a later run "
                   "recorded again are exported with that run, not this one", err=True)
    return run, store.run_findings(run["id"]) + errors_as_findings(run)


@main.command("export")
@click.option("--run", "run_ref", default="latest", show_default=True, help="Stored run id, or 'latest'.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@output_option
@db_option
def export_cmd(run_ref: str, fmt: str, output: Path | None, db: Path | None) -> None:
    """Export a stored scan run, e.g. `srm export --format sarif -o srm.sarif`."""
    store = open_store(db)
    try:
        run, findings = stored_run_findings(store, run_ref)
    finally:
        store.close()
    inp = export_input(findings, title=f"srm-bot findings, run {run['id']} ({run['started_at'][:19]})")
    write_document(render(fmt, inp), output)


def current_findings(store: Store, covered: Iterable[tuple[str, ...]]) -> list[Finding]:
    """The stored state (latest PASS/FAIL) of every resource in the scopes a run covered: what Security Hub
    should show now, even when a later run re-recorded some of them."""
    scopes = set(covered)
    return [f for f in store.findings() if (f.account_id, f.region, f.check_id) in scopes
            or (f.account_id, GLOBAL_REGION, f.check_id) in scopes]


def push_to_securityhub(cfg: SrmConfig, findings: list[Finding], covered: list[ScopeKey]) -> PushReport:
    """Push through each account's own session (Security Hub wants the caller to be the account)."""
    from bot.securityhub import push_run  # boto3 clients: only when pushing
    from checks.accounts import resolve_targets

    return push_run(cfg, findings, covered, resolve_targets(cfg.aws))


@main.group("securityhub")
def securityhub_group() -> None:
    """Push findings to AWS Security Hub (opt-in; needs `srm iam-policy --with-securityhub`)."""


@securityhub_group.command("push")
@click.option("--run", "run_ref", default="latest", show_default=True, help="Stored run id, or 'latest'.")
@db_option
def securityhub_push_cmd(run_ref: str, db: Path | None) -> None:
    """Push the current state of a stored run's scopes: import FAILs, resolve ours that pass again or are gone.
    Exit 1 if any finding could not be pushed."""
    from checks.accounts import TargetError

    cfg = load_cli_config()
    store = open_store(db)
    try:
        run = stored_run(store, run_ref)
        covered = [tuple(c) for c in run["covered"] or []]
        findings = current_findings(store, covered) + errors_as_findings(run)
    finally:
        store.close()
    try:
        report = push_to_securityhub(cfg, findings, covered)
    except TargetError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    echo_push_report(report)
    sys.exit(0 if report.ok else 1)


def echo_push_report(report: PushReport) -> None:
    click.echo(report.line(), err=True)
    for f in report.failed[:20]:
        message = " ".join(f.message.split())[:200]  # one line, even when an endpoint answers with HTML
        click.echo(f"  failed {f.account_id} {f.region} {f.finding_id}: {f.code} {message}", err=True)
    if len(report.failed) > 20:
        click.echo(f"  ... and {len(report.failed) - 20} more", err=True)


@main.command("runs")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@db_option
def runs_cmd(limit: int, db: Path | None) -> None:
    """List stored scan runs (ids for `srm export --run`)."""
    path = db or Settings().srm_db
    if not path.exists():
        click.echo("no runs recorded")
        return
    store = Store(path)
    try:
        rows = store.runs(limit)
    finally:
        store.close()
    if not rows:
        click.echo("no runs recorded")
    for r in rows:
        counts = " ".join(f"{k} {v}" for k, v in (r["counts"] or {}).items())
        click.echo(f"{r['id']:>5}  {r['started_at'][:19]}  {r['checks_run']} checks  {r['scopes']} scopes  {counts}")


def load_cli_config() -> SrmConfig:
    """srm.yml as the CLI reads it: a bad environment is a usage error, a bad file exits 2 (SrmGroup)."""
    from pydantic import ValidationError

    from bot.config import Settings, load_config

    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.UsageError(f"bad environment setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") \
            from None
    return load_config(settings.srm_config)  # DataFileError -> exit 2 in SrmGroup


def open_store(db: Path | None) -> Store:
    """The database a read-only export reads; exit 2 naming the path when there is none."""
    path = db or Settings().srm_db
    if not path.exists():
        click.echo(f"error: no database at {path} (run `srm scan` first, or pass --db)", err=True)
        sys.exit(2)
    return Store(path)
