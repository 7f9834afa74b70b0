"""`srm backup` / `srm restore`: an online copy with SQLite's backup API, and a tested way back."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.store import Store
from bot.store.backup import BackupError, backup, restore, verify
from checks.base import Finding, Severity, Status
from checks.runner import RunResult, RunSummary

AT = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def record(store: Store, resource: str, status: Status = Status.FAIL, started: float = 1.0) -> int:
    f = Finding(check_id="kms_key_rotation_enabled", account_id="123456789012", region="us-east-1",
                resource_type="AWS::KMS::Key", resource_id=resource, status=status, reason="r",
                severity=Severity.medium)
    run = RunResult(findings=[f], covered=[("123456789012", "us-east-1", f.check_id)], summary=RunSummary(
        started_at=started, duration_s=0.1, checks_run=1, scopes=1, findings={status.value: 1}, api_calls={},
        duplicate_calls=0))
    run_id = store.record_run(run, AT)
    store.apply_findings([f], [], AT, run_id)
    return run_id


def resources(db) -> list[str]:
    store = Store(db)
    try:
        return [f.resource_id for f in store.findings()]
    finally:
        store.close()


def srm(*args: str):
    return CliRunner().invoke(main, list(args))


def test_backup_then_restore_brings_the_data_back(tmp_path):
    db, copy = tmp_path / "srm.db", tmp_path / "backups" / "srm-1.db"
    store = Store(db)
    record(store, "key-a")
    r = srm("backup", str(copy), "--db", str(db))  # while the store is open (online)
    assert r.exit_code == 0, r.output
    assert "integrity ok" in r.output and not (tmp_path / "backups" / "srm-1.db-wal").exists()
    record(store, "key-b", started=2.0)  # written after the backup
    store.close()
    assert resources(db) == ["key-a", "key-b"]

    r = srm("restore", str(copy), "--db", str(db), "--yes")
    assert r.exit_code == 0, r.output
    assert resources(db) == ["key-a"]  # back to the backup's state
    assert verify(db).schema_version == verify(copy).schema_version


def test_backup_never_overwrites_and_restore_refuses_a_broken_file(tmp_path):
    db = tmp_path / "srm.db"
    Store(db).close()
    existing = tmp_path / "old.db"
    existing.write_text("keep me")
    r = srm("backup", str(existing), "--db", str(db))
    assert r.exit_code == 2 and "already exists" in r.output and existing.read_text() == "keep me"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    r = srm("restore", str(junk), "--db", str(db), "--yes")
    assert r.exit_code == 2 and "not an srm database" in r.output
    assert verify(db).schema_version >= 1  # untouched


def test_restore_refuses_a_backup_from_a_newer_srm(tmp_path):
    db, newer = tmp_path / "srm.db", tmp_path / "newer.db"
    Store(db).close()
    backup(db, newer)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO schema_version VALUES (999, 'later')")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="newer than this srm-bot"):
        restore(newer, db)


def test_backup_is_consistent_while_another_thread_writes(tmp_path):
    db = tmp_path / "srm.db"
    store = Store(db)
    record(store, "key-0")
    stop = threading.Event()

    def writer():
        i = 1
        while not stop.is_set():
            record(store, f"key-{i}", started=float(i))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        info = backup(db, tmp_path / "during.db")
    finally:
        stop.set()
        t.join()
    store.close()
    assert info.schema_version >= 1
    copied = resources(tmp_path / "during.db")
    assert copied and copied[0] == "key-0" and set(copied) <= set(resources(db))
