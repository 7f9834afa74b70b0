"""APScheduler wiring: scheduled scans, the posture digest and the minute sweep.

One scheduler per database. :func:`build_scheduler` takes an exclusive lock on
``<db>.scheduler.lock`` (``fcntl.flock``: the kernel drops it when the process
dies) and refuses with :class:`SchedulerLocked` while another process holds it.

Every run of a scan or digest job belongs to a *slot* (the cron time it was due,
in UTC) and claims ``<job id>:<slot>`` in the store before it starts, so no slot
runs twice, across threads, restarts and catch-up. On start, the latest slot of
each job missed within ``schedule.catch_up_grace_hours`` runs once
(:func:`run_catch_up`). Rules and reasons: docs/scheduling.md.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from bot.config import SrmConfig
from bot.cron import cron_trigger
from bot.digest import build_digest, publish
from checks.accounts import TargetError

if TYPE_CHECKING:  # pragma: no cover
    from bot.services import Services

log = logging.getLogger(__name__)

UTC = timezone.utc
DIGEST_ID, SWEEP_ID, CATCH_UP_ID = "digest", "sweep", "catch-up"
MIN_GRACE_S = 60  # a due scan or digest may start this late at least (APScheduler's default is 1 s)
SWEEP_GRACE_S = 50  # a sweep later than this is dropped: the next one is due within the minute
WORKERS = 4


class SchedulerLocked(RuntimeError):
    """Another process runs the scheduler against this database."""


class SchedulerLock:
    """One scheduler per database: a portable file lock (filelock; the OS drops it when the process dies)
    on ``<db>.scheduler.lock``, and the holder's pid in ``<db>.scheduler.pid`` for the refusal message."""

    def __init__(self, db_path: Path | str):
        self.db = Path(db_path)
        self.path = Path(f"{db_path}.scheduler.lock")
        self.pid_path = Path(f"{db_path}.scheduler.pid")
        self._lock: FileLock | None = None

    def acquire(self, *, record_pid: bool = True) -> "SchedulerLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            try:
                holder = self.pid_path.read_text().strip() or "unknown"
            except OSError:
                holder = "unknown"
            raise SchedulerLocked(
                f"another srm scheduler (pid {holder}) is already running against {self.db} "
                f"(lock file {self.path}); only one scheduler may run per database - "
                "stop that process first") from None
        if record_pid:
            self.pid_path.write_text(f"{os.getpid()}\n")
        self._lock = lock
        return self

    @property
    def held(self) -> bool:
        return self._lock is not None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


# -- jobs and slots ------------------------------------------------------------------
@dataclass(frozen=True)
class JobSpec:
    """One cron job from the config: a scan (of one account, or all) or the digest."""

    id: str
    kind: Literal["scan", "digest"]
    cron: str
    timezone: str
    trigger: CronTrigger
    account: str | None = None
    checks: tuple[str, ...] | None = None

    @property
    def description(self) -> str:
        what = "posture digest" if self.kind == "digest" else f"scan {self.account or 'every account'}"
        return what + (f" ({len(self.checks)} check(s))" if self.checks else "")


def job_specs(config: SrmConfig) -> list[JobSpec]:
    """Scans first (so a catch-up digest sees the catch-up scans), then the digest."""
    specs = [JobSpec(id=job_id, kind="scan", cron=s.cron, timezone=s.timezone, account=account,
                     trigger=cron_trigger(s.cron, s.timezone),
                     checks=tuple(s.checks) if s.checks else None)
             for s in config.schedule.scans for job_id, account in s.job_ids()]
    d = config.digest
    specs.append(JobSpec(id=DIGEST_ID, kind="digest", cron=d.cron, timezone=d.timezone,
                         trigger=cron_trigger(d.cron, d.timezone)))
    return specs


