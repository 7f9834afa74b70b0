"""Units on worker processes of this machine (checks/process_pool.py) against moto_server accounts."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from types import SimpleNamespace as NS

import pytest

from bot.config import AwsConfig
from bot.demo.aws import MotoServer
from bot.scans import executor_of
from checks.executors import LocalExecutor
from checks.process_pool import ProcessExecutor
from tests.test_queue_workers import ACCOUNTS, scan, seed, targets


@pytest.fixture(scope="module")
def moto_accounts():
    with MotoServer() as moto:
        seed(moto.url)
        yield moto


@pytest.fixture
def org(moto_accounts, monkeypatch):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SRM_"))}
    env.update(moto_accounts.env(), AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return targets(NS(env=env), monkeypatch)


def test_units_on_two_processes_find_what_the_local_pool_finds(org):
    local, _ = scan(org, LocalExecutor(4))
    spread, results = scan(org, ProcessExecutor(2, 4, min_units=1))  # fork only with no other thread alive

    assert spread == local
    assert {s for *_, s in spread} == {"PASS", "FAIL"}  # no ERROR: every unit ran for real
    ran_on = {r.ran_on for r in results}
    assert len(ran_on) == 2 and f":{os.getpid()}" not in "".join(ran_on)  # two workers, never the coordinator
    by_account = {}
    for r in results:
        by_account.setdefault(r.account_id, set()).add(r.ran_on)
    assert all(len(pids) == 1 for pids in by_account.values())  # an account's units share one process's session
    assert len(results) == len({r.key for r in results})


def test_a_small_scan_stays_in_this_process(org):
    _, results = scan(org, ProcessExecutor(2, 4))  # 15 units: under PROCESS_MIN_UNITS
    assert {r.ran_on for r in results} == {""}


def _kill_when_started(name: str, killed: list[int]) -> None:
    """Kill the worker process called ``name`` as soon as it exists: a spawned worker takes a second or more to
    import before it can run a unit, so it dies with every unit of its share unreported."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for proc in multiprocessing.active_children():
            if proc.name == name and proc.pid:
                os.kill(proc.pid, signal.SIGKILL)
                killed.append(proc.pid)
                return
        time.sleep(0.01)


def test_a_worker_that_dies_reports_its_unfinished_units_as_errors_and_loses_none(org):
    local, local_results = scan(org, LocalExecutor(4))
    killed: list[int] = []
    killer = threading.Thread(target=_kill_when_started, args=("srm-units-1", killed))  # ACCOUNTS[1]'s share
    killer.start()
    found, results = scan(org, ProcessExecutor(2, 4, min_units=1, start_method="spawn"))
    killer.join()

    assert killed
    assert sorted(r.key for r in results) == sorted(r.key for r in local_results)  # every unit, once
    crashed = [r for r in results if r.error.startswith("WorkerCrashed")]
    assert {r.account_id for r in crashed} == {ACCOUNTS[1]}
    assert len(crashed) == sum(1 for r in local_results if r.account_id == ACCOUNTS[1])
    assert "exited with code -9" in crashed[0].error
    assert {f for f in found if f[0] != ACCOUNTS[1]} == {f for f in local if f[0] != ACCOUNTS[1]}
    assert all(f.status.value == "ERROR" for r in crashed for f in r.findings)


def test_the_configuration_chooses_one_process_unless_told_otherwise():
    assert type(executor_of(AwsConfig())) is LocalExecutor
    spread = executor_of(AwsConfig(processes=3, max_workers=9))
    assert isinstance(spread, ProcessExecutor) and (spread.processes, spread.max_workers) == (3, 9)
    assert executor_of(AwsConfig(processes=0)).processes >= 1  # one per CPU
