"""Units of a scan: (account, region, service), planned once, run anywhere, reported whole.

A unit holds every selected check of one service for one account and region (account-wide
checks run in the account's home region under the label ``global``). It is the grain of
concurrency, of resuming a killed run and of work sent to a task queue. A unit's result is
plain data (:class:`UnitResult`), so it can travel over Redis and be stored as JSON.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, Sequence

from pydantic import BaseModel, Field

from checks.base import Check, Clock, Finding, Scope, Severity, Status
from checks.inventory.core import FetchError, Inventory, deadline, error_code_of, tracking_reads

GLOBAL_REGION = "global"
ScopeKey = tuple[str, str, str]  # (account_id, region label, check_id)


@dataclass(frozen=True)
class Unit:
    account_id: str
    region: str  # the inventory's region (the home region for account-wide checks)
    service: str
    checks: tuple[tuple[str, str], ...]  # (check_id, region label) in run order

    @property
    def key(self) -> str:
        return f"{self.account_id}/{self.region}/{self.service}"

    @property
    def scopes(self) -> list[ScopeKey]:
        return [(self.account_id, label, cid) for cid, label in self.checks]


class UnitResult(BaseModel):
    key: str
    account_id: str
    region: str
    service: str
    findings: list[Finding] = Field(default_factory=list)
    covered: list[ScopeKey] = Field(default_factory=list)
    api_calls: dict[str, int] = Field(default_factory=dict)
    duplicate_calls: int = 0
    duration_s: float = 0.0
    gaps: list[str] = Field(default_factory=list)  # what its listings could not see ("account/region key: what")
    timed_out: bool = False
    ran_on: str = ""  # host:pid of the process that ran it (set by queue and process-pool workers)
    error: str = ""  # why the whole unit failed (cannot reach the account, timed out), else ""


@dataclass(frozen=True)
class Limits:
    """Time budgets in seconds (None: unlimited). A check or unit past its budget is stopped before
    its next AWS call and reported as ERROR ``Timeout``; the coordinator gives up on a unit that has
    not reported ``grace`` times its budget after it started."""

    check_timeout_s: float | None = None
    unit_timeout_s: float | None = None
    grace: float = 1.5


def plan_units(checks: Iterable[Check], targets: Sequence[Any]) -> list[Unit]:
    """Units in account order (an account's units run together, so its session is held briefly)."""
    units: list[Unit] = []
    checks = sorted(checks, key=lambda c: (c.meta.service, c.meta.id))
    for target in targets:
        home = target.regions[0]
        grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for check in checks:
            if check.meta.scope == "account":
                grouped.setdefault((home, check.meta.service), []).append((check.meta.id, GLOBAL_REGION))
            else:
                for region in target.regions:
                    grouped.setdefault((region, check.meta.service), []).append((check.meta.id, region))
        for region in target.regions:
            units += [Unit(target.account_id, r, svc, tuple(tasks))
                      for (r, svc), tasks in sorted(grouped.items()) if r == region]
    return units


def run_check(check: Check, inv: Inventory, region_label: str, *, settings: Mapping[str, Any] | None = None,
              clock: Clock | None = None, timeout_s: float | None = None) -> list[Finding]:
    """One check in one scope; any exception (AWS, timeout, a bug) becomes one ERROR finding."""
    scope = Scope(check.meta, inv, settings=settings, clock=clock)
    scope.region = region_label
    try:
        with deadline(timeout_s, f"check {check.meta.id}"), tracking_reads() as reads:
            found = list(check(scope))
        return found + _unseen(scope, reads, found)
    except Exception as exc:  # noqa: BLE001 - a broken check or API must not crash the scan
        code, msg = error_code_of(exc)
        if not isinstance(exc, FetchError) and code == type(exc).__name__:
            code = f"CheckCrashed:{code}"
        return [scope.errored(_scope_resource(region_label), code, msg, resource_type="scope")]


def _unseen(scope: Scope, reads: list[tuple[Inventory, str]], found: list[Finding]) -> list[Finding]:
    """An ERROR for a check that read an incomplete listing and did not itself report what it could not see."""
    gaps = [f"{key}: {what}" for inv, key in dict.fromkeys(reads) for what in inv.gaps.get(key, [])]
    if not gaps or any(f.status is Status.ERROR for f in found):
        return []
    return [scope.errored(_scope_resource(scope.region), "IncompleteListing", "; ".join(gaps)[:500],
                          resource_type="scope")]


def inventory_gaps(inv: Inventory) -> list[str]:
    return sorted({f"{inv.account_id}/{inv.region} {key}: {what}" for key, whats in inv.gaps.items() for what in whats})


def _scope_resource(region_label: str) -> str:
    return "account" if region_label == GLOBAL_REGION else region_label


def execute_unit(unit: Unit, inv: Inventory, checks: Mapping[str, Check], *,
                 settings: Mapping[str, Mapping[str, Any]] | None = None, clock: Clock | None = None,
                 limits: Limits = Limits()) -> UnitResult:
    """Run a unit's checks in order against ``inv``; past the unit's budget the rest are ERROR."""
    settings = settings or {}
    t0 = time.perf_counter()
    findings: list[Finding] = []
    timed_out = False
    with deadline(limits.unit_timeout_s, f"unit {unit.key}"):
        for cid, label in unit.checks:
            check = checks.get(cid)
            if check is None:  # a worker running another version of srm-bot
                findings.append(unit_error(unit, cid, label, "UnknownCheck", f"no check {cid} where unit ran"))
                continue
            if limits.unit_timeout_s is not None and time.perf_counter() - t0 > limits.unit_timeout_s:
                timed_out = True
                findings.append(unit_error(unit, cid, label, "Timeout",
                                           f"unit {unit.key} took longer than {limits.unit_timeout_s:g} s",
                                           check=check))
                continue
            findings += run_check(check, inv, label, settings=settings.get(cid), clock=clock,
                                  timeout_s=limits.check_timeout_s)
    return UnitResult(key=unit.key, account_id=unit.account_id, region=unit.region, service=unit.service,
                      findings=findings, covered=unit.scopes, duration_s=round(time.perf_counter() - t0, 3),
                      timed_out=timed_out or any(f.error_code == "Timeout" for f in findings))


def unit_error(unit: Unit, check_id: str, label: str, code: str, message: str, *, check: Check | None = None
               ) -> Finding:
    """The ERROR finding for a check of a unit that could not run (never a PASS)."""
    return Finding(check_id=check_id, account_id=unit.account_id, region=label, resource_type="scope",
                   resource_id=_scope_resource(label), status=Status.ERROR, reason=f"{code}: {message}",
                   severity=check.meta.severity if check else Severity.medium, error_code=code)


def failed_unit(unit: Unit, checks: Mapping[str, Check], code: str, message: str, *,
                timed_out: bool = False) -> UnitResult:
    """A unit none of whose checks could run: one ERROR per check, and the reason once."""
    findings = [unit_error(unit, cid, label, code, message, check=checks.get(cid)) for cid, label in unit.checks]
    return UnitResult(key=unit.key, account_id=unit.account_id, region=unit.region, service=unit.service,
                      findings=findings, covered=unit.scopes, timed_out=timed_out, error=f"{code}: {message}")


def fixed_clock(at: datetime) -> Clock:
    return lambda: at


UnitCallback = Callable[[UnitResult], None]
