"""Run checks across accounts and regions as units, bounded and honest about errors.

:func:`run_units` streams: units (account, region, service) go to an executor (the local
thread pool by default), and each :class:`~checks.units.UnitResult` is handed to ``on_unit``
as it finishes, so a caller can store it at once and nothing of the unit stays in memory.
:func:`run` is the same scan collected into one :class:`RunResult`.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from pydantic import BaseModel, Field

from checks.base import Check, Clock, Finding, Status
from checks.executors import Executor, LocalExecutor, ScanJob
from checks.units import GLOBAL_REGION, Limits, Unit, UnitCallback, UnitResult, plan_units

__all__ = ["GLOBAL_REGION", "Limits", "RunError", "RunResult", "RunSummary", "Target", "Unit", "UnitResult",
           "plan_units", "run", "run_units"]


@dataclass
class Target:
    """One AWS account to scan: how to read it, and the regions.

    ``session`` is a ready boto3 session, or None with ``connect`` opening one when the account's
    first unit starts (dropped again after its last). ``spec`` describes how to connect in plain
    data, for workers on other processes (see :func:`checks.accounts.connect_spec`).
    """

    name: str
    account_id: str
    session: Any
    regions: list[str]
    partition: str = "aws"
    client_factory: Callable[[str, str], Any] | None = field(default=None, repr=False)
    connect: Callable[[], Any] | None = field(default=None, repr=False)
    spec: dict[str, Any] | None = None

    def open_session(self) -> Any:
        """The session to read this account with (may raise ClientError/FetchError when it cannot be reached)."""
        if self.session is not None or self.connect is None:
            return self.session
        return self.connect()


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
    units: int = 0
    units_timed_out: int = 0
    # one line per account none of whose units could run (cannot assume its role, ...)
    unreachable: dict[str, str] = Field(default_factory=dict)
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


class Tally:
    """Counts over unit results, without keeping them."""

    def __init__(self) -> None:
        self.api_calls: Counter[str] = Counter()
        self.duplicate_calls = 0
        self.units = 0
        self.timed_out = 0
        self.unit_errors: dict[str, set[str]] = {}  # account -> whole-unit error reasons
        self.units_ok: set[str] = set()  # accounts with at least one unit that ran
        self.gaps: set[str] = set()  # what listings could not see ("account/region key: what")

    def add(self, result: UnitResult) -> None:
        self.api_calls.update(result.api_calls)
        self.duplicate_calls += result.duplicate_calls
        self.units += 1
        self.gaps.update(result.gaps)
        self.timed_out += int(result.timed_out)
        if result.error and not result.timed_out:
            self.unit_errors.setdefault(result.account_id, set()).add(result.error)
        else:
            self.units_ok.add(result.account_id)

    def unreachable(self, names: Mapping[str, str]) -> dict[str, str]:
        return {f"{names.get(a, a)} ({a})": "; ".join(sorted(reasons))
                for a, reasons in sorted(self.unit_errors.items()) if a not in self.units_ok}


def run_units(
    checks: Iterable[Check],
    targets: Iterable[Target],
    on_unit: UnitCallback,
    *,
    executor: Executor | None = None,
    max_workers: int = 8,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    clock: Clock | None = None,
    limits: Limits | None = None,
    skip: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Tally:
    """Run every unit whose key is not in ``skip``; ``on_unit`` gets each result as it finishes."""
    checks = list(checks)
    targets = list(targets)
    skip = set(skip)
    units = [u for u in plan_units(checks, targets) if u.key not in skip]
    job = ScanJob(units=units, targets={t.account_id: t for t in targets},
                  checks={c.meta.id: c for c in checks}, settings=settings or {}, clock=clock,
                  limits=limits or Limits())
    tally = Tally()
    for result in (executor or LocalExecutor(max_workers)).run(job):
        tally.add(result)
        on_unit(result)
        if progress:
            progress(tally.units, len(units))
    return tally


def run(
    checks: Iterable[Check],
    targets: Iterable[Target],
    *,
    max_workers: int = 8,
    progress: Callable[[int, int], None] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    clock: Clock | None = None,
    executor: Executor | None = None,
    limits: Limits | None = None,
) -> RunResult:
    """Run every check in every target's scope(s), collected. Never raises for AWS errors.

    ``settings`` maps a check id to its configured setting values (srm.yml ``checks:``);
    ``clock`` is the one "now" checks judge ages and dates against.
    """
    started = time.time()
    t0 = time.perf_counter()
    checks = list(checks)
    targets = list(targets)
    findings: list[Finding] = []
    covered: list[tuple[str, str, str]] = []

    def collect(result: UnitResult) -> None:
        findings.extend(result.findings)
        covered.extend(result.covered)

    tally = run_units(checks, targets, collect, executor=executor, max_workers=max_workers, settings=settings,
                      clock=clock, limits=limits, progress=progress)
    summary = summarize(findings, tally, started=started, duration_s=time.perf_counter() - t0,
                        checks_run=len(checks), scopes=len(covered),
                        names={t.account_id: t.name for t in targets})
    return RunResult(findings=sort_findings(findings), summary=summary, covered=sorted(set(covered)))


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.account_id, f.region, f.check_id, f.resource_id))


def summarize(findings: Iterable[Finding], tally: Tally, *, started: float, duration_s: float, checks_run: int,
              scopes: int, names: Mapping[str, str] | None = None) -> RunSummary:
    by_status = {s.value: 0 for s in Status}
    errors = []
    for f in findings:
        by_status[f.status.value] += 1
        if f.status is Status.ERROR:
            errors.append(RunError(check_id=f.check_id, account_id=f.account_id, region=f.region,
                                   code=f.error_code or "Error", message=f.reason))
    return RunSummary(
        started_at=started, duration_s=round(duration_s, 3), checks_run=checks_run, scopes=scopes,
        findings=by_status, api_calls=dict(sorted(tally.api_calls.items())), duplicate_calls=tally.duplicate_calls,
        errors=errors, units=tally.units, units_timed_out=tally.timed_out,
        unreachable=tally.unreachable(names or {}), gaps=sorted(tally.gaps))
