"""Settings from the environment (pydantic-settings) and the optional YAML config file.

Environment (all optional, defaults in brackets):
  SRM_CONFIG            path to srm.yml (accounts, regions, schedules)   [none: embedded defaults]
  SRM_DB                SQLite file                                     [./var/srm.db]
  SRM_OWNERS            owners file                                     [data/owners.example.yml]
  SRM_MATRIX            matrix file                                     [data/matrix.yml]
  SRM_SERVICES          services file                                   [data/services.yml]
  SRM_TIMEZONE          time zone used to show times                    [UTC]
  SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_BASE_URL
  SRM_PORT              HTTP port for `srm serve`                       [3000]
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.cron import cron_trigger
from bot.datafiles import load_yaml_model
from bot.matrix import MATRIX_PATH, SERVICES_PATH
from bot.owners import OWNERS_EXAMPLE_PATH
from bot.tasks import TASKS_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    srm_config: Path | None = None
    srm_db: Path = Path("var/srm.db")
    srm_owners: Path = OWNERS_EXAMPLE_PATH
    srm_matrix: Path = MATRIX_PATH
    srm_services: Path = SERVICES_PATH
    srm_tasks: Path = TASKS_DIR
    srm_timezone: str = "UTC"
    srm_port: int = 3000
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_base_url: str | None = None
    slack_response_url_hosts: str | None = None  # extra host[:port]s response URLs may point at (an emulator)
    srm_smtp_password: str | None = None


# -- srm.yml -------------------------------------------------------------------------
class AccountConfig(BaseModel, extra="forbid"):
    name: str
    account_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    profile: str | None = None
    assume_role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id: str | None = None
    regions: list[str] | None = None  # overrides aws.regions for this account


class OrganizationsConfig(BaseModel, extra="forbid"):
    enabled: bool = False
    role_name: str = "srm-bot-readonly"
    external_id: str | None = None
    profile: str | None = None  # credentials of the management/delegated-admin account
    exclude: list[str] = Field(default_factory=list)  # account ids to skip


class AwsConfig(BaseModel, extra="forbid"):
    accounts: list[AccountConfig] = Field(default_factory=list)
    organizations: OrganizationsConfig = Field(default_factory=OrganizationsConfig)
    regions: list[str] | Literal["all"] = Field(default_factory=list)  # [] -> --region / AWS_DEFAULT_REGION
    max_workers: int = Field(default=8, ge=1, le=64)  # units at once (local executor)
    # worker processes a large local scan (100+ units, 2+ accounts) is spread over: 1 (default) = this process only,
    # 0 = one per CPU (at most 8); each worker adds ~130 MiB (docs/scaling.md)
    processes: int = Field(default=1, ge=0, le=64)
    # a check / a unit (account, region, service) past this many seconds stops before its next AWS call and
    # is reported as ERROR Timeout; null: no limit
    check_timeout_s: float | None = Field(default=300, gt=0)
    unit_timeout_s: float | None = Field(default=1200, gt=0)
    executor: Literal["local", "queue"] = "local"  # queue: units on Dramatiq workers through Redis
    queue_url: str = "redis://127.0.0.1:6379/0"

    @model_validator(mode="after")
    def _unique_names(self) -> "AwsConfig":
        names = [a.name for a in self.accounts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"accounts: duplicate account name(s) {dupes}")
        return self


class IncidentsConfig(BaseModel, extra="forbid"):
    channel: str | None = None  # default Slack channel for incident threads (a team's own `channel` wins)
    security_channel: str | None = None  # critical incidents are also announced here
    # baseline on first contact: a target's (account + region) existing failures become a per-team backlog;
    # only findings at or above `baseline_open_at` open threads at once (docs/incidents.md)
    baseline: bool = True
    baseline_open_at: Literal["critical", "high", "medium", "low"] = "critical"
    # pacing of posts per Slack channel (Slack allows about 1 message per second per channel)
    posts_per_second: float = Field(default=1.0, gt=0, le=50)
    post_burst: int = Field(default=3, ge=1, le=50)
    sla_minutes: dict[str, int] = Field(
        default_factory=lambda: {"critical": 15, "high": 60, "medium": 240, "low": 1440})
    snooze_choices_hours: list[int] = Field(default_factory=lambda: [1, 24, 168])


def _valid_cron(cron: str, tz: str) -> None:
    """A bad cron expression or time zone is a config error, found at load time (docs/scheduling.md)."""
    from zoneinfo import ZoneInfoNotFoundError

    try:
        cron_trigger(cron, tz)
    except ZoneInfoNotFoundError:
        raise ValueError(f"timezone: unknown time zone {tz!r} (e.g. Europe/Berlin)") from None
    except ValueError as exc:
        raise ValueError(f"cron: {cron!r}: {exc} (5 fields: minute hour day month weekday)") from None


class DigestConfig(BaseModel, extra="forbid"):
    channel: str | None = None
    cron: str = "0 9 * * 1-5"
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _cron(self) -> "DigestConfig":
        _valid_cron(self.cron, self.timezone)
        return self


class ScanScheduleConfig(BaseModel, extra="forbid"):
    cron: str = "0 */6 * * *"
    timezone: str = "UTC"
    accounts: list[str] | None = None  # None: every configured account
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")  # job id "scan:<id>[:<account>]"
    checks: list[str] | None = None  # None: every registered check

    @model_validator(mode="after")
    def _cron(self) -> "ScanScheduleConfig":
        _valid_cron(self.cron, self.timezone)
        return self

    def job_ids(self) -> list[tuple[str, str | None]]:
        """(job id, account) per scheduler job: one per listed account, or one for all accounts."""
        if self.accounts is None:
            return [(f"scan:{self.id or 'all'}", None)]
        prefix = f"scan:{self.id}:" if self.id else "scan:"
        return [(prefix + account, account) for account in self.accounts]


class ScheduleConfig(BaseModel, extra="forbid"):
    scans: list[ScanScheduleConfig] = Field(default_factory=list)
    catch_up_grace_hours: float = Field(default=6.0, ge=0)

    @model_validator(mode="after")
    def _unique_job_ids(self) -> "ScheduleConfig":
        ids = [job_id for scan in self.scans for job_id, _ in scan.job_ids()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"scans: several entries make the job id(s) {dupes}; give each an `id`")
        return self


class NotifyConfig(BaseModel, extra="forbid"):
    # the notifier lanes incident conversations and digests go to; None: slack, plus email when configured
    lanes: list[Literal["slack", "email"]] | None = None


class EmailConfig(BaseModel, extra="forbid"):
    """The e-mail lane (docs/configuration.md): one thread per incident, replies for its events."""

    smtp_host: str
    smtp_port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None  # the password comes from SRM_SMTP_PASSWORD, never from the file
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(default_factory=list)  # always copied; each team's `email` is added
    digest_to: list[str] = Field(default_factory=list)
    subject_prefix: str = "[srm]"
    timeout_s: float = Field(default=10.0, gt=0)


class SecurityHubConfig(BaseModel, extra="forbid"):
    """Opt-in push of findings to AWS Security Hub (docs/operations.md, `srm securityhub push`)."""
    push_after_scan: bool = False  # `srm scan` pushes its run when true
    home_region: str | None = None  # hub for account-wide findings [first of aws.regions, else AWS_DEFAULT_REGION]


class SrmConfig(BaseModel, extra="forbid"):
    version: int = 1
    aws: AwsConfig = Field(default_factory=AwsConfig)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    securityhub: SecurityHubConfig = Field(default_factory=SecurityHubConfig)
    # per-check settings: {check_id: {setting: value}}; names and types are each check's declared
    # CheckMeta.settings (docs/configuration.md), checked by check_settings_problems at load time
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    email: EmailConfig | None = None

    def notify_lanes(self) -> list[str]:
        if self.notify.lanes is not None:
            return list(self.notify.lanes)
        return ["slack"] + (["email"] if self.email is not None else [])

    @model_validator(mode="after")
    def _check_settings(self) -> "SrmConfig":
        if "email" in self.notify_lanes() and self.email is None:
            raise ValueError("notify.lanes: `email` needs an `email:` section (smtp_host, sender)")
        problems = check_settings_problems(self.checks)
        if problems:
            raise ValueError("checks: " + "; ".join(problems))
        return self


def check_settings_problems(values: dict[str, dict[str, Any]]) -> list[str]:
    """Unknown check ids, unknown setting names and wrong types in srm.yml's ``checks:``."""
    from checks.base import setting_problems
    from checks.registry import load_all

    registry = load_all()
    problems: list[str] = []
    for check_id, settings in values.items():
        check = registry.get(check_id)
        if check is None:
            problems.append(f"unknown check id {check_id!r}")
            continue
        problems.extend(setting_problems(check.meta, settings))
    return problems


def load_config(path: Path | str | None) -> SrmConfig:
    """The YAML config, or embedded defaults when no path is given."""
    if path is None:
        return SrmConfig()
    return load_yaml_model(Path(path), SrmConfig)
