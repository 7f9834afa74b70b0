"""`srm doctor`: is this installation ready? One line per check, each failure with its fix (bot/doctor/)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli import main
from bot.cli.ops import db_option
from bot.doctor import AREAS, MANIFEST_PATH, exit_code, render, run_doctor


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--skip", type=click.Choice(AREAS), multiple=True, help="Do not check this area (repeatable).")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=MANIFEST_PATH,
              show_default="manifest.yml next to the code", help="The Slack app manifest the scopes must match.")
@db_option
def doctor_cmd(as_json: bool, skip: tuple[str, ...], manifest: Path, db: Path | None) -> None:
    """Check the set-up: data files, database, Slack tokens and scopes, AWS access. Exit 1 if a check fails."""
    results = run_doctor(db=db, skip=skip, manifest=manifest)
    if as_json:
        click.echo(json.dumps({"ok": exit_code(results) == 0, "checks": [r.as_dict() for r in results]}, indent=2))
    else:
        click.echo(render(results))
    sys.exit(exit_code(results))
