"""Side by side with Prowler: the same emulated AWS account judged by both scanners.

Run: .venv/bin/python bench/compare_prowler.py [--n 10] [--repeats 3] [--prowler PATH]

Prowler is not a dependency of ours: install it into a venv of its own, e.g.
``python3 -m venv /tmp/prowler-venv && /tmp/prowler-venv/bin/pip install prowler``
(path via --prowler or $PROWLER, default /tmp/prowler-venv/bin/prowler).

One ``moto_server`` on 127.0.0.1 is seeded with the demo account's mistakes
(bot.demo.aws.seed_account), N resources of each kind bench/scan.py seeds, and a
few edge cases (``seed_edges``) that probe where the two tools' semantics differ.
Then, against that one account, ``srm check --all --format json`` and Prowler
(restricted to us-east-1 and to the checks in bench/prowler_map.yml, json-ocsf)
run as subprocesses, each timed ``--repeats`` times (wall clock, median). Both
outputs are reduced to (srm check id, resource key, PASS/FAIL) as the map says
(bench/prowler_normalise.py), and a per-check table is printed: both PASS, both FAIL,
disagree, only one side. Raw results go to bench/results-prowler.json. Prowler's time
is split from its own log into start-up (before its first AWS call) and the AWS phase.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.prowler_normalise import compare, ours_by_check, prowler_by_check  # noqa: E402
from bench.scan import aws_env, seed  # noqa: E402
from bench.seed_edge_data import seed_edge_data  # noqa: E402
from bot.demo.aws import MotoServer, seed_account  # noqa: E402

REGION = "us-east-1"
MAP_FILE = ROOT / "bench" / "prowler_map.yml"
SRM = Path(sys.executable).parent / "srm"
OPEN = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
# moto_server cannot route S3 Control's "{account}.127.0.0.1" host names. Our inventory strips the
# prefix under an endpoint override (checks/inventory/core.py); Prowler gets the same strip from
# this sitecustomize, put on its PYTHONPATH only. Loopback hosts only: real endpoints are untouched.
S3CONTROL_SHIM = '''
import re
import botocore.endpoint as _ep
_PREFIX = re.compile(r"://\\d{12}\\.(127\\.0\\.0\\.1|localhost)([:/])")
_create = _ep.Endpoint.create_request
def _create_request(self, params, operation_model=None):
    params["url"] = _PREFIX.sub(r"://\\1\\2", params["url"])
    return _create(self, params, operation_model)
_ep.Endpoint.create_request = _create_request
'''


# -- seeding ----------------------------------------------------------------------------
def seed_edges(session: boto3.session.Session) -> list[str]:
    """Small, realistic cases where the two tools' rules differ (or must agree)."""
    ec2, s3 = session.client("ec2", region_name=REGION), session.client("s3", region_name=REGION)
    made = []

    def sg(name: str, perm: dict) -> None:
        gid = ec2.create_security_group(GroupName=name, Description=name)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{**perm, **OPEN}])
        made.append(f"security group {name} ({gid})")

    sg("edge-all-traffic", {"IpProtocol": "-1"})                             # every port, every protocol
    sg("edge-rdp-udp", {"IpProtocol": "udp", "FromPort": 3389, "ToPort": 3389})  # RDP's UDP transport
    sg("edge-tcp-1-65535", {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 65535})
    # a NACL that denies SSH/RDP from the internet before a later allow-all
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for n, action, ports in ((50, "deny", (22, 22)), (60, "deny", (3389, 3389)), (100, "allow", (0, 65535))):
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=n, Protocol="6", RuleAction=action, Egress=False,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": ports[0], "To": ports[1]})
    made.append(f"network ACL {acl}: deny TCP 22 and 3389 (rules 50, 60) before allow TCP 0-65535 (100)")
    # TLS-only policies: one that only denies insecure PutObject, one that denies insecure s3:*
    for name, action in (("edge-tls-putobject-only", "s3:PutObject"), ("edge-tls-enforced", "s3:*")):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        made.append(f"bucket {name}: Deny {action} when aws:SecureTransport is false")
    s3.create_bucket(Bucket="edge-public-acl")
    s3.put_bucket_acl(Bucket="edge-public-acl", ACL="public-read")
    made.append("bucket edge-public-acl: ACL public-read")
    # a multi-region trail delivering to the demo's bucket, whose POLICY (not ACL) is public. Its
    # selector is the one AWS gives a new trail (moto leaves new trails without any).
    ct = session.client("cloudtrail", region_name=REGION)
    ct.create_trail(Name="edge-trail-public-bucket", S3BucketName="acme-shared-reports", IsMultiRegionTrail=True)
    ct.put_event_selectors(TrailName="edge-trail-public-bucket", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])
    ct.start_logging(Name="edge-trail-public-bucket")
    made.append("multi-region trail edge-trail-public-bucket (all management events) -> acme-shared-reports "
                "(public bucket policy)")
    # AWS Config recording selected resource types only
    cfg = session.client("config", region_name=REGION)
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
        "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False,
                           "resourceTypes": ["AWS::S3::Bucket"]}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "acme-shared-reports"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    made.append("AWS Config recorder: recording, S3 buckets only")
    session.client("guardduty", region_name=REGION).create_detector(Enable=True)
    session.client("securityhub", region_name=REGION).enable_security_hub(EnableDefaultStandards=False)
    made.append("GuardDuty detector enabled; Security Hub enabled without default standards")
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=True)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    made.append(f"EBS snapshot {snap}: public")
    rds = session.client("rds", region_name=REGION)
    rds.create_db_instance(DBInstanceIdentifier="edge-db-7d", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20,
                           BackupRetentionPeriod=7, StorageEncrypted=True)
    rds.create_db_snapshot(DBSnapshotIdentifier="edge-db-7d-public", DBInstanceIdentifier="edge-db-7d")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="edge-db-7d-public", AttributeName="restore",
                                     ValuesToAdd=["all"])
    made.append("RDS edge-db-7d: 7-day backups, encrypted; its manual snapshot is public")
    rds.create_db_instance(DBInstanceIdentifier="edge-db-public", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20,
                           PubliclyAccessible=True)
    made.append("RDS edge-db-public: PubliclyAccessible, no security group open to the internet")
    for tokens, endpoint in (("required", "enabled"), ("optional", "disabled")):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                          MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": endpoint})
        made.append(f"EC2 instance with HttpTokens {tokens}, HttpEndpoint {endpoint}")
    made += seed_edge_data(session)  # load balancers, CloudFront, API Gateway, alarms, IAM, data stores
    return made


