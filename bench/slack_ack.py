"""Benchmark: time for `srm serve` to answer a signed `/srm` slash command over HTTP.

Run: .venv/bin/python bench/slack_ack.py [--requests 500] [--concurrency 20] [--repeats 3]

Per repeat: a fresh Slack Web API emulator (bot/demo/slack_emulator.py) on 127.0.0.1, a
fresh temp SRM_DB, and the real `srm serve --no-scheduler` as a subprocess on a free port
(HTTP mode) pointed at the emulator through SLACK_API_BASE_URL. Then ``--requests`` signed
slash commands (a mix of `who owns ...` questions and `help`), ``--concurrency`` at a
time from a thread pool, each on its own TCP connection as Slack's are; a request's time
runs from opening the connection to having read the whole HTTP response (the answer:
for these commands the acknowledgement *is* the answer). A warm-up of ``--warmup``
requests runs first and is not counted; the very first request's time is reported
separately. An error is a non-200, a transport failure or an answer without its text
(or not the answer expected).

``--seed N`` fills the database first with N findings spread over every registered
check and three accounts (a quarter failing, so incidents exist and the who-owns
answers show failing checks with links to their threads), through the same
``Incidents.ingest`` a scan uses; the default 0 is an empty database.

Reports p50 / p99 / max per repeat and the median over repeats; writes
bench/results-slack-ack.json. Target: p99 < 100 ms (Slack's hard limit is 3 s).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.demo.slack_emulator import TEAM_ID, FakeSlack, signed_headers  # noqa: E402

SECRET = "bench-signing-secret-0123456789abcdef"
TARGET_P99_MS = 100.0
TEXTS = [  # what people type after /srm; who-owns twice as often as help
    ("who owns backups for RDS?", "SHARED"),
    ("help", "srm-bot answers"),
    ("who owns MFA for the root account", ""),
    ("who patches the guest OS on EC2?", "CUSTOMER"),
    ("help", "srm-bot answers"),
    ("who encrypts data at rest in S3", ""),
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def seed(db: Path, n: int) -> int:
    """``n`` findings over every check and three accounts, a quarter failing; returns incidents opened."""
    from bot.config import Settings
    from bot.main import build_services
    from checks.base import Finding, Status
    from checks.registry import load_all
    from checks.runner import RunResult, RunSummary

    checks = sorted(load_all().values(), key=lambda c: c.meta.id)
    accounts = ["111111111111", "222222222222", "333333333333"]
    findings = [Finding(check_id=checks[i % len(checks)].meta.id, account_id=accounts[i % 3], region="us-east-1",
                        resource_type="bench", resource_id=f"res-{i}",
                        status=Status.FAIL if i % 4 == 0 else Status.PASS,
                        reason="seeded by bench/slack_ack.py", evidence={"i": i}) for i in range(n)]
    covered = sorted({(f.account_id, f.region, f.check_id) for f in findings})
    summary = RunSummary(started_at=time.time(), duration_s=0.0, checks_run=len(checks), scopes=len(covered),
                         findings={}, api_calls={}, duplicate_calls=0)
    services = build_services(Settings(srm_db=db))
    services.incidents.ingest(RunResult(findings=findings, summary=summary, covered=covered))
    opened = len(services.store.incidents())
    services.store.close()
    return opened


def start_server(fake: FakeSlack, tmp: Path) -> tuple[subprocess.Popen, int]:
    (tmp / "srm.yml").write_text("version: 1\nincidents: {channel: C0BENCH, baseline: false}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SRM_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_BASE_URL=fake.api_url,
               SRM_DB=str(tmp / "srm.db"), SRM_CONFIG=str(tmp / "srm.yml"), PYTHONPATH=str(ROOT))
    srm = Path(sys.executable).parent / "srm"
    cmd = [str(srm)] if srm.exists() else [sys.executable, "-m", "bot.cli"]
    proc = subprocess.Popen([*cmd, "serve", "--host", "127.0.0.1", "--port", "0", "--no-scheduler",
                             "--log-level", "WARNING"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"HTTP on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain
            return proc, int(m.group(1))
        if proc.poll() is not None:
            raise SystemExit(f"srm serve exited: {line}{proc.stderr.read()}")
    proc.kill()
    raise SystemExit("srm serve did not start within 60 s")


def command(port: int, n: int, fake: FakeSlack) -> tuple[float, str | None]:
    """(milliseconds to the full HTTP response, error or None) for one signed /srm command."""
    text, expect = TEXTS[n % len(TEXTS)]
    body = urlencode({"token": "x", "team_id": TEAM_ID, "team_domain": "bench", "channel_id": "C0ASK",
                      "channel_name": "ask", "user_id": "U01PLATF01", "user_name": "bench", "command": "/srm",
                      "text": text, "api_app_id": "A0SRM", "response_url": fake.response_url(f"b{n}"),
                      "trigger_id": f"{n}.1.bench"})
    headers = signed_headers(SECRET, body)
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = (time.perf_counter() - t0) * 1000
        conn.close()
    except OSError as exc:
        return (time.perf_counter() - t0) * 1000, f"{type(exc).__name__}: {exc}"
    if resp.status != 200:
        return elapsed, f"HTTP {resp.status}"
    try:
        answer = json.loads(data)["text"]
    except (ValueError, KeyError):
        return elapsed, "answer without text"
    if expect and not answer.startswith(expect) and expect not in answer:
        return elapsed, f"unexpected answer to {text!r}: {answer[:60]}"
    return elapsed, None


def one_repeat(requests: int, concurrency: int, warmup: int, findings: int = 0) -> dict:
    with FakeSlack() as fake, tempfile.TemporaryDirectory(prefix="srm-bench-") as tmp:
        incidents = seed(Path(tmp) / "srm.db", findings) if findings else 0
        proc, port = start_server(fake, Path(tmp))
        try:
            first_ms, first_err = command(port, 0, fake)
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(lambda n: command(port, n, fake), range(1, warmup)))
                t0 = time.perf_counter()
                results = list(pool.map(lambda n: command(port, n, fake), range(warmup, warmup + requests)))
                wall = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=15)
        posted = [c.method for c in fake.calls if c.method != "auth.test"]
    times = [ms for ms, _ in results]
    errors = [e for _, e in results if e]
    return {
        "first_request_ms": round(first_ms, 1), "first_request_error": first_err,
        "p50_ms": round(pct(times, 50), 2), "p90_ms": round(pct(times, 90), 2),
        "p99_ms": round(pct(times, 99), 2), "max_ms": round(max(times), 2),
        "mean_ms": round(statistics.fmean(times), 2), "requests": len(results),
        "throughput_rps": round(len(results) / wall, 1), "errors": len(errors),
        "error_samples": sorted(set(errors))[:5], "slack_calls": len(posted),
        "seeded_findings": findings, "seeded_incidents": incidents,
    }


def machine() -> dict:
    import slack_bolt
    import slack_sdk

    mem = None
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "memory": mem, "slack_bolt": slack_bolt.version.__version__, "slack_sdk": slack_sdk.version.__version__,
            "loadavg_before": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=20, help="requests sent first and not counted")
    ap.add_argument("--repeats", type=int, default=3, help="fresh server per repeat; medians reported")
    ap.add_argument("--seed", type=int, default=0, help="findings in the database before the server starts")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-slack-ack.json"))
    args = ap.parse_args()
    meta = {**machine(), "requests": args.requests, "concurrency": args.concurrency, "warmup": args.warmup,
            "repeats": args.repeats, "seed": args.seed, "mix": [t for t, _ in TEXTS]}
    runs = []
    for i in range(args.repeats):
        print(f"repeat {i + 1}/{args.repeats}: {args.requests} signed /srm commands, "
              f"{args.concurrency} at a time ...", file=sys.stderr, flush=True)
        runs.append(one_repeat(args.requests, args.concurrency, args.warmup, args.seed))
        r = runs[-1]
        print(f"  p50 {r['p50_ms']} ms · p99 {r['p99_ms']} ms · max {r['max_ms']} ms · "
              f"{r['throughput_rps']} req/s · errors {r['errors']} · first {r['first_request_ms']} ms",
              file=sys.stderr, flush=True)
    median = {k: round(statistics.median(r[k] for r in runs), 2)
              for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "throughput_rps", "first_request_ms")}
    median["errors"] = sum(r["errors"] for r in runs)
    verdict = {"p99_under_100ms": median["p99_ms"] < TARGET_P99_MS, "no_errors": median["errors"] == 0,
               "nothing_posted": all(r["slack_calls"] == 0 for r in runs)}
    out = {"meta": meta, "target_p99_ms": TARGET_P99_MS, "median": median, "bars": verdict, "runs": runs}
    print(json.dumps({"median": median, "bars": verdict}, indent=2))
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    if not all(verdict.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
