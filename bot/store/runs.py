"""Scan runs and findings (the latest PASS/FAIL per account, region, check and resource)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from pydantic import BaseModel, Field

from bot.models import Key
from bot.store.base import StoreBase, _finding, iso
from checks.base import Finding, Status
from checks.runner import RunResult
from checks.units import UnitResult

RUN_STATES = ("running", "complete", "partial")  # partial: interrupted, and a different scan started since


class ScanRunState(BaseModel):
    """A resumable scan run as the store knows it."""

    id: int
    plan_key: str
    units_total: int
    done: set[str] = Field(default_factory=set)  # unit keys finished (in this or an earlier process)
    ingested: set[str] = Field(default_factory=set)  # accounts whose findings are applied
    resumed: int = 0  # how many times a process took the run over from one that stopped
    abandoned: list[int] = Field(default_factory=list)  # older unfinished runs now marked partial


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
        """Newest first; ``partial`` is true for a run not (yet) complete, with ``units_done`` of ``units_total``."""
        rows = self._rows("SELECT r.*, (SELECT COUNT(*) FROM scan_units u WHERE u.run_id = r.id) AS units_done"
                          " FROM scan_runs r ORDER BY id DESC LIMIT ?", [limit])
        for r in rows:
            for col in ("counts", "errors", "covered"):
                r[col] = json.loads(r[col] or "null")
            r["partial"] = r["status"] != "complete"
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

    # -- resumable runs --------------------------------------------------------------------
    def open_scan_run(self, plan_key: str, units_total: int, checks_run: int, owner: str, at: datetime,
                      alive: Callable[[str | None, str | None], bool]) -> ScanRunState:
        """Take over the newest unfinished run of the same plan whose owner is gone (``alive(owner,
        heartbeat_at)`` false), else start one. Other dead unfinished runs become ``partial``."""
        now = iso(at)
        with self.transaction():
            stale = [r for r in self._rows("SELECT id, plan_key, owner, heartbeat_at FROM scan_runs"
                                           " WHERE status = 'running' ORDER BY id DESC")
                     if not alive(r["owner"], r["heartbeat_at"])]
            resume = next((r for r in stale if r["plan_key"] == plan_key), None)
            abandoned = [r["id"] for r in stale if r is not resume]
            for run_id in abandoned:
                self._write("UPDATE scan_runs SET status = 'partial' WHERE id = ?", [run_id])
            if resume is not None:
                self._write("UPDATE scan_runs SET owner = ?, heartbeat_at = ?, resumed = resumed + 1 WHERE id = ?",
                            [owner, now, resume["id"]])
                run_id = resume["id"]
            else:
                run_key = hashlib.sha256(f"{plan_key} {now} {owner}".encode()).hexdigest()[:24]
                run_id = self._write(
                    "INSERT INTO scan_runs (run_key, started_at, recorded_at, duration_s, checks_run, scopes, counts,"
                    " errors, covered, status, plan_key, owner, heartbeat_at, units_total)"
                    " VALUES (?,?,?,0,?,0,?,'[]','[]','running',?,?,?,?)",
                    [run_key, now, now, checks_run, json.dumps({s.value: 0 for s in Status}), plan_key, owner, now,
                     units_total]).lastrowid
            units = self._rows("SELECT unit_key, account_id, ingested FROM scan_units WHERE run_id = ?", [run_id])
            row = self._rows("SELECT resumed FROM scan_runs WHERE id = ?", [run_id])[0]
        return ScanRunState(id=run_id, plan_key=plan_key, units_total=units_total, resumed=row["resumed"],
                            done={u["unit_key"] for u in units}, abandoned=abandoned,
                            ingested={u["account_id"] for u in units if u["ingested"]})

    def save_unit(self, run_id: int, result: UnitResult, owner: str, at: datetime) -> None:
        """A finished unit's result, kept until its account is applied (a second save of a key is ignored)."""
        with self.transaction():
            self._write("INSERT OR IGNORE INTO scan_units (run_id, unit_key, account_id, finished_at, owner, result)"
                        " VALUES (?,?,?,?,?,?)", [run_id, result.key, result.account_id, iso(at), owner,
                                                  result.model_dump_json()])
            self._write("UPDATE scan_runs SET heartbeat_at = ? WHERE id = ?", [iso(at), run_id])

    def account_units(self, run_id: int, account_id: str) -> list[UnitResult]:
        rows = self._rows("SELECT result FROM scan_units WHERE run_id = ? AND account_id = ? AND ingested = 0"
                          " ORDER BY unit_key", [run_id, account_id])
        return [UnitResult.model_validate_json(r["result"]) for r in rows]

    def account_applied(self, run_id: int, run: RunResult) -> None:
        """Mark the account's units applied (their stored results are dropped) and add ``run`` to the run's
        counts, errors and covered scopes. Call in the transaction that applied the findings."""
        accounts = sorted({a for a, _, _ in run.covered})
        self._write(f"UPDATE scan_units SET ingested = 1, result = NULL WHERE run_id = ? AND account_id IN"
                    f" ({','.join('?' * len(accounts))})", [run_id, *accounts])
        row = self._rows("SELECT counts, errors, covered, scopes FROM scan_runs WHERE id = ?", [run_id])[0]
        counts = json.loads(row["counts"] or "{}")
        for k, v in run.summary.findings.items():
            counts[k] = counts.get(k, 0) + v
        errors = json.loads(row["errors"] or "[]") + [e.model_dump() for e in run.summary.errors]
        covered = json.loads(row["covered"] or "[]") + [list(c) for c in run.covered]
        self._write("UPDATE scan_runs SET counts = ?, errors = ?, covered = ?, scopes = ? WHERE id = ?",
                    [json.dumps(counts), json.dumps(errors), json.dumps(covered), row["scopes"] + len(run.covered),
                     run_id])

    def finish_scan_run(self, run_id: int, at: datetime, duration_s: float) -> None:
        self._write("UPDATE scan_runs SET status = 'complete', recorded_at = ?, heartbeat_at = ?,"
                    " duration_s = duration_s + ? WHERE id = ?", [iso(at), iso(at), round(duration_s, 3), run_id])

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
