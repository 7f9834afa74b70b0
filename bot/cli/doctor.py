"""`srm doctor`: is this installation ready? One line per check, each failure with its fix.

Areas, in order: ``data`` (the same validation as `srm validate`, plus set-up hints),
``database`` (opens, schema version, writable, who holds the scheduler lock), ``slack``
(tokens, auth.test, the bot scopes from the ``X-OAuth-Scopes`` header against
manifest.yml) and ``aws`` (the caller identity, then every account the scanner would
scan: the session it would use, and one read the policy grants).

Doctor changes nothing: the database is opened read-only and a write transaction is
taken and rolled back; the scheduler lock is probed, not kept. Exit codes: 0 every
check ok (warnings allowed), 1 a check failed, 2 usage error. The checks are plain
functions returning :class:`Result` records; the click command only prints them.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from bot.cli import main
from bot.cli.ops import db_option

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.yml"
AREAS = ("data", "database", "slack", "aws")
INSTALL = "README.md, 'Install the Slack app'"
DATA_FIX = "fix the entries named below, then re-run `srm validate`"


class Level(str, Enum):
    ok = "ok"
    warn = "warn"
    fail = "FAIL"


@dataclass(frozen=True)
class Result:
    area: str
    name: str
    level: Level
    message: str
    fix: str = ""
    detail: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level.value, "detail": list(self.detail)}


def ok(area: str, name: str, message: str) -> Result:
    return Result(area, name, Level.ok, message)


def warn(area: str, name: str, message: str, fix: str = "") -> Result:
    return Result(area, name, Level.warn, message, fix)


def fail(area: str, name: str, message: str, fix: str = "", detail: Iterable[str] = ()) -> Result:
    return Result(area, name, Level.fail, message, fix, tuple(detail))


def exit_code(results: Iterable[Result]) -> int:
    return 1 if any(r.level is Level.fail for r in results) else 0


# -- data files --------------------------------------------------------------------------
def check_data_files(settings: Any) -> tuple[list[Result], Any]:
    """The `srm validate` checks, one result per file; returns the loaded srm.yml (None if broken)."""
    from bot.config import load_config
    from bot.datafiles import DataFileError
    from bot.matrix import check_ids_problem, load_matrix, load_services
    from bot.owners import OWNERS_EXAMPLE_PATH, load_owners

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
    from bot.scheduler import SchedulerLock
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
        out.append(_scheduler_lock(SchedulerLock(path).path))
    return out


def _schema(path: Path, latest: int) -> Result:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = 0
            if "schema_version" in tables:
                version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            incidents = conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] if "incidents" in tables else 0
        finally:
            conn.close()
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
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock, then nothing written
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return warn("database", "writable", f"{path}: another process held the write lock over {timeout:g} s",
                        "re-run; if it stays locked, look for a stuck process (fuser on the file)")
        return fail("database", "writable", f"{path}: cannot write: {exc}", f"chown the file and directory to {owner}")
    return ok("database", "writable", f"{path}: a write transaction can start")


def _scheduler_lock(lock: Path) -> Result:
    import fcntl

    if not lock.exists():
        return ok("database", "scheduler", "no scheduler has run against this database yet")
    with open(lock, encoding="utf-8") as fh:
        pid = fh.read().strip() or "unknown"
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except OSError:
            return ok("database", "scheduler", f"running: pid {pid} holds {lock} (one scheduler per database; "
                      "other processes use --no-scheduler)")
    return ok("database", "scheduler", f"none running (lock free; last pid {pid})")


# -- Slack -------------------------------------------------------------------------------
TOKEN_KINDS = {"xoxp-": "a user token", "xapp-": "an app-level token", "xoxe": "a refresh token"}
AUTH_FIXES = {
    "invalid_auth": "the token is mistyped or from another app: copy OAuth & Permissions -> Bot User OAuth Token",
    "not_authed": "the token is empty: copy OAuth & Permissions -> Bot User OAuth Token",
    "token_revoked": "the app was uninstalled or the token revoked: reinstall the app and copy the new token",
    "account_inactive": "the app was uninstalled or the token revoked: reinstall the app and copy the new token",
    "token_expired": "token rotation is on: turn it off (manifest: token_rotation_enabled: false), reinstall",
}


def manifest_scopes(path: Path | str = MANIFEST_PATH) -> list[str] | None:
    """The bot scopes manifest.yml asks for; None when the file is missing or has none."""
    import yaml

    try:
        scopes = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["oauth_config"]["scopes"]["bot"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return None
    return [str(s) for s in scopes] if isinstance(scopes, list) else None


def check_slack(settings: Any, required: list[str] | None, *, manifest: str = "manifest.yml",
                timeout: int = 10) -> list[Result]:
    """The bot token (auth.test), its scopes against ``required`` (None: not compared), the secret or app token."""
    token = settings.slack_bot_token
    if not token:
        out = [fail("slack", "bot token", "SLACK_BOT_TOKEN is not set",
                    f"create and install the app from manifest.yml ({INSTALL}); set SLACK_BOT_TOKEN to its xoxb- "
                    "Bot User OAuth Token")]
    elif not token.startswith("xoxb-"):
        kind = next((f"is {v} ({k}...)" for k, v in TOKEN_KINDS.items() if token.startswith(k)),
                    "does not start with xoxb-")
        out = [fail("slack", "bot token", f"SLACK_BOT_TOKEN {kind}, not a bot token",
                    "use OAuth & Permissions -> Bot User OAuth Token (xoxb-...)")]
    else:
        out = _auth_test(settings, required, manifest, timeout)
    return out + _secret_and_mode(settings, timeout)


def _client(token: str, settings: Any, timeout: int) -> Any:
    from slack_sdk import WebClient

    base = (settings.slack_api_base_url or "https://slack.com/api/").rstrip("/") + "/"
    return WebClient(token=token, base_url=base, timeout=timeout)


def _auth_test(settings: Any, required: list[str] | None, manifest: str, timeout: int) -> list[Result]:
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = _client(settings.slack_bot_token, settings, timeout)
    try:
        resp = client.auth_test()
    except SlackApiError as exc:
        err = exc.response.get("error", "unknown")
        return [fail("slack", "bot token", f"Slack rejected SLACK_BOT_TOKEN (auth.test: {err})",
                     AUTH_FIXES.get(err, "check the token under OAuth & Permissions; reinstall the app"))]
    except (SlackClientError, OSError) as exc:
        return [fail("slack", "bot token", f"cannot reach the Slack Web API at {client.base_url}: {exc}",
                     "check the network / HTTPS_PROXY, and SLACK_API_BASE_URL (unset it for real Slack)")]
    out = [ok("slack", "bot token", f"@{resp.get('user')} (bot user {resp.get('user_id')}) in "
              f"{resp.get('team')} ({resp.get('team_id')}, {resp.get('url')})")]
    header = next((v for k, v in (resp.headers or {}).items() if k.lower() == "x-oauth-scopes"), None)
    if required is None:
        out.append(warn("slack", "scopes", f"{manifest}: not found or no oauth_config.scopes.bot; scopes not "
                        "compared", "pass --manifest PATH (the manifest the app was created from)"))
    elif header is None:
        out.append(warn("slack", "scopes", "Slack did not report the token's scopes (no X-OAuth-Scopes header)",
                        f"compare OAuth & Permissions -> Bot Token Scopes with {manifest}: {', '.join(required)}"))
    else:
        granted = {s.strip() for s in header.split(",") if s.strip()}
        missing, extra = [s for s in required if s not in granted], sorted(granted - set(required))
        if missing:
            out.append(fail("slack", "scopes", f"the token lacks bot scope(s): {', '.join(missing)}",
                            f"add them under oauth_config.scopes.bot in {manifest}, paste it into the app's "
                            "App Manifest page, then reinstall the app (Install App -> Reinstall to Workspace)"))
        elif extra:
            out.append(warn("slack", "scopes", f"scopes the bot does not use: {', '.join(extra)}",
                            "least privilege: remove them from the app (App Manifest) and reinstall"))
        else:
            out.append(ok("slack", "scopes", f"{', '.join(required)} (as {manifest} asks)"))
    return out


def _secret_and_mode(settings: Any, timeout: int) -> list[Result]:
    from slack_sdk.errors import SlackApiError, SlackClientError

    secret, app_token = settings.slack_signing_secret, settings.slack_app_token
    where = "Basic Information -> App Credentials -> Signing Secret"
    if secret is not None and secret != secret.strip().strip("'\""):
        first = fail("slack", "signing secret", "SLACK_SIGNING_SECRET has surrounding spaces or quotes: every "
                     "request would fail signature verification", f"set it to exactly the value of {where}")
    elif not secret:
        first = ok("slack", "signing secret", "not set: not needed in Socket Mode") if app_token else fail(
            "slack", "signing secret", "SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it)",
            f"set it from {where}, or run in Socket Mode with SLACK_APP_TOKEN")
    elif len(secret) != 32 or any(c not in "0123456789abcdef" for c in secret):
        first = warn("slack", "signing secret", "does not look like a signing secret (32 hex characters)",
                     f"use {where}, not the Client Secret or the Verification Token")
    else:
        first = ok("slack", "signing secret", "set (32 hex characters)")
    if not app_token:
        return [first, ok("slack", "mode", "HTTP: Slack posts to https://<your host>/slack/events")]
    if not app_token.startswith("xapp-"):
        return [first, fail("slack", "app token", "SLACK_APP_TOKEN is not an app-level token (xapp-)",
                            "Basic Information -> App-Level Tokens -> one with connections:write; or unset it "
                            "for HTTP mode")]
    try:
        _client(app_token, settings, timeout).apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        return [first, fail("slack", "app token", f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')})",
                            "turn Socket Mode on for the app and generate an app-level token with connections:write")]
    except (SlackClientError, OSError) as exc:
        return [first, fail("slack", "app token", f"cannot reach Slack: {exc}", "check the network / HTTPS_PROXY")]
    return [first, ok("slack", "app token", "Socket Mode: SLACK_APP_TOKEN can open a connection")]


# -- AWS ---------------------------------------------------------------------------------
ROLE_FIX = ("the caller needs sts:AssumeRole on that role ARN, and the role's trust policy must trust the caller "
            "(with the ExternalId, if set); README.md, 'AWS set-up'")
CREDS_FIX = ("give srm credentials: an instance profile / ECS task role / IRSA, or AWS_PROFILE, or "
             "AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY")
PROFILE_FIX = "define that profile in the AWS config file (AWS_CONFIG_FILE, ~/.aws/config) or fix `profile:`"
POLICY_FIX = "attach the policy `srm iam-policy` prints to the role it reads with (README.md, 'AWS set-up')"


def check_aws(aws_cfg: Any, *, session_factory: Callable[..., Any] | None = None) -> list[Result]:
    """The caller identity, then each scan target: the session the scanner would use, and one read."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from checks.accounts import TargetError, home_region, resolve_targets
    from checks.inventory.core import FetchError, error_code_of

    factory = session_factory or boto3.Session
    quick = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=10)
    regions = aws_cfg.regions if isinstance(aws_cfg.regions, list) else None
    home = home_region(regions[0] if regions else None)
    configured = bool(aws_cfg.accounts) or aws_cfg.organizations.enabled
    try:
        ident = factory(region_name=home).client("sts", region_name=home, config=quick).get_caller_identity()
        out = [ok("aws", "identity", f"{ident['Arn']} (account {ident['Account']}, home region {home})")]
    except (ClientError, BotoCoreError) as exc:
        code, msg = error_code_of(exc)
        needed = not configured or any(not a.profile for a in aws_cfg.accounts) or (
            aws_cfg.organizations.enabled and not aws_cfg.organizations.profile)
        out = [(fail if needed else warn)("aws", "identity", f"default credential chain: {code}: {msg}", CREDS_FIX)]
        if not configured:
            return out  # the one target would be these same credentials
    try:
        targets = resolve_targets(aws_cfg, session_factory=factory)
    except TargetError as exc:
        fix = ("the identity needs organizations:ListAccounts in the management or delegated-admin account "
               "(organizations.profile)" if aws_cfg.organizations.enabled else CREDS_FIX)
        return out + [fail("aws", "accounts", str(exc), fix)]

    def probe(t: Any) -> Result:
        name, region = f"account {t.name}", t.regions[0]
        how = (lambda svc: t.client_factory(svc, region)) if t.client_factory else (
            lambda svc: t.session.client(svc, region_name=region, config=quick))
        try:
            arn = how("sts").get_caller_identity()
        except (ClientError, BotoCoreError, FetchError) as exc:  # FetchError: a target we could not get into
            code, msg = error_code_of(exc)
            fix = ROLE_FIX if "cannot assume" in msg else PROFILE_FIX if "profile" in msg else CREDS_FIX
            return fail("aws", name, f"{code}: {msg}", fix)
        if arn["Account"] != t.account_id:
            return fail("aws", name, f"the credentials reach account {arn['Account']}, srm.yml says {t.account_id}",
                        "fix account_id or the profile / role of this account in srm.yml")
        try:
            how("ec2").describe_regions(RegionNames=[region])
        except (ClientError, BotoCoreError) as exc:
            code, msg = error_code_of(exc)
            return fail("aws", name, f"in as {arn['Arn']}, but ec2:DescribeRegions in {region}: {code}: {msg}",
                        POLICY_FIX if code in ("AccessDenied", "UnauthorizedOperation") else
                        "check the region is enabled for the account (or remove it from srm.yml)")
        where = ", ".join(t.regions) if len(t.regions) <= 4 else f"{len(t.regions)} regions"
        return ok("aws", name, f"{t.account_id} as {arn['Arn']}; {where}")

    workers = max(1, min(aws_cfg.max_workers, len(targets)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return out + list(pool.map(probe, targets))


# -- all of it ---------------------------------------------------------------------------
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


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--skip", type=click.Choice(AREAS), multiple=True, help="Do not check this area (repeatable).")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=MANIFEST_PATH,
              show_default="manifest.yml next to the code", help="The Slack app manifest the scopes must match.")
@db_option
def doctor_cmd(as_json: bool, skip: tuple[str, ...], manifest: Path, db: Path | None) -> None:
    """Check the set-up: data files, database, Slack tokens and scopes, AWS access. Exit 1 if a check fails."""
    results = run_doctor(db=db, skip=skip, manifest=manifest)
    if as_json:
        click.echo(json.dumps({"ok": exit_code(results) == 0, "checks": [r.as_dict() for r in results]}, indent=2))
    else:
        click.echo(render(results))
    sys.exit(exit_code(results))
