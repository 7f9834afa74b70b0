"""What the store's mixins share: the row helpers, value conversions and one transaction."""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import sqlite_utils

from bot.models import Clock, Event, utc
from checks.base import Finding

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger("bot.store")
BUSY_TIMEOUT_MS = 30_000  # the longest a write waits for another process's transaction
PATIENT_AFTER_MS = 2_000  # waiting longer than this is said in the log (another srm process is writing)
FINDING_COLUMNS = ("account_id", "region", "check_id", "resource_id", "resource_type", "resource_arn",
                   "status", "reason", "evidence", "tags", "severity", "error_code")


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else utc(dt).isoformat(timespec="microseconds")


def _finding(row: dict[str, Any]) -> Finding:
    data = {c: row[c] for c in FINDING_COLUMNS}
    data["evidence"] = json.loads(row["evidence"] or "{}")
    data["tags"] = json.loads(row["tags"] or "{}")
    return Finding(**data)


def _event(row: dict[str, Any]) -> Event:
    return Event(**{**row, "allowed": bool(row["allowed"]), "data": json.loads(row["data"] or "{}")})


def _col(value: Any) -> Any:
    """A Python value as stored: datetimes as UTC ISO strings, enums as their value."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    return value


class StoreBase:
    """The connection, the clock and the row helpers every store mixin uses (set up by :class:`Store`)."""
    path: Path
    clock: Clock
    db: sqlite_utils.Database
    _lock: threading.RLock

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """One write transaction (a savepoint when nested); one writer at a time in this process.

        It takes the write lock up front (BEGIN IMMEDIATE): a transaction that read first and then
        wrote would fail at once with "database is locked" when another process had written since
        its read, with no busy wait. Waiting for another process is said in the log."""
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:
                with self.db.atomic():
                    yield self
                return
            self._begin_immediate(conn)
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout={PATIENT_AFTER_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            log.warning("database %s is busy (another srm process is writing); waiting up to %d s",
                        self.path, (BUSY_TIMEOUT_MS - PATIENT_AFTER_MS) // 1000)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS - PATIENT_AFTER_MS}")
            conn.execute("BEGIN IMMEDIATE")
        finally:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _rows(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params))

    def _write(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, list(params) if not isinstance(params, dict) else params)
