"""The outbox (notifier calls waiting to be delivered) and sent-message keys (idempotent posting)."""
from __future__ import annotations

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
        cur = self._write("UPDATE outbox SET lease_until=? WHERE id=? AND status='pending'"
                          " AND (lease_until IS NULL OR lease_until < ?)", [iso(until), item_id, iso(now)])
        return cur.rowcount == 1

    def release_lease(self, item_id: int) -> None:
        self._write("UPDATE outbox SET lease_until=NULL WHERE id=?", [item_id])

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

    def sent_message(self, key: str, kind: str = "slack") -> ConversationRef | None:
        rows = self._rows("SELECT channel, ts FROM sent_messages WHERE key = ? AND ts IS NOT NULL", [key])
        return ConversationRef(kind=kind, channel=rows[0]["channel"], thread=rows[0]["ts"]) if rows else None
