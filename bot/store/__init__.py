"""The only module with SQL: one SQLite file (WAL) through sqlite-utils.

Tables: ``scan_runs``, ``findings`` (the latest PASS/FAIL per account, region,
check and resource), ``incidents``, ``incident_events`` (the audit trail),
``risk_exceptions``, ``outbox`` (notifier calls waiting to be delivered),
``sent_messages`` (keys of posts already made, for idempotent posting), ``job_slots``
(scheduler slots claimed, so none runs twice) and ``digests`` (digests posted).

Schema changes are ordered :data:`MIGRATIONS`; ``schema_version`` records the ones
applied. Every multi-row change runs inside :meth:`Store.transaction`; the methods
called inside it join that transaction (nested blocks are savepoints).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from bot.models import (Clock, ConversationRef, Event, EventKind, Incident, IncidentState, Key,
                        OutboxItem, OutboxKind, RiskException, SystemClock, utc)
from checks.base import Finding, Status
from checks.runner import RunResult

FINDING_COLUMNS = ("account_id", "region", "check_id", "resource_id", "resource_type", "resource_arn",
                   "status", "reason", "evidence", "tags", "severity", "error_code")

# (version, SQL), in order. Append; never edit a migration that has shipped.
MIGRATIONS: list[tuple[int, str]] = [
    (1, """
    CREATE TABLE scan_runs (
        id INTEGER PRIMARY KEY, run_key TEXT NOT NULL UNIQUE, started_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL, duration_s REAL, checks_run INTEGER, scopes INTEGER,
        counts TEXT, errors TEXT, covered TEXT);
    CREATE TABLE findings (
        account_id TEXT NOT NULL, region TEXT NOT NULL, check_id TEXT NOT NULL, resource_id TEXT NOT NULL,
        resource_type TEXT NOT NULL, resource_arn TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('PASS', 'FAIL')), reason TEXT NOT NULL,
        evidence TEXT NOT NULL, tags TEXT NOT NULL, severity TEXT NOT NULL, error_code TEXT,
        fingerprint TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, fail_since TEXT,
        run_id INTEGER REFERENCES scan_runs(id),
        PRIMARY KEY (account_id, region, check_id, resource_id));
    CREATE INDEX findings_by_check ON findings (account_id, check_id, status);
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, check_id TEXT NOT NULL, title TEXT NOT NULL,
        aspect TEXT, severity TEXT NOT NULL, team_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'risk_accepted', 'resolved')),
        opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, acknowledged_at TEXT, acknowledged_by TEXT,
        resolved_at TEXT, snoozed_until TEXT, escalation_level INTEGER NOT NULL DEFAULT 0,
        next_escalation_at TEXT, reopen_count INTEGER NOT NULL DEFAULT 0, slack_channel TEXT, slack_ts TEXT);
    CREATE UNIQUE INDEX one_active_incident ON incidents (account_id, check_id) WHERE state != 'resolved';
    CREATE TABLE incident_events (
        id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incidents(id), at TEXT NOT NULL,
        kind TEXT NOT NULL, actor TEXT NOT NULL, allowed INTEGER NOT NULL, reason TEXT NOT NULL,
        from_state TEXT, to_state TEXT, data TEXT NOT NULL);
    CREATE INDEX events_by_incident ON incident_events (incident_id, id);
    CREATE TABLE risk_exceptions (
        id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, check_id TEXT NOT NULL,
        resource_id TEXT NOT NULL, incident_id INTEGER REFERENCES incidents(id), justification TEXT NOT NULL,
        accepted_by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, status TEXT NOT NULL);
    CREATE UNIQUE INDEX one_active_exception ON risk_exceptions (account_id, region, check_id, resource_id)
        WHERE status = 'active';
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, incident_id INTEGER NOT NULL REFERENCES incidents(id),
        kind TEXT NOT NULL, event_id INTEGER REFERENCES incident_events(id), status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT);
    CREATE INDEX outbox_pending ON outbox (status, id);
    CREATE TABLE sent_messages (
        key TEXT PRIMARY KEY, claimed_at TEXT NOT NULL, channel TEXT, ts TEXT, posted_at TEXT);
    """),
    (2, """
    CREATE TABLE job_slots (
        key TEXT PRIMARY KEY, job_id TEXT NOT NULL, slot TEXT NOT NULL, claimed_at TEXT NOT NULL,
        pid INTEGER, catch_up INTEGER NOT NULL DEFAULT 0, finished_at TEXT, outcome TEXT, detail TEXT);
    CREATE INDEX job_slots_by_job ON job_slots (job_id, slot);
    CREATE TABLE digests (
        key TEXT PRIMARY KEY, claimed_at TEXT NOT NULL, since TEXT, generated_at TEXT, channel TEXT,
        posted_at TEXT);
    """),
    (3, """
    CREATE INDEX findings_by_check_status ON findings (check_id, status, account_id);
    """),
]


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit the open transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


class SchemaTooNew(RuntimeError):
    pass


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else utc(dt).isoformat(timespec="microseconds")


def _finding(row: dict[str, Any]) -> Finding:
    data = {c: row[c] for c in FINDING_COLUMNS}
    data["evidence"] = json.loads(row["evidence"] or "{}")
    data["tags"] = json.loads(row["tags"] or "{}")
    return Finding(**data)


def _event(row: dict[str, Any]) -> Event:
    return Event(**{**row, "allowed": bool(row["allowed"]), "data": json.loads(row["data"] or "{}")})


class Store:
    def __init__(self, path: Path | str, *, clock: Clock | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock or SystemClock()
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
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
        """Apply the missing migrations, each with its version row in one IMMEDIATE transaction, so two
        processes starting together on an old file serialise and each migration runs once."""
        conn = self.db.conn
        with self._lock:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                         "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            latest = MIGRATIONS[-1][0]
            if self.schema_version > latest:
                raise SchemaTooNew(f"{self.path}: schema version {self.schema_version} is newer than "
                                   f"this srm-bot ({latest})")
            for version, sql in MIGRATIONS:
                if version <= self.schema_version:
                    continue
                conn.execute("BEGIN IMMEDIATE")  # the write lock: a concurrent migrator waits here
                try:
                    if version > self.schema_version:  # not applied by another process meanwhile
                        for statement in _statements(sql):
                            conn.execute(statement)
                        conn.execute("INSERT INTO schema_version VALUES (?, ?)", [version, iso(self.clock.now())])
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """One transaction (a savepoint when nested); one writer at a time in this process."""
        with self._lock, self.db.atomic():
            yield self

    def _rows(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params))

    def _write(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, list(params) if not isinstance(params, dict) else params)

    # -- scan runs -----------------------------------------------------------------------
    def record_run(self, run: RunResult, at: datetime) -> int:
        """The run's row id; the same run recorded twice keeps one row."""
        ident = json.dumps([run.summary.started_at, run.covered,
                            [(f.key, f.status.value, f.fingerprint) for f in run.findings]], default=str)
        run_key = hashlib.sha256(ident.encode()).hexdigest()[:24]
        s = run.summary
        self._write(
            "INSERT OR IGNORE INTO scan_runs (run_key, started_at, recorded_at, duration_s, checks_run, scopes,"
            " counts, errors, covered) VALUES (?,?,?,?,?,?,?,?,?)",
            [run_key, iso(datetime.fromtimestamp(s.started_at, tz=timezone.utc)), iso(at), s.duration_s,
             s.checks_run, s.scopes, json.dumps(s.findings), json.dumps([e.model_dump() for e in s.errors]),
             json.dumps(run.covered)])
        return self._rows("SELECT id FROM scan_runs WHERE run_key = ?", [run_key])[0]["id"]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM scan_runs ORDER BY id DESC LIMIT ?", [limit])
        for r in rows:
            for col in ("counts", "errors", "covered"):
                r[col] = json.loads(r[col] or "null")
        return rows

    # -- findings ------------------------------------------------------------------------
    def load_state(self, account_ids: Iterable[str] | None = None) -> dict[Key, Finding]:
        if account_ids is None:
            rows = self._rows("SELECT * FROM findings")
        else:
            ids = sorted(set(account_ids))
            rows = self._rows(f"SELECT * FROM findings WHERE account_id IN ({','.join('?' * len(ids))})", ids)
        return {(r["account_id"], r["region"], r["check_id"], r["resource_id"]): _finding(r) for r in rows}

    def apply_findings(self, upserts: Iterable[Finding], deletes: Iterable[Key], at: datetime, run_id: int) -> None:
        now = iso(at)
        with self.transaction():
            for f in upserts:
                self._write(
                    "INSERT INTO findings (account_id, region, check_id, resource_id, resource_type, resource_arn,"
                    " status, reason, evidence, tags, severity, error_code, fingerprint, first_seen, last_seen,"
                    " fail_since, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (account_id, region, check_id, resource_id) DO UPDATE SET"
                    " resource_type=excluded.resource_type, resource_arn=excluded.resource_arn,"
                    " reason=excluded.reason, evidence=excluded.evidence, tags=excluded.tags,"
                    " severity=excluded.severity, error_code=excluded.error_code, fingerprint=excluded.fingerprint,"
                    " last_seen=excluded.last_seen, run_id=excluded.run_id,"
                    " fail_since=CASE WHEN excluded.status != 'FAIL' THEN NULL"
                    "   WHEN findings.status = 'FAIL' THEN findings.fail_since ELSE excluded.last_seen END,"
                    " status=excluded.status",
                    [f.account_id, f.region, f.check_id, f.resource_id, f.resource_type, f.resource_arn,
                     f.status.value, f.reason, json.dumps(f.evidence, sort_keys=True, default=str),
                     json.dumps(f.tags, sort_keys=True), f.severity.value, f.error_code, f.fingerprint,
                     now, now, now if f.status is Status.FAIL else None, run_id])
            for key in deletes:
                self._write("DELETE FROM findings WHERE account_id=? AND region=? AND check_id=? AND resource_id=?",
                            key)

    def findings(self, *, account_id: str | None = None, check_id: str | None = None,
                 status: Status | None = None) -> list[Finding]:
        where, params = ["1=1"], []
        for col, val in (("account_id", account_id), ("check_id", check_id),
                         ("status", status.value if status else None)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        rows = self._rows(f"SELECT * FROM findings WHERE {' AND '.join(where)}"
                          " ORDER BY account_id, region, check_id, resource_id", params)
        return [_finding(r) for r in rows]

    def failing(self, account_id: str, check_id: str) -> list[Finding]:
        return self.findings(account_id=account_id, check_id=check_id, status=Status.FAIL)

    def finding_counts(self, check_ids: Iterable[str] | None = None) -> dict[tuple[str, str], dict[Status, int]]:
        """``{(account_id, check_id): {status: count}}`` without loading the rows (for status displays)."""
        where, params = "", []
        if check_ids is not None:
            ids = sorted(set(check_ids))
            where, params = f" WHERE check_id IN ({','.join('?' * len(ids))})", ids
        out: dict[tuple[str, str], dict[Status, int]] = {}
        for r in self._rows("SELECT account_id, check_id, status, COUNT(*) AS n FROM findings" + where
                            + " GROUP BY check_id, status, account_id", params):  # findings_by_check_status
            out.setdefault((r["account_id"], r["check_id"]), {})[Status(r["status"])] = r["n"]
        return out

    def failing_pairs(self) -> set[tuple[str, str]]:
        rows = self._rows("SELECT DISTINCT account_id, check_id FROM findings WHERE status = 'FAIL'")
        return {(r["account_id"], r["check_id"]) for r in rows}

    # -- incidents -----------------------------------------------------------------------
    def create_incident(self, **fields: Any) -> Incident:
        cur = self._write(f"INSERT INTO incidents ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                          [_col(v) for v in fields.values()])
        return self.incident(cur.lastrowid)  # type: ignore[arg-type]

    def update_incident(self, incident_id: int, **fields: Any) -> Incident:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._write(f"UPDATE incidents SET {sets} WHERE id = ?", [*map(_col, fields.values()), incident_id])
        return self.incident(incident_id)

    def incident(self, incident_id: int) -> Incident:
        rows = self._rows("SELECT * FROM incidents WHERE id = ?", [incident_id])
        if not rows:
            raise KeyError(f"no incident #{incident_id}")
        return Incident(**rows[0])

    def active_incident(self, account_id: str, check_id: str) -> Incident | None:
        rows = self._rows("SELECT * FROM incidents WHERE account_id=? AND check_id=? AND state != 'resolved'",
                          [account_id, check_id])
        return Incident(**rows[0]) if rows else None

    def last_incident(self, account_id: str, check_id: str) -> Incident | None:
        rows = self._rows("SELECT * FROM incidents WHERE account_id=? AND check_id=? ORDER BY id DESC LIMIT 1",
                          [account_id, check_id])
        return Incident(**rows[0]) if rows else None

    def incidents(self, *, states: Iterable[IncidentState] | None = None,
                  team_id: str | None = None, check_ids: Iterable[str] | None = None) -> list[Incident]:
        where, params = ["1=1"], []
        if states is not None:
            st = [s.value for s in states]
            where.append(f"state IN ({','.join('?' * len(st))})")
            params += st
        if check_ids is not None:
            ids = sorted(set(check_ids))
            where.append(f"check_id IN ({','.join('?' * len(ids))})")
            params += ids
        if team_id is not None:
            where.append("team_id = ?")
            params.append(team_id)
        rows = self._rows(f"SELECT * FROM incidents WHERE {' AND '.join(where)} ORDER BY id", params)
        return [Incident(**r) for r in rows]

    def set_incident_ref(self, incident_id: int, ref: ConversationRef) -> None:
        self._write("UPDATE incidents SET slack_channel = ?, slack_ts = ? WHERE id = ?",
                    [ref.channel, ref.ts, incident_id])

    # -- events --------------------------------------------------------------------------
    def add_event(self, incident_id: int, kind: EventKind, at: datetime, *, actor: str = "system",
                  allowed: bool = True, reason: str = "", from_state: IncidentState | None = None,
                  to_state: IncidentState | None = None, data: dict[str, Any] | None = None) -> Event:
        cur = self._write(
            "INSERT INTO incident_events (incident_id, at, kind, actor, allowed, reason, from_state, to_state, data)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [incident_id, iso(at), kind.value, actor, int(allowed), reason, _col(from_state), _col(to_state),
             json.dumps(data or {}, sort_keys=True, default=str)])
        return _event(self._rows("SELECT * FROM incident_events WHERE id = ?", [cur.lastrowid])[0])

    def events(self, incident_id: int) -> list[Event]:
        return [_event(r) for r in self._rows("SELECT * FROM incident_events WHERE incident_id = ? ORDER BY id",
                                              [incident_id])]

    def event(self, event_id: int) -> Event:
        return _event(self._rows("SELECT * FROM incident_events WHERE id = ?", [event_id])[0])

    # -- risk exceptions -----------------------------------------------------------------
    def add_exception(self, key: Key, *, incident_id: int | None, justification: str, accepted_by: str,
                      created_at: datetime, expires_at: datetime) -> RiskException:
        """Accept the risk on one resource; replaces an active exception on the same key."""
        with self.transaction():
            self._write("UPDATE risk_exceptions SET status = 'replaced' WHERE account_id=? AND region=?"
                        " AND check_id=? AND resource_id=? AND status = 'active'", key)
            cur = self._write(
                "INSERT INTO risk_exceptions (account_id, region, check_id, resource_id, incident_id,"
                " justification, accepted_by, created_at, expires_at, status) VALUES (?,?,?,?,?,?,?,?,?,'active')",
                [*key, incident_id, justification, accepted_by, iso(created_at), iso(expires_at)])
        return RiskException(**self._rows("SELECT * FROM risk_exceptions WHERE id = ?", [cur.lastrowid])[0])

    def active_exceptions(self, account_id: str, check_id: str, now: datetime) -> list[RiskException]:
        rows = self._rows("SELECT * FROM risk_exceptions WHERE account_id=? AND check_id=? AND status='active'"
                          " AND expires_at > ? ORDER BY id", [account_id, check_id, iso(now)])
        return [RiskException(**r) for r in rows]

    def due_exceptions(self, now: datetime) -> list[RiskException]:
        rows = self._rows("SELECT * FROM risk_exceptions WHERE status='active' AND expires_at <= ? ORDER BY id",
                          [iso(now)])
        return [RiskException(**r) for r in rows]

    def expire_exception(self, exception_id: int) -> None:
        self._write("UPDATE risk_exceptions SET status = 'expired' WHERE id = ?", [exception_id])

    # -- outbox --------------------------------------------------------------------------
    def enqueue(self, key: str, incident_id: int, kind: OutboxKind, at: datetime,
                event_id: int | None = None) -> None:
        """Queue a notifier call; a key already queued (or delivered) is ignored."""
        self._write("INSERT OR IGNORE INTO outbox (key, incident_id, kind, event_id, status, attempts, created_at)"
                    " VALUES (?,?,?,?,'pending',0,?)", [key, incident_id, kind.value, event_id, iso(at)])

    def pending_outbox(self) -> list[OutboxItem]:
        return [OutboxItem(**r) for r in self._rows("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id")]

    def outbox(self, incident_id: int | None = None) -> list[OutboxItem]:
        sql, params = "SELECT * FROM outbox", []
        if incident_id is not None:
            sql, params = sql + " WHERE incident_id = ?", [incident_id]
        return [OutboxItem(**r) for r in self._rows(sql + " ORDER BY id", params)]

    def mark_delivered(self, item_id: int, at: datetime) -> None:
        self._write("UPDATE outbox SET status='delivered', delivered_at=?, attempts=attempts+1 WHERE id=?",
                    [iso(at), item_id])

    def mark_failed(self, item_id: int, error: str) -> None:
        self._write("UPDATE outbox SET attempts=attempts+1, last_error=? WHERE id=?", [error[:500], item_id])

    # -- sent messages (idempotent posting for the Slack layer) --------------------------
    def claim_message_key(self, key: str) -> bool:
        """True the first time ``key`` is claimed; False forever after."""
        cur = self._write("INSERT OR IGNORE INTO sent_messages (key, claimed_at) VALUES (?, ?)",
                          [key, iso(self.clock.now())])
        return cur.rowcount == 1

    def record_message(self, key: str, ref: ConversationRef) -> None:
        self._write("INSERT INTO sent_messages (key, claimed_at, channel, ts, posted_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT (key) DO UPDATE SET channel=excluded.channel, ts=excluded.ts,"
                    " posted_at=excluded.posted_at",
                    [key, iso(self.clock.now()), ref.channel, ref.ts, iso(self.clock.now())])

    def sent_message(self, key: str) -> ConversationRef | None:
        rows = self._rows("SELECT channel, ts FROM sent_messages WHERE key = ? AND ts IS NOT NULL", [key])
        return ConversationRef(**rows[0]) if rows else None

    # -- posture digest ------------------------------------------------------------------
    def failing_since(self, since: datetime) -> list[tuple[Finding, datetime]]:
        """FAIL rows that started failing after ``since``, with the time they did."""
        rows = self._rows("SELECT * FROM findings WHERE status = 'FAIL' AND fail_since > ?"
                          " ORDER BY account_id, check_id, region, resource_id", [iso(since)])
        return [(_finding(r), datetime.fromisoformat(r["fail_since"])) for r in rows]

    def resolved_since(self, since: datetime) -> list[Incident]:
        rows = self._rows("SELECT * FROM incidents WHERE state = 'resolved' AND resolved_at > ?"
                          " ORDER BY resolved_at, id", [iso(since)])
        return [Incident(**r) for r in rows]

    def exceptions_expiring(self, now: datetime, until: datetime) -> list[RiskException]:
        """Active exceptions still in force at ``now`` that expire by ``until``."""
        rows = self._rows("SELECT * FROM risk_exceptions WHERE status = 'active' AND expires_at > ?"
                          " AND expires_at <= ? ORDER BY expires_at, id", [iso(now), iso(until)])
        return [RiskException(**r) for r in rows]

    def excepted_keys(self, now: datetime) -> set[Key]:
        rows = self._rows("SELECT account_id, region, check_id, resource_id FROM risk_exceptions"
                          " WHERE status = 'active' AND expires_at > ?", [iso(now)])
        return {(r["account_id"], r["region"], r["check_id"], r["resource_id"]) for r in rows}

    def claim_digest(self, key: str, since: datetime) -> bool:
        """True the first time a digest key is claimed; a claim released after a failed post may be retried."""
        cur = self._write("INSERT OR IGNORE INTO digests (key, claimed_at, since) VALUES (?, ?, ?)",
                          [key, iso(self.clock.now()), iso(since)])
        return cur.rowcount == 1

    def digest_posted(self, key: str, generated_at: datetime, channel: str) -> None:
        self._write("UPDATE digests SET generated_at = ?, channel = ?, posted_at = ? WHERE key = ?",
                    [iso(generated_at), channel, iso(self.clock.now()), key])

    def release_digest(self, key: str) -> None:
        self._write("DELETE FROM digests WHERE key = ? AND posted_at IS NULL", [key])

    def last_digest_at(self) -> datetime | None:
        """When the newest digest posted was generated (the next digest's "since")."""
        row = self._rows("SELECT MAX(generated_at) AS at FROM digests WHERE posted_at IS NOT NULL")[0]
        return datetime.fromisoformat(row["at"]) if row["at"] else None

    # -- scheduler slots -----------------------------------------------------------------
    def claim_slot(self, key: str, job_id: str, slot: datetime, *, pid: int | None = None,
                   catch_up: bool = False) -> bool:
        """True the first time a slot key is claimed, in any process, ever; False forever after."""
        cur = self._write("INSERT OR IGNORE INTO job_slots (key, job_id, slot, claimed_at, pid, catch_up)"
                          " VALUES (?,?,?,?,?,?)", [key, job_id, iso(slot), iso(self.clock.now()), pid,
                                                    int(catch_up)])
        return cur.rowcount == 1

    def finish_slot(self, key: str, outcome: str, detail: str = "") -> None:
        self._write("UPDATE job_slots SET finished_at = ?, outcome = ?, detail = ? WHERE key = ?",
                    [iso(self.clock.now()), outcome, detail[:500], key])

    def slots(self, job_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Claimed slots, newest first."""
        where, params = ("WHERE job_id = ?", [job_id]) if job_id else ("", [])
        rows = self._rows(f"SELECT * FROM job_slots {where} ORDER BY slot DESC, key LIMIT ?", [*params, limit])
        for r in rows:
            r["catch_up"] = bool(r["catch_up"])
        return rows


def _col(value: Any) -> Any:
    """A Python value as stored: datetimes as UTC ISO strings, enums as their value."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    return value
