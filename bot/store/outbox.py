"""The outbox (notifier calls waiting to be delivered) and sent-message keys (idempotent posting).

A lease names its holder (pid and host): a row leased by a process on this host that is gone
(kill -9, OOM) is taken over at once instead of waiting for the lease to run out. A sent-message
key has three states: unknown (no row), *attempted* (a send was started and its outcome is not
known: the process died, Slack answered 5xx or timed out) and *sent* (its ts recorded). An
attempted key is looked up where it would have landed before it is sent again (bot/notify/once.py).
"""
from __future__ import annotations

import os
import socket
from datetime import datetime

from bot.models import ConversationRef, OutboxItem, OutboxKind
from bot.store.base import StoreBase, iso


class OutboxMixin(StoreBase):
    # -- outbox --------------------------------------------------------------------------
    def enqueue(self, key: str, incident_id: int, kind: OutboxKind, at: datetime,
                event_id: int | None = None, *, lane: str = "slack") -> None:
        """Queue a call for the notifier of ``lane``; a key already queued (or delivered) is ignored."""
        self._write("INSERT OR IGNORE INTO outbox (key, lane, incident_id, kind, event_id, status, attempts,"
                    " created_at) VALUES (?,?,?,?,?,'pending',0,?)",
                    [key, lane, incident_id, kind.value, event_id, iso(at)])

    def pending_outbox(self, lane: str | None = None) -> list[OutboxItem]:
        sql, params = "SELECT * FROM outbox WHERE status = 'pending'", []
        if lane is not None:
            sql, params = sql + " AND lane = ?", [lane]
        return [OutboxItem(**r) for r in self._rows(sql + " ORDER BY id", params)]

    def outbox(self, incident_id: int | None = None) -> list[OutboxItem]:
        sql, params = "SELECT * FROM outbox", []
        if incident_id is not None:
            sql, params = sql + " WHERE incident_id = ?", [incident_id]
        return [OutboxItem(**r) for r in self._rows(sql + " ORDER BY id", params)]

    def lease_outbox(self, item_id: int, now: datetime, until: datetime) -> bool:
        """Take a pending row for delivery until ``until``; False when it was delivered meanwhile or another
        process holds an unexpired lease on it (two processes on one database never post the same row)."""
        holder = [os.getpid(), HOST]
        cur = self._write("UPDATE outbox SET lease_until=?, lease_pid=?, lease_host=? WHERE id=? AND status='pending'"
                          " AND (lease_until IS NULL OR lease_until < ?)", [iso(until), *holder, item_id, iso(now)])
        if cur.rowcount == 1:
            return True
        rows = self._rows("SELECT lease_pid, lease_host FROM outbox WHERE id=? AND status='pending'", [item_id])
        if not rows or rows[0]["lease_host"] != HOST or not rows[0]["lease_pid"] or pid_alive(rows[0]["lease_pid"]):
            return False
        # the holder died on this host: take the row over now (only if nobody else did meanwhile)
        cur = self._write("UPDATE outbox SET lease_until=?, lease_pid=?, lease_host=? WHERE id=? AND status='pending'"
                          " AND lease_pid=? AND lease_host=?", [iso(until), *holder, item_id, rows[0]["lease_pid"], HOST])
        return cur.rowcount == 1

    def release_lease(self, item_id: int) -> None:
        self._write("UPDATE outbox SET lease_until=NULL, lease_pid=NULL, lease_host=NULL WHERE id=?", [item_id])

    def mark_undeliverable(self, item_id: int, error: str) -> None:
        """End a row's retries: its target is gone for good (the message or channel was deleted)."""
        self._write("UPDATE outbox SET status='undeliverable', attempts=attempts+1, last_error=?, lease_until=NULL"
                    " WHERE id=?", [error[:500], item_id])

    def mark_delivered(self, item_id: int, at: datetime) -> None:
        self._write("UPDATE outbox SET status='delivered', delivered_at=?, attempts=attempts+1 WHERE id=?",
                    [iso(at), item_id])

    def mark_failed(self, item_id: int, error: str) -> None:
        self._write("UPDATE outbox SET attempts=attempts+1, last_error=?, lease_until=NULL WHERE id=?",
                    [error[:500], item_id])

    # -- sent messages (idempotent posting for the Slack layer) --------------------------
    def claim_message_key(self, key: str) -> bool:
        """True the first time ``key`` is claimed; False forever after."""
        cur = self._write("INSERT OR IGNORE INTO sent_messages (key, claimed_at) VALUES (?, ?)",
                          [key, iso(self.clock.now())])
        return cur.rowcount == 1

    def record_message(self, key: str, ref: ConversationRef) -> None:
        """Where the message sent under ``key`` landed (its channel and id: a Slack ts, a Message-ID)."""
        self._write("INSERT INTO sent_messages (key, claimed_at, channel, ts, posted_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT (key) DO UPDATE SET channel=excluded.channel, ts=excluded.ts,"
                    " posted_at=excluded.posted_at",
                    [key, iso(self.clock.now()), ref.channel, ref.thread, iso(self.clock.now())])

    def mark_attempt(self, key: str) -> None:
        """A send under ``key`` is about to start; until it is recorded (or cleared) its outcome is unknown."""
        now = iso(self.clock.now())
        self._write("INSERT INTO sent_messages (key, claimed_at, attempted_at) VALUES (?,?,?)"
                    " ON CONFLICT (key) DO UPDATE SET attempted_at=excluded.attempted_at WHERE ts IS NULL",
                    [key, now, now])

    def clear_attempt(self, key: str) -> None:
        """The send under ``key`` surely did not happen (the platform refused it)."""
        self._write("UPDATE sent_messages SET attempted_at=NULL WHERE key=? AND ts IS NULL", [key])

    def attempt_unknown(self, key: str) -> bool:
        """A send under ``key`` was started and never recorded: it may or may not have landed."""
        return bool(self._rows("SELECT 1 FROM sent_messages WHERE key=? AND ts IS NULL AND attempted_at IS NOT NULL",
                               [key]))

    def sent_message(self, key: str, kind: str = "slack") -> ConversationRef | None:
        rows = self._rows("SELECT channel, ts FROM sent_messages WHERE key = ? AND ts IS NOT NULL", [key])
        return ConversationRef(kind=kind, channel=rows[0]["channel"], thread=rows[0]["ts"]) if rows else None


HOST = socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
