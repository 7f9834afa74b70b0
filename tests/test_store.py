"""The SQLite store: a real file under tmp_path."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from bot.models import ConversationRef, EventKind, IncidentState, OutboxKind
from bot.store import MIGRATIONS, LocalStateError, Store
from checks.base import Severity
from tests.factories import ACCOUNT, CHECK, REGION, finding, run_of

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "var" / "srm.db")
    yield s
    s.close()


def new_incident(store: Store, **over):
    fields = dict(account_id=ACCOUNT, check_id=CHECK, title="t", severity=Severity.high, team_id="platform",
                  state=IncidentState.open, opened_at=T0, updated_at=T0)
    return store.create_incident(**{**fields, **over})


def test_creates_the_file_in_wal_mode_with_the_latest_schema(tmp_path):
    path = tmp_path / "var" / "srm.db"
    s = Store(path)
    assert path.exists()
    assert s.schema_version == MIGRATIONS[-1][0]
    assert next(s.db.query("PRAGMA journal_mode"))["journal_mode"] == "wal"
    assert {"scan_runs", "findings", "incidents", "incident_events", "risk_exceptions", "outbox",
            "sent_messages", "schema_version"} <= set(s.db.table_names())
    s.close()
    reopened = Store(path)  # migrations are not re-applied
    assert [r["version"] for r in reopened.db.query("SELECT version FROM schema_version")] == [v for v, _ in MIGRATIONS]


def test_refuses_a_database_from_a_newer_version(tmp_path):
    path = tmp_path / "srm.db"
    Store(path).db.execute("INSERT INTO schema_version VALUES (999, 'x')")
    before = path.read_bytes()
    with pytest.raises(LocalStateError, match="999") as exc:  # found before anything is written
        Store(path)
    assert "restore the backup" in exc.value.fix and path.read_bytes() == before


def test_findings_upsert_keeps_first_seen_and_fail_since(store):
    run_id = store.record_run(run_of(finding("a")), T0)
    store.apply_findings([finding("a")], [], T0, run_id)
    store.apply_findings([finding("a", evidence={"public": "yes"})], [], T0 + timedelta(hours=1), run_id)
    row = next(store.db.query("SELECT * FROM findings"))
    assert row["first_seen"].startswith("2024-05-01T12:00") and row["fail_since"] == row["first_seen"]
    assert row["last_seen"].startswith("2024-05-01T13:00")
    [f] = store.failing(ACCOUNT, CHECK)
    assert f.evidence == {"public": "yes"} and f.key == (ACCOUNT, REGION, CHECK, "a")

    store.apply_findings([finding("a", "PASS")], [], T0 + timedelta(hours=2), run_id)
    assert next(store.db.query("SELECT fail_since FROM findings"))["fail_since"] is None
    assert store.failing(ACCOUNT, CHECK) == []
    store.apply_findings([], [f.key], T0, run_id)
    assert store.load_state() == {}


def test_load_state_round_trips_findings_and_filters_by_account(store):
    a, b = finding("a", tags={"team": "x"}), finding("b", account="222222222222")
    store.apply_findings([a, b], [], T0, store.record_run(run_of(a, b), T0))
    assert store.load_state([ACCOUNT]) == {a.key: a}
    assert set(store.load_state()) == {a.key, b.key}
    assert store.failing_pairs() == {(ACCOUNT, CHECK), ("222222222222", CHECK)}


def test_recording_the_same_run_twice_keeps_one_row(store):
    run = run_of(finding("a"))
    assert store.record_run(run, T0) == store.record_run(run, T0 + timedelta(minutes=1))
    assert store.record_run(run_of(finding("a"), started_at=5.0), T0) != store.record_run(run, T0)
    assert len(store.runs()) == 2


def test_a_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            inc = new_incident(store)
            store.add_event(inc.id, EventKind.opened, T0)
            raise RuntimeError("crash")
    assert store.incidents() == []
    assert list(store.db.query("SELECT * FROM incident_events")) == []


def test_at_most_one_active_incident_per_account_and_check(store):
    first = new_incident(store)
    with pytest.raises(sqlite3.IntegrityError):
        new_incident(store)
    store.update_incident(first.id, state=IncidentState.resolved, resolved_at=T0)
    second = new_incident(store)
    assert store.active_incident(ACCOUNT, CHECK).id == second.id
    assert store.last_incident(ACCOUNT, CHECK).id == second.id
    assert [i.id for i in store.incidents(states=[IncidentState.resolved])] == [first.id]
    assert store.incidents(team_id="nobody") == []


def test_incident_fields_round_trip_as_utc(store):
    inc = new_incident(store, snoozed_until=T0 + timedelta(hours=1))
    assert inc.opened_at == T0 and inc.opened_at.tzinfo is not None
    assert inc.snoozed(T0) and not inc.snoozed(T0 + timedelta(hours=2))
    store.set_conversation(inc.id, ConversationRef(channel="C1", thread="1.2"))
    assert store.conversation(inc.id, "slack") == ConversationRef(channel="C1", thread="1.2")
    with pytest.raises(KeyError):
        store.incident(999)


def test_events_keep_their_order_and_data(store):
    inc = new_incident(store)
    store.add_event(inc.id, EventKind.opened, T0, to_state=IncidentState.open, data={"failing": ["a"]})
    store.add_event(inc.id, EventKind.acknowledge, T0, actor="U1", allowed=False, reason="not in team",
                    from_state=IncidentState.open, to_state=IncidentState.open)
    opened, refused = store.events(inc.id)
    assert opened.data == {"failing": ["a"]} and opened.from_state is None
    assert refused.allowed is False and refused.actor == "U1" and not refused.changes_state


def test_exceptions_replace_and_expire(store):
    inc = new_incident(store)
    key = finding("a").key
    store.add_exception(key, incident_id=inc.id, justification="legacy", accepted_by="U1",
                        created_at=T0, expires_at=T0 + timedelta(days=1))
    second = store.add_exception(key, incident_id=inc.id, justification="still legacy", accepted_by="U1",
                                 created_at=T0, expires_at=T0 + timedelta(days=2))
    assert [e.id for e in store.active_exceptions(ACCOUNT, CHECK, T0)] == [second.id]
    assert store.due_exceptions(T0 + timedelta(days=1)) == []
    [due] = store.due_exceptions(T0 + timedelta(days=2))
    store.expire_exception(due.id)
    assert store.active_exceptions(ACCOUNT, CHECK, T0) == []


def test_outbox_keys_are_queued_once(store):
    inc = new_incident(store)
    store.enqueue("incident:1:open", inc.id, OutboxKind.open, T0)
    store.enqueue("incident:1:open", inc.id, OutboxKind.open, T0)
    [item] = store.pending_outbox()
    store.mark_failed(item.id, "boom")
    assert store.pending_outbox()[0].attempts == 1
    store.mark_delivered(item.id, T0)
    store.enqueue("incident:1:open", inc.id, OutboxKind.open, T0)  # delivered keys stay delivered
    assert store.pending_outbox() == []
    assert store.outbox(inc.id)[0].last_error == "boom"


def test_message_keys_are_claimed_once_and_remember_where_they_went(store):
    assert store.claim_message_key("incident:1:open") is True
    assert store.claim_message_key("incident:1:open") is False
    assert store.sent_message("incident:1:open") is None
    store.record_message("incident:1:open", ConversationRef(channel="C1", thread="171.5"))
    again = Store(store.path)  # survives a restart
    assert again.sent_message("incident:1:open") == ConversationRef(channel="C1", thread="171.5")
    assert again.claim_message_key("incident:1:open") is False


def test_processes_starting_together_on_a_new_file_apply_each_migration_once(tmp_path):
    import multiprocessing

    path = tmp_path / "race.db"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=Store, args=(path,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    rows = list(sqlite3.connect(path).execute("SELECT version FROM schema_version ORDER BY version"))
    assert [v for (v,) in rows] == [v for v, _ in MIGRATIONS]


def test_a_failing_migration_leaves_no_half_applied_schema(tmp_path, monkeypatch):
    import bot.store as store_mod

    broken = [*MIGRATIONS, (MIGRATIONS[-1][0] + 1, "CREATE TABLE extra (x INTEGER);\nSELECT * FROM nowhere;")]
    monkeypatch.setattr(store_mod, "MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError):
        Store(tmp_path / "half.db")
    db = sqlite3.connect(tmp_path / "half.db")
    assert not list(db.execute("SELECT name FROM sqlite_master WHERE name = 'extra'"))
    assert max(v for (v,) in db.execute("SELECT version FROM schema_version")) == MIGRATIONS[-1][0]
