"""Is this installation ready? (`srm doctor`) One line per check, each failure with its fix.

Areas, in order: ``data`` (the same validation as `srm validate`, plus set-up hints),
``database`` (opens, schema version, writable, who holds the scheduler lock), ``slack``
(tokens, auth.test, the bot scopes from the ``X-OAuth-Scopes`` header against
manifest.yml) and ``aws`` (the caller identity, then every account the scanner would
scan: the session it would use, and one read the policy grants).

Doctor changes nothing: the database is opened read-only and a write transaction is
taken and rolled back; the scheduler lock is probed, not kept. Exit codes: 0 every
check ok (warnings allowed), 1 a check failed, 2 usage error. The checks are plain
functions returning :class:`Result` records; `bot/cli/doctor.py` only prints them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import click

from bot.doctor.local import check_data_files, check_database
from bot.doctor.remote import check_aws, check_slack, manifest_scopes
from bot.doctor.results import AREAS, DATA_FIX, MANIFEST_PATH, Level, Result, exit_code, fail, warn

__all__ = ["AREAS", "MANIFEST_PATH", "Level", "Result", "check_aws", "check_data_files", "check_database",
           "check_slack", "exit_code", "manifest_scopes", "render", "run_doctor"]


def run_doctor(*, db: Path | None = None, skip: Iterable[str] = (), manifest: Path | str = MANIFEST_PATH,
               session_factory: Callable[..., Any] | None = None) -> list[Result]:
    from pydantic import ValidationError

    from bot.config import Settings, load_config
    from bot.datafiles import DataFileError

    try:
        settings = Settings(srm_db=db) if db else Settings()
    except ValidationError as exc:
        return [fail("data", "environment", f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}",
                     "fix or unset that environment variable") for e in exc.errors()]
    skip = set(skip)
    out, config = check_data_files(settings) if "data" not in skip else ([], None)
    if "database" not in skip:
        out += check_database(settings.srm_db)
    if "slack" not in skip:
        out += check_slack(settings, manifest_scopes(manifest), manifest=Path(manifest).name)
    if "aws" not in skip:
        if config is None and "data" in skip:
            try:
                config = load_config(settings.srm_config)
            except DataFileError:
                pass
        out += check_aws(config.aws, session_factory=session_factory) if config else [
            warn("aws", "accounts", "not checked: srm.yml does not load (`srm validate` says why)", DATA_FIX)]
    return out


def render(results: list[Result]) -> str:
    colour = {Level.ok: "green", Level.warn: "yellow", Level.fail: "red"}
    width = max((len(r.name) for r in results), default=0)
    lines = []
    for r in results:
        lines.append(f"{click.style(f'{r.level.value:5}', fg=colour[r.level], bold=True)} {r.area:9} "
                     f"{r.name:{width}}  {r.message}")
        pad = " " * (18 + width)
        lines += [f"{pad}- {d}" for d in r.detail]
        if r.fix and r.level is not Level.ok:
            lines.append(f"{pad}fix: {r.fix}")
    counts = {lvl: sum(r.level is lvl for r in results) for lvl in Level}
    lines.append(f"{counts[Level.ok]} ok, {counts[Level.warn]} warning(s), {counts[Level.fail]} failed")
    return "\n".join(lines)
