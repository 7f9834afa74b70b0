"""What changed between the stored state and a new scan (pure: no I/O).

Rules (see docs/incidents.md):

* **new failure** - a resource that was passing (or never seen) now fails;
* **evidence changed** - a failing resource still fails, but its fingerprint differs;
* **recovered** - a failing resource now passes, or is *gone*: it is missing from a
  scope the run covered cleanly (no ERROR finding in that scope), so it was deleted.

An ERROR finding changes nothing: the resource keeps its stored status, and a scope
with any ERROR does not count as clean, so nothing in it is taken for deleted. A
scope the run did not cover is left alone entirely.

A scope is (account, region label, check); an account-wide check has the region
label ``global`` even when its findings name the resource's own region.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from pydantic import BaseModel, Field

from bot.models import DriftEvent, DriftKind, Key
from checks.base import Finding, Status
from checks.runner import GLOBAL_REGION, RunResult

ScopeKey = tuple[str, str, str]  # (account_id, region label, check_id)


class DriftPlan(BaseModel):
    """The events, plus how the stored state must change to match the run."""

    events: list[DriftEvent] = Field(default_factory=list)
    upserts: list[Finding] = Field(default_factory=list)  # PASS/FAIL findings of this run
    deletes: list[Key] = Field(default_factory=list)  # rows gone from clean scopes


def scope_of(key: Key, account_wide: set[tuple[str, str]]) -> ScopeKey:
    account, region, check, _ = key
    return (account, GLOBAL_REGION, check) if (account, check) in account_wide else (account, region, check)


def _account_wide(covered: Iterable[ScopeKey]) -> set[tuple[str, str]]:
    return {(a, c) for a, r, c in covered if r == GLOBAL_REGION}


def plan(previous: Mapping[Key, Finding], run: RunResult) -> DriftPlan:
    """Drift events and the state change for ``run`` against ``previous`` (PASS/FAIL rows)."""
    covered = set(run.covered)
    wide = _account_wide(covered)
    errored = {scope_of(f.key, wide) for f in run.findings if f.status is Status.ERROR}
    clean = covered - errored

    out = DriftPlan()
    seen: set[Key] = set()
    for f in run.findings:
        if f.status is Status.ERROR:
            continue
        seen.add(f.key)
        out.upserts.append(f)
        prev = previous.get(f.key)
        was_failing = prev is not None and prev.status is Status.FAIL
        if f.status is Status.FAIL and not was_failing:
            out.events.append(DriftEvent(kind=DriftKind.new_failure, finding=f))
        elif f.status is Status.FAIL and prev is not None and prev.fingerprint != f.fingerprint:
            out.events.append(DriftEvent(kind=DriftKind.evidence_changed, finding=f,
                                         previous_fingerprint=prev.fingerprint))
        elif f.status is Status.PASS and was_failing:
            out.events.append(DriftEvent(kind=DriftKind.recovered, finding=f,
                                         previous_fingerprint=prev.fingerprint))

    for key in sorted(previous):
        if key in seen or scope_of(key, wide) not in clean:
            continue
        prev = previous[key]
        out.deletes.append(key)
        if prev.status is Status.FAIL:
            out.events.append(DriftEvent(kind=DriftKind.recovered, finding=prev,
                                         previous_fingerprint=prev.fingerprint, gone=True))
    return out


def diff(previous: Mapping[Key, Finding], run: RunResult) -> list[DriftEvent]:
    """Only the events of :func:`plan`."""
    return plan(previous, run).events
