"""The scheduler: jobs from config, DST, slots claimed once across restarts, catch-up, the lock, the sweep.

Real APScheduler triggers and a real SQLite file; scans run the real pipeline over
a targets callable that returns no AWS account (or blocks, to overlap two runs).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from bot.cli import main
from bot.config import Settings, SrmConfig
from bot.main import build_services
from bot.models import EventKind
from bot.notify.recording import RecordingNotifier
from bot.scheduler import (
    SchedulerLocked,
    build_scheduler,
    fire_times,
    job_specs,
    run_catch_up,
    run_job,
    run_slot,
    upcoming,
)
from bot.slack.digest_blocks import digest_message
from tests.factories import finding, run_of

UTC = timezone.utc
ROOT = Path(__file__).resolve().parent.parent
KMS = "kms_key_rotation_enabled"  # medium: SLA 240 min
BERLIN = """
digest: {channel: C0DIGEST, cron: "0 9 * * *", timezone: Europe/Berlin}
schedule:
  scans:
    - {accounts: [prod], cron: "30 2 * * *", timezone: Europe/Berlin, checks: [kms_key_rotation_enabled]}
"""
HOURLY = """
digest: {channel: C0DIGEST, cron: "0 9 * * *", timezone: UTC}
schedule: {catch_up_grace_hours: 6, scans: [{cron: "0 * * * *", timezone: UTC}]}
incidents: {baseline: false}
"""


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


class Clock:
    def __init__(self, at: str):
        self.at = utc(at)

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw) -> None:
        self.at += timedelta(**kw)


class Recorder(RecordingNotifier):
    """A targets callable (no AWS account: the scan pipeline runs on nothing) and the notifier lane the
    digest goes through (rendered with the Slack builder, to the configured digest channel)."""

    def __init__(self):
        super().__init__("slack")
        self.scans: list[str | None] = []
        self.posts: list[tuple[str, dict]] = []
        self.order: list[str] = []
        self.channel: str | None = None
        self.tz = "UTC"
        self.on_post = lambda: None

    def publish_digest(self, digest, *, key):  # noqa: ANN001
        if not self.channel:
            return None
        self.post(self.channel, digest_message(digest, self.tz))
        self.on_post()
        return self.channel

    def targets(self, aws_cfg, *, account=None, region=None):  # noqa: ANN001
        self.scans.append(account)
        self.order.append("scan")
        return []

    def post(self, channel: str, message: dict) -> None:
        self.posts.append((channel, message))
        self.order.append("digest")


@pytest.fixture
def rec():
    return Recorder()


def services(tmp_path, config: str, rec: Recorder | None = None, **kw):
    path = tmp_path / "srm.yml"
    path.write_text(config)
    settings = Settings(srm_db=tmp_path / "srm.db", srm_config=path)
    if rec is not None:
        kw.setdefault("targets", rec.targets)
        kw.setdefault("notifier", rec)
    svc = build_services(settings, **kw)
    if rec is not None:
        rec.channel, rec.tz = svc.config.digest.channel, svc.config.digest.timezone
    return svc


def call(sched, job_id: str):
    """What APScheduler does when the job is due."""
    job = sched.get_job(job_id)
    return job.func(*job.args, **job.kwargs)


# -- jobs --------------------------------------------------------------------------------------
def test_jobs_come_from_config_with_explicit_ids_time_zones_and_run_rules(tmp_path, rec):
    sched = build_scheduler(services(tmp_path, BERLIN, rec))
    try:
        assert not sched.running
        jobs = {j.id: j for j in sched.get_jobs()}
        assert set(jobs) == {"scan:prod", "digest", "sweep", "catch-up"}
        for job_id in ("scan:prod", "digest"):
            job = jobs[job_id]
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
            assert str(job.trigger.timezone) == "Europe/Berlin"
        assert jobs["sweep"].trigger.interval == timedelta(minutes=1)
        assert (jobs["sweep"].max_instances, jobs["sweep"].misfire_grace_time) == (1, 50)
        assert jobs["catch-up"].misfire_grace_time is None  # runs however late the scheduler starts
    finally:
        sched.shutdown()


@pytest.mark.parametrize("schedule, error", [
    ({"digest": {"cron": "0 25 * * *"}}, "cron: '0 25 * * *'"),
    ({"digest": {"timezone": "Europe/Nowhere"}}, "unknown time zone 'Europe/Nowhere'"),
    ({"schedule": {"scans": [{"cron": "0 * * * *"}, {"cron": "30 * * * *"}]}}, "give each an `id`"),
])
def test_bad_schedules_are_config_errors(schedule, error):
    with pytest.raises(ValueError, match=error.replace("*", r"\*")):
        SrmConfig(**schedule)


def test_scan_job_ids_per_account_and_by_explicit_id():
    cfg = SrmConfig(schedule={"scans": [{"accounts": ["prod", "dev"]}, {"id": "nightly", "cron": "0 2 * * *"}]})
    assert [(s.id, s.account) for s in job_specs(cfg)] == [
        ("scan:prod", "prod"), ("scan:dev", "dev"), ("scan:nightly", None), ("digest", None)]


# -- time zones and DST ------------------------------------------------------------------------
@pytest.mark.parametrize("start, expected", [
    ("2024-03-29 12:00", ["2024-03-30 08:00", "2024-03-31 07:00", "2024-04-01 07:00"]),  # CET -> CEST
    ("2024-10-25 12:00", ["2024-10-26 07:00", "2024-10-27 08:00", "2024-10-28 08:00"]),  # CEST -> CET
])
def test_a_0900_local_digest_follows_the_clock_change(tmp_path, rec, start, expected):
    with freeze_time(start):
        sched = build_scheduler(services(tmp_path, BERLIN, rec))
        assert upcoming(sched.get_job("digest").trigger, datetime.now(UTC), 3) == [utc(t) for t in expected]
        sched.shutdown()


def test_the_digest_runs_at_0900_local_after_spring_forward_and_not_again_an_hour_later(tmp_path, rec):
    with freeze_time("2024-03-31 07:00:02") as frozen:  # 09:00:02 CEST
        sched = build_scheduler(services(tmp_path, BERLIN, rec))
        assert call(sched, "digest") == "ok"
        frozen.move_to("2024-03-31 08:00:02")  # 09:00 in winter time: not a slot any more
        assert call(sched, "digest") is None
        sched.shutdown()
    [(channel, message)] = rec.posts
    assert channel == "C0DIGEST" and "09:00 CEST" in message["blocks"][-1]["elements"][0]["text"]
    assert [s["key"] for s in sched.services.store.slots("digest")] == ["digest:2024-03-31T07:00:00Z"]


def test_a_0230_job_runs_once_on_both_clock_change_days(tmp_path, rec):
    svc = services(tmp_path, BERLIN, rec)
    [scan] = [s for s in job_specs(svc.config) if s.kind == "scan"]
    # spring: 02:30 does not exist on 31 March; it runs once, at 01:30 UTC (= 03:30 CEST)
    assert fire_times(scan.trigger, utc("2024-03-30 12:00"), utc("2024-04-01 12:00")) == [
        utc("2024-03-31 01:30"), utc("2024-04-01 00:30")]
    # autumn: 02:30 happens twice on 27 October; only the first runs
    assert fire_times(scan.trigger, utc("2024-10-26 12:00"), utc("2024-10-28 12:00")) == [
        utc("2024-10-27 00:30"), utc("2024-10-28 01:30")]
    sched = build_scheduler(svc)
    with freeze_time("2024-03-31 01:30:01"):
        assert call(sched, "scan:prod") == "ok"
    with freeze_time("2024-10-27 00:30:01"):
        assert call(sched, "scan:prod") == "ok"
    with freeze_time("2024-10-27 01:30:01"):  # APScheduler fires again at the repeated 02:30
        assert call(sched, "scan:prod") is None
    sched.shutdown()
    assert rec.scans == ["prod", "prod"]
    assert [s["key"] for s in svc.store.slots("scan:prod")] == [
        "scan:prod:2024-10-27T00:30:00Z", "scan:prod:2024-03-31T01:30:00Z"]


# -- restarts and catch-up ---------------------------------------------------------------------
def test_a_digest_missed_while_down_is_posted_once_across_restarts(tmp_path, rec):
    config = 'digest: {channel: C0DIGEST, cron: "0 9 * * *", timezone: Europe/Berlin}\n'
    with freeze_time("2024-03-28 07:30:00") as frozen:  # 08:30 CET
        first = build_scheduler(services(tmp_path, config, rec))
        assert first.catch_up() == {}  # yesterday's 09:00 is beyond the 6 h grace
        first.shutdown()
        frozen.move_to("2024-03-28 10:00:00")  # down through 09:00 CET (08:00 UTC)
        second = build_scheduler(services(tmp_path, config, rec))  # a new process, same database
        assert second.catch_up() == {"digest:2024-03-28T08:00:00Z": "ok"}
        second.shutdown()
        third = build_scheduler(services(tmp_path, config, rec))
        assert third.catch_up() == {}
        third.shutdown()
    assert len(rec.posts) == 1
    [slot] = third.services.store.slots("digest")
    assert (slot["catch_up"], slot["outcome"], slot["detail"]) == (True, "ok", "posted to slack:C0DIGEST")
    assert third.services.store.last_digest_at() == utc("2024-03-28 10:00")


def test_catch_up_runs_only_the_latest_missed_slot_within_the_grace_scans_first(tmp_path, rec):
    svc = services(tmp_path, HOURLY, rec)
    assert run_catch_up(svc, utc("2024-05-01 11:20")) == {
        "scan:all:2024-05-01T11:00:00Z": "ok", "digest:2024-05-01T09:00:00Z": "ok"}
    assert rec.order == ["scan", "digest"]  # five hourly slots missed: one scan
    assert run_catch_up(svc, utc("2024-05-01 11:50")) == {}
    assert run_catch_up(svc, utc("2024-05-01 20:10")) == {"scan:all:2024-05-01T20:00:00Z": "ok"}
    assert rec.order == ["scan", "digest", "scan"]  # 09:00 is 11 h back: beyond the grace


def test_a_slot_run_on_time_is_not_caught_up_after_a_restart(tmp_path, rec):
    svc = services(tmp_path, HOURLY, rec)
    [scan, digest] = job_specs(svc.config)
    assert run_job(svc, digest, now=utc("2024-05-01 09:00:01")) == "ok"
    assert run_job(svc, scan, now=utc("2024-05-01 10:00:00.5")) == "ok"
    assert run_catch_up(services(tmp_path, HOURLY, rec), utc("2024-05-01 10:40")) == {}
    assert (len(rec.posts), rec.scans) == (1, [None])


def test_catch_up_runs_when_the_real_scheduler_starts(tmp_path, rec):
    due = datetime.now(UTC) - timedelta(minutes=1)
    config = f'digest: {{channel: C0DIGEST, cron: "{due.minute} {due.hour} * * *", timezone: UTC}}\n'
    posted = threading.Event()
    rec.on_post = posted.set
    sched = build_scheduler(services(tmp_path, config, rec))
    sched.start()
    try:
        assert posted.wait(10), "the catch-up job did not post the missed digest"
    finally:
        sched.shutdown()
    assert len(rec.posts) == 1 and sched.services.store.slots("digest")[0]["catch_up"] is True


# -- one run at a time, one scheduler per database ---------------------------------------------
def test_a_scan_still_running_is_not_started_again_for_its_next_slot(tmp_path, rec):
    started, release = threading.Event(), threading.Event()

    def slow(aws_cfg, *, account=None, region=None):  # noqa: ANN001
        rec.scans.append(account)
        started.set()
        release.wait(10)
        return []

    svc = services(tmp_path, HOURLY, targets=slow)
    [scan, _] = job_specs(svc.config)
    first = threading.Thread(target=run_slot, args=(svc, scan, utc("2024-05-01 10:00")))
    first.start()
    assert started.wait(10)
    assert run_slot(svc, scan, utc("2024-05-01 11:00")) == "skipped"
    release.set()
    first.join(10)
    assert rec.scans == [None]
    assert [(s["key"], s["outcome"]) for s in svc.store.slots(scan.id)] == [
        ("scan:all:2024-05-01T11:00:00Z", "skipped"), ("scan:all:2024-05-01T10:00:00Z", "ok")]


def test_a_second_scheduler_against_the_same_database_is_refused(tmp_path, rec):
    first = build_scheduler(services(tmp_path, HOURLY, rec))
    with pytest.raises(SchedulerLocked) as refused:
        build_scheduler(services(tmp_path, HOURLY, rec))
    message = str(refused.value)
    assert str(tmp_path / "srm.db") in message and f"pid {os.getpid()}" in message
    assert "only one scheduler may run per database" in message
    first.shutdown()
    build_scheduler(services(tmp_path, HOURLY, rec)).shutdown()  # released by shutdown


def _worker(db: Path, config: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {"SRM_CONFIG": str(config)}
    proc = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "schedule", "run",
                             "--db", str(db)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # noqa: B007 - until the worker says it holds the lock
        if "scheduler running" in line:
            return proc
    raise AssertionError(f"worker exited {proc.wait()}")


def test_the_lock_names_the_holding_process_and_dies_with_it(tmp_path, rec):
    svc = services(tmp_path, 'digest: {cron: "0 0 1 1 *"}\n', rec)
    config = tmp_path / "srm.yml"
    worker = _worker(svc.store.path, config)
    try:
        with pytest.raises(SchedulerLocked, match=f"pid {worker.pid}"):
            build_scheduler(svc)
        r = CliRunner().invoke(main, ["schedule", "run", "--db", str(svc.store.path)], env={"SRM_CONFIG": str(config)})
        assert r.exit_code == 2 and f"another srm scheduler (pid {worker.pid})" in r.stderr
    finally:
        worker.kill()  # no clean-up code runs: the kernel drops the flock
        worker.wait(10)
    build_scheduler(svc).shutdown()
    graceful = _worker(svc.store.path, config)
    graceful.terminate()
    assert graceful.wait(10) == 0


# -- the minute sweep --------------------------------------------------------------------------
class FlakyNotifier(RecordingNotifier):
    down = False

    def post(self, ref, view, event, *, key):  # noqa: ANN001
        if self.down:
            raise ConnectionError("slack is down")
        super().post(ref, view, event, key=key)


def test_the_sweep_job_escalates_past_the_sla_and_retries_failed_posts(tmp_path, rec):
    clock, notifier = Clock("2024-05-01 12:00"), FlakyNotifier()
    svc = services(tmp_path, HOURLY, rec, clock=clock, notifier=notifier)
    svc.incidents.ingest(run_of(finding("key-1", check=KMS)))
    sched = build_scheduler(svc)
    clock.advance(minutes=239)
    assert call(sched, "sweep") == 0
    clock.advance(minutes=2)
    notifier.down = True
    assert call(sched, "sweep") == 1  # escalated; the thread reply failed
    [inc] = svc.store.incidents()
    assert inc.escalation_level == 1 and EventKind.escalated in [e.kind for e in svc.incidents.timeline(inc.id)]
    assert notifier.of("post") == [] and [o.kind.value for o in svc.store.pending_outbox()] == ["post", "refresh"]
    notifier.down = False
    clock.advance(minutes=1)
    assert call(sched, "sweep") == 0
    assert notifier.of("post") == ["Escalated (level 1) to @U02SECOL01: not acknowledged within 4 h"]
    assert svc.store.pending_outbox() == []
    sched.shutdown()


def test_weekdays_mean_what_cron_means_over_a_whole_week():
    """`0 9 * * 1-5` is Monday to Friday (APScheduler's from_crontab ran it Tuesday to Saturday)."""
    from bot.cron import cron_trigger, weekdays

    assert weekdays("1-5") == "mon,tue,wed,thu,fri" and weekdays("0") == weekdays("7") == "sun"
    assert weekdays("*/2") == "tue,thu,sat,sun" and weekdays("sat,sun") == "sat,sun" and weekdays("5-7") == "fri,sat,sun"
    trigger = cron_trigger("0 9 * * 1-5", "UTC")
    with freeze_time("2024-05-05 00:00:00"):  # a Sunday
        runs = fire_times(trigger, utc("2024-05-05 00:00"), utc("2024-05-12 00:00"))
    assert [t.strftime("%a %H:%M") for t in runs] == ["Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00"]
    sundays = fire_times(cron_trigger("30 6 * * 0", "Europe/Berlin"), utc("2024-05-05 00:00"), utc("2024-05-19 00:00"))
    assert [t.strftime("%a %d") for t in sundays] == ["Sun 05", "Sun 12"]
    with pytest.raises(ValueError, match="0-7"):
        weekdays("8")
