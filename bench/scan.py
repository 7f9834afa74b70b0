"""Benchmark: a full scan (every registered check) against moto_server at growing sizes.

Run: .venv/bin/python bench/scan.py [--sizes 10,100,1000] [--repeats 3] [--workers 8]

Per size: start a fresh ``moto_server`` on 127.0.0.1 (free port), seed N resources of
each kind the checks read (threads), then run the scan ``--repeats`` times, each in a
fresh process (``checks.accounts.resolve_targets`` + ``checks.runner.run``, reaching
moto only through AWS_ENDPOINT_URL) so ``ru_maxrss`` is the peak RSS of one scan.
Reports wall time (median), API calls per operation, duplicate (operation, params)
pairs, peak RSS and findings; writes bench/results-scan.json.

Bars: no (operation, params) pair twice; API calls grow at most linearly with N;
peak RSS < 300 MB at N=1000.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REGION = "us-east-1"
RSS_BAR_MB = 300
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
OPEN_SG_RULE = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
SERIAL_KINDS = {"user"}  # moto_server's IAM backend answers 500 under concurrent writes
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               MOTO_EC2_LOAD_DEFAULT_AMIS="false", PYTHONPATH=str(ROOT),
               MOTO_RDS_SNAPSHOT_LIMIT="100000")  # moto counts automated snapshots too (default 1000)
    return env


# -- moto_server ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], env=aws_env(endpoint),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1).read()
            return proc, endpoint
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"moto_server exited with {proc.returncode}") from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto_server did not answer within 30 s")


# -- seeding -------------------------------------------------------------------------------
def seed(n: int, threads: int = 16) -> dict[str, int]:
    """N of each per-resource kind (beyond AWS's default quotas, on purpose); trails and VPCs min(N, 5)."""
    import boto3
    from botocore.config import Config

    cfg = Config(max_pool_connections=threads * 2, retries={"mode": "standard", "max_attempts": 5})
    c = {s: boto3.client(s, region_name=REGION, config=cfg)
         for s in ("s3", "iam", "kms", "dynamodb", "ec2", "rds", "cloudtrail")}
    pool = ThreadPoolExecutor(max_workers=threads)

    def each(fn, count=n):
        if fn.__name__ in SERIAL_KINDS:
            for i in range(count):
                fn(i)
        else:
            list(pool.map(fn, range(count)))

    def bucket(i):
        c["s3"].create_bucket(Bucket=f"bench-{i:05d}")
        if i % 2:
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                      "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bench-{i:05d}/*"}]}
            c["s3"].put_bucket_policy(Bucket=f"bench-{i:05d}", Policy=json.dumps(policy))
        if i % 3 == 0:
            c["s3"].put_bucket_versioning(Bucket=f"bench-{i:05d}", VersioningConfiguration={"Status": "Enabled"})

    def user(i):
        c["iam"].create_user(UserName=f"user-{i:05d}")
        c["iam"].create_access_key(UserName=f"user-{i:05d}")
        arn = c["iam"].create_policy(PolicyName=f"pol-{i:05d}", PolicyDocument=ADMIN)["Policy"]["Arn"]
        c["iam"].attach_user_policy(UserName=f"user-{i:05d}", PolicyArn=arn)

    def key(i):
        k = c["kms"].create_key(Description=f"bench {i}")["KeyMetadata"]["KeyId"]
        if i % 2:
            c["kms"].enable_key_rotation(KeyId=k)

    def table(i):
        c["dynamodb"].create_table(TableName=f"t-{i:05d}", BillingMode="PAY_PER_REQUEST",
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])

    def ec2_set(i):
        ec2 = c["ec2"]
        sg = ec2.create_security_group(GroupName=f"sg-{i:05d}", Description="bench")["GroupId"]
        if i % 4 == 0:
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=OPEN_SG_RULE)
        vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=bool(i % 2))["VolumeId"]
        ec2.create_snapshot(VolumeId=vol)

    def db(i):
        c["rds"].create_db_instance(DBInstanceIdentifier=f"db-{i:05d}", Engine="postgres",
                                    DBInstanceClass="db.t3.micro", MasterUsername="admin",
                                    MasterUserPassword="password123", AllocatedStorage=20)
        c["rds"].create_db_snapshot(DBSnapshotIdentifier=f"db-{i:05d}-snap", DBInstanceIdentifier=f"db-{i:05d}")

    def trail(i):
        c["cloudtrail"].create_trail(Name=f"trail-{i}", S3BucketName="bench-00000", IsMultiRegionTrail=True)
        c["cloudtrail"].start_logging(Name=f"trail-{i}")

    def vpc(i):
        v = c["ec2"].create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"]
        c["ec2"].create_flow_logs(ResourceIds=[v], ResourceType="VPC", TrafficType="ALL",
                                  LogDestinationType="s3", LogDestination="arn:aws:s3:::bench-00000")

    timings = {}
    try:
        for fn in (bucket, user, key, table, ec2_set, db):
            t0 = time.perf_counter()
            each(fn)
            timings[fn.__name__] = round(time.perf_counter() - t0, 1)
        c["ec2"].run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n)
        each(trail, min(n, 5))
        each(vpc, min(n, 5))
    finally:
        pool.shutdown()
    print(f"  seeding seconds per kind: {timings}", file=sys.stderr, flush=True)
    five = min(n, 5)
    return {"s3_buckets": n, "iam_users": n, "iam_access_keys": n, "iam_policies": n, "kms_keys": n,
            "dynamodb_tables": n, "security_groups": n, "ebs_volumes": n, "ebs_snapshots": n,
            "ec2_instances": n, "rds_instances": n, "rds_snapshots": n, "trails": five, "vpcs": five}


