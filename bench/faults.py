"""Fault benchmark: incident delivery and inventory on the worst day (issue 13).

Run: .venv/bin/python bench/faults.py [--incidents 24] [--rate 0.3] [--seeds 3] [--naive]

Three scenarios, each against real parts (a real SQLite file, the Slack Web API emulator
``bot/demo/slack_emulator.py`` on 127.0.0.1, moto for AWS):

1. **storm** - the emulator fails ``--rate`` of all Web API calls at random: a 429, a 500
   before the work, or a 500 *after* storing the message (the ambiguous answer). Three scans
   over ``--incidents`` incidents (open, one more failing resource each, one recovered), then
   delivery until the outbox is empty. ``--naive`` shows the delivery of before issue 13
   (posts retried on 5xx by the client, no look-up).
2. **kill** - ``srm``'s delivery in a child process is killed with SIGKILL at five points
   (before a post, after Slack took it but before it was recorded, after recording, before
   the outbox row is marked, after a chat.update); a fresh process then delivers the rest.
   Reports the time from the restart to an empty outbox (a dead holder's lease is taken
   over at once rather than after the 5-minute lease).
3. **throttle** - the S3 checks on moto with ``GetBucketLocation`` (then ``ListBuckets``)
   throttled past retries, after a clean scan and an accepted risk: incident changes.

Counts per scenario: duplicate roots and thread replies (messages carrying the same outbox
key), lost messages (outbox keys with no message, rows still pending). Writes
bench/results-faults.json.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402

from bot.config import IncidentsConfig  # noqa: E402
from bot.demo.slack_emulator import FakeSlack  # noqa: E402
from bot.incidents import Incidents  # noqa: E402
from bot.models import OutboxKind  # noqa: E402
from bot.owners import Owners, Team  # noqa: E402
from bot.slack.delivery import retry_handlers  # noqa: E402
from bot.slack.notifier import METADATA_TYPE, SlackNotifier  # noqa: E402
from bot.store import Store  # noqa: E402
from checks.base import Finding, Severity, Status  # noqa: E402
from checks.runner import RunResult, RunSummary  # noqa: E402

CHANNEL = "C0INCIDENT"
CHECK = "s3_bucket_versioning_enabled"
OWNERS = Owners(admins=["U0ADMIN"], default_team="platform",
                teams=[Team(id="platform", name="Platform", members=["U0PLAT1"], escalation="U0PLATESC")])
KILL_POINTS = ("before-send", "after-send", "after-record", "before-delivered", "after-update")


def finding(account: str, resource: str, status: str = "FAIL") -> Finding:
    return Finding(check_id=CHECK, account_id=account, region="us-east-1", resource_type="AWS::S3::Bucket",
                   resource_id=resource, status=Status(status), reason=f"{resource} is {status}",
                   evidence={"versioning": status}, tags={}, severity=Severity.high)


def scan_run(n: int, step: int) -> RunResult:
    """Step 0: bucket-1 fails in every account; 1: bucket-2 too; 2: bucket-1 recovers."""
    accounts = [f"{100000000000 + i}" for i in range(n)]
    statuses = [("FAIL", None), ("FAIL", "FAIL"), ("PASS", "FAIL")][step]
    found = []
    for a in accounts:
        found.append(finding(a, "bucket-1", statuses[0]))
        if statuses[1]:
            found.append(finding(a, "bucket-2", statuses[1]))
    scopes = sorted({(f.account_id, f.region, f.check_id) for f in found})
    summary = RunSummary(started_at=time.time(), duration_s=0.1, checks_run=1, scopes=len(scopes), findings={},
                         api_calls={}, duplicate_calls=0)
    return RunResult(findings=found, summary=summary, covered=scopes)


def delivery(db: Path, api_url: str, *, naive: bool = False, notify: bool = True) -> Incidents:
    store = Store(db)
    client = WebClient(token="xoxb-bench", base_url=api_url, timeout=5,
                       retry_handlers=retry_handlers(backoff=0.01, retries=3))
    notifier = None
    if notify:
        notifier = SlackNotifier(client, store, owners=OWNERS, config=IncidentsConfig(channel=CHANNEL))
        if naive:  # before issue 13: the client retries a 5xx post, and nothing is looked up
            notifier.poster = client
            notifier.find = lambda *a, **k: None  # type: ignore[method-assign]
    return Incidents(store, OWNERS, notifier, lookup=lambda _: None)


def drain(inc: Incidents, rounds: int = 60) -> int:
    for n in range(rounds):
        if not inc.store.pending_outbox("slack"):
            return n
        inc.deliver()
    return rounds


def count(fake: FakeSlack, store: Store) -> dict[str, int]:
    keys: Counter[str] = Counter()
    for messages in fake.messages.values():
        for m in messages:
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE:
                keys[meta["event_payload"]["key"]] += 1
    rows = store.outbox()
    expected = {o.key for o in rows if o.kind in (OutboxKind.open, OutboxKind.post)}
    expected |= {f"{o.key}:details" for o in rows if o.kind is OutboxKind.open}
    roots = {k for k in expected if k.endswith(":open")}
    return {"roots": sum(1 for k in keys if k in roots),
            "duplicate_roots": sum(n - 1 for k, n in keys.items() if k in roots),
            "duplicate_replies": sum(n - 1 for k, n in keys.items() if k not in roots),
            "lost": len(expected - set(keys)), "pending": sum(o.status == "pending" for o in rows),
            "undeliverable": sum(o.status == "undeliverable" for o in rows)}


def storm(n: int, rate: float, seed: int, naive: bool) -> dict[str, Any]:
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.chaos(rate, seed=seed, methods={"chat.postMessage", "chat.update", "conversations.history",
                                             "conversations.replies"})
        inc = delivery(Path(tmp) / "srm.db", fake.api_url, naive=naive)
        t0 = time.perf_counter()
        for step in range(3):
            inc.ingest(scan_run(n, step))
        rounds = drain(inc)
        out = {"scenario": "storm", "seed": seed, "naive": naive, "seconds": round(time.perf_counter() - t0, 2),
               "extra_delivery_rounds": rounds, "calls": len(fake.attempts),
               "failed_calls": sum(not c.ok for c in fake.attempts), **count(fake, inc.store)}
        inc.store.close()
        return out


CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[4])
    from bench.faults import delivery
    db, api, point = sys.argv[1], sys.argv[2], sys.argv[3]
    inc = delivery(db, api)
    notifier, store, hits = inc.notifiers.get("slack"), inc.store, [0]

    def die_at(nth):
        hits[0] += 1
        if hits[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(obj, name, before, nth=5):
        real = getattr(obj, name)
        def hooked(*a, **k):
            if before:
                die_at(nth)
            out = real(*a, **k)
            if not before:
                die_at(nth)
            return out
        setattr(obj, name, hooked)

    if point == "before-send":
        wrap(notifier.poster, "chat_postMessage", True)
    elif point == "after-send":
        wrap(notifier.poster, "chat_postMessage", False)
    elif point == "after-record":
        wrap(store, "record_message", False)
    elif point == "before-delivered":
        wrap(store, "mark_delivered", True)
    elif point == "after-update":
        wrap(notifier.client, "chat_update", False, nth=2)
    for _ in range(20):
        inc.deliver()
    print("not killed")
""")


