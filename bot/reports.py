"""Framework reports: how the latest findings in the store stand against one framework (pure builder).

:func:`build_report` reads the store (no AWS, no Slack) into a :class:`FrameworkReport`: one line per
requirement with its status, the checks that guard it (derived from check metadata) and the failing
resources. Rendering lives elsewhere (``bot/report_formats.py``, ``bot/cli/report.py``).

Status of a requirement:

* MANUAL - the framework marks it manual (failing resources of any mapped check are still listed);
* NOT COVERED - automated, but no check declares it;
* FAIL - a mapped check has a failing resource;
* ERROR - no failure, but a mapped check could not judge (its latest run in some scope errored);
* PASS - every mapped check has run, with no failure and no error;
* NO DATA - some mapped check has never run (no findings, never covered by a recorded scan).

Score = passed automated requirements / covered automated requirements; coverage = covered / automated.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Iterable

from pydantic import BaseModel, Field, computed_field

from bot.frameworks import Assessment, Framework
from checks.base import Check, Severity, Status

if TYPE_CHECKING:  # pragma: no cover
    from bot.store import Store

RECENT_RUNS = 50  # scan runs searched for each scope's latest errors and for what ran


class ReqStatus(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    NO_DATA = "NO DATA"
    NOT_COVERED = "NOT COVERED"
    MANUAL = "MANUAL"


class FailingResource(BaseModel):
    account_id: str
    region: str
    check_id: str
    resource_id: str
    reason: str


class CheckState(BaseModel):
    """What the store says about one check (over the accounts the report covers)."""

    ran: bool = False
    passed: int = 0
    failed: int = 0
    failing: list[FailingResource] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)  # "account/region: code"


class RequirementResult(BaseModel):
    id: str
    title: str
    section: str
    assessment: Assessment
    severity: Severity | None = None
    level: int | None = None
    status: ReqStatus
    checks: list[str]
    passed: int = 0  # passing resources over the mapped checks
    failed: int = 0  # failing resources over the mapped checks
    failing: list[FailingResource] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    not_run: list[str] = Field(default_factory=list)  # mapped checks with no data yet


class SectionSummary(BaseModel):
    id: str
    title: str
    counts: dict[ReqStatus, int]


class FrameworkReport(BaseModel):
    framework: str
    name: str
    version: str
    generated_at: datetime
    accounts: list[str]
    requirements: list[RequirementResult]
    sections: list[SectionSummary]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[ReqStatus, int]:
        c = Counter(r.status for r in self.requirements)
        return {s: c.get(s, 0) for s in ReqStatus}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def automated(self) -> int:
        return sum(r.assessment is Assessment.automated for r in self.requirements)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def covered(self) -> int:
        return sum(r.assessment is Assessment.automated and bool(r.checks) for r in self.requirements)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> int:
        return self.counts[ReqStatus.PASS]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> float | None:
        """Passed automated requirements / covered automated requirements (None until a mapped check has run)."""
        judged = self.covered - self.counts[ReqStatus.NO_DATA]
        return round(self.passed / self.covered, 4) if self.covered and judged else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def coverage(self) -> float | None:
        """Covered automated requirements / automated requirements."""
        return round(self.covered / self.automated, 4) if self.automated else None

    def summary_line(self) -> str:
        score = f"{self.score:.0%}" if self.score is not None else "n/a"
        coverage = f"{self.coverage:.0%}" if self.coverage is not None else "n/a"
        c = self.counts
        return (f"{self.name} v{self.version}: score {score} ({self.passed}/{self.covered} covered automated "
                f"requirements pass), coverage {coverage} ({self.covered}/{self.automated}); "
                f"{c[ReqStatus.FAIL]} fail, {c[ReqStatus.ERROR]} error, {c[ReqStatus.NO_DATA]} no data, "
                f"{c[ReqStatus.NOT_COVERED]} not covered, {c[ReqStatus.MANUAL]} manual")


def check_states(store: "Store", check_ids: Iterable[str], account_id: str | None = None,
                 resources: bool = True) -> tuple[dict[str, CheckState], set[str]]:
    """Latest state of each check (findings, and each scope's latest run for errors), and the accounts seen.

    ``resources=False`` counts failures without loading the failing rows (summaries: posture, digest).
    """
    wanted = set(check_ids)
    states = {cid: CheckState() for cid in wanted}
    accounts: set[str] = set()
    for (acct, cid), counts in store.finding_counts().items():  # aggregated in SQL: no rows loaded
        if account_id and acct != account_id:
            continue
        accounts.add(acct)
        if cid in states:
            states[cid].ran = True
            states[cid].passed += counts.get(Status.PASS, 0)
            states[cid].failed += counts.get(Status.FAIL, 0)
    for f in store.findings(account_id=account_id, status=Status.FAIL) if resources else []:
        if f.check_id in states:
            states[f.check_id].failing.append(FailingResource(
                account_id=f.account_id, region=f.region, check_id=f.check_id, resource_id=f.resource_id,
                reason=f.reason))
    seen: set[tuple[str, str, str]] = set()
    for run in store.runs(limit=RECENT_RUNS):  # newest first: an error a later run covered is history
        for e in run["errors"] or []:
            scope = (e["account_id"], e["region"], e["check_id"])
            if e["check_id"] not in wanted or (account_id and e["account_id"] != account_id) or scope in seen:
                continue
            line = f"{e['account_id']}/{e['region']}: {e['code']}"
            if line not in states[e["check_id"]].errors:
                states[e["check_id"]].errors.append(line)
        for a, r, c in run["covered"] or []:
            if not account_id or a == account_id:
                accounts.add(a)
                if c in wanted:
                    states[c].ran = True
            seen.add((a, r, c))
    return states, accounts


def _judge(req_checks: list[str], states: dict[str, CheckState]) -> tuple[ReqStatus, list[str]]:
    if not req_checks:
        return ReqStatus.NOT_COVERED, []
    not_run = [c for c in req_checks if not states[c].ran]
    if any(states[c].failed for c in req_checks):
        return ReqStatus.FAIL, not_run
    if any(states[c].errors for c in req_checks):
        return ReqStatus.ERROR, not_run
    return (ReqStatus.NO_DATA if not_run else ReqStatus.PASS), not_run


def build_report(framework: Framework, store: "Store", checks: Iterable[Check], *, now: datetime,
                 account_id: str | None = None, resources: bool = True) -> FrameworkReport:
    """Judge every requirement of ``framework`` from the store's latest findings and recent runs.

    ``resources=False``: counts only, no failing resource listed (fast enough for a Slack acknowledgement).
    """
    mapping = framework.checks_by_requirement(checks)
    states, accounts = check_states(store, {c for ids in mapping.values() for c in ids}, account_id, resources)
    results = []
    for req in framework.requirements:
        ids = mapping[req.id]
        status, not_run = _judge(ids, states)
        if req.assessment is Assessment.manual:
            status = ReqStatus.MANUAL
        results.append(RequirementResult(
            id=req.id, title=req.title, section=req.section, assessment=req.assessment, severity=req.severity,
            level=req.level, status=status, checks=ids, not_run=not_run,
            passed=sum(states[c].passed for c in ids), failed=sum(states[c].failed for c in ids),
            failing=[f for c in ids for f in states[c].failing],
            errors=[e for c in ids for e in states[c].errors]))
    sections = []
    for sec in framework.sections:
        if "." in sec.id:
            continue  # counts are per top-level section
        mine = [r for r in results if r.section.split(".")[0] == sec.id]
        c = Counter(r.status for r in mine)
        sections.append(SectionSummary(id=sec.id, title=sec.title, counts={s: c.get(s, 0) for s in ReqStatus}))
    return FrameworkReport(framework=framework.id, name=framework.name, version=framework.version,
                           generated_at=now, accounts=sorted(accounts), requirements=results, sections=sections)
