"""Benchmark: building a framework report (also what `/srm posture` does before it answers Slack).

Run: .venv/bin/python bench/report.py [--per-check 100] [--repeats 5]

Seeds a fresh SQLite store with one recorded run: every registered check in 2 accounts x 2 regions,
``--per-check`` resources each, one in seven failing. Then builds each framework's report
``--repeats`` times and prints the median. Bar: well under Slack's 3 s acknowledgement limit
(posture is answered in the acknowledgement itself).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.frameworks import available, get_framework
from bot.reports import build_report
from bot.store import Store
from checks.base import Finding, Severity, Status
from checks.registry import load_all
from checks.runner import RunResult, RunSummary

NOW = datetime(2026, 3, 2, tzinfo=timezone.utc)


def seed(store: Store, per_check: int) -> int:
    registry = load_all()
    findings, covered = [], []
    for account in ("111111111111", "222222222222"):
        for region in ("us-east-1", "eu-west-1"):
            for cid in registry:
                covered.append((account, region, cid))
                findings += [Finding(check_id=cid, account_id=account, region=region, resource_type="AWS::S3::Bucket",
                                     resource_id=f"r{i}", status=Status.FAIL if i % 7 == 0 else Status.PASS,
                                     reason="seeded", severity=Severity.low) for i in range(per_check)]
    summary = RunSummary(started_at=NOW.timestamp(), duration_s=1.0, checks_run=len(registry), scopes=4,
                         findings={}, api_calls={}, duplicate_calls=0)
    run = RunResult(findings=findings, summary=summary, covered=covered)
    store.apply_findings(findings, [], NOW, store.record_run(run, NOW))
    return len(findings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-check", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    store = Store(Path(tempfile.mkdtemp()) / "bench.db")
    n = seed(store, args.per_check)
    checks = load_all().values()
    print(f"{n} findings ({len(load_all())} checks x 2 accounts x 2 regions x {args.per_check})")
    for fid in available():
        for resources in (True, False):  # the full report; the counts-only summary of /srm posture
            times = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                report = build_report(get_framework(fid), store, checks, now=NOW, resources=resources)
                times.append(time.perf_counter() - t)
            kind = "report " if resources else "posture"
            print(f"{fid} {kind}: median {statistics.median(times) * 1000:.0f} ms; {report.summary_line()}")


if __name__ == "__main__":
    main()
