"""Look at the database file before a :class:`~bot.store.Store` opens it, so bad local state is one clear
error (with a fix) instead of a traceback, and nothing is written to a file that is not ours to touch.

Checked without writing: ``SRM_DB`` naming a directory, a missing file (read-only commands never create
one: a typo must not read as "all quiet"), a directory or file we cannot write, a file that is not
SQLite, a truncated file, a damaged page (``PRAGMA quick_check``) and a schema newer than this code.
"""
from __future__ import annotations

import os
import sqlite3
import struct
import time
from pathlib import Path

from bot.store.inspect import file_health

MAGIC = b"SQLite format 3\x00"
RESTORE = "stop srm and restore the last backup (docs/operations.md); is SRM_DB the file you meant?"


class LocalStateError(RuntimeError):
    """The database file cannot be used as it is; ``fix`` says what to do. The file was not touched."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.fix = fix

    def render(self) -> str:
        return f"{self} (fix: {self.fix})"


def preflight(path: Path, *, create: bool, latest: int) -> None:
    """Raise :class:`LocalStateError` when ``path`` cannot be opened as srm-bot's database as it is."""
    owner = f"uid {os.getuid()}"
    if path.is_dir():
        raise LocalStateError(f"database {path} is a directory", "point SRM_DB (or --db) at a file, e.g. var/srm.db")
    if not path.exists():
        if not create:
            raise LocalStateError(f"no database at {path} (SRM_DB); this command only reads and does not create one",
                                  "check SRM_DB / --db for a typo; `srm scan` or `srm serve` creates the database")
        _creatable(path, owner)
        return
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise LocalStateError(f"database {path} or its directory is not writable",
                              f"chown both to {owner} (SQLite writes -wal and -shm files next to the database)")
    _header(path)
    try:
        health = file_health(path)
    except sqlite3.DatabaseError as exc:
        raise LocalStateError(f"database {path} cannot be read as SQLite: {exc}", RESTORE) from None
    if health.quick_check != "ok":
        raise LocalStateError(f"database {path} is damaged (quick_check: {' '.join(health.quick_check.split())[:160]})", RESTORE)
    if health.schema_version > latest:
        raise LocalStateError(f"database {path} has schema version {health.schema_version}, newer than this "
                              f"srm-bot ({latest})",
                              "run the srm-bot version that wrote it, or restore the backup made before the upgrade")


def _creatable(path: Path, owner: str) -> None:
    parent = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("/"))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise LocalStateError(f"cannot create database {path}: {parent} is not a writable directory",
                              f"make {parent} writable by {owner}, or point SRM_DB elsewhere")


def _header(path: Path) -> None:
    """Not SQLite at all, or shorter than its own header says (a truncated copy).

    Another process may be writing the file right now (a checkpoint writes page 1 before the pages that
    extend the file, then deletes the WAL), so a file that looks short is looked at again for a moment
    before it is called truncated: a truncated copy stays short, a write in progress ends."""
    for _ in range(_SETTLE_TRIES):
        truncated = _looks_truncated(path)
        if truncated is None:
            return
        time.sleep(_SETTLE_PAUSE)
    raise LocalStateError(f"database {path} is truncated ({truncated})", RESTORE)


_SETTLE_TRIES = 10
_SETTLE_PAUSE = 0.05


def _looks_truncated(path: Path) -> str | None:
    """What is short about ``path`` (size against its header), or None when it is whole."""
    wal = path.with_name(path.name + "-wal")
    wal_pending = wal.exists() and wal.stat().st_size > 0  # newer pages may live in the WAL, not yet in the file
    size = path.stat().st_size
    if size == 0:
        return None  # an empty file is an empty database
    with open(path, "rb") as fh:
        head = fh.read(100)
    if len(head) < 100 or not head.startswith(MAGIC):
        raise LocalStateError(f"{path} is not an SQLite database", RESTORE)
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change, pages, valid_for = (struct.unpack(">I", head[o:o + 4])[0] for o in (24, 28, 92))
    if page_size < 512 or size % page_size or (change == valid_for and pages and size < pages * page_size
                                              and not wal_pending):
        return f"{size} bytes; its header says {pages} page(s) of {page_size} bytes"
    return None
