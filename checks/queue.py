"""Units on worker processes through a task queue: Dramatiq on Redis.

The coordinator (:class:`QueueExecutor`) sends one Dramatiq message per unit to the ``srm-units``
queue; each worker (``dramatiq checks.queue_worker``, see that module) opens the account from the
target's plain-data ``spec`` with its own credentials, runs the unit and pushes the
:class:`~checks.units.UnitResult` as JSON onto a Redis list for that run, which the coordinator
pops. Workers never touch SQLite: only the coordinator writes the store.

Why Dramatiq: its Redis broker acknowledges a message only after the actor returns, and requeues
the messages of a worker that stopped heart-beating, so a unit on a crashed worker host is run
again elsewhere; it needs no result backend and only two small packages (dramatiq, redis).
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterator

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from checks.executors import ScanJob
from checks.inventory.core import FetchError, error_code_of
from checks.units import Unit, UnitResult, failed_unit

QUEUE = "srm-units"
ACTOR = "run_unit"
RESULTS_TTL_S = 24 * 3600
DEFAULT_STALL_S = 600.0  # no result from any worker for this long: the remaining units are ERROR


def results_key(run_token: str) -> str:
    return f"srm:unit-results:{run_token}"


def payload_of(unit: Unit, target: Any, job: ScanJob, run_token: str, now: datetime | None) -> dict[str, Any]:
    return {
        "run": run_token,
        "unit": {"account_id": unit.account_id, "region": unit.region, "service": unit.service,
                 "checks": [list(c) for c in unit.checks]},
        "target": {"name": target.name, "account_id": target.account_id, "partition": target.partition,
                   "spec": target.spec},
        "settings": {cid: dict(job.settings.get(cid) or {}) for cid, _ in unit.checks},
        "now": now.isoformat() if now else None,
        "limits": {"check_timeout_s": job.limits.check_timeout_s, "unit_timeout_s": job.limits.unit_timeout_s},
    }


class QueueExecutor:
    """Send units to Dramatiq workers on Redis and yield their results as they come back."""

    def __init__(self, url: str, *, unit_timeout_s: float | None = None, stall_s: float | None = None):
        self.url = url
        self.broker = RedisBroker(url=url)
        self.broker.declare_queue(QUEUE)
        self.client = redis.Redis.from_url(url)
        self.stall_s = stall_s or max(DEFAULT_STALL_S, 2 * (unit_timeout_s or 0))

    def run(self, job: ScanJob) -> Iterator[UnitResult]:
        token = uuid.uuid4().hex
        key = results_key(token)
        now = job.clock() if job.clock else datetime.now(timezone.utc)
        waiting: dict[str, Unit] = {}
        for unit in job.units:
            target = job.targets[unit.account_id]
            if target.spec is None:  # cannot be opened elsewhere: an unreachable target, or a test's session
                yield self._local_failure(unit, target, job)
                continue
            options: dict[str, Any] = {"max_retries": 0}
            if job.limits.unit_timeout_s:
                options["time_limit"] = int(job.limits.unit_timeout_s * job.limits.grace * 1000)
            self.broker.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=ACTOR,
                                                 args=(payload_of(unit, target, job, token, now),), kwargs={},
                                                 options=options))
            waiting[unit.key] = unit
        last = time.monotonic()
        try:
            while waiting:
                popped = self.client.blpop([key], timeout=1)
                if popped is None:
                    if time.monotonic() - last > self.stall_s:
                        for unit in list(waiting.values()):
                            del waiting[unit.key]
                            yield failed_unit(unit, job.checks, "WorkerTimeout",
                                              f"no worker reported unit {unit.key} within {self.stall_s:g} s "
                                              f"(are `dramatiq checks.queue_worker` workers running on {QUEUE}?)",
                                              timed_out=True)
                    continue
                last = time.monotonic()
                result = UnitResult.model_validate_json(popped[1])
                if waiting.pop(result.key, None) is not None:  # a redelivered unit reports twice: keep one
                    yield result
        finally:
            self.client.delete(key)

    @staticmethod
    def _local_failure(unit: Unit, target: Any, job: ScanJob) -> UnitResult:
        try:
            target.open_session()
        except Exception as exc:  # noqa: BLE001 - whatever stops us opening it is the unit's error
            if isinstance(exc, FetchError):
                return failed_unit(unit, job.checks, exc.code, exc.message)
            return failed_unit(unit, job.checks, *error_code_of(exc))
        return failed_unit(unit, job.checks, "NotQueueable",
                           f"account {target.name} has no connection spec a worker could use")


def push_result(client: redis.Redis, run_token: str, result: UnitResult) -> None:
    key = results_key(run_token)
    pipe = client.pipeline()
    pipe.rpush(key, result.model_dump_json())
    pipe.expire(key, RESULTS_TTL_S)
    pipe.execute()

