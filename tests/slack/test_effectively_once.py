"""Effectively-once incident delivery (issue 13, item 1): a post whose outcome is unknown is looked up
before it is sent again, a dead process's lease is taken over at once, and a message deleted in
Slack ends its row's retries with an event instead of a retry loop. The fake Slack stores each
message with its metadata and can answer 500 *after* storing it, as Slack sometimes does."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from bot.models import OutboxKind
from bot.slack.notifier import METADATA_TYPE
from tests.factories import finding, run_of
from tests.slack.conftest import CHANNEL, VERSIONING


def scan(slack, *resources: str):
    return slack.services.incidents.ingest(run_of(*(finding(r, "FAIL", check=VERSIONING) for r in resources)))


def thread_replies(fake, root_ts: str) -> list[dict]:
    return [m for m in fake.messages.get(CHANNEL, []) if m.get("thread_ts") == root_ts]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_every_post_carries_its_outbox_key_as_message_metadata(slack):
    scan(slack, "bucket-a")
    root, details = slack.fake.wait_for("chat.postMessage", 2)
    key = next(o.key for o in slack.services.store.outbox() if o.kind is OutboxKind.open)
    assert root["metadata"] == {"event_type": METADATA_TYPE, "event_payload": {"key": key}}
    assert details["metadata"]["event_payload"] == {"key": f"{key}:details"}


def test_a_500_after_slack_stored_the_root_is_adopted_not_posted_again(slack):
    slack.fake.fail("chat.postMessage", times=1, status=500, after=True)
    scan(slack, "bucket-a")
    [root] = slack.fake.roots(CHANNEL)
    assert len(thread_replies(slack.fake, root["ts"])) == 1  # the details reply, once
    inc = slack.services.store.incidents()[0]
    assert slack.services.store.conversation(inc.id, "slack").thread == root["ts"]
    assert all(o.status == "delivered" for o in slack.services.store.outbox())
    assert slack.fake.attempts_of("conversations.history")  # it looked before posting again


def test_a_500_after_slack_stored_a_thread_reply_is_adopted(slack):
    scan(slack, "bucket-a")
    [root] = slack.fake.roots(CHANNEL)
    slack.fake.fail("chat.postMessage", times=1, status=500, after=True)
    scan(slack, "bucket-a", "bucket-b")
    replies = thread_replies(slack.fake, root["ts"])
    assert [("now failing" in (m["text"] or "")) for m in replies] == [False, True]  # details, then one update
    assert slack.fake.attempts_of("conversations.replies")
    assert all(o.status == "delivered" for o in slack.services.store.outbox())


def test_a_slow_answer_past_the_client_timeout_is_not_posted_twice(slack):
    for n in slack.services.notifiers.delivering:
        n.poster.timeout = 1  # type: ignore[attr-defined]
    slack.fake.fail("chat.postMessage", times=1, status=200, delay=1.5)
    scan(slack, "bucket-a")
    slack.services.incidents.deliver()
    assert len(slack.fake.roots(CHANNEL)) == 1
    assert all(o.status == "delivered" for o in slack.services.store.outbox())


def test_killed_between_send_and_record_the_restart_adopts_at_once(slack):
    """A process died holding the lease after Slack took the root: the next process takes the row over at
    once (not after the 5-minute lease) and finds the message instead of posting it again."""
    store, incidents = slack.services.store, slack.services.incidents
    notifier = slack.services.notifiers.get("slack")
    slack.services.notifiers._by_lane.clear()  # the first process: records, then "dies" while delivering
    scan(slack, "bucket-a")
    row = store.pending_outbox("slack")[0]
    slack.services.notifiers.add(notifier)
    now = slack.services.clock.now()
    store.lease_outbox(row.id, now, now + timedelta(minutes=5))
    store._write("UPDATE outbox SET lease_pid=? WHERE id=?", [dead_pid(), row.id])
    store.mark_attempt(row.key)
    notifier.poster.chat_postMessage(  # type: ignore[union-attr]
        channel=CHANNEL, text="root", metadata={"event_type": METADATA_TYPE, "event_payload": {"key": row.key}})
    assert incidents.deliver() >= 1
    [root] = slack.fake.roots(CHANNEL)
    assert store.conversation(row.incident_id, "slack").thread == root["ts"]
    assert not store.pending_outbox("slack")


def test_a_live_holders_lease_is_respected(services):
    scan_run = run_of(finding("bucket-a", "FAIL", check=VERSIONING))
    services.incidents.ingest(scan_run)
    row = services.store.pending_outbox("slack")[0]
    now = services.clock.now()
    assert services.store.lease_outbox(row.id, now, now + timedelta(minutes=5))
    assert not services.store.lease_outbox(row.id, now, now + timedelta(minutes=5))  # held by us, alive


def test_a_deleted_root_ends_the_refresh_with_an_event_not_a_loop(slack):
    scan(slack, "bucket-a")
    [root] = slack.fake.roots(CHANNEL)
    slack.fake.delete(CHANNEL, root["ts"])
    scan(slack, "bucket-a", "bucket-b")
    store = slack.services.store
    [gone] = [o for o in store.outbox() if o.status == "undeliverable"]
    assert gone.kind is OutboxKind.refresh and "message_not_found" in (gone.last_error or "")
    inc = store.incidents()[0]
    assert any(e.data.get("undeliverable") == gone.key for e in store.events(inc.id))
    before = len(slack.fake.attempts_of("chat.update"))
    for _ in range(3):
        slack.services.incidents.deliver()
    assert len(slack.fake.attempts_of("chat.update")) == before


def test_a_storm_of_429s_and_ambiguous_500s_neither_duplicates_nor_loses(slack):
    """30% of the calls fail (429, 500 before, 500 after storing): every message lands exactly once."""
    slack.fake.chaos(0.3, seed=7, methods={"chat.postMessage", "chat.update", "conversations.history",
                                            "conversations.replies"})
    accounts = [f"1000000000{i:02d}" for i in range(6)]
    inc = slack.services.incidents
    inc.ingest(run_of(*(finding("bucket-a", "FAIL", check=VERSIONING, account=a) for a in accounts)))
    inc.ingest(run_of(*(finding(r, "FAIL", check=VERSIONING, account=a) for a in accounts
                        for r in ("bucket-a", "bucket-b"))))
    for _ in range(20):
        if not slack.services.store.pending_outbox("slack"):
            break
        inc.deliver()
    slack.fake.chaos(0)
    keys = [(m.get("metadata") or {}).get("event_payload", {}).get("key") for m in slack.fake.messages[CHANNEL]]
    assert len(keys) == len(set(keys))  # no duplicate root or reply
    rows = slack.services.store.outbox()
    wanted = {o.key for o in rows if o.kind in (OutboxKind.open, OutboxKind.post)}
    wanted |= {f"{o.key}:details" for o in rows if o.kind is OutboxKind.open}
    assert wanted == set(keys) and len(slack.fake.roots(CHANNEL)) == 6  # none lost
    assert not slack.services.store.pending_outbox("slack")


def test_a_refused_look_up_falls_back_to_posting_once_more(slack, caplog):
    """An app installed before the history scopes (missing_scope): the row is posted again, not stuck."""
    slack.fake.fail("chat.postMessage", times=1, status=500)  # nothing stored: the look-up finds nothing anyway
    slack.fake.fail("conversations.history", times=5, error="missing_scope")
    scan(slack, "bucket-a")
    assert len(slack.fake.roots(CHANNEL)) == 1
    assert all(o.status == "delivered" for o in slack.services.store.outbox())
    assert "cannot look for an earlier post (missing_scope)" in caplog.text
