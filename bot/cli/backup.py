"""`srm backup PATH` and `srm restore BACKUP`: the SQLite file, online, with SQLite's backup API."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli import main
from bot.config import Settings
from bot.store.backup import BackupError, backup, restore

db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                         help="SQLite file [SRM_DB, default ./var/srm.db]")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def backup_cmd(path: Path, db: Path | None) -> None:
    """Copy the database to PATH while srm runs (consistent; never overwrites), then verify the copy."""
    try:
        info = backup(db or Settings().srm_db, path)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"backed up to {info.path}: {info.bytes} bytes, schema version {info.schema_version}, integrity ok")


@main.command("restore")
@click.argument("backup_path", metavar="BACKUP", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_cmd(backup_path: Path, db: Path | None, yes: bool) -> None:
    """Replace the database with BACKUP (verified first). Stop `srm serve` / `srm schedule run` before."""
    target = db or Settings().srm_db
    if not yes:
        click.confirm(f"Replace {target} with {backup_path}? Every srm process using it must be stopped",
                      abort=True)
    try:
        info = restore(backup_path, target)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"restored {target} from {info.path} (schema version {info.schema_version}); "
               "start srm, then `srm doctor`")
