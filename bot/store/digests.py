"""The posture digest's queries, digests posted and scheduler slots claimed."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import Incident, Key, RiskException
from bot.store.base import StoreBase, _finding, iso
from checks.base import Finding


class DigestsMixin(StoreBase):
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
