"""Turn the ``aws:`` part of the config into scan targets (one per account).

Duck-typed on purpose: ``checks/`` never imports ``bot/``, so ``aws_cfg`` is any
object shaped like ``bot.config.AwsConfig`` (``accounts``, ``organizations``,
``regions``, ``max_workers``) or None for "just use my credentials".

Ways to reach an account, in the order they are tried per configured account:
  * ``profile``          -> a session with ``profile_name=...``
  * ``assume_role_arn``  -> ``sts:AssumeRole`` (RoleSessionName "srm-bot", optional
    ``external_id``) from the profile's session or the default credential chain
  * neither              -> the default credential chain
Organizations mode lists the ACTIVE member accounts (minus ``exclude``) and assumes
``arn:{partition}:iam::{id}:role/{role_name}`` in each.

An account reached through a role is connected lazily: the runner assumes the role when the
account's first unit starts and drops the session after its last, so a large organization is
never held in memory at once. A single account we cannot get into never sinks the scan: its
``connect`` raises :class:`FetchError` with the AWS error code and the role, so the runner
reports one ERROR per check for it and names the account once in ``RunSummary.unreachable``.
When nothing at all can be reached (no credentials, Organizations listing refused)
:class:`TargetError` is raised instead.

We never pass ``endpoint_url``: boto3 honours ``AWS_ENDPOINT_URL`` by itself.
"""
from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from checks.inventory.core import RETRY_CONFIG, FetchError, error_code_of, new_session, paginate
from checks.runner import Target

ROLE_SESSION_NAME = "srm-bot"
DEFAULT_REGION = "us-east-1"

# The calls the scanner makes itself, outside any check. sts:AssumeRole belongs to
# the scanner's own identity; the others to whatever it reads with.
SCANNER_IAM_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeRegions",
    "organizations:ListAccounts",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
)

SessionFactory = Callable[..., Any]


