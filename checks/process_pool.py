"""Units on several processes of this machine: each runs a :class:`~checks.executors.LocalExecutor`
over its share of the accounts.

One scanner process is CPU-bound well before the network is: botocore spends ~4-6 ms of CPU per API
call (building clients, signing, parsing) under one GIL, so at 8 units in flight against 40 ms of
latency a single process manages ~170 calls/s where 200/s are asked for (bench/README.md, latency).
:class:`ProcessExecutor` splits a large scan's accounts round-robin over ``processes`` worker
processes, ``max_workers`` units in flight in all, and streams every unit's result back as it
finishes; the caller (the only writer of SQLite) sees the same stream as from the local pool.

Small scans (fewer than ``PROCESS_MIN_UNITS`` units or one account), and targets that cannot be
opened from plain data (``spec`` is None: a test's ready session), stay on the local pool: starting
processes costs more than they would save. A worker process that dies reports its unfinished units as
ERROR ``WorkerCrashed``; none is lost and none is reported twice.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Iterator

from checks.accounts import connect_spec
from checks.executors import LocalExecutor, ScanJob
from checks.inventory.core import warm_models
from checks.registry import load_all
from checks.runner import Target
from checks.units import Limits, Unit, UnitResult, failed_unit, fixed_clock

PROCESS_MIN_UNITS = 100  # an account at 2 regions is ~45 units
POLL_S = 0.5
STALL_S = 600.0  # no result from any worker for this long (and past 2 x the unit timeout): the rest is ERROR


def auto_processes() -> int:
    """The processes used when the configuration says 0 (auto): one per CPU this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


@dataclass
class _Share:
    """What one worker process needs, in plain data."""

    index: int
    units: list[Unit]
    targets: dict[str, dict[str, Any]]  # account_id -> name, partition, regions, spec
    settings: dict[str, dict[str, Any]]
    now: str | None
    limits: Limits
    threads: int


class ProcessExecutor:
    """Accounts round-robin over ``processes`` worker processes, ``max_workers`` units in flight in all."""

    def __init__(self, processes: int = 0, max_workers: int = 8, *, min_units: int = PROCESS_MIN_UNITS,
                 start_method: str | None = None):
        self.processes = processes or auto_processes()
        self.max_workers = max(1, max_workers)
        self.min_units = min_units
        self.start_method = start_method  # None: fork when no other thread is alive, else spawn

    def _shares(self, job: ScanJob) -> list[_Share] | None:
        accounts = list(dict.fromkeys(u.account_id for u in job.units))
        wanted = min(self.processes, len(accounts), self.max_workers)
        if wanted < 2 or len(job.units) < self.min_units:
            return None
        if any(job.targets[a].spec is None for a in accounts):
            return None
        now = job.clock().isoformat() if job.clock else None
        owner = {a: i % wanted for i, a in enumerate(accounts)}
        # max_workers in flight in all: the remainder goes one each to the first shares
        share_of, extra = divmod(self.max_workers, wanted)
        shares = [_Share(i, [], {}, {}, now, job.limits, share_of + (i < extra)) for i in range(wanted)]
        for unit in job.units:
            share = shares[owner[unit.account_id]]
            share.units.append(unit)
            t = job.targets[unit.account_id]
            share.targets[t.account_id] = {"name": t.name, "partition": t.partition, "regions": list(t.regions),
                                           "spec": t.spec}
            for cid, _ in unit.checks:
                share.settings[cid] = dict(job.settings.get(cid) or {})
        return shares

    def run(self, job: ScanJob) -> Iterator[UnitResult]:
        shares = self._shares(job)
        if shares is None:
            yield from LocalExecutor(self.max_workers).run(job)
            return
        yield from _Workers(shares, job, self.start_method).results()