# -- one scan in this (fresh) process -------------------------------------------------------
def child(workers: int) -> None:
    from checks.accounts import resolve_targets
    from checks.inventory.core import RETRY_CONFIG, ApiCallCounter
    from checks.registry import load_all
    from checks.runner import run

    [target] = resolve_targets(None)  # reaches moto through AWS_ENDPOINT_URL only
    counter = ApiCallCounter()

    def local_s3control(request, **_):
        # S3 Control's endpoint rules put the account id in front of the host
        # ("123456789012.127.0.0.1:PORT"), which cannot resolve for a local moto_server
        # (a moto_server limitation; real AWS endpoints are unaffected): strip it.
        request.url = request.url.replace(f"//{target.account_id}.", "//", 1)

    def factory(service, region):
        client = target.session.client(service, region_name=region, config=RETRY_CONFIG)
        if service == "s3control":
            client.meta.events.register("before-sign.s3-control.*", local_s3control)
        counter.attach(client)
        return client

    target.client_factory = factory
    t0 = time.perf_counter()
    result = run(load_all().values(), [target], max_workers=workers)
    wall = time.perf_counter() - t0
    s = result.summary
    print(json.dumps({
        "wall_s": round(wall, 3), "checks": s.checks_run, "api_calls": s.api_calls,
        "api_calls_total": sum(s.api_calls.values()), "duplicate_calls": s.duplicate_calls,
        "duplicate_pairs": sorted(k for k, n in counter.params.items() if n > 1)[:20],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "findings": len(result.findings), "by_status": s.findings,
        "errors": sorted({f"{e.check_id}: {e.code}" for e in s.errors}),
    }))


def scan_once(endpoint: str, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--workers", str(workers)],
                         env=aws_env(endpoint), capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_size(n: int, repeats: int, workers: int) -> dict:
    proc, endpoint = start_moto()
    try:
        os.environ.update(aws_env(endpoint))
        t0 = time.perf_counter()
        seeded = seed(n)
        seed_s = time.perf_counter() - t0
        runs = [scan_once(endpoint, workers) for _ in range(repeats)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    first = runs[0]
    return {
        "n": n, "seeded": seeded, "seed_s": round(seed_s, 1), "repeats": repeats,
        "wall_s": [r["wall_s"] for r in runs], "wall_s_median": statistics.median(r["wall_s"] for r in runs),
        "peak_rss_mb": [r["peak_rss_mb"] for r in runs],
        "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in runs),
        "api_calls_total": first["api_calls_total"], "api_calls": first["api_calls"],
        "api_calls_stable": all(r["api_calls"] == first["api_calls"] for r in runs),
        "duplicate_calls": max(r["duplicate_calls"] for r in runs), "duplicate_pairs": first["duplicate_pairs"],
        "findings": first["findings"], "by_status": first["by_status"], "errors": first["errors"],
        "checks": first["checks"],
    }


def bars(results: list[dict]) -> dict[str, bool]:
    out = {"no_duplicate_calls": all(r["duplicate_calls"] == 0 for r in results)}
    pairs = list(zip(results, results[1:]))  # calls(N2)/calls(N1) <= N2/N1 (+10% slack)
    out["calls_at_most_linear"] = all(b["api_calls_total"] / a["api_calls_total"] <= 1.1 * b["n"] / a["n"]
                                      for a, b in pairs)
    big = [r for r in results if r["n"] >= 1000]
    if big:
        out["rss_under_300mb_at_1000"] = all(r["peak_rss_mb_median"] < RSS_BAR_MB for r in big)
    return out


def report(results: list[dict], verdict: dict[str, bool]) -> None:
    print(f"{'N':>6} {'seed s':>7} {'scan s (median)':>16} {'API calls':>10} {'calls/N':>8} {'dup':>4} "
          f"{'RSS MB':>7} {'findings':>9} {'errors':>7}")
    for r in results:
        print(f"{r['n']:>6} {r['seed_s']:>7} {r['wall_s_median']:>16.2f} {r['api_calls_total']:>10} "
              f"{r['api_calls_total'] / r['n']:>8.1f} {r['duplicate_calls']:>4} {r['peak_rss_mb_median']:>7} "
              f"{r['findings']:>9} {len(r['errors']):>7}")
    ops = sorted({op for r in results for op in r["api_calls"]})
    print("\nAPI calls per operation")
    print(f"{'operation':<48}" + "".join(f"{r['n']:>8}" for r in results))
    for op in ops:
        print(f"{op:<48}" + "".join(f"{r['api_calls'].get(op, 0):>8}" for r in results))
    for r in results:
        if r["errors"]:
            print(f"\nN={r['n']} ERROR findings: {', '.join(r['errors'])}")
    print("\nbars: " + ", ".join(f"{k}={'PASS' if v else 'FAIL'}" for k, v in verdict.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000", help="comma-separated N values")
    ap.add_argument("--repeats", type=int, default=3, help="scans per size (median reported)")
    ap.add_argument("--workers", type=int, default=8, help="runner max_workers")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-scan.json"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.workers)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = []
    for n in sizes:
        print(f"N={n}: seeding and scanning ...", file=sys.stderr, flush=True)
        results.append(bench_size(n, args.repeats, args.workers))
    verdict = bars(results)
    report(results, verdict)
    import boto3
    import moto
    meta = {"python": platform.python_version(), "boto3": boto3.__version__, "moto": moto.__version__,
            "cpus": os.cpu_count(), "platform": platform.platform(), "workers": args.workers}
    Path(args.out).write_text(json.dumps({"meta": meta, "bars": verdict, "sizes": results}, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    if not all(verdict.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
