"""A scan as a resumable run: units stored as they finish, accounts applied to incidents as they complete.

Each unit's result is written to ``scan_units`` the moment it finishes; when an account's last
unit is in, its findings go through drift and incidents in one transaction that also marks
those units applied. A process killed at any point (SIGKILL included) leaves finished units and
applied accounts behind; the next scan of the same plan takes the run over, runs only the units
not yet finished and applies only the accounts not yet applied, so no unit is called twice and
no finding or incident event is made twice. Rules: docs/scaling.md.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from bot.incidents import Incidents, ScanOutcome
from bot.models import Clock, DriftEvent, Event, IncidentState
from bot.store import Store
from checks.base import Check, Finding
from checks.executors import Executor, LocalExecutor
from checks.process_pool import ProcessExecutor
from checks.runner import RunError, RunResult, Tally, Target, plan_units, run_units, sort_findings, summarize
from checks.units import Limits, Unit, UnitResult

STALE_AFTER = timedelta(minutes=10)  # a run on another host with no heartbeat this long is taken over


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None, heartbeat_at: str | None, *, now: datetime | None = None) -> bool:
    """Is the process that holds a running scan still there? (Ours counts as gone: a scan this process
    started and lost to an exception may be taken over by its next scan.)"""
    host, _, pid = (owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if heartbeat_at is None:
        return False
    seen = datetime.fromisoformat(heartbeat_at)
    return (now or datetime.now(seen.tzinfo)) - seen < STALE_AFTER


def plan_key(units: Iterable[Unit], settings: Mapping[str, Any]) -> str:
    """The same checks over the same accounts and regions with the same settings: the same plan."""
    blob = json.dumps([[u.key, list(u.checks)] for u in units] + [settings], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def limits_of(aws_cfg: Any) -> Limits:
    return Limits(check_timeout_s=getattr(aws_cfg, "check_timeout_s", None),
                  unit_timeout_s=getattr(aws_cfg, "unit_timeout_s", None))


def executor_of(aws_cfg: Any) -> Executor:
    """The configured executor: the local pool (on several processes for a large scan, ``aws.processes``),
    or the Redis task queue (``aws.executor: queue``)."""
    if getattr(aws_cfg, "executor", "local") == "queue":
        from checks.queue import QueueExecutor  # dramatiq and redis load only when the queue is used

        return QueueExecutor(aws_cfg.queue_url, unit_timeout_s=getattr(aws_cfg, "unit_timeout_s", None))
    processes = getattr(aws_cfg, "processes", 1)
    if processes == 1:
        return LocalExecutor(getattr(aws_cfg, "max_workers", 8))
    return ProcessExecutor(processes, getattr(aws_cfg, "max_workers", 8))


class ResumableScan:
    def __init__(self, store: Store, incidents: Incidents, clock: Clock):
        self.store, self.incidents, self.clock = store, incidents, clock

    def run(self, checks: list[Check], targets: list[Target], *, executor: Executor,
            settings: Mapping[str, Mapping[str, Any]] | None = None, limits: Limits | None = None,
            progress: Callable[[int, int], None] | None = None,
            keep_findings: bool = True) -> tuple[RunResult, ScanOutcome]:
        """Scan ``targets``; every account is applied (findings, drift, incidents) as its last unit finishes.

        ``keep_findings=False`` (an organization scan): the result carries the counts, errors, covered scopes
        and incident events but not every finding and drift event (they are in the store), so the memory of a
        run does not grow with its accounts (measured: ~325 findings and as many drift events per account)."""
        settings = settings or {}
        t0, started = time.perf_counter(), time.time()
        units = plan_units(checks, targets)
        me = owner_id()
        state = self.store.open_scan_run(plan_key(units, settings), len(units), len(checks), me, self.clock.now(),
                                         lambda owner, beat: owner_alive(owner, beat, now=self.clock.now()))
        left = Counter(u.account_id for u in units if u.key not in state.done)
        names = {t.account_id: t.name for t in targets}
        findings: list[Finding] = []
        covered: list[tuple[str, str, str]] = []
        drift_events: list[DriftEvent] = []
        events: list[Event] = []
        statuses: Counter[str] = Counter()
        errors: list[RunError] = []
        changes = 0

        def apply(account: str) -> None:
            results = self.store.account_units(state.id, account)
            part = RunResult(findings=[f for r in results for f in r.findings],
                             covered=sorted({c for r in results for c in r.covered}),
                             summary=summarize([f for r in results for f in r.findings], Tally(), started=started,
                                               duration_s=0, checks_run=len(checks), scopes=0, names=names))
            now = self.clock.now()
            with self.store.transaction():
                d, e = self.incidents.apply_run(part, state.id, now)
                self.store.account_applied(state.id, part)
            nonlocal changes
            statuses.update(part.summary.findings)
            errors.extend(part.summary.errors)
            changes += len(d)
            if keep_findings:
                findings.extend(part.findings)
                drift_events.extend(d)
            covered.extend(part.covered)
            events.extend(e)
            self.incidents.deliver()

        def on_unit(result: UnitResult) -> None:
            self.store.save_unit(state.id, result, me, self.clock.now())
            left[result.account_id] -= 1
            if left[result.account_id] == 0:
                apply(result.account_id)

        for account in sorted({u.account_id for u in units} - state.ingested):
            if left[account] == 0:  # every unit finished before the last process stopped, not yet applied
                apply(account)
        tally = run_units(checks, targets, on_unit, executor=executor, settings=settings,
                          clock=self.clock.now, limits=limits, skip=state.done, progress=progress)
        duration = time.perf_counter() - t0
        with self.store.transaction():  # one backlog summary per team for the run (of this process's accounts)
            self.incidents.announce_backlog(state.id, [e for e in events if e.to_state is IncidentState.backlog],
                                            self.clock.now())
            self.store.finish_scan_run(state.id, self.clock.now(), duration)
        summary = summarize([], tally, started=started, duration_s=duration, checks_run=len(checks),
                            scopes=len(set(covered)), names=names)
        summary.findings, summary.errors = {k: statuses[k] for k in summary.findings}, errors
        result = RunResult(findings=sort_findings(findings), covered=sorted(set(covered)), summary=summary)
        outcome = ScanOutcome(run_id=state.id, drift=drift_events, changes=changes, events=events,
                              delivered=self.incidents.deliver(),
                              units_total=len(units), units_resumed=len(state.done), abandoned_runs=state.abandoned)
        return result, outcome