# -- running both tools -------------------------------------------------------------------
def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, datetime, subprocess.CompletedProcess]:
    began = datetime.now()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t0, began, out


def run_srm(env: dict[str, str]) -> dict:
    wall, _, out = timed([str(SRM), "check", "--all", "--format", "json", "--fail-on", "never",
                          "--region", REGION], env)
    if out.returncode != 0:
        raise SystemExit(f"srm check exited {out.returncode}: {out.stderr[-2000:]}")
    # the summary line on stderr: "... 41 checks, 1 scopes, 1 account(s), 3.2s, 240 API calls (0 duplicate)"
    m = re.search(r"([\d.]+)s, (\d+) API calls", out.stderr)
    return {"wall": wall, "scan_s": float(m.group(1)) if m else None, "api_calls": int(m.group(2)) if m else None,
            "findings": json.loads(out.stdout)}


LOG_TIME = re.compile(r'^\{"timestamp": "([^"]+)"', re.M)


def run_prowler(prowler: str, checks: list[str], env: dict[str, str], workdir: Path, i: int,
                retries: int | None = None) -> dict:
    outdir = workdir / f"prowler-{i}"
    log = workdir / f"prowler-{i}.log"
    # --scan-unused-services: moto's resources have no ENIs or traffic, and Prowler skips "unused"
    # security groups, VPCs, NACLs and EBS defaults by default; srm judges every resource.
    cmd = [prowler, "aws", "--region", REGION, "--checks", *checks, "--output-formats", "json-ocsf",
           "--output-directory", str(outdir), "--output-filename", "out", "--no-banner", "--no-color",
           "--ignore-exit-code-3", "--scan-unused-services", "--log-level", "INFO", "--log-file", str(log)]
    if retries is not None:
        cmd += ["--aws-retries-max-attempts", str(retries)]
    wall, began, out = timed(cmd, env)
    if out.returncode != 0:
        raise SystemExit(f"prowler exited {out.returncode}: {out.stderr[-2000:]}")
    text = log.read_text() if log.exists() else ""
    # Its log opens with "Initializing AWS provider": before that is start-up (imports, loading
    # check metadata and compliance frameworks); the last record closes the scan.
    stamps = [datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f") for t in LOG_TIME.findall(text)]
    phases = {"startup_s": (stamps[0] - began).total_seconds(),
              "aws_s": (stamps[-1] - stamps[0]).total_seconds()} if stamps else {}
    return {"wall": wall, **phases, "findings": json.loads((outdir / "out.ocsf.json").read_text() or "[]"),
            "log": text}


def prowler_errors(log: str) -> list[str]:
    """Distinct ERROR records of Prowler's JSON log as 'file: message' (first 160 characters).

    A record's message may hold raw newlines (an HTML error page from moto_server), which breaks
    line-by-line JSON: records are split where the next one opens and read with a regex.
    """
    seen: list[str] = []
    for rec in re.split(r"\n(?=\{\"timestamp\")", log):
        m = re.search(r'"filename": "([^"]*)", "level": "ERROR", .*?"message": "(.*)', rec, re.S)
        if m:
            msg = re.sub(r"\s+", " ", f"{m.group(1)}: {m.group(2)}").rstrip('"} ')[:160]
            if msg not in seen:
                seen.append(msg)
    return seen


# -- report ---------------------------------------------------------------------------------
def print_table(rows: list[dict]) -> None:
    print(f"{'srm check':<42} {'both PASS':>9} {'both FAIL':>9} {'disagree':>8} {'only srm':>8} "
          f"{'only prowler':>12}  verdict")
    for r in rows:
        print(f"{r['check']:<42} {len(r['both_pass']):>9} {len(r['both_fail']):>9} {len(r['disagree']):>8} "
              f"{len(r['only_srm']):>8} {len(r['only_prowler']):>12}  {r['verdict']}")
    for r in rows:
        for d in r["disagree"]:
            print(f"\n{r['check']} / {d['resource']}: srm {d['srm']}, Prowler {d['prowler']}")
            for line in d["prowler_says"][:3]:
                print(f"    {line[:150]}")


def timings(srm_runs: list[dict], prowler_runs: list[dict]) -> dict:
    def series(runs: list[dict], field: str) -> dict:
        vals = [round(r[field], 2) for r in runs if r.get(field) is not None]
        return {"runs": vals, "median": statistics.median(vals) if vals else None}

    out = {"srm_wall_s": series(srm_runs, "wall"), "srm_scan_s": series(srm_runs, "scan_s"),
           "srm_api_calls": srm_runs[-1]["api_calls"], "prowler_wall_s": series(prowler_runs, "wall"),
           "prowler_startup_s": series(prowler_runs, "startup_s"),
           "prowler_aws_phase_s": series(prowler_runs, "aws_s")}
    out["ratio_wall_prowler_over_srm"] = round(out["prowler_wall_s"]["median"] / out["srm_wall_s"]["median"], 1)
    return out


def summarise(rows: list[dict], ours: list[dict], theirs: list[dict], prowler_checks: list[str], log: str) -> dict:
    verdicts = [r["verdict"] for r in rows]
    return {
        "checks_mapped": len(rows), "compared": sum(v != "no common resource" for v in verdicts),
        "agree": verdicts.count("agree"), "disagree": verdicts.count("DISAGREE"),
        "resources_compared": sum(len(r["both_pass"]) + len(r["both_fail"]) + len(r["disagree"]) for r in rows),
        "resources_disagreeing": sum(len(r["disagree"]) for r in rows),
        "srm_findings": len(ours), "prowler_findings": len(theirs),
        "srm_errors": sorted({f"{f['check_id']}: {f['error_code']}" for f in ours if f["status"] == "ERROR"}),
        "prowler_checks_without_findings": sorted(set(prowler_checks) - {f["metadata"]["event_code"] for f in theirs}),
        "prowler_log_errors": prowler_errors(log),
    }


def versions(prowler: str) -> dict[str, str]:
    import moto

    pv = subprocess.run([prowler, "--version"], capture_output=True, text=True).stdout.strip()
    py = Path(prowler).parent / "python"
    pb = subprocess.run([str(py), "-c", "import boto3;print(boto3.__version__)"], capture_output=True,
                        text=True).stdout.strip() if py.exists() else ""
    srm = subprocess.run([str(SRM), "--version"], capture_output=True, text=True).stdout.strip()
    return {"srm": srm, "prowler": pv, "moto": moto.__version__, "boto3_srm": boto3.__version__,
            "boto3_prowler": pb, "python": platform.python_version(), "cpus": str(os.cpu_count())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="resources of each bench/scan.py kind (0: none)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each tool (median reported)")
    ap.add_argument("--prowler", default=os.environ.get("PROWLER", "/tmp/prowler-venv/bin/prowler"))
    ap.add_argument("--prowler-retries", type=int, help="Prowler's --aws-retries-max-attempts (its default: 3); "
                    "moto_server answers 500 to APIs it lacks, and every retry of those costs back-off time")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-prowler.json"))
    args = ap.parse_args()
    if not Path(args.prowler).exists():
        raise SystemExit(f"no Prowler at {args.prowler}: see the module docstring (--prowler / $PROWLER)")
    mapping = yaml.safe_load(MAP_FILE.read_text())["checks"]
    prowler_checks = sorted({p for spec in mapping.values() for p in spec["prowler"]})

    with MotoServer() as moto_server, tempfile.TemporaryDirectory() as tmp:
        env = aws_env(moto_server.url)
        os.environ.update(env)
        t0 = time.perf_counter()
        seed_account(boto3.Session(region_name=REGION))
        seeded = seed(args.n) if args.n else {}
        edges = seed_edges(boto3.Session(region_name=REGION))
        seed_s = time.perf_counter() - t0
        shim = Path(tmp) / "shim"
        shim.mkdir()
        (shim / "sitecustomize.py").write_text(S3CONTROL_SHIM)
        penv = {**env, "PYTHONPATH": str(shim)}
        srm_runs, prowler_runs = [], []
        for i in range(args.repeats):
            print(f"run {i + 1}/{args.repeats}: srm ...", file=sys.stderr, flush=True)
            srm_runs.append(run_srm(env))
            print(f"run {i + 1}/{args.repeats}: prowler ({len(prowler_checks)} checks) ...", file=sys.stderr,
                  flush=True)
            prowler_runs.append(run_prowler(args.prowler, prowler_checks, penv, Path(tmp), i, args.prowler_retries))
        ours_findings = srm_runs[-1]["findings"]
        prowler_findings, prowler_log = prowler_runs[-1]["findings"], prowler_runs[-1]["log"]
        meta = versions(args.prowler)

    rows = compare(ours_by_check(ours_findings, mapping), *prowler_by_check(prowler_findings, mapping), mapping)
    print_table(rows)
    timing = timings(srm_runs, prowler_runs)
    summary = summarise(rows, ours_findings, prowler_findings, prowler_checks, prowler_log)
    print(f"\nwall time, median of {args.repeats}: srm {timing['srm_wall_s']['median']:.1f} s, Prowler "
          f"{timing['prowler_wall_s']['median']:.1f} s (x{timing['ratio_wall_prowler_over_srm']}; Prowler start-up "
          f"{timing['prowler_startup_s']['median']} s, AWS phase {timing['prowler_aws_phase_s']['median']} s)\n"
          f"agreement: {summary['agree']}/{summary['compared']} checks compared ({summary['checks_mapped']} mapped), "
          f"{summary['resources_compared'] - summary['resources_disagreeing']}/{summary['resources_compared']} "
          f"(check, resource) verdicts; findings srm {summary['srm_findings']}, Prowler {summary['prowler_findings']}")
    result = {"meta": {**meta, "n": args.n, "repeats": args.repeats, "region": REGION,
                       "prowler_retries": "default (3)" if args.prowler_retries is None else args.prowler_retries,
                       "prowler_checks": prowler_checks, "seed_s": round(seed_s, 1)},
              "seed": {"demo": "bot.demo.aws.seed_account", "bench_scan_kinds": seeded, "edges": edges},
              "timing": timing, "summary": summary, "checks": rows}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
