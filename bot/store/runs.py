"""Scan runs and findings (the latest PASS/FAIL per account, region, check and resource)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Iterable

from bot.models import Key
from bot.store.base import StoreBase, _finding, iso
from checks.base import Finding, Status
from checks.runner import RunResult


class RunsMixin(StoreBase):
    # -- scan runs -----------------------------------------------------------------------
    def record_run(self, run: RunResult, at: datetime) -> int:
        """The run's row id; the same run recorded twice keeps one row."""
        ident = json.dumps([run.summary.started_at, run.covered,
                            [(f.key, f.status.value, f.fingerprint) for f in run.findings]], default=str)
        run_key = hashlib.sha256(ident.encode()).hexdigest()[:24]
        s = run.summary
        self._write(
            "INSERT OR IGNORE INTO scan_runs (run_key, started_at, recorded_at, duration_s, checks_run, scopes,"
            " counts, errors, covered) VALUES (?,?,?,?,?,?,?,?,?)",
            [run_key, iso(datetime.fromtimestamp(s.started_at, tz=timezone.utc)), iso(at), s.duration_s,
             s.checks_run, s.scopes, json.dumps(s.findings), json.dumps([e.model_dump() for e in s.errors]),
             json.dumps(run.covered)])
        return self._rows("SELECT id FROM scan_runs WHERE run_key = ?", [run_key])[0]["id"]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM scan_runs ORDER BY id DESC LIMIT ?", [limit])
        for r in rows:
            for col in ("counts", "errors", "covered"):
                r[col] = json.loads(r[col] or "null")
        return rows

    def run(self, run_id: int | None = None) -> dict[str, Any] | None:
        """One recorded run (the newest when ``run_id`` is None), or None."""
        if run_id is None:
            rows = self._rows("SELECT * FROM scan_runs ORDER BY id DESC LIMIT 1")
        else:
            rows = self._rows("SELECT * FROM scan_runs WHERE id = ?", [run_id])
        if not rows:
            return None
        for col in ("counts", "errors", "covered"):
            rows[0][col] = json.loads(rows[0][col] or "null")
        return rows[0]

    def run_findings(self, run_id: int) -> list[Finding]:
        """The PASS/FAIL findings a run recorded that no later run has recorded again (the store keeps
        the latest state per resource, so for the newest run this is all of them)."""
        rows = self._rows("SELECT * FROM findings WHERE run_id = ? ORDER BY account_id, region, check_id,"
                          " resource_id", [run_id])
        return [_finding(r) for r in rows]

    # -- findings ------------------------------------------------------------------------
    def load_state(self, account_ids: Iterable[str] | None = None) -> dict[Key, Finding]:
        if account_ids is None:
            rows = self._rows("SELECT * FROM findings")
        else:
            ids = sorted(set(account_ids))
            rows = self._rows(f"SELECT * FROM findings WHERE account_id IN ({','.join('?' * len(ids))})", ids)
        return {(r["account_id"], r["region"], r["check_id"], r["resource_id"]): _finding(r) for r in rows}

    def apply_findings(self, upserts: Iterable[Finding], deletes: Iterable[Key], at: datetime, run_id: int) -> None:
        now = iso(at)
        with self.transaction():
            for f in upserts:
                self._write(
                    "INSERT INTO findings (account_id, region, check_id, resource_id, resource_type, resource_arn,"
                    " status, reason, evidence, tags, severity, error_code, fingerprint, first_seen, last_seen,"
                    " fail_since, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (account_id, region, check_id, resource_id) DO UPDATE SET"
                    " resource_type=excluded.resource_type, resource_arn=excluded.resource_arn,"
                    " reason=excluded.reason, evidence=excluded.evidence, tags=excluded.tags,"
                    " severity=excluded.severity, error_code=excluded.error_code, fingerprint=excluded.fingerprint,"
                    " last_seen=excluded.last_seen, run_id=excluded.run_id,"
                    " fail_since=CASE WHEN excluded.status != 'FAIL' THEN NULL"
                    "   WHEN findings.status = 'FAIL' THEN findings.fail_since ELSE excluded.last_seen END,"
                    " status=excluded.status",
                    [f.account_id, f.region, f.check_id, f.resource_id, f.resource_type, f.resource_arn,
                     f.status.value, f.reason, json.dumps(f.evidence, sort_keys=True, default=str),
                     json.dumps(f.tags, sort_keys=True), f.severity.value, f.error_code, f.fingerprint,
                     now, now, now if f.status is Status.FAIL else None, run_id])
            for key in deletes:
                self._write("DELETE FROM findings WHERE account_id=? AND region=? AND check_id=? AND resource_id=?",
                            key)

    def findings(self, *, account_id: str | None = None, check_id: str | None = None,
                 status: Status | None = None) -> list[Finding]:
        where, params = ["1=1"], []
        for col, val in (("account_id", account_id), ("check_id", check_id),
                         ("status", status.value if status else None)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        rows = self._rows(f"SELECT * FROM findings WHERE {' AND '.join(where)}"
                          " ORDER BY account_id, region, check_id, resource_id", params)
        return [_finding(r) for r in rows]

    def regions_of(self, account_id: str, check_id: str) -> list[str]:
        """Every region the check has judged in the account (passing or failing)."""
        rows = self._rows("SELECT DISTINCT region FROM findings WHERE account_id = ? AND check_id = ? ORDER BY region",
                          [account_id, check_id])
        return [r["region"] for r in rows]

    def failing(self, account_id: str, check_id: str) -> list[Finding]:
        return self.findings(account_id=account_id, check_id=check_id, status=Status.FAIL)

    def finding_counts(self, check_ids: Iterable[str] | None = None) -> dict[tuple[str, str], dict[Status, int]]:
        """``{(account_id, check_id): {status: count}}`` without loading the rows (for status displays)."""
        where, params = "", []
        if check_ids is not None:
            ids = sorted(set(check_ids))
            where, params = f" WHERE check_id IN ({','.join('?' * len(ids))})", ids
        out: dict[tuple[str, str], dict[Status, int]] = {}
        for r in self._rows("SELECT account_id, check_id, status, COUNT(*) AS n FROM findings" + where
                            + " GROUP BY check_id, status, account_id", params):  # findings_by_check_status
            out.setdefault((r["account_id"], r["check_id"]), {})[Status(r["status"])] = r["n"]
        return out

    def failing_pairs(self) -> set[tuple[str, str]]:
        rows = self._rows("SELECT DISTINCT account_id, check_id FROM findings WHERE status = 'FAIL'")
        return {(r["account_id"], r["check_id"]) for r in rows}
