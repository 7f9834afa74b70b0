"""The posture digest: what the store says about the customer side, since the last digest.

:func:`build_digest` reads the store (no Slack, no AWS) into a :class:`Digest`;
``bot/slack/digest_blocks.py`` renders it as Block Kit and ``srm digest --print``
in the terminal. :func:`publish` posts one, once per key, and records its time,
which is the next digest's ``since``. Rules: docs/scheduling.md.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel, Field, computed_field

from bot.frameworks import default_frameworks
from bot.models import Incident, IncidentState, utc
from bot.reports import ReqStatus, build_report
from checks.base import Severity
from checks.registry import load_all

if TYPE_CHECKING:  # pragma: no cover
    from bot.services import Services

log = logging.getLogger(__name__)

DEFAULT_SINCE = timedelta(days=1)  # the first digest looks back one day
EXPIRING_WITHIN = timedelta(days=7)
ERROR_RUNS = 50  # how many recent scan runs are searched for each scope's latest errors
AGE_BUCKETS = (("< 1 day", timedelta(days=1)), ("1-7 days", timedelta(days=7)), ("> 7 days", None))
UNMAPPED = "unmapped"  # aspect of a check the registry does not know


class Posture(BaseModel):
    id: str
    title: str
    passed: int = 0
    failed: int = 0
    accepted: int = 0  # failing resources covered by a risk exception

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pass_rate(self) -> float | None:
        total = self.passed + self.failed
        return round(self.passed / total, 4) if total else None


class Drift(BaseModel):
    """Resources of one (account, check) that started failing since the last digest."""

    account_id: str
    check_id: str
    title: str
    severity: Severity
    team: str
    resources: list[str]
    since: datetime
    incident_id: int | None = None


class IncidentLine(BaseModel):
    """What a digest line says about an incident."""
    id: int
    account_id: str
    check_id: str
    title: str
    severity: Severity
    team: str


class ResolvedIncident(IncidentLine):
    resolved_at: datetime


class OpenIncident(IncidentLine):
    state: IncidentState
    opened_at: datetime
    escalation_level: int = 0
    snoozed_until: datetime | None = None


class ExpiringException(BaseModel):
    id: int
    account_id: str
    region: str
    check_id: str
    resource_id: str
    accepted_by: str
    expires_at: datetime
    incident_id: int | None = None


class CheckError(BaseModel):
    check_id: str
    account_id: str
    region: str
    code: str
    message: str
    at: datetime  # when the run that reported it was recorded


class ScanRunStatus(BaseModel):
    """The newest scan run; ``partial`` while not every unit has finished (interrupted or still running)."""
    id: int
    started_at: datetime
    status: str  # running | complete | partial
    partial: bool
    units_done: int | None = None
    units_total: int | None = None
class FrameworkScore(BaseModel):
    """A framework's score from the latest findings (``srm report`` has the full report)."""

    id: str
    name: str
    score: float | None  # passed / covered automated requirements
    passed: int
    covered: int
    coverage: float | None  # covered / automated requirements
    failing: int  # requirements with a failing resource


class Digest(BaseModel):
    generated_at: datetime
    since: datetime
    totals: Posture
    aspects: list[Posture] = Field(default_factory=list)  # worst first
    teams: list[Posture] = Field(default_factory=list)
    new_failures: list[Drift] = Field(default_factory=list)
    resolved: list[ResolvedIncident] = Field(default_factory=list)
    open_incidents: list[OpenIncident] = Field(default_factory=list)  # open + acknowledged, oldest first
    by_severity: dict[str, int] = Field(default_factory=dict)
    by_team: dict[str, int] = Field(default_factory=dict)
    by_age: dict[str, int] = Field(default_factory=dict)
    risk_accepted: int = 0  # incidents whose every failing resource has an accepted risk
    past_sla: list[OpenIncident] = Field(default_factory=list)
    expiring: list[ExpiringException] = Field(default_factory=list)
    errors: list[CheckError] = Field(default_factory=list)
    last_run: ScanRunStatus | None = None
    frameworks: list[FrameworkScore] = Field(default_factory=list)  # empty until a scan has stored findings

    backlog: dict[str, int] = Field(default_factory=dict)  # backlog items by severity (first-contact failures)
    backlog_resources: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def quiet(self) -> bool:
        """Nothing changed since the last digest: the short form (which still states what is open).
        A partial latest scan (interrupted, or still running) is worth saying, so it is not quiet."""
        return not (self.new_failures or self.resolved or self.past_sla or self.expiring or self.errors
                    or (self.last_run is not None and self.last_run.status == "partial"))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def all_clear(self) -> bool:
        """Quiet AND nothing open, nothing in the backlog: the only time a digest may say "all quiet"."""
        return self.quiet and not (self.open_incidents or self.backlog or self.risk_accepted)


