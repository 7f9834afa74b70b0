"""A real `srm scan` killed with SIGKILL mid-run and started again continues where it stopped.

moto_server behind bench/latency_proxy.py (latency, so the scan is slow enough to kill halfway);
three accounts reached by AssumeRole; the proxy's request log tells which roles were assumed.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import boto3
import pytest

from bot.demo.aws import MotoServer
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
SRM = str(Path(sys.executable).parent / "srm")
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
CHECKS = ["s3_bucket_policy_not_public", "ec2_securitygroup_no_public_ssh", "kms_key_rotation_enabled",
          "iam_password_policy_strong", "dynamodb_table_pitr_enabled", "rds_instance_storage_encrypted",
          "cloudtrail_multiregion_trail_logging"]
PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::{b}/*"}]}


def start_proxy(upstream: str, log: Path, latency_ms: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "latency_proxy.py"), "--upstream", upstream,
                             "--latency-ms", str(latency_ms), "--log", str(log)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("PORT "), line
    return proc, f"http://127.0.0.1:{line.split()[1]}"


def seed(url: str) -> None:
    base = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1")
    sts = base.client("sts", endpoint_url=url)
    for i, account in enumerate(ACCOUNTS):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/srm", RoleSessionName="seed")["Credentials"]
        s = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"], region_name="us-east-1")
        s3, ec2 = s.client("s3", endpoint_url=url), s.client("ec2", endpoint_url=url)
        bucket = f"open-{account}"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(PUBLIC).replace("{b}", bucket))
        sg = ec2.create_security_group(GroupName=f"ssh-{i}", Description="x")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        for k in range(i + 1):
            s.client("kms", endpoint_url=url).create_key(Description=f"k{k}")


@pytest.fixture
def world(tmp_path):
    with MotoServer() as moto:
        seed(moto.url)
        log = tmp_path / "proxy.jsonl"
        proxy, proxy_url = start_proxy(moto.url, log, latency_ms=120)
        try:
            (tmp_path / "srm.yml").write_text(
                "aws:\n  max_workers: 2\n  regions: [us-east-1]\n  accounts:\n" + "".join(
                    f"    - {{name: acct{i}, assume_role_arn: 'arn:aws:iam::{a}:role/srm'}}\n"
                    for i, a in enumerate(ACCOUNTS)))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SRM_"))}
            env.update(moto.env(), AWS_ENDPOINT_URL=proxy_url, AWS_CONFIG_FILE=os.devnull,
                       AWS_SHARED_CREDENTIALS_FILE=os.devnull, SRM_CONFIG=str(tmp_path / "srm.yml"),
                       SRM_DB=str(tmp_path / "srm.db"))
            yield env, tmp_path / "srm.db", log, moto
        finally:
            proxy.kill()
            proxy.wait()


def scan_cmd(env: dict[str, str]) -> list[str]:
    return [SRM, "scan", *[a for c in CHECKS for a in ("--check", c)]]


def units(db: Path) -> list[dict]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT unit_key, account_id, owner, ingested FROM scan_units")]
    except sqlite3.OperationalError:  # not migrated yet
        return []


def assumed_roles(log: Path, start: int = 0) -> list[str]:
    lines = log.read_text().splitlines()[start:]
    return [r["role_arn"] for r in map(json.loads, lines) if r["role_arn"]]


def test_a_scan_killed_with_sigkill_resumes_without_redoing_finished_units(world):
    env, db, log, moto = world
    first = subprocess.Popen(scan_cmd(env), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once one account is applied and the next has begun
        rows = units(db)
        if any(r["ingested"] for r in rows) and any(not r["ingested"] for r in rows):
            break
        assert first.poll() is None, f"the scan finished before it could be killed: {first.stdout.read()}"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = {r["unit_key"]: r for r in units(db)}
    applied = {r["account_id"] for r in before.values() if r["ingested"]}
    assert applied and len(applied) < len(ACCOUNTS)

    store = Store(db)
    [run] = store.runs()
    assert run["partial"] and run["status"] == "running" and run["units_done"] == len(before) < run["units_total"]
    incidents_before = {(i.account_id, i.check_id): i.id for i in store.incidents()}
    store.close()
    log_mark = len(log.read_text().splitlines())

    second = subprocess.run(scan_cmd(env), env=env, capture_output=True, text=True, timeout=90)
    assert second.returncode == 0, second.stderr
    assert f"resumed: {len(before)} of {run['units_total']} units" in second.stdout

    after = {r["unit_key"]: r for r in units(db)}
    assert len(after) == run["units_total"] and all(r["ingested"] for r in after.values())
    assert all(after[k]["owner"] == r["owner"] for k, r in before.items())  # finished units never ran again
    assumed = Counter(arn.split(":")[4] for arn in assumed_roles(log, log_mark))
    assert not set(assumed) & applied  # an account applied before the kill was not even connected to again
    store = Store(db)
    [run] = store.runs()
    assert (run["status"], run["partial"], run["resumed"]) == ("complete", False, 1)
    incidents = store.incidents()
    pairs = Counter((i.account_id, i.check_id) for i in incidents)
    assert pairs and max(pairs.values()) == 1
    assert all(incidents_before[p] == i.id for i in incidents if (p := (i.account_id, i.check_id)) in incidents_before)
    opened = Counter(e.incident_id for i in incidents for e in store.events(i.id) if e.kind.value == "opened")
    assert set(opened.values()) == {1}
    stored = {(f.account_id, f.check_id, f.resource_id, f.status.value) for f in store.findings()}
    store.close()

    # the same scan straight against moto, uninterrupted, finds the same
    env_direct = dict(env, AWS_ENDPOINT_URL=moto.url)
    ref = subprocess.run([SRM, "check", *CHECKS, "--format", "json", "--fail-on", "never"], env=env_direct,
                         capture_output=True, text=True, timeout=90)
    assert ref.returncode == 0, ref.stderr
    expected = {(f["account_id"], f["check_id"], f["resource_id"], f["status"]) for f in json.loads(ref.stdout)
                if f["status"] != "ERROR"}
    assert stored == expected
    assert {a for a, c, _, s in stored if c == "s3_bucket_policy_not_public" and s == "FAIL"} == set(ACCOUNTS)
