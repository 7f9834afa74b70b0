"""The store's side of the delivery seam: conversations per lane, outbox lanes, first contact, and the
migrations that brought them (an old database keeps its Slack threads)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import bot.store as store_module
from bot.models import ConversationRef, IncidentState, OutboxKind
from bot.store import MIGRATIONS, Store

T0 = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


def test_an_old_database_keeps_its_slack_threads_as_conversations_and_its_outbox_as_the_slack_lane(
        tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", [m for m in MIGRATIONS if m[0] <= 4])
    old = Store(path)
    old.db.execute("INSERT INTO incidents (account_id, check_id, title, severity, team_id, state, opened_at, "
                   "updated_at, slack_channel, slack_ts) VALUES ('111','c','t','high','platform','open',?,?,'C1','1.5')",
                   [T0.isoformat(), T0.isoformat()])
    old.db.execute("INSERT INTO outbox (key, incident_id, kind, status, attempts, created_at) "
                   "VALUES ('event:9:post', 1, 'post', 'pending', 0, ?)", [T0.isoformat()])
    old.db.conn.commit()
    old.close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    new = Store(path)
    try:
        assert new.conversation(1, "slack") == ConversationRef(kind="slack", channel="C1", thread="1.5")
        assert [(o.key, o.lane) for o in new.pending_outbox("slack")] == [("event:9:post", "slack")]
        assert new.pending_outbox("email") == []
        new.update_incident(1, state=IncidentState.backlog)  # the widened state check
        assert new.incident(1).state is IncidentState.backlog
    finally:
        new.close()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "srm.db")
    yield s
    s.close()


def test_one_conversation_per_lane_and_the_first_recorded_stays(store):
    inc = store.create_incident(account_id="1", check_id="c", title="t", severity="low", team_id="x",
                                state=IncidentState.open, opened_at=T0, updated_at=T0)
    store.set_conversation(inc.id, ConversationRef(kind="slack", channel="C1", thread="1.1"))
    store.set_conversation(inc.id, ConversationRef(kind="slack", channel="C2", thread="2.2"))  # ignored
    store.set_conversation(inc.id, ConversationRef(kind="email", channel="a@x.org", thread="<m@x>"))
    assert [(r.kind, r.channel) for r in store.conversations(inc.id)] == [("email", "a@x.org"), ("slack", "C1")]
    store.enqueue("slack:k", inc.id, OutboxKind.open, T0, lane="slack")
    store.enqueue("email:k", inc.id, OutboxKind.open, T0, lane="email")
    assert [o.key for o in store.pending_outbox("email")] == ["email:k"]


def test_targets_are_new_until_marked_seen(store):
    assert store.new_targets({("1", "us-east-1"), ("1", "global")}) == {("1", "us-east-1"), ("1", "global")}
    store.mark_targets_seen({("1", "us-east-1")}, T0)
    assert store.new_targets({("1", "us-east-1"), ("1", "global")}) == {("1", "global")}