def build_digest(services: "Services", now: datetime | None = None, since: datetime | None = None) -> Digest:
    """The digest at ``now``; ``since`` defaults to the last posted digest (else one day back)."""
    now = utc(now or services.clock.now())
    store = services.store
    since = utc(since or store.last_digest_at() or now - DEFAULT_SINCE)
    team_name = _team_names(services)
    aspects, teams, totals = _posture(services, now)
    active = store.incidents(states=[s for s in IncidentState if s.active])
    open_ = sorted((_open(i, team_name) for i in active if i.state in (IncidentState.open,
                                                                         IncidentState.acknowledged)),
                   key=lambda i: (i.opened_at, i.id))
    by_age: Counter[str] = Counter()
    for inc in open_:
        by_age[next(label for label, limit in AGE_BUCKETS if limit is None or now - inc.opened_at < limit)] += 1
    return Digest(
        generated_at=now, since=since, totals=totals, aspects=aspects, teams=teams,
        new_failures=_new_failures(services, since, team_name),
        resolved=[ResolvedIncident(id=i.id, account_id=i.account_id, check_id=i.check_id, title=i.title,
                                   severity=i.severity, team=team_name(i.team_id), resolved_at=i.resolved_at)
                  for i in store.resolved_since(since)],
        open_incidents=open_,
        by_severity={s.value: n for s in Severity if (n := sum(1 for i in open_ if i.severity is s))},
        by_team=dict(sorted(Counter(i.team for i in open_).items(), key=lambda kv: (-kv[1], kv[0]))),
        by_age={label: by_age[label] for label, _ in AGE_BUCKETS if by_age[label]},
        risk_accepted=sum(1 for i in active if i.state is IncidentState.risk_accepted),
        past_sla=[_open(i, team_name) for i in active if _past_sla(i, now)],
        expiring=[ExpiringException(**e.model_dump(include=set(ExpiringException.model_fields)))
                  for e in store.exceptions_expiring(now, now + EXPIRING_WITHIN)],
        errors=_latest_errors(services),
        last_run=_last_run(services),
        frameworks=_framework_scores(services, now) if totals.pass_rate is not None else [],
        **_backlog(services),
    )


def _framework_scores(services: "Services", now: datetime) -> list[FrameworkScore]:
    checks = load_all().values()
    out = []
    for fw in default_frameworks().values():
        r = build_report(fw, services.store, checks, now=now, resources=False)
        out.append(FrameworkScore(id=fw.id, name=fw.name, score=r.score, passed=r.passed, covered=r.covered,
                                  coverage=r.coverage, failing=r.counts[ReqStatus.FAIL]))
    return out


def publish(services: "Services", digest: Digest, *, key: str) -> list[str] | None:
    """Send the digest through every lane this process delivers, once per ``key``, and record its time
    (it becomes the next digest's ``since``). Where it went, e.g. ``["slack:C0SEC"]``; [] when no lane
    has a digest target; None when this key was sent before. A send that raises releases the key and re-raises;
    lanes that already sent keep their per-lane key, so the retry does not send twice.
    """
    if not services.store.claim_digest(key, digest.since):
        log.info("digest %s was posted before; not again", key)
        return None
    where: list[str] = []
    try:
        for notifier in services.notifiers.delivering:
            dest = notifier.publish_digest(digest, key=f"{notifier.kind}:{key}")
            if dest:
                where.append(f"{notifier.kind}:{dest}")
    except Exception:
        services.store.release_digest(key)
        raise
    if not where:
        services.store.release_digest(key)
        return []
    services.store.digest_posted(key, digest.generated_at, ", ".join(where))
    return where


# -- parts ---------------------------------------------------------------------------
def _backlog(services: "Services") -> dict[str, Any]:
    backlogs = services.incidents.backlogs()
    by_severity: Counter[str] = Counter()
    for b in backlogs:
        by_severity.update(b.by_severity)
    return {"backlog": {s.value: by_severity[s.value] for s in Severity if by_severity[s.value]},
            "backlog_resources": sum(b.resources for b in backlogs)}


