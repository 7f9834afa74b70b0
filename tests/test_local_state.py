"""Bad local state is one clear line (issue 13, item 4): exit 2, a `fix:` hint, no traceback, and the
database file byte-identical afterwards. Read-only commands never create a database."""
from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.store import LocalStateError, Store
from tests.factories import finding, run_of

READ_ONLY_COMMANDS = [["incidents"], ["incident", "show", "1"], ["digest", "--print"]]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def good_db(path: Path, rows: int = 300) -> Path:
    store = Store(path)
    store.record_run(run_of(*(finding(f"bucket-{i:04d}", "FAIL", evidence={"pad": "x" * 200}) for i in range(rows))),
                     store.clock.now())
    store.close()
    return path


def run_cli(args: list[str], db: Path, monkeypatch) -> tuple[int, str]:
    monkeypatch.setenv("SRM_DB", str(db))
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    out = result.output  # stdout and stderr together
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, out


def corrupt_page(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xa5" * 4096)


def not_a_database(path: Path) -> None:
    path.write_bytes(b"this is a text file, not SQLite\n" * 200)


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def schema_newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (999, '2030-01-01')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("damage, words", [
    (corrupt_page, "damaged"), (not_a_database, "not an SQLite database"), (truncated, "truncated"),
    (schema_newer, "newer than this srm-bot"),
])
@pytest.mark.parametrize("args", [*READ_ONLY_COMMANDS, ["scan", "--check", "s3_bucket_versioning_enabled"]])
def test_a_bad_database_is_one_line_with_a_fix_and_stays_byte_identical(tmp_path, monkeypatch, damage, words,
                                                                        args):
    db = good_db(tmp_path / "srm.db")
    damage(db)
    before = digest(db)
    code, out = run_cli(args, db, monkeypatch)
    assert code == 2, out
    assert words in out and "fix:" in out and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1, out
    assert digest(db) == before


@pytest.mark.parametrize("args", READ_ONLY_COMMANDS)
def test_a_read_only_command_never_creates_a_database(tmp_path, monkeypatch, args):
    db = tmp_path / "typo" / "srm.db"
    code, out = run_cli(args, db, monkeypatch)
    assert code == 2 and str(db) in out and "SRM_DB" in out and "fix:" in out
    assert not db.exists() and not db.parent.exists()


def test_srm_db_pointing_at_a_directory(tmp_path, monkeypatch):
    for args in [*READ_ONLY_COMMANDS, ["scan", "--check", "s3_bucket_versioning_enabled"]]:
        code, out = run_cli(args, tmp_path, monkeypatch)
        assert code == 2 and "is a directory" in out and "fix:" in out and "Traceback" not in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: a read-only directory needs a normal user")
def test_a_read_only_directory(tmp_path, monkeypatch):
    db = good_db(tmp_path / "ro" / "srm.db")
    os.chmod(db.parent, 0o555)
    try:
        code, out = run_cli(["incidents"], db, monkeypatch)
    finally:
        os.chmod(db.parent, 0o755)
    assert code == 2 and "not writable" in out and "fix:" in out


def test_a_read_only_directory_is_refused_before_sqlite_touches_it(tmp_path, monkeypatch):
    """The same refusal as root would see it as a normal user (os.access says no)."""
    db = good_db(tmp_path / "srm.db")
    before = digest(db)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == db.parent and mode & os.W_OK
                        else real(p, mode))
    with pytest.raises(LocalStateError, match="not writable") as exc:
        Store(db)
    assert "chown" in exc.value.fix and digest(db) == before


def test_a_good_database_still_opens_and_an_empty_file_is_an_empty_database(tmp_path):
    db = good_db(tmp_path / "srm.db")
    Store(db).close()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    Store(empty).close()