def slot_key(job_id: str, slot: datetime) -> str:
    return f"{job_id}:{slot.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def _repeated(t: datetime, tz: Any) -> bool:
    """A local time the autumn change shows a second time (fold=1)."""
    local = t.astimezone(UTC).astimezone(tz)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def fire_times(trigger: CronTrigger, after: datetime, until: datetime, limit: int = 10_000) -> list[datetime]:
    """The trigger's slots in (after, until], in UTC; a wall-clock time repeated by DST runs once (the first)."""
    out: list[datetime] = []
    t = trigger.get_next_fire_time(None, after.astimezone(UTC) + timedelta(microseconds=1))
    while t is not None and t <= until and len(out) < limit:
        if not _repeated(t, trigger.timezone):
            out.append(t.astimezone(UTC))
        t = trigger.get_next_fire_time(t, t)
    return out


def upcoming(trigger: CronTrigger, now: datetime, n: int = 3) -> list[datetime]:
    return fire_times(trigger, now - timedelta(microseconds=1), now + timedelta(days=400), limit=n)


def latest_slot(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The newest slot in (now - window, now], or None."""
    slots = fire_times(trigger, now - window, now)
    return slots[-1] if slots else None


def misfire_grace_s(config: SrmConfig) -> int:
    return max(MIN_GRACE_S, int(config.schedule.catch_up_grace_hours * 3600))


# -- running -------------------------------------------------------------------------
_running: dict[tuple[str, str], threading.Lock] = {}
_running_lock = threading.Lock()


def _guard(services: "Services", job_id: str) -> threading.Lock:
    with _running_lock:
        return _running.setdefault((str(services.store.path.resolve()), job_id), threading.Lock())


def run_job(services: "Services", spec: JobSpec, *, now: datetime | None = None) -> str | None:
    """What APScheduler calls: run the slot due now (the newest one not later than now), once."""
    now = now or services.clock.now()
    slot = latest_slot(spec.trigger, now, timedelta(seconds=misfire_grace_s(services.config)))
    if slot is None:
        log.info("%s: no slot due at %s", spec.id, now.isoformat())
        return None
    return run_slot(services, spec, slot)


def run_slot(services: "Services", spec: JobSpec, slot: datetime, *, catch_up: bool = False) -> str | None:
    """Claim the slot and run it: "ok", "error", "skipped" (the job's previous run is still going),
    or None when the slot was claimed before (it ran, or is running, elsewhere)."""
    key, store = slot_key(spec.id, slot), services.store
    guard = _guard(services, spec.id)
    if not guard.acquire(blocking=False):
        if store.claim_slot(key, spec.id, slot, pid=os.getpid(), catch_up=catch_up):
            store.finish_slot(key, "skipped", "the previous run of this job was still going")
        log.warning("%s skipped: the previous run of %s is still going", key, spec.id)
        return "skipped"
    try:
        if not store.claim_slot(key, spec.id, slot, pid=os.getpid(), catch_up=catch_up):
            log.info("%s ran before; not again", key)
            return None
        log.info("running %s%s", key, " (catch-up)" if catch_up else "")
        try:
            detail = _scan(services, spec) if spec.kind == "scan" else _digest(services, key)
            outcome = "ok"
        except TargetError as exc:  # expected (credentials, AssumeRole, regions): one clear line, no traceback
            log.error("%s failed: %s", key, exc)
            outcome, detail = "error", str(exc)
        except Exception as exc:  # noqa: BLE001 - one failed job must not stop the scheduler
            log.exception("%s failed", key)
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"
        store.finish_slot(key, outcome, detail)
        return outcome
    finally:
        guard.release()


def _scan(services: "Services", spec: JobSpec) -> str:
    checks = services.select_checks(list(spec.checks)) if spec.checks else None
    result, outcome = services.scan(checks, account=spec.account, keep_findings=False)
    return (f"{sum(result.summary.findings.values())} finding(s), {outcome.changes} change(s), "
            f"{len(result.summary.errors)} error(s)")


def _digest(services: "Services", key: str) -> str:
    """Build the digest and send it through the notifier lanes (``bot.digest.publish``)."""
    digest = build_digest(services)
    where = publish(services, digest, key=key)
    if where is None:
        return "posted before"
    if where:
        return "posted to " + ", ".join(where)
    log.info("digest %s not posted: no notifier lane of this process has a digest target "
             "(Slack: SLACK_BOT_TOKEN and digest.channel; e-mail: email.digest_to)", key)
    return "logged, not posted (no digest target)"


def sweep(services: "Services") -> int:
    """Expire exceptions and snoozes, escalate, then deliver (retrying failed posts). The number of events."""
    return len(services.incidents.sweep())  # the sweep delivers once, after its transaction


def run_catch_up(services: "Services", now: datetime | None = None) -> dict[str, str]:
    """Run, once, the newest slot of each scan and digest job within the catch-up grace that has not run.

    Returns {slot key: outcome} of the slots it ran (empty when nothing was missed).
    """
    now = now or services.clock.now()
    window = timedelta(hours=services.config.schedule.catch_up_grace_hours)
    ran: dict[str, str] = {}
    if window <= timedelta(0):
        return ran
    for spec in job_specs(services.config):
        slot = latest_slot(spec.trigger, now, window)
        if slot is not None and (outcome := run_slot(services, spec, slot, catch_up=True)):
            ran[slot_key(spec.id, slot)] = outcome
    return ran


# -- the scheduler -------------------------------------------------------------------
class SrmScheduler(BackgroundScheduler):
    """A BackgroundScheduler that holds its database's scheduler lock until :meth:`shutdown`."""

    def __init__(self, services: "Services", db_lock: SchedulerLock, **options: Any):
        super().__init__(**options)
        self.services, self.db_lock = services, db_lock

    def catch_up(self, now: datetime | None = None) -> dict[str, str]:
        return run_catch_up(self.services, now)

    def _process_jobs(self) -> float | None:
        """APScheduler's loop, minus its teardown race: a job store emptied by :meth:`shutdown` while the
        loop ran its last round raises JobLookupError in the scheduler thread; stopped, that is no error."""
        try:
            return super()._process_jobs()  # type: ignore[no-any-return]
        except JobLookupError:
            if self.state == STATE_STOPPED:
                return None
            raise

    def shutdown(self, wait: bool = True) -> None:
        """Stop (when started) and release the lock; safe to call on a scheduler never started."""
        try:
            if self.running:
                super().shutdown(wait=wait)
        finally:
            self.db_lock.release()


def build_scheduler(services: "Services") -> SrmScheduler:
    """Every job added, NOT started. Takes the database's scheduler lock (SchedulerLocked if held).

    Digests go out through the notifier lanes the services deliver (none: the digest is logged).
    The catch-up (:func:`run_catch_up`) is a one-off job that runs as soon as the scheduler starts.
    """
    services.incidents  # noqa: B018 - built before the worker threads start (cached_property is not locked)
    specs = job_specs(services.config)
    lock = SchedulerLock(services.store.path).acquire()
    try:
        grace = misfire_grace_s(services.config)
        sched = SrmScheduler(services, lock, timezone=UTC, executors={"default": ThreadPoolExecutor(WORKERS)},
                             job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace})
        for spec in specs:
            sched.add_job(run_job, spec.trigger, args=[services, spec], id=spec.id, name=spec.description,
                          misfire_grace_time=grace, coalesce=True, max_instances=1)
        sched.add_job(sweep, IntervalTrigger(minutes=1, timezone=UTC), args=[services], id=SWEEP_ID,
                      name="escalation and expiry sweep", misfire_grace_time=SWEEP_GRACE_S, coalesce=True,
                      max_instances=1)
        sched.add_job(sched.catch_up, DateTrigger(run_date=services.clock.now(), timezone=UTC), id=CATCH_UP_ID,
                      name="catch up on slots missed while down", misfire_grace_time=None, coalesce=True,
                      max_instances=1)
    except BaseException:
        lock.release()
        raise
    return sched