class TargetError(Exception):
    """No account can be scanned at all (bad credentials, Organizations refused)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class _Plan:
    """How to reach one account, before any credentials are fetched."""

    name: str
    account_id: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    regions: list[str] | str | None = None  # None: the config-wide setting
    partition: str = "aws"
    source: Any = None  # a ready session to assume the role from (Organizations)
    source_profile: str | None = None  # the profile ``source`` was made from (for worker processes)


def _account_of_arn(arn: str) -> str:
    return arn.split(":")[4]


def _partition_of_arn(arn: str) -> str:
    return arn.split(":")[1] if arn.startswith("arn:") else "aws"


def home_region(region: str | None = None) -> str:
    return region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION


def resolve_targets(
    aws_cfg: Any = None,
    *,
    account: str | None = None,
    region: str | None = None,
    session_factory: SessionFactory = new_session,
) -> list[Target]:
    """The accounts (and their regions) to scan.

    ``account`` keeps only the account with that name or id (ValueError naming the
    choices when none matches); ``region`` overrides every configured region list.
    """
    cfg_regions = getattr(aws_cfg, "regions", None) or None
    home = home_region(region or (cfg_regions[0] if isinstance(cfg_regions, list) else None))
    org = getattr(aws_cfg, "organizations", None)
    plans = [
        _Plan(name=a.name, profile=a.profile, role_arn=a.assume_role_arn, external_id=a.external_id,
              account_id=_account_of_arn(a.assume_role_arn) if a.assume_role_arn else getattr(a, "account_id", None),
              regions=getattr(a, "regions", None))
        for a in (getattr(aws_cfg, "accounts", None) or [])
    ]
    if org is not None and getattr(org, "enabled", False):
        known = {p.account_id for p in plans if p.account_id}
        members = _organization_plans(org, home, session_factory)
        if not members:
            raise TargetError("NoAccounts", "Organizations lists no ACTIVE account to scan (after exclude)")
        plans += [p for p in members if p.account_id not in known]
    if not plans:  # nothing configured: the default credential chain, one account
        target = _realise(_Plan(name="default"), home, region, cfg_regions, session_factory, fatal=True)
        if account is not None and account not in (target.name, target.account_id):
            raise ValueError(f"unknown account {account!r}; choose one of: default ({target.account_id})")
        return [target]
    if account is not None:
        plans = [p for p in plans if account in (p.name, p.account_id)] or _unknown(account, plans)

    workers = max(1, min(int(getattr(aws_cfg, "max_workers", 8) or 8), len(plans)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: _realise(p, home, region, cfg_regions, session_factory), plans))


def _unknown(account: str, plans: list[_Plan]) -> list[_Plan]:
    names = ", ".join(sorted(f"{p.name} ({p.account_id})" if p.account_id and p.account_id != p.name
                             else p.name for p in plans))
    raise ValueError(f"unknown account {account!r}; choose one of: {names}")


def _organization_plans(org: Any, home: str, session_factory: SessionFactory) -> list[_Plan]:
    try:
        source = session_factory(profile_name=org.profile, region_name=home) if org.profile \
            else session_factory(region_name=home)
        client = source.client("organizations", region_name=home, config=RETRY_CONFIG)
        listed = paginate(client, "list_accounts", "Accounts")
    except (ClientError, BotoCoreError) as exc:
        code, msg = error_code_of(exc)
        raise TargetError(code, f"cannot list Organizations accounts: {msg}") from None
    exclude = set(org.exclude or [])
    out = []
    for acct in sorted(listed, key=lambda a: a["Id"]):
        if acct.get("Status") != "ACTIVE" or acct["Id"] in exclude:
            continue
        partition = _partition_of_arn(acct.get("Arn", ""))
        out.append(_Plan(
            name=acct.get("Name") or acct["Id"], account_id=acct["Id"], partition=partition,
            role_arn=f"arn:{partition}:iam::{acct['Id']}:role/{org.role_name}",
            external_id=org.external_id, source=source, source_profile=org.profile))
    return out


def _realise(plan: _Plan, home: str, region: str | None, cfg_regions: Any,
             session_factory: SessionFactory, *, fatal: bool = False) -> Target:
    """A target for one plan. An account reached through a role whose regions are known is connected
    lazily (the runner opens it for the account's units and drops it after); the others are
    connected here. A failure becomes an unreachable target (or TargetError if ``fatal``)."""
    spec: dict[str, Any] = {
        "name": plan.name, "account_id": plan.account_id, "profile": plan.profile, "role_arn": plan.role_arn,
        "external_id": plan.external_id, "partition": plan.partition, "home": home,
        "source_profile": plan.source_profile}
    if plan.role_arn and (region or (plan.regions or cfg_regions) != "all"):
        spec["account_id"] = role_account = _account_of_arn(plan.role_arn)
        return Target(name=plan.name, account_id=role_account, session=None,
                      regions=_regions(plan, None, home, region, cfg_regions),
                      partition=_partition_of_arn(plan.role_arn), spec=spec,
                      connect=functools.partial(_connect, plan, home, session_factory))
    source = None
    try:
        source = plan.source
        if source is None:
            source = session_factory(profile_name=plan.profile, region_name=home) if plan.profile \
                else session_factory(region_name=home)
        session, account_id, partition = source, plan.account_id, plan.partition
        if plan.role_arn:
            session = _assume(source, plan.role_arn, plan.external_id, home, session_factory)
            account_id = _account_of_arn(plan.role_arn)
            partition = _partition_of_arn(plan.role_arn)
        if account_id is None:
            ident = session.client("sts", region_name=home, config=RETRY_CONFIG).get_caller_identity()
            account_id, partition = ident["Account"], _partition_of_arn(ident["Arn"])
        regions = _regions(plan, session, home, region, cfg_regions)
    except (ClientError, BotoCoreError) as exc:
        code, msg = error_code_of(exc)
        if fatal:  # nothing configured and our own credentials fail: nothing to scan
            raise TargetError(code, f"cannot use the default AWS credentials: {msg}") from None
        return _error_target(plan, code, msg, home, region, cfg_regions)
    spec.update(account_id=account_id, partition=partition)
    if plan.role_arn:  # regions listed: reconnect lazily rather than hold this session all run
        return Target(name=plan.name, account_id=account_id, session=None, regions=regions, partition=partition,
                      spec=spec, connect=functools.partial(_connect, plan, home, session_factory))
    return Target(name=plan.name, account_id=account_id, session=session, regions=regions,
                  partition=partition, spec=spec)


def _how(plan: _Plan) -> str:
    return (f"assume {plan.role_arn}" if plan.role_arn
            else f"use profile {plan.profile!r}" if plan.profile else "use the default credentials")


def _connect(plan: _Plan, home: str, session_factory: SessionFactory) -> Any:
    """A fresh session for the account (FetchError naming the account and role when it fails)."""
    try:
        source = plan.source
        if source is None:
            source = session_factory(profile_name=plan.profile, region_name=home) if plan.profile \
                else session_factory(region_name=home)
        if not plan.role_arn:
            return source
        return _assume(source, plan.role_arn, plan.external_id, home, session_factory)
    except (ClientError, BotoCoreError) as exc:
        code, msg = error_code_of(exc)
        raise FetchError(code, f"cannot {_how(plan)} for account {plan.name}: {msg}", "credentials") from None


def connect_spec(spec: dict[str, Any], session_factory: SessionFactory = new_session) -> Any:
    """The session a worker process opens for a target's ``spec`` (its own credential chain as the source)."""
    source = None
    if spec.get("source_profile"):
        source = session_factory(profile_name=spec["source_profile"], region_name=spec["home"])
    plan = _Plan(name=spec["name"], account_id=spec.get("account_id"), profile=spec.get("profile"),
                 role_arn=spec.get("role_arn"), external_id=spec.get("external_id"),
                 partition=spec.get("partition") or "aws", source=source)
    return _connect(plan, spec["home"], session_factory)


def _assume(source: Any, role_arn: str, external_id: str | None, home: str,
            session_factory: SessionFactory) -> Any:
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    creds = source.client("sts", region_name=home, config=RETRY_CONFIG).assume_role(**params)["Credentials"]
    return session_factory(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"], region_name=home)


def _regions(plan: _Plan, session: Any, home: str, region: str | None, cfg_regions: Any) -> list[str]:
    if region:
        return [region]
    wanted = plan.regions or cfg_regions
    if wanted == "all":
        ec2 = session.client("ec2", region_name=home, config=RETRY_CONFIG)
        listed = ec2.describe_regions(AllRegions=False)["Regions"]  # enabled + opted-in only
        return sorted(r["RegionName"] for r in listed if r.get("OptInStatus") != "not-opted-in")
    return list(wanted) if wanted else [home]


def _error_target(plan: _Plan, code: str, msg: str, home: str, region: str | None, cfg_regions: Any) -> Target:
    """A target that cannot be opened: each of its units reports the reason we could not get in."""
    reason = f"cannot {_how(plan)} for account {plan.name}: {msg}"

    def refuse() -> Any:
        raise FetchError(code, reason, "credentials")

    wanted = region or plan.regions or cfg_regions
    regions = [region] if region else ([home] if wanted == "all" or not wanted else list(wanted))
    account_id = plan.account_id or (_account_of_arn(plan.role_arn) if plan.role_arn else plan.name)
    return Target(name=plan.name, account_id=account_id, session=None, regions=regions,
                  partition=_partition_of_arn(plan.role_arn) if plan.role_arn else plan.partition,
                  connect=refuse)
