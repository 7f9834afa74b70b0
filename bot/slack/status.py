"""Read-only views of the store the Slack surfaces show (plain data for the builders).

``check_statuses`` feeds the who-owns answer ("the checks guarding that aspect"),
``incident_rows`` the incident lists, ``posture`` the App Home summary. Nothing
here writes; builders stay pure by receiving these models.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Iterable

from pydantic import BaseModel, Field

from bot.models import ConversationRef, Incident, IncidentState
from checks.base import Check, Severity, Status

if TYPE_CHECKING:  # pragma: no cover
    from bot.services import Services

ACTIVE = [s for s in IncidentState if s.active]


@cache
def registry() -> dict[str, Check]:
    """Every registered check (imported once per process, not once per question)."""
    from checks.registry import load_all

    return load_all()


class Links:
    """Permalinks to incident threads, from the workspace URL ``auth.test`` reports."""

    def __init__(self, workspace_url: str | None = None):
        self.base = (workspace_url or "").rstrip("/")

    def thread(self, ref: ConversationRef | None) -> str | None:
        if ref is None or not self.base:
            return None
        return f"{self.base}/archives/{ref.channel}/p{ref.thread.replace('.', '')}"


class IncidentRow(BaseModel):
    id: int
    title: str
    severity: Severity
    state: IncidentState
    account_id: str
    check_id: str
    team_name: str
    failing: int = 0
    snoozed_until: datetime | None = None
    acknowledged_by: str | None = None
    url: str | None = None


class CheckStatus(BaseModel):
    check_id: str
    title: str
    known: bool = True  # False: the matrix names a check the registry does not have
    failing: int = 0
    passing: int = 0
    incidents: list[IncidentRow] = Field(default_factory=list)

    @property
    def never_run(self) -> bool:
        return self.failing == 0 and self.passing == 0


class Posture(BaseModel):
    active: int = 0
    by_severity: dict[str, int] = Field(default_factory=dict)
    by_state: dict[str, int] = Field(default_factory=dict)
    failing_checks: int = 0
    failing_resources: int = 0
    accounts: int = 0
    last_scan_at: datetime | None = None
    last_scan_checks: int | None = None


Counts = dict[tuple[str, str], dict[Status, int]]  # (account, check) -> status -> resources


def incident_rows(services: "Services", incidents: Iterable[Incident], links: Links, *,
                  now: datetime | None = None, counts: Counts | None = None) -> list[IncidentRow]:
    """``counts``: ``Store.finding_counts`` already read for these incidents' checks (else read here)."""
    now = now or services.clock.now()
    incidents = list(incidents)
    if counts is None:
        counts = services.store.finding_counts({i.check_id for i in incidents}) if incidents else {}
    out = []
    for inc in incidents:
        try:
            team = services.owners.team(inc.team_id).name
        except KeyError:
            team = inc.team_id
        failing = 0 if inc.state is IncidentState.resolved else \
            counts.get((inc.account_id, inc.check_id), {}).get(Status.FAIL, 0)
        out.append(IncidentRow(
            id=inc.id, title=inc.title, severity=inc.severity, state=inc.state, account_id=inc.account_id,
            check_id=inc.check_id, team_name=team, failing=failing,
            snoozed_until=inc.snoozed_until if inc.snoozed(now) else None,
            acknowledged_by=inc.acknowledged_by, url=links.thread(services.store.conversation(inc.id, "slack"))))
    return out


def check_statuses(services: "Services", check_ids: list[str], links: Links) -> list[CheckStatus]:
    """Live status of the given checks: resources passing/failing and their active incidents."""
    if not check_ids:
        return []
    checks = registry()
    counts = services.store.finding_counts(check_ids)
    by_check: dict[str, Counter[Status]] = {cid: Counter() for cid in check_ids}
    for (_, cid), n in counts.items():
        by_check[cid].update(n)
    failing = {cid for cid, n in by_check.items() if n[Status.FAIL]}
    # an (account, check) has an active incident exactly when something of it fails
    active = services.store.incidents(states=ACTIVE, check_ids=failing) if failing else []
    out = []
    now = services.clock.now()
    for cid in check_ids:
        check, n = checks.get(cid), by_check[cid]
        out.append(CheckStatus(
            check_id=cid, title=check.meta.title if check else cid, known=check is not None,
            failing=n[Status.FAIL], passing=n[Status.PASS],
            incidents=incident_rows(services, [i for i in active if i.check_id == cid], links,
                                    now=now, counts=counts)))
    return out


def posture(services: "Services") -> Posture:
    active = services.store.incidents(states=ACTIVE)
    failing = {pair: n[Status.FAIL] for pair, n in services.store.finding_counts().items() if n.get(Status.FAIL)}
    runs = services.store.runs(limit=1)
    return Posture(
        active=len(active),
        by_severity=dict(Counter(i.severity.value for i in active)),
        by_state=dict(Counter(i.state.value for i in active)),
        failing_checks=len({check for _, check in failing}),
        failing_resources=sum(failing.values()),
        accounts=len({account for account, _ in failing}),
        last_scan_at=datetime.fromisoformat(runs[0]["recorded_at"]) if runs else None,
        last_scan_checks=runs[0]["checks_run"] if runs else None)


def team_incidents(services: "Services", user_id: str, links: Links) -> tuple[list[str], list[IncidentRow]]:
    """The viewer's team names and their teams' active incidents (worst first)."""
    teams = services.owners.teams_of(user_id)
    ids = {t.id for t in teams}
    mine = [i for i in services.store.incidents(states=ACTIVE) if i.team_id in ids]
    mine.sort(key=lambda i: (-i.severity.rank, i.id))
    return [t.name for t in teams], incident_rows(services, mine, links)
