"""Incidents, their events (the audit trail) and risk exceptions."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from bot.models import ConversationRef, Event, EventKind, Incident, IncidentState, Key, RiskException
from bot.store.base import StoreBase, _col, _event, iso


class IncidentsMixin(StoreBase):
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

    # -- first contact (baseline) ---------------------------------------------------------
    def new_targets(self, targets: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (account, region) pairs never scanned before (their failures are a baseline, not drift)."""
        wanted = set(targets)
        seen = {(r["account_id"], r["region"]) for r in self._rows("SELECT account_id, region FROM targets_seen")}
        return wanted - seen

    def mark_targets_seen(self, targets: Iterable[tuple[str, str]], at: datetime) -> None:
        for account, region in targets:
            self._write("INSERT OR IGNORE INTO targets_seen (account_id, region, first_seen) VALUES (?,?,?)",
                        [account, region, iso(at)])

    # -- conversations (one per incident and notifier lane) ------------------------------
    def conversation(self, incident_id: int, kind: str) -> ConversationRef | None:
        rows = self._rows("SELECT kind, channel, thread, link FROM conversations WHERE incident_id=? AND kind=?",
                          [incident_id, kind])
        return ConversationRef(**rows[0]) if rows else None

    def conversations(self, incident_id: int) -> list[ConversationRef]:
        rows = self._rows("SELECT kind, channel, thread, link FROM conversations WHERE incident_id=? ORDER BY kind",
                          [incident_id])
        return [ConversationRef(**r) for r in rows]

    def set_conversation(self, incident_id: int, ref: ConversationRef) -> None:
        """Record where the incident's conversation lives in ``ref.kind`` (the first one recorded stays)."""
        self._write("INSERT OR IGNORE INTO conversations (incident_id, kind, channel, thread, link, created_at)"
                    " VALUES (?,?,?,?,?,?)",
                    [incident_id, ref.kind, ref.channel, ref.thread, ref.link, iso(self.clock.now())])

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
