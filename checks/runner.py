"""Run checks across accounts and regions, bounded and honest about errors."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import boto3
from pydantic import BaseModel, Field

from checks.base import Check, Clock, Finding, Scope, Status
from checks.inventory.core import ApiCallCounter, FetchError, Inventory, error_code_of, tracking_reads

GLOBAL_REGION = "global"


@dataclass
class Target:
    """One AWS account to scan: a session that can read it, and the regions."""

    name: str
    account_id: str
    session: boto3.session.Session
    regions: list[str]
    partition: str = "aws"
    client_factory: Callable[[str, str], Any] | None = field(default=None, repr=False)


class RunError(BaseModel):
    check_id: str
    account_id: str
    region: str
    code: str
    message: str


class RunSummary(BaseModel):
    started_at: float
    duration_s: float
    checks_run: int
    scopes: int
    findings: dict[str, int]
    api_calls: dict[str, int]
    duplicate_calls: int
    errors: list[RunError] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)  # what listings could not see ("account/region key: what")

    @property
    def partial(self) -> bool:
        """Some scope could not be seen in full (an ERROR, or a listing with gaps): unseen is unknown."""
        return bool(self.errors or self.gaps)


class RunResult(BaseModel):
    findings: list[Finding]
    summary: RunSummary
    # (account_id, region, check_id) of every scope this run covered, errored or not
    covered: list[tuple[str, str, str]] = Field(default_factory=list)


def _run_one(check: Check, inv: Inventory, region_label: str, *,
             settings: Mapping[str, Any] | None = None, clock: Clock | None = None) -> list[Finding]:
    scope = Scope(check.meta, inv, settings=settings, clock=clock)
    scope.region = region_label
    try:
        with tracking_reads() as reads:
            found = list(check(scope))
        return found + _unseen(scope, reads, found)
    except Exception as exc:  # noqa: BLE001 - a broken check or API must not crash the scan
        code, msg = error_code_of(exc)
        if not isinstance(exc, FetchError) and code == type(exc).__name__:
            code = f"CheckCrashed:{code}"
        resource = "account" if region_label == GLOBAL_REGION else region_label
        return [scope.errored(resource, code, msg, resource_type="scope")]


def _unseen(scope: Scope, reads: list[tuple[Inventory, str]], found: list[Finding]) -> list[Finding]:
    """An ERROR for a check that read an incomplete listing and did not itself report what it could not see."""
    gaps = [f"{key}: {what}" for inv, key in dict.fromkeys(reads) for what in inv.gaps.get(key, [])]
    if not gaps or any(f.status is Status.ERROR for f in found):
        return []
    resource = "account" if scope.region == GLOBAL_REGION else scope.region
    return [scope.errored(resource, "IncompleteListing", "; ".join(gaps)[:500], resource_type="scope")]


def run(
    checks: Iterable[Check],
    targets: Iterable[Target],
    *,
    max_workers: int = 8,
    progress: Callable[[int, int], None] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    clock: Clock | None = None,
) -> RunResult:
    """Run every check in every target's scope(s). Never raises for AWS errors.

    ``settings`` maps a check id to its configured setting values (srm.yml ``checks:``);
    ``clock`` is the one "now" checks judge ages and dates against.
    """
    settings = settings or {}
    started = time.time()
    t0 = time.perf_counter()
    checks = list(checks)
    counter = ApiCallCounter()
    tasks: list[tuple[Check, Inventory, str]] = []
    for target in targets:
        invs = {
            r: Inventory(
                target.session, target.account_id, r, partition=target.partition,
                counter=counter, account_name=target.name, client_factory=target.client_factory,
            )
            for r in target.regions
        }
        home = target.regions[0]
        for check in checks:
            if check.meta.scope == "account":
                tasks.append((check, invs[home], GLOBAL_REGION))
            else:
                tasks.extend((check, invs[r], r) for r in target.regions)

    findings: list[Finding] = []
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        futures = [pool.submit(_run_one, c, inv, label, settings=settings.get(c.meta.id), clock=clock)
                   for c, inv, label in tasks]
        for fut in as_completed(futures):
            findings.extend(fut.result())
            done += 1
            if progress:
                progress(done, len(tasks))

    findings.sort(key=lambda f: (f.account_id, f.region, f.check_id, f.resource_id))
    by_status = {s.value: 0 for s in Status}
    for f in findings:
        by_status[f.status.value] += 1
    errors = [
        RunError(check_id=f.check_id, account_id=f.account_id, region=f.region,
                 code=f.error_code or "Error", message=f.reason)
        for f in findings if f.status is Status.ERROR
    ]
    summary = RunSummary(
        started_at=started,
        duration_s=round(time.perf_counter() - t0, 3),
        checks_run=len(checks),
        scopes=len(tasks),
        findings=by_status,
        api_calls=dict(sorted(counter.calls.items())),
        duplicate_calls=sum(n - 1 for n in counter.params.values() if n > 1),
        errors=errors,
    )
    summary.gaps = sorted({f"{inv.account_id}/{inv.region} {key}: {what}" for _, inv, _ in tasks
                           for key, whats in inv.gaps.items() for what in whats})
    covered = sorted({(inv.account_id, label, c.meta.id) for c, inv, label in tasks})
    return RunResult(findings=findings, summary=summary, covered=covered)
