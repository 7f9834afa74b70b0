"""The executor seam: where a scan's units run.

* :class:`LocalExecutor` (the default): a bounded thread pool in this process. An account's
  session is opened when its first unit starts and dropped when its last unit is done; an
  (account, region) inventory, with its clients and listings, is shared by that pair's units
  and released with the last of them. Units are started in plan order, at most ``max_workers``
  at a time, so only the few accounts being worked on are held in memory.
* :class:`~checks.queue.QueueExecutor`: units as Dramatiq messages on Redis, run by worker
  processes (``checks/queue.py``).

Either way the caller receives one :class:`~checks.units.UnitResult` per unit, as each finishes.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from checks.base import Check, Clock
from checks.inventory.core import ApiCallCounter, FetchError, Inventory, error_code_of
from checks.units import Limits, Unit, UnitResult, execute_unit, failed_unit, inventory_gaps


@dataclass
class ScanJob:
    """What an executor needs: the units still to run and how to reach their accounts."""

    units: list[Unit]
    targets: Mapping[str, Any]  # account_id -> checks.runner.Target
    checks: Mapping[str, Check]
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    clock: Clock | None = None
    limits: Limits = Limits()


class Executor(Protocol):
    def run(self, job: ScanJob) -> Iterator[UnitResult]:
        """Yield one result per unit of ``job``, in the order they finish."""
        ...


class _Unreachable(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class _Leases:
    """Sessions per account and inventories per (account, region), counted out and released."""

    def __init__(self, job: ScanJob):
        self.job = job
        self.left_in_account = Counter(u.account_id for u in job.units)
        self.left_in_pair = Counter((u.account_id, u.region) for u in job.units)
        self.sessions: dict[str, Any] = {}  # account_id -> session, or _Unreachable
        self.inventories: dict[tuple[str, str], Inventory] = {}
        self._lock = threading.Lock()
        self._connecting: dict[str, threading.Lock] = {}

    def inventory(self, unit: Unit) -> Inventory:
        target = self.job.targets[unit.account_id]
        session = self._session(target)
        with self._lock:
            inv = self.inventories.get((unit.account_id, unit.region))
            if inv is None:
                inv = Inventory(session, target.account_id, unit.region, partition=target.partition,
                                counter=ApiCallCounter(), account_name=target.name,
                                client_factory=target.client_factory)
                self.inventories[(unit.account_id, unit.region)] = inv
            return inv

    def _session(self, target: Any) -> Any:
        with self._lock:
            gate = self._connecting.setdefault(target.account_id, threading.Lock())
        with gate:  # one connect (AssumeRole) per account, however many of its units start at once
            got = self.sessions.get(target.account_id)
            if got is None:
                try:
                    got = target.open_session()
                except (ClientError, BotoCoreError, FetchError) as exc:
                    got = _Unreachable(*error_code_of(exc))
                self.sessions[target.account_id] = got
        if isinstance(got, _Unreachable):
            raise got
        return got

    def release(self, unit: Unit, result: UnitResult) -> None:
        """The unit is done: the last one of a pair closes its inventory (its counts go on this result),
        the last one of an account drops the session."""
        pair = (unit.account_id, unit.region)
        with self._lock:
            self.left_in_pair[pair] -= 1
            inv = self.inventories.pop(pair, None) if self.left_in_pair[pair] <= 0 else None
            self.left_in_account[unit.account_id] -= 1
            if self.left_in_account[unit.account_id] <= 0:
                self.sessions.pop(unit.account_id, None)
                self._connecting.pop(unit.account_id, None)
        if inv is not None:
            result.api_calls = dict(inv.counter.calls)
            result.duplicate_calls = sum(n - 1 for n in inv.counter.params.values() if n > 1)
            result.gaps = inventory_gaps(inv)
            inv.close()


class LocalExecutor:
    """Units on a bounded thread pool in this process (the embedded default)."""

    def __init__(self, max_workers: int = 8):
        self.max_workers = max(1, max_workers)

    def _work(self, unit: Unit, job: ScanJob, leases: _Leases, started: dict[str, float]) -> UnitResult:
        started[unit.key] = time.monotonic()
        try:
            inv = leases.inventory(unit)
        except _Unreachable as exc:
            return failed_unit(unit, job.checks, exc.code, exc.message)
        return execute_unit(unit, inv, job.checks, settings=job.settings, clock=job.clock, limits=job.limits)

    def run(self, job: ScanJob) -> Iterator[UnitResult]:
        leases = _Leases(job)
        started: dict[str, float] = {}
        todo = iter(job.units)
        in_flight: dict[Future[UnitResult], Unit] = {}
        pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="srm-unit")
        budget = job.limits.unit_timeout_s
        try:
            while True:
                while len(in_flight) < self.max_workers:
                    unit = next(todo, None)
                    if unit is None:
                        break
                    in_flight[pool.submit(self._work, unit, job, leases, started)] = unit
                if not in_flight:
                    return
                done, _ = wait(in_flight, timeout=1.0 if budget else None, return_when=FIRST_COMPLETED)
                for fut in done:
                    unit = in_flight.pop(fut)
                    result = fut.result()
                    leases.release(unit, result)
                    yield result
                if budget:
                    yield from self._give_up_on_overdue(in_flight, started, leases, job, budget)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _give_up_on_overdue(in_flight: dict[Future[UnitResult], Unit], started: dict[str, float],
                            leases: _Leases, job: ScanJob, budget: float) -> Iterator[UnitResult]:
        """A unit stuck outside any AWS call (where its deadline cannot stop it) is reported and left behind."""
        now = time.monotonic()
        for fut, unit in list(in_flight.items()):
            t = started.get(unit.key)
            if t is not None and now - t > budget * job.limits.grace:
                del in_flight[fut]
                result = failed_unit(unit, job.checks, "Timeout",
                                     f"unit {unit.key} did not finish within {budget:g} s", timed_out=True)
                leases.release(unit, result)
                yield result
