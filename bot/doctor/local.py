"""Doctor's local checks: the data files and the database."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Callable

from bot.doctor.results import DATA_FIX, Level, Result, fail, ok, warn
from bot.scheduler import SchedulerLock, SchedulerLocked
from bot.store.inspect import file_health, probe_write_lock


# -- data files --------------------------------------------------------------------------
def check_data_files(settings: Any) -> tuple[list[Result], Any]:
    """The `srm validate` checks, one result per file; returns the loaded srm.yml (None if broken)."""
    from bot.config import load_config
    from bot.datafiles import DataFileError
    from bot.matrix import check_ids_problem, load_matrix, load_services
    from bot.owners import OWNERS_EXAMPLE_PATH, load_owners
    from bot.tasks import load_checked_tasks
    from checks.registry import load_all

    out: list[Result] = []
    loaded: dict[str, Any] = {}
    steps: list[tuple[str, Any, Callable[[], Any], Callable[[Any], str]]] = [
        ("matrix", settings.srm_matrix, lambda: load_matrix(settings.srm_matrix),
         lambda m: f"{len(m.aspects)} aspects"),
        ("services", settings.srm_services, lambda: load_services(settings.srm_services),
         lambda s: f"{len(s.services)} services"),
        ("owners", settings.srm_owners, lambda: load_owners(
            settings.srm_owners, aspect_ids=loaded["matrix"].ids if "matrix" in loaded else None),
         lambda o: f"{len(o.teams)} teams, default {o.default_team}"),
        ("tasks", settings.srm_tasks, lambda: load_checked_tasks(
            settings.srm_tasks, loaded.get("matrix"), loaded.get("services"), load_all()),
         lambda c: f"{len(c.by_service)} services, {sum(len(st.tasks) for st in c.by_service.values())} tasks"),
        ("config", settings.srm_config, lambda: load_config(settings.srm_config), _config_summary),
    ]
    for name, path, load, summary in steps:
        try:
            loaded[name] = load()
            if name == "matrix":
                check_ids_problem(loaded[name], path)
            problems = []
        except DataFileError as exc:
            problems = [exc]
        out += [fail("data", name, f"{p.path}: {len(p.problems)} problem(s)", DATA_FIX, p.problems) for p in problems]
        if not problems:
            out.append(ok("data", name, f"{path or 'no SRM_CONFIG: embedded defaults'} ({summary(loaded[name])})"))
    if Path(settings.srm_owners).resolve() == OWNERS_EXAMPLE_PATH.resolve():
        out.append(warn("data", "owners", "SRM_OWNERS is not set: the example owners file (made-up Slack ids)",
                        "copy data/owners.example.yml, put your teams' member ids in it, set SRM_OWNERS to it"))
    config = loaded.get("config")
    if config is not None:
        out += _channel_hints(config, loaded.get("owners"))
    return out, config


def _config_summary(cfg: Any) -> str:
    org = ", Organizations" if cfg.aws.organizations.enabled else ""
    return f"{len(cfg.aws.accounts)} account(s){org}, {len(cfg.schedule.scans)} scheduled scan(s)"


def _channel_hints(cfg: Any, owners: Any) -> list[Result]:
    out = []
    homeless = [t.id for t in owners.teams if not t.channel] if owners else []
    if not cfg.incidents.channel and homeless:
        out.append(warn("data", "incidents.channel", f"not set and team(s) {', '.join(homeless)} have no channel: "
                        "their incidents cannot be posted",
                        "set incidents.channel in srm.yml to a channel id (C...) and invite the bot there"))
    if not cfg.digest.channel:
        out.append(warn("data", "digest.channel", "not set: the scheduled digest is logged, not posted",
                        "set digest.channel in srm.yml to a channel id (C...) and invite the bot there"))
    return out


# -- database ----------------------------------------------------------------------------
def check_database(path: Path | str, *, lock_timeout: float = 2.0) -> list[Result]:
    from bot.store import MIGRATIONS

    path, latest = Path(path), MIGRATIONS[-1][0]
    owner = f"the user srm runs as (uid {os.getuid()})"
    if path.is_dir():
        return [fail("database", "file", f"{path} is a directory", "point SRM_DB (or --db) at a file")]
    parent = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("/"))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return [fail("database", "file", f"cannot create {path}: {parent} is not a writable directory",
                     f"make {parent} writable by {owner}, or point SRM_DB elsewhere")]
    if not path.exists():
        return [ok("database", "file", f"{path} does not exist yet: created (schema {latest}) on first use")]
    if not os.access(path, os.R_OK):
        return [fail("database", "file", f"{path} is not readable", f"chown it (and its directory) to {owner}")]
    out = [_schema(path, latest)]
    if out[0].level is not Level.fail:
        out.append(_writable(path, owner, lock_timeout))
        out.append(_scheduler_lock(SchedulerLock(path)))
    return out


def _schema(path: Path, latest: int) -> Result:
    try:
        health = file_health(path)
        check, version, incidents = health.quick_check, health.schema_version, health.incidents
    except sqlite3.DatabaseError as exc:
        return fail("database", "schema", f"{path} cannot be read as SQLite: {exc}",
                    "is SRM_DB the right file? If so, stop srm and restore the last backup (docs/operations.md)")
    if check != "ok":
        return fail("database", "schema", f"{path} is damaged (quick_check: {check})",
                    "stop srm, restore the last backup (docs/operations.md)")
    if version > latest:
        return fail("database", "schema", f"schema version {version} is newer than this srm-bot ({latest})",
                    "run the srm-bot version that wrote it, or restore the backup made before the upgrade")
    if version < latest:
        return warn("database", "schema", f"schema version {version}, this srm-bot has {latest}: "
                    "migrated on the next start", "back up the file first (docs/operations.md)")
    return ok("database", "schema", f"{path}: schema version {version} (current), {incidents} incident(s)")


def _writable(path: Path, owner: str, timeout: float) -> Result:
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return fail("database", "writable", f"{path} or its directory is not writable",
                    f"chown both to {owner} (the container runs as uid 10001)")
    try:
        probe_write_lock(path, timeout)  # the write lock, then nothing written
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return warn("database", "writable", f"{path}: another process held the write lock over {timeout:g} s",
                        "re-run; if it stays locked, look for a stuck process (fuser on the file)")
        return fail("database", "writable", f"{path}: cannot write: {exc}", f"chown the file and directory to {owner}")
    return ok("database", "writable", f"{path}: a write transaction can start")


def _scheduler_lock(lock: SchedulerLock) -> Result:
    """Probe the scheduler's lock without keeping it."""
    if not lock.path.exists():
        return ok("database", "scheduler", "no scheduler has run against this database yet")
    try:
        pid = lock.pid_path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        pid = "unknown"
    try:
        lock.acquire(record_pid=False)
    except SchedulerLocked:
        return ok("database", "scheduler", f"running: pid {pid} holds {lock.path} (one scheduler per database; "
                  "other processes use --no-scheduler)")
    lock.release()
    return ok("database", "scheduler", f"none running (lock free; last pid {pid})")
