"""Units on worker processes of this machine (checks/process_pool.py) against moto_server accounts."""
from __future__ import annotations

import os
from types import SimpleNamespace as NS
from typing import Any, Iterator

import pytest

from bot.config import AwsConfig
from bot.demo.aws import MotoServer
from bot.scans import executor_of
from checks import process_pool
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


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_units_on_two_processes_find_what_the_local_pool_finds(org, method):
    local, _ = scan(org, LocalExecutor(4))
    spread, results = scan(org, ProcessExecutor(2, 4, min_units=1, start_method=method))

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


class _DiesAfterOne(LocalExecutor):
    def run(self, job: Any) -> Iterator[Any]:
        for i, result in enumerate(super().run(job)):
            if ACCOUNTS[1] in {u.account_id for u in job.units} and i == 1:
                os._exit(7)  # the worker process dies mid-share
            yield result


def test_a_worker_that_dies_reports_its_unfinished_units_as_errors_and_loses_none(org, monkeypatch):
    monkeypatch.setattr(process_pool, "LocalExecutor", _DiesAfterOne)  # carried into the forked workers
    local, local_results = scan(org, LocalExecutor(4))
    found, results = scan(org, ProcessExecutor(2, 4, min_units=1, start_method="fork"))

    assert sorted(r.key for r in results) == sorted(r.key for r in local_results)  # every unit, once
    crashed = [r for r in results if r.error.startswith("WorkerCrashed")]
    assert crashed and all(r.account_id == ACCOUNTS[1] for r in crashed)
    assert "exited with code 7" in crashed[0].error
    assert {f for f in found if f[0] != ACCOUNTS[1]} == {f for f in local if f[0] != ACCOUNTS[1]}
    assert all(f.status.value == "ERROR" for r in crashed for f in r.findings)


def test_the_configuration_chooses_one_process_unless_told_otherwise():
    assert type(executor_of(AwsConfig())) is LocalExecutor
    spread = executor_of(AwsConfig(processes=3, max_workers=9))
    assert isinstance(spread, ProcessExecutor) and (spread.processes, spread.max_workers) == (3, 9)
    assert executor_of(AwsConfig(processes=0)).processes >= 1  # one per CPU
