"""Online backup and restore of the SQLite file with SQLite's backup API.

The backup API copies pages through SQLite itself, so it is consistent while srm keeps writing
(WAL included) — unlike ``cp``, which can tear the file or miss commits still in ``-wal``.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.store.schema import MIGRATIONS

PAGES_PER_STEP = 1024  # copy in steps so writers are not held up for the whole copy


class BackupError(Exception):
    pass


@dataclass
class BackupInfo:
    path: Path
    bytes: int
    schema_version: int
    pages: int


def verify(path: Path) -> BackupInfo:
    """Integrity and schema version of a backup (or any srm database file); BackupError when unusable."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not an srm database ({exc})") from None
    if ok != "ok":
        raise BackupError(f"{path}: integrity check failed: {ok}")
    latest = MIGRATIONS[-1][0]
    if version > latest:
        raise BackupError(f"{path}: schema version {version} is newer than this srm-bot ({latest})")
    return BackupInfo(path=path, bytes=path.stat().st_size, schema_version=version, pages=pages)


def backup(db: Path, dest: Path) -> BackupInfo:
    """Copy the live database ``db`` to ``dest`` (which must not exist), then verify the copy."""
    if not db.is_file():
        raise BackupError(f"{db}: no database to back up")
    if dest.exists():
        raise BackupError(f"{dest}: already exists (backups never overwrite)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(str(db), timeout=30)
    out = sqlite3.connect(str(partial))
    try:
        src.backup(out, pages=PAGES_PER_STEP)
        out.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
    finally:
        out.close()
        src.close()
    os.replace(partial, dest)
    return verify(dest)


def restore(backup_path: Path, db: Path) -> BackupInfo:
    """Write a verified backup over ``db`` through the backup API (stop srm first). SQLite replaces the
    pages and the WAL consistently; the old ``-wal``/``-shm`` never mix with the restored data."""
    info = verify(backup_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
    out = sqlite3.connect(str(db), timeout=30)
    try:
        src.backup(out, pages=PAGES_PER_STEP)
        out.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        out.close()
        src.close()
    return info
