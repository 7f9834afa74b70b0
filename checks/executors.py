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

import gc
import queue
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Iterator, Mapping, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from checks.base import Check, Clock
from checks.inventory.core import ApiCallCounter, FetchError, Inventory, error_code_of, warm_models
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
    """Units on a bounded thread pool in this process (the embedded default).

    A feeder thread keeps ``max_workers`` units in flight whatever the caller does with the results:
    the caller's work per result (writing findings, drift and incidents when an account is complete)
    overlaps with the units still running instead of leaving their slots empty.
    """

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
        run = _PoolRun(self, job)
        try:
            yield from run.results()
        finally:
            run.stop()


# Freezing the heap pays for a scan of a few accounts and more (an account x 2 regions is ~45 units); for a
# small scan the full collection that follows `gc.unfreeze` costs more than it saved (measured: a test module
# of small scans took 47 s instead of 27 s).
SETTLE_HEAP_MIN_UNITS = 100


class _PoolRun:
    """One run of a :class:`LocalExecutor`: the feeder, the in-flight units and the finished results."""

    def __init__(self, executor: LocalExecutor, job: ScanJob):
        self.executor, self.job = executor, job
        self.leases = _Leases(job)
        self.started: dict[str, float] = {}
        self.in_flight: dict[str, Unit] = {}  # unit key -> unit, until its result is queued (or given up)
        self.finished: queue.Queue[Any] = queue.Queue()
        self.slots = threading.Semaphore(executor.max_workers)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=executor.max_workers, thread_name_prefix="srm-unit")
        self.feeder = threading.Thread(target=self._feed, name="srm-unit-feeder", daemon=True)
        self.frozen = False

    def _feed(self) -> None:
        try:
            for unit in self.job.units:
                # results the caller has not taken yet hold findings: past a few, wait for the caller
                while self.finished.qsize() >= 2 * self.executor.max_workers and not self.stopping.is_set():
                    time.sleep(0.02)
                while not self.slots.acquire(timeout=0.5):
                    if self.stopping.is_set():
                        return
                if self.stopping.is_set():
                    return
                with self.lock:
                    self.in_flight[unit.key] = unit
                fut = self.pool.submit(self.executor._work, unit, self.job, self.leases, self.started)
                fut.add_done_callback(partial(self._done, unit))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            self.finished.put(exc)

    def _done(self, unit: Unit, fut: Future[UnitResult]) -> None:
        with self.lock:
            if self.in_flight.pop(unit.key, None) is None:
                return  # given up on already (its slot and lease were released then)
        try:
            result = fut.result()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            self.finished.put(exc)
            return
        self.leases.release(unit, result)
        self.slots.release()
        self.finished.put(result)

    def results(self) -> Iterator[UnitResult]:
        self.frozen = len(self.job.units) >= SETTLE_HEAP_MIN_UNITS
        self.feeder.start()
        if self.frozen:
            # parsed here while the first units wait for their accounts' sessions (~1 s of CPU, overlapping
            # their network waits), the models (EC2's alone is ~100k objects) are then frozen with the rest
            warm_models()
            settle_heap()
        budget = self.job.limits.unit_timeout_s
        for _ in range(len(self.job.units)):
            while True:
                try:
                    got = self.finished.get(timeout=1.0 if budget else None)
                    break
                except queue.Empty:
                    pass
                finally:
                    if budget:
                        for late in self._give_up_on_overdue(budget):
                            self.finished.put(late)
            if isinstance(got, BaseException):
                raise got
            yield got

    def _give_up_on_overdue(self, budget: float) -> list[UnitResult]:
        """Units stuck outside any AWS call (where their deadline cannot stop them) are reported and left behind."""
        now, late = time.monotonic(), []
        with self.lock:
            overdue = [u for key, u in self.in_flight.items()
                       if (t := self.started.get(key)) is not None and now - t > budget * self.job.limits.grace]
            for unit in overdue:
                del self.in_flight[unit.key]
        for unit in overdue:
            result = failed_unit(unit, self.job.checks, "Timeout",
                                 f"unit {unit.key} did not finish within {budget:g} s", timed_out=True)
            self.leases.release(unit, result)
            self.slots.release()
            late.append(result)
        return late

    def stop(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.frozen:
            gc.unfreeze()


def settle_heap(collect: bool = False) -> None:
    """Move what is alive now (imported modules, the check registry, configuration, parsed service models)
    out of the cyclic garbage collector's sight for the scan (``gc.unfreeze`` gives it back afterwards).

    A scan allocates clients and responses fast enough to trigger full collections, and each full
    collection walks the whole heap while holding the GIL: measured on a 3-account scan at 4 units in
    flight, 7 full collections took 4.2 s (up to 1.3 s each), during which no unit could read an answer.
    With the start-up heap frozen they took 1.5 s and the scan's wall time fell from 18.3 s to 11.2 s
    (bench/org_scan.py latency). No collection first unless ``collect`` (a process that freezes once, for
    good: the queue worker): garbage frozen with the rest is collected after ``gc.unfreeze``. Only large
    scans freeze at all (see ``SETTLE_HEAP_MIN_UNITS``)."""
    if collect:
        gc.collect()
    gc.freeze()
