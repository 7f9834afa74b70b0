"""Read-only looks at a database file without opening a :class:`Store` (which would migrate it): for `srm doctor`."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileHealth:
    quick_check: str  # "ok", or what SQLite's quick_check found
    schema_version: int  # 0 when never migrated
    incidents: int


def file_health(path: Path | str) -> FileHealth:
    """Integrity, schema version and incident count, read-only. sqlite3.DatabaseError if it is not SQLite."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = 0
        if "schema_version" in tables:
            version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
        incidents = conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] if "incidents" in tables else 0
    finally:
        conn.close()
    return FileHealth(check, version, incidents)


def probe_write_lock(path: Path | str, timeout: float) -> None:
    """Take the write lock and roll back, writing nothing; sqlite3.OperationalError when it cannot."""
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.close()
