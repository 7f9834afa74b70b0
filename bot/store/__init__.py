"""The only module with SQL: one SQLite file (WAL) through sqlite-utils.

Tables: ``scan_runs``, ``findings`` (the latest PASS/FAIL per account, region,
check and resource), ``incidents``, ``incident_events`` (the audit trail),
``risk_exceptions``, ``outbox`` (notifier calls waiting to be delivered),
``sent_messages`` (keys of posts already made, for idempotent posting), ``job_slots``
(scheduler slots claimed, so none runs twice) and ``digests`` (digests posted).

Schema changes are ordered :data:`MIGRATIONS`; ``schema_version`` records the ones
applied. Every multi-row change runs inside :meth:`Store.transaction`; the methods
called inside it join that transaction (nested blocks are savepoints).

The package splits by concern; together its modules are the only place with SQL:
:mod:`~bot.store.schema` (migrations), :mod:`~bot.store.base` (row helpers, transaction),
:mod:`~bot.store.runs` (scan runs, findings), :mod:`~bot.store.incidents` (incidents, events,
risk exceptions), :mod:`~bot.store.outbox` (outbox, sent messages) and :mod:`~bot.store.digests`
(posture digest, scheduler slots). :class:`Store` combines them.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlite_utils

from bot.models import Clock, SystemClock
from bot.store.base import FINDING_COLUMNS, iso
from bot.store.digests import DigestsMixin
from bot.store.incidents import IncidentsMixin
from bot.store.outbox import OutboxMixin
from bot.store.preflight import LocalStateError, preflight
from bot.store.runs import RunsMixin
from bot.store.schema import MIGRATIONS, SchemaTooNew, migrate

__all__ = ["FINDING_COLUMNS", "MIGRATIONS", "LocalStateError", "SchemaTooNew", "Store", "iso"]
BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's transaction before "database is locked"


class Store(RunsMixin, IncidentsMixin, OutboxMixin, DigestsMixin):
    def __init__(self, path: Path | str, *, clock: Clock | None = None, create: bool = True):
        """Open (and migrate) the database; :class:`LocalStateError` when the file is not usable as it is
        (nothing written to it then). ``create=False``: a missing file is an error (read-only commands)."""
        self.path = Path(path)
        preflight(self.path, create=create, latest=MIGRATIONS[-1][0])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock or SystemClock()
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    # -- schema --------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        row = next(self.db.query("SELECT MAX(version) AS v FROM schema_version"))
        return row["v"] or 0

    def _migrate(self) -> None:
        """Apply the missing :data:`MIGRATIONS`, read from this module at call time (tests patch it)."""
        migrate(self, MIGRATIONS)
