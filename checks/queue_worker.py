"""A Dramatiq worker for scan units: ``SRM_QUEUE_URL=redis://host:6379/0 dramatiq checks.queue_worker``.

Importing this module points Dramatiq at the Redis broker named by ``SRM_QUEUE_URL`` and declares
the ``run_unit`` actor. Each message is one unit: the worker opens the account from the target's
spec with its own AWS credentials (a few sessions are kept per worker process for the account's
next units), lists what the unit's checks need, runs them, pushes the result to the run's Redis
list and lets the inventory go. Nothing here writes SQLite.
"""
from __future__ import annotations

import json
import os
import socket
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from checks.accounts import connect_spec
from checks.executors import settle_heap
from checks.inventory.core import ApiCallCounter, FetchError, Inventory, warm_models
from checks.queue import ACTOR, QUEUE, push_result
from checks.registry import load_all
from checks.units import Limits, Unit, UnitResult, execute_unit, failed_unit, fixed_clock, inventory_gaps

SESSIONS_KEPT = 4  # per worker process: an account's units usually follow one another

broker = RedisBroker(url=os.environ.get("SRM_QUEUE_URL", "redis://127.0.0.1:6379/0"))
dramatiq.set_broker(broker)
_sessions: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()
load_all()
warm_models()  # parsed before the freeze, the botocore models stay out of full collections too
settle_heap(collect=True)  # the start-up heap (modules, the check registry) stays out of the collector's sight for good


def _session(spec: dict[str, Any]) -> Any:
    key = json.dumps(spec, sort_keys=True)
    with _lock:
        if key in _sessions:
            _sessions.move_to_end(key)
            return _sessions[key]
    session = connect_spec(spec)
    with _lock:
        _sessions[key] = session
        while len(_sessions) > SESSIONS_KEPT:
            _sessions.popitem(last=False)
    return session


def execute_payload(payload: dict[str, Any]) -> UnitResult:
    """Run one unit message (never raises for AWS trouble: that is ERROR findings)."""
    u, t = payload["unit"], payload["target"]
    unit = Unit(u["account_id"], u["region"], u["service"], tuple((c, label) for c, label in u["checks"]))
    checks = load_all()
    try:
        session = _session(t["spec"])
    except FetchError as exc:
        return failed_unit(unit, checks, exc.code, exc.message)
    inv = Inventory(session, t["account_id"], unit.region, partition=t["partition"], counter=ApiCallCounter(),
                    account_name=t["name"])
    clock = fixed_clock(datetime.fromisoformat(payload["now"])) if payload.get("now") else None
    try:
        result = execute_unit(unit, inv, checks, settings=payload.get("settings") or {}, clock=clock,
                              limits=Limits(**payload.get("limits", {})))
        result.ran_on = f"{socket.gethostname()}:{os.getpid()}"
        result.api_calls = dict(inv.counter.calls)
        result.duplicate_calls = sum(n - 1 for n in inv.counter.params.values() if n > 1)
        result.gaps = inventory_gaps(inv)
        return result
    finally:
        inv.close()


@dramatiq.actor(actor_name=ACTOR, queue_name=QUEUE, max_retries=0)
def run_unit(payload: dict[str, Any]) -> None:
    push_result(broker.client, payload["run"], execute_payload(payload))