def kill(n: int, point: str) -> dict[str, Any]:
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "srm.db"
        quiet = delivery(db, fake.api_url, notify=False)  # the scans: rows queued for a delivering process
        for step in range(3):
            quiet.ingest(scan_run(n, step))
        quiet.store.close()
        child = subprocess.run([sys.executable, "-c", CHILD, str(db), fake.api_url, point, str(ROOT)],
                               capture_output=True, text=True, timeout=120)
        killed = child.returncode == -signal.SIGKILL
        t0 = time.perf_counter()
        inc = delivery(db, fake.api_url)
        rounds = drain(inc)
        out = {"scenario": "kill", "point": point, "killed": killed, "restart_to_empty_s":
               round(time.perf_counter() - t0, 2), "extra_delivery_rounds": rounds, **count(fake, inc.store)}
        inc.store.close()
        return out


def throttle(n: int) -> dict[str, Any]:
    import boto3
    from botocore.awsrequest import AWSResponse
    from moto import mock_aws

    from bot.models import Actor
    from bot.notify.recording import RecordingNotifier
    from checks.registry import select
    from checks.runner import Target, run

    checks = select(["s3_bucket_versioning_enabled", "s3_bucket_default_encryption_enabled",
                     "s3_bucket_access_logging_enabled", "s3_bucket_policy_not_public"])

    def refuse(operation: str) -> Any:
        def hook(model: Any, **_: Any) -> Any:
            if model.name == operation:
                return AWSResponse("https://s3.amazonaws.com", 503, {}, None), {
                    "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                    "ResponseMetadata": {}}
            return None
        return hook

    out: dict[str, Any] = {"scenario": "throttle", "buckets": n}
    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        for i in range(n):
            session.client("s3").create_bucket(Bucket=f"bench-bucket-{i:03d}")

        def scan(operation: str | None) -> RunResult:
            def factory(service: str, region: str) -> Any:
                client = session.client(service, region_name=region)
                if operation:
                    client.meta.events.register(f"before-call.s3.{operation}", refuse(operation))
                return client
            return run(checks, [Target("t", "123456789012", session, ["us-east-1"], client_factory=factory)])

        inc = Incidents(Store(Path(tmp) / "srm.db"), OWNERS, RecordingNotifier())
        inc.ingest(scan(None))
        versioning = next(i for i in inc.store.incidents() if i.check_id == CHECK)
        inc.accept_risk(versioning.id, Actor(id="U0ADMIN"), "bench: accepted for the run",
                        inc.clock.now().replace(year=inc.clock.now().year + 1))

        def snapshot() -> tuple[Any, ...]:
            rows = inc.store.incidents()
            return (tuple((i.id, i.state.value, len(inc.store.events(i.id))) for i in rows),
                    len(inc.store.active_exceptions(versioning.account_id, CHECK, inc.clock.now())),
                    len(inc.store.failing(versioning.account_id, CHECK)))

        for operation in ("GetBucketLocation", "ListBuckets"):
            before = snapshot()
            t0 = time.perf_counter()
            result = scan(operation)
            outcome = inc.ingest(result)
            after = snapshot()
            changed = sum(a != b for a, b in zip(before[0], after[0], strict=True))
            out[operation] = {"seconds": round(time.perf_counter() - t0, 2), "partial": result.summary.partial,
                              "errors": len(result.summary.errors), "drift_events": len(outcome.drift),
                              "incident_events": len(outcome.events), "incidents_changed": changed,
                              "exceptions_changed": before[1] != after[1], "stored_failing_changed": before[2] != after[2]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--incidents", type=int, default=24)
    ap.add_argument("--rate", type=float, default=0.3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--naive", action="store_true", help="also run the storm with the delivery of before issue 13")
    ap.add_argument("--only", choices=["storm", "kill", "throttle"])
    args = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    results: list[dict[str, Any]] = []
    if args.only in (None, "storm"):
        for naive in ([False, True] if args.naive else [False]):
            for seed in range(args.seeds):
                results.append(storm(args.incidents, args.rate, seed, naive))
                print(json.dumps(results[-1]))
    if args.only in (None, "kill"):
        for point in KILL_POINTS:
            results.append(kill(args.incidents, point))
            print(json.dumps(results[-1]))
    if args.only in (None, "throttle"):
        results.append(throttle(args.incidents))
        print(json.dumps(results[-1]))
    (ROOT / "bench" / "results-faults.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
