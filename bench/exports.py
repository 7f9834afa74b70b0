"""Benchmark: render every export format for N synthetic findings (pure functions, no AWS).

Run: .venv/bin/python bench/exports.py [--findings 10000] [--repeats 3]

Findings cycle through every registered check (two thirds FAIL), 20 accounts, one region,
five teams. Reports the median wall time and the document size per format.
Bar: every format under 10 s for 10,000 findings on the shared 2-core machine.
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timezone

from bot.exports import EXPORT_FORMATS, ExportInput, render
from checks.base import Finding, Status
from checks.registry import load_all


def sample(n: int) -> ExportInput:
    registry = load_all()
    ids = sorted(registry)
    findings = []
    for i in range(n):
        meta = registry[ids[i % len(ids)]].meta
        findings.append(Finding(
            check_id=meta.id, account_id=str(100000000000 + i % 20), region="eu-west-1",
            resource_type=meta.resource_type, resource_id=f"resource-{i}", status=Status.FAIL if i % 3 else Status.PASS,
            reason="the <setting> is off", severity=meta.severity, tags={"team": f"team-{i % 5}"}))
    return ExportInput(findings=findings, metas={cid: c.meta for cid, c in registry.items()},
                       generated_at=datetime.now(timezone.utc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    inp = sample(args.findings)
    print(f"{args.findings} findings, median of {args.repeats}")
    for fmt in EXPORT_FORMATS:
        render(fmt, ExportInput(findings=inp.findings[:5], metas=inp.metas, generated_at=inp.generated_at))  # import
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = render(fmt, inp)
            times.append(time.perf_counter() - t0)
        print(f"  {fmt:6} {statistics.median(times):6.2f} s  {len(out.encode()) / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