def _team_names(services: "Services") -> Callable[[str], str]:
    names = {t.id: t.name for t in services.owners.teams}
    return lambda team_id: names.get(team_id, team_id)


def _aspect_of(services: "Services", check_id: str) -> str:
    meta = services.incidents.lookup(check_id)
    return getattr(meta, "aspect", None) or UNMAPPED


def _posture(services: "Services", now: datetime) -> tuple[list[Posture], list[Posture], Posture]:
    excepted = services.store.excepted_keys(now)
    aspects: dict[str, Posture] = {}
    teams: dict[str, Posture] = {}
    totals = Posture(id="all", title="All resources")
    for f in services.store.findings():
        aspect = _aspect_of(services, f.check_id)
        if aspect not in aspects:
            try:
                title = services.matrix.aspect(aspect).title
            except KeyError:
                title = aspect
            aspects[aspect] = Posture(id=aspect, title=title)
        team = services.owners.route(None if aspect == UNMAPPED else aspect, f.tags)
        teams.setdefault(team.id, Posture(id=team.id, title=team.name))
        for row in (aspects[aspect], teams[team.id], totals):
            if f.status.value == "PASS":
                row.passed += 1
            else:
                row.failed += 1
                row.accepted += f.key in excepted

    def worst_first(rows: dict[str, Posture]) -> list[Posture]:
        return sorted(rows.values(), key=lambda p: (p.pass_rate if p.pass_rate is not None else 1, -p.failed, p.id))

    return worst_first(aspects), worst_first(teams), totals


def _new_failures(services: "Services", since: datetime, team_name: Callable[[str], str]) -> list[Drift]:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for finding, fail_since in services.store.failing_since(since):
        groups[(finding.account_id, finding.check_id)].append((finding, fail_since))
    out = []
    for (account, check), rows in sorted(groups.items()):
        meta = services.incidents.lookup(check)
        inc = services.store.active_incident(account, check)
        findings = [f for f, _ in rows]
        if inc is not None:
            team = team_name(inc.team_id)
        else:
            team = services.incidents.route(getattr(meta, "aspect", None), findings).name
        out.append(Drift(
            account_id=account, check_id=check,
            title=getattr(meta, "fail_title", None) or getattr(meta, "title", None) or check,
            severity=Severity(meta.severity) if meta else max((f.severity for f in findings), key=lambda s: s.rank),
            team=team, resources=sorted({f.resource_id for f in findings}), since=min(at for _, at in rows),
            incident_id=inc.id if inc else None))
    return sorted(out, key=lambda d: (-d.severity.rank, d.account_id, d.check_id))


def _open(inc: Incident, team_name: Callable[[str], str]) -> OpenIncident:
    return OpenIncident(id=inc.id, account_id=inc.account_id, check_id=inc.check_id, title=inc.title,
                        severity=inc.severity, team=team_name(inc.team_id), state=inc.state, opened_at=inc.opened_at,
                        escalation_level=inc.escalation_level, snoozed_until=inc.snoozed_until)


def _past_sla(inc: Incident, now: datetime) -> bool:
    """Open (not acknowledged), not snoozed, and escalated or due to be: the SLA has passed."""
    if inc.state is not IncidentState.open or inc.snoozed(now):
        return False
    return inc.escalation_level > 0 or (inc.next_escalation_at is not None and inc.next_escalation_at <= now)


def _last_run(services: "Services") -> ScanRunStatus | None:
    runs = services.store.runs(limit=1)
    if not runs:
        return None
    r = runs[0]
    return ScanRunStatus(id=r["id"], started_at=r["started_at"], status=r["status"], partial=r["partial"],
                         units_done=r["units_done"] if r["units_total"] else None, units_total=r["units_total"])


def _latest_errors(services: "Services") -> list[CheckError]:
    """ERRORs of each scope's latest run: an error a later run covered (cleanly or not) is history."""
    seen: set[tuple[str, str, str]] = set()
    errors: dict[tuple[str, str, str, str], CheckError] = {}
    for run in services.store.runs(limit=ERROR_RUNS):  # newest first
        for e in run["errors"] or []:
            if (e["account_id"], e["region"], e["check_id"]) in seen or \
                    (e["account_id"], "global", e["check_id"]) in seen:
                continue
            key = (e["check_id"], e["account_id"], e["region"], e["code"])
            errors.setdefault(key, CheckError(**e, at=run["recorded_at"]))
        seen |= {tuple(scope) for scope in run["covered"] or []}
    return [errors[k] for k in sorted(errors)]
