"""Schema: the ordered :data:`MIGRATIONS` and the code that applies them."""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from bot.store.base import iso

if TYPE_CHECKING:
    from bot.store import Store

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
    (4, """
    ALTER TABLE outbox ADD COLUMN lease_until TEXT;
    """),
    (5, """
    CREATE TABLE conversations (
        incident_id INTEGER NOT NULL REFERENCES incidents(id), kind TEXT NOT NULL, channel TEXT NOT NULL,
        thread TEXT NOT NULL, link TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
        PRIMARY KEY (incident_id, kind));
    INSERT INTO conversations (incident_id, kind, channel, thread, created_at)
        SELECT id, 'slack', slack_channel, slack_ts, updated_at FROM incidents
        WHERE slack_channel IS NOT NULL AND slack_ts IS NOT NULL;
    ALTER TABLE incidents DROP COLUMN slack_channel;
    ALTER TABLE incidents DROP COLUMN slack_ts;
    ALTER TABLE outbox ADD COLUMN lane TEXT NOT NULL DEFAULT 'slack';
    CREATE INDEX outbox_lane_pending ON outbox (lane, status, id);
    """),
    (6, """
    CREATE TABLE incidents_v6 (
        id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, check_id TEXT NOT NULL, title TEXT NOT NULL,
        aspect TEXT, severity TEXT NOT NULL, team_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('backlog', 'open', 'acknowledged', 'risk_accepted', 'resolved')),
        opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, acknowledged_at TEXT, acknowledged_by TEXT,
        resolved_at TEXT, snoozed_until TEXT, escalation_level INTEGER NOT NULL DEFAULT 0,
        next_escalation_at TEXT, reopen_count INTEGER NOT NULL DEFAULT 0);
    INSERT INTO incidents_v6 SELECT id, account_id, check_id, title, aspect, severity, team_id, state, opened_at,
        updated_at, acknowledged_at, acknowledged_by, resolved_at, snoozed_until, escalation_level,
        next_escalation_at, reopen_count FROM incidents;
    DROP TABLE incidents;
    ALTER TABLE incidents_v6 RENAME TO incidents;
    CREATE UNIQUE INDEX one_active_incident ON incidents (account_id, check_id) WHERE state != 'resolved';
    CREATE INDEX incidents_by_state ON incidents (state, team_id);
    CREATE TABLE targets_seen (
        account_id TEXT NOT NULL, region TEXT NOT NULL, first_seen TEXT NOT NULL,
        PRIMARY KEY (account_id, region));
    INSERT OR IGNORE INTO targets_seen (account_id, region, first_seen)
        SELECT account_id, region, MIN(first_seen) FROM findings GROUP BY account_id, region;
    """),
    (7, """
    ALTER TABLE outbox ADD COLUMN lease_pid INTEGER;
    ALTER TABLE outbox ADD COLUMN lease_host TEXT;
    ALTER TABLE sent_messages ADD COLUMN attempted_at TEXT;
    """),
    (8, """
    ALTER TABLE scan_runs ADD COLUMN status TEXT NOT NULL DEFAULT 'complete';
    ALTER TABLE scan_runs ADD COLUMN plan_key TEXT;
    ALTER TABLE scan_runs ADD COLUMN owner TEXT;
    ALTER TABLE scan_runs ADD COLUMN heartbeat_at TEXT;
    ALTER TABLE scan_runs ADD COLUMN units_total INTEGER;
    ALTER TABLE scan_runs ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX scan_runs_by_status ON scan_runs (status, plan_key);
    CREATE TABLE scan_units (
        run_id INTEGER NOT NULL REFERENCES scan_runs(id), unit_key TEXT NOT NULL, account_id TEXT NOT NULL,
        finished_at TEXT NOT NULL, owner TEXT NOT NULL, result TEXT, ingested INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, unit_key));
    CREATE INDEX scan_units_by_account ON scan_units (run_id, account_id, ingested);
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


def migrate(store: Store, migrations: list[tuple[int, str]]) -> None:
    """Apply the missing migrations, each with its version row in one IMMEDIATE transaction, so two
    processes starting together on an old file serialise and each migration runs once."""
    conn = store.db.conn
    with store._lock:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                     "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        latest = migrations[-1][0]
        if store.schema_version > latest:
            raise SchemaTooNew(f"{store.path}: schema version {store.schema_version} is newer than "
                               f"this srm-bot ({latest})")
        # a table rebuild (SQLite's 12-step ALTER) needs foreign keys off, which only changes outside a
        # transaction; each migration checks the keys itself before it commits
        conn.execute("PRAGMA foreign_keys=OFF")
        try:
            for version, sql in migrations:
                if version <= store.schema_version:
                    continue
                conn.execute("BEGIN IMMEDIATE")  # the write lock: a concurrent migrator waits here
                try:
                    if version > store.schema_version:  # not applied by another process meanwhile
                        for statement in _statements(sql):
                            conn.execute(statement)
                        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"migration {version} leaves broken references: {broken[:3]}")
                        conn.execute("INSERT INTO schema_version VALUES (?, ?)", [version, iso(store.clock.now())])
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        finally:
            conn.execute("PRAGMA foreign_keys=ON")