class _Workers:
    """The worker processes of one run and the results they send."""

    def __init__(self, shares: list[_Share], job: ScanJob, method: str | None = None):
        self.shares, self.job = shares, job
        # units report within their own timeouts; silence for much longer than that means a hung worker
        self.stall_s = max(STALL_S, 2 * (job.limits.unit_timeout_s or 0))
        # fork is cheap (the parent has loaded boto3 and the checks) but safe only with no other thread
        # alive; a long-running bot (scheduler, Slack server) spawns fresh interpreters instead
        if method is None:
            forkable = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
            method = "fork" if forkable else "spawn"
        self.forking = method == "fork"
        if self.forking:
            warm_models()  # parsed once here and shared with the forked workers, not parsed in each
        ctx: Any = multiprocessing.get_context(method)
        self.inbox: Any = ctx.Queue()
        self.waiting = {s.index: {u.key: u for u in s.units} for s in shares}
        self.procs = [ctx.Process(target=_run_share, args=(s, self.inbox), name=f"srm-units-{s.index}",
                                       daemon=True) for s in shares]

    def results(self) -> Iterator[UnitResult]:
        try:
            if self.forking:  # a child's collection would write to every inherited object, copying its page
                gc.freeze()
            try:
                for p in self.procs:
                    p.start()
            finally:
                if self.forking:
                    gc.unfreeze()
            heard = time.monotonic()
            while any(self.waiting.values()):
                try:
                    message = self.inbox.get(timeout=POLL_S)
                except queue.Empty:
                    yield from self._crashed()
                    if time.monotonic() - heard > self.stall_s:  # alive but silent: a hung worker
                        for share in self.shares:
                            yield from self._give_up(share.index, "WorkerTimeout",
                                                     f"no result from any worker process for {self.stall_s:g} s")
                    continue
                heard = time.monotonic()
                yield from self._take(message)
        finally:
            for p in self.procs:
                if p.is_alive():
                    p.terminate()
            for p in self.procs:
                p.join(timeout=10)
            self.inbox.close()

    def _take(self, message: tuple[str, int, str]) -> Iterator[UnitResult]:
        kind, index, body = message
        if kind == "result":
            result = UnitResult.model_validate_json(body)
            if self.waiting[index].pop(result.key, None) is not None:
                yield result
        elif kind == "failed":  # the share's code raised: its units not reported yet are ERROR
            yield from self._give_up(index, "WorkerFailed", body)

    def _crashed(self) -> Iterator[UnitResult]:
        for share, proc in zip(self.shares, self.procs):
            if self.waiting[share.index] and not proc.is_alive() and proc.exitcode is not None:
                try:  # what it sent just before it ended may still be in the pipe
                    while True:
                        yield from self._take(self.inbox.get(timeout=POLL_S))
                except queue.Empty:
                    pass
                if not self.waiting[share.index]:
                    continue
                yield from self._give_up(share.index, "WorkerCrashed",
                                         f"worker process {proc.name} exited with code {proc.exitcode}")

    def _give_up(self, index: int, code: str, message: str) -> Iterator[UnitResult]:
        left = self.waiting[index]
        for key in list(left):
            yield failed_unit(left.pop(key), self.job.checks, code, message)


def _run_share(share: _Share, outbox: Any) -> None:
    """A worker process: run the share's units on a local pool and send each result as it finishes."""
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="srm-parent-watch", daemon=True).start()
    try:
        checks = load_all()
        targets = {aid: Target(name=t["name"], account_id=aid, session=None, regions=t["regions"],
                               partition=t["partition"], spec=t["spec"],
                               connect=partial(connect_spec, t["spec"]))
                   for aid, t in share.targets.items()}
        clock = fixed_clock(datetime.fromisoformat(share.now)) if share.now else None
        job = ScanJob(units=share.units, targets=targets, checks=checks, settings=share.settings, clock=clock,
                      limits=share.limits)
        for result in LocalExecutor(share.threads).run(job):
            result.ran_on = f"{socket.gethostname()}:{os.getpid()}"
            outbox.put(("result", share.index, result.model_dump_json()))
    except BaseException:  # noqa: BLE001 - reported to the coordinator, which turns the rest into ERROR
        outbox.put(("failed", share.index, traceback.format_exc(limit=5)[-2000:]))
    finally:
        outbox.close()
        outbox.join_thread()


def _exit_with_parent(parent: int) -> None:
    """A worker whose coordinator is gone (killed, even by SIGKILL) stops too: a resumed run must not race
    units still running on an orphan."""
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(POLL_S)
