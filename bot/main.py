"""Composition root: the one place that builds the database, boto3 sessions and the
services every front end (CLI, Slack, scheduler) shares.

``Services.scan`` is the whole "check -> drift -> incidents -> notify" pipeline, so
`srm scan`, `/srm check` and the scheduled scans all run the same code.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from bot.config import Settings, SrmConfig, load_config
from bot.matrix import Matrix, load_matrix, load_services
from bot.models import Clock, SystemClock
from bot.notifiers import Notifier, RecordingNotifier
from bot.owners import Owners, load_owners
from bot.resolver import Resolver
from bot.store import Store
from checks.base import Check
from checks.runner import Target

TargetResolver = Callable[..., list[Target]]
SCANS_ASKED_AT_ONCE = 2  # scans people asked for (not the scheduler's), running or waiting, per process


class ScanBusy(RuntimeError):
    """Enough scans are already running or waiting; asked-for scans are refused, not queued without end."""


def default_targets(aws_cfg, *, account: str | None = None, region: str | None = None) -> list[Target]:  # noqa: ANN001
    from checks.accounts import resolve_targets

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
    notifier: Notifier = field(default_factory=RecordingNotifier)
    targets: TargetResolver = default_targets
    _scan_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _asked: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(SCANS_ASKED_AT_ONCE), repr=False)

    @cached_property
    def incidents(self):  # noqa: ANN201 - bot.incidents.Incidents (imported lazily: it is heavy)
        from bot.incidents import Incidents

        return Incidents(self.store, self.owners, self.notifier, config=self.config.incidents, clock=self.clock)

    def select_checks(self, check_ids: list[str] | None = None, *, aspect: str | None = None,
                      service: str | None = None) -> list[Check]:
        """Raises KeyError naming an unknown id, aspect or service."""
        from checks.registry import select

        return select(check_ids or None, aspect=aspect, service=service)

    def scan(self, checks: list[Check] | None = None, *, account: str | None = None, region: str | None = None,
             progress: Callable[[int, int], None] | None = None,
             asked: bool = False):  # noqa: ANN201 - (RunResult, ScanOutcome)
        """Run checks, apply drift, drive incidents and deliver notifications.

        One scan at a time per process: a second caller waits rather than interleaving drift.
        ``asked`` (someone in Slack asked for it): ScanBusy when SCANS_ASKED_AT_ONCE such scans are
        already running or waiting, so clicks and commands cannot tie up every worker thread.
        """
        if asked:
            if not self._asked.acquire(blocking=False):
                raise ScanBusy(f"{SCANS_ASKED_AT_ONCE} scans people asked for are already running or waiting; "
                               "try again when they have reported")
            try:
                return self.scan(checks, account=account, region=region, progress=progress)
            finally:
                self._asked.release()
        checks = checks if checks is not None else self.select_checks()
        targets = self.targets(self.config.aws, account=account, region=region)
        from bot.scans import ResumableScan, executor_of, limits_of  # units stored as they finish (resumable)

        aws = self.config.aws
        with self._scan_lock:
            return ResumableScan(self.store, self.incidents, self.clock).run(
                checks, targets, executor=executor_of(aws), settings=self.config.checks, limits=limits_of(aws),
                progress=progress)


def build_services(settings: Settings | None = None, *, notifier: Notifier | None = None,
                   clock: Clock | None = None, targets: TargetResolver | None = None) -> Services:
    """Load every data file (DataFileError on a problem) and open the database."""
    settings = settings or Settings()
    config = load_config(settings.srm_config)
    matrix = load_matrix(settings.srm_matrix)
    owners = load_owners(settings.srm_owners, aspect_ids=matrix.ids)
    resolver = Resolver(matrix, load_services(settings.srm_services), owners)
    clock = clock or SystemClock()
    store = Store(settings.srm_db, clock=clock)
    svc = Services(settings=settings, config=config, matrix=matrix, resolver=resolver, owners=owners,
                   store=store, clock=clock, targets=targets or default_targets)
    if notifier is not None:
        svc.notifier = notifier
    return svc
