"""Live status of the checks that guard an answer, read from the store (read-only).

``guard_statuses`` is the one read the CLI (`srm who-owns`) and the JSON contract use; the Slack
who-owns builder gets the same facts as ``bot.slack.status.CheckStatus`` rows, converted with
``from_check_status``. Passing / failing are resource counts over every account of the last scans.
"""
from __future__ import annotations

from typing import Callable, Iterable, Protocol

from bot.answer import GuardStatus
from bot.models import Incident, IncidentState
from checks.base import Status

ACTIVE = [s for s in IncidentState if s.active]


class _Reads(Protocol):
    def finding_counts(self, check_ids: Iterable[str] | None = None) -> dict: ...

    def incidents(self, *, states: Iterable[IncidentState] | None = None, team_id: str | None = None,
                  check_ids: Iterable[str] | None = None) -> list[Incident]: ...


def guard_statuses(store: _Reads, check_ids: list[str], titles: dict[str, str],
                   thread_url: Callable[[Incident], str | None] = lambda _i: None) -> list[GuardStatus]:
    """One row per check id, in order: passing / failing resources and the open incident (worst first)."""
    if not check_ids:
        return []
    passing = dict.fromkeys(check_ids, 0)
    failing = dict.fromkeys(check_ids, 0)
    for (_account, cid), counts in store.finding_counts(check_ids).items():
        passing[cid] += counts.get(Status.PASS, 0)
        failing[cid] += counts.get(Status.FAIL, 0)
    failing_ids = [c for c in check_ids if failing[c]]
    open_incidents = store.incidents(states=ACTIVE, check_ids=failing_ids) if failing_ids else []
    out = []
    for cid in check_ids:
        inc = next((i for i in open_incidents if i.check_id == cid), None)
        status = "unknown_check" if cid not in titles else (
            "failing" if failing[cid] else "passing" if passing[cid] else "not_scanned")
        out.append(GuardStatus(
            id=cid, title=titles.get(cid, cid), status=status, passing=passing[cid], failing=failing[cid],
            incident={"id": inc.id, "state": inc.state.value, "url": thread_url(inc)} if inc else None))
    return out


def from_check_status(rows: Iterable) -> list[GuardStatus]:  # noqa: ANN001 - bot.slack.status.CheckStatus
    """The Slack view's rows as contract rows (same facts, no second read)."""
    out = []
    for st in rows:
        inc = st.incidents[0] if st.incidents else None
        status = "unknown_check" if not st.known else (
            "failing" if st.failing else "passing" if st.passing else "not_scanned")
        out.append(GuardStatus(id=st.check_id, title=st.title, status=status, passing=st.passing, failing=st.failing,
                               incident={"id": inc.id, "state": inc.state.value, "url": inc.url} if inc else None))
    return out
