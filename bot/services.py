"""The application's services: the one "check -> drift -> incidents -> notify" pipeline and what
every front end (CLI, Slack, scheduler) reads. Built by the composition root (``bot/main.py``),
which nothing imports; adapters receive a :class:`Services`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from bot.config import Settings, SrmConfig
from bot.incidents import Incidents, ScanOutcome
from bot.matrix import Matrix
from bot.models import Clock, SystemClock
from bot.notify import Notifiers
from bot.owners import Owners
from bot.resolver import Resolver
from bot.scans import ResumableScan, executor_of, limits_of
from bot.store import Store
from checks.accounts import resolve_targets
from checks.base import Check
from checks.registry import select
from checks.runner import RunResult, Target

TargetResolver = Callable[..., list[Target]]
SCANS_ASKED_AT_ONCE = 2  # scans people asked for (not the scheduler's), running or waiting, per process


class ScanBusy(RuntimeError):
    """Enough scans are already running or waiting; asked-for scans are refused, not queued without end."""


def default_targets(aws_cfg, *, account: str | None = None, region: str | None = None) -> list[Target]:  # noqa: ANN001
    return resolve_targets(aws_cfg, account=account, region=region)


@dataclass
class Services:
    settings: Settings
    config: SrmConfig
    matrix: Matrix
    resolver: Resolver
    owners: Owners
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    notifiers: Notifiers = field(default_factory=Notifiers)
    targets: TargetResolver = default_targets
    _scan_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _asked: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(SCANS_ASKED_AT_ONCE), repr=False)

    @cached_property
    def incidents(self) -> Incidents:
        return Incidents(self.store, self.owners, self.notifiers, config=self.config.incidents, clock=self.clock)

    def select_checks(self, check_ids: list[str] | None = None, *, aspect: str | None = None,
                      service: str | None = None) -> list[Check]:
        """Raises KeyError naming an unknown id, aspect or service."""
        return select(check_ids or None, aspect=aspect, service=service)

    def scan(self, checks: list[Check] | None = None, *, account: str | None = None, region: str | None = None,
             progress: Callable[[int, int], None] | None = None,
             asked: bool = False, keep_findings: bool = True) -> tuple[RunResult, ScanOutcome]:
        """Run checks, apply drift, drive incidents and deliver notifications.

        One scan at a time per process: a second caller waits rather than interleaving drift.
        ``asked`` (someone in Slack asked for it): ScanBusy when SCANS_ASKED_AT_ONCE such scans are
        already running or waiting, so clicks and commands cannot tie up every worker thread.
        ``keep_findings=False``: the result has counts, not every finding and drift event (see ResumableScan.run).
        """
        if asked:
            if not self._asked.acquire(blocking=False):
                raise ScanBusy(f"{SCANS_ASKED_AT_ONCE} scans people asked for are already running or waiting; "
                               "try again when they have reported")
            try:
                return self.scan(checks, account=account, region=region, progress=progress,
                                 keep_findings=keep_findings)
            finally:
                self._asked.release()
        checks = checks if checks is not None else self.select_checks()
        targets = self.targets(self.config.aws, account=account, region=region)
        aws = self.config.aws
        with self._scan_lock:  # units stored as they finish, accounts applied as they complete (resumable)
            return ResumableScan(self.store, self.incidents, self.clock).run(
                checks, targets, executor=executor_of(aws), settings=self.config.checks, limits=limits_of(aws),
                progress=progress, keep_findings=keep_findings)


