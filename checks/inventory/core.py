"""Inventory: AWS resources listed once per (account, region) per run.

Service fetchers live in ``checks/inventory/<service>.py`` as plain functions
``fetch_x(inv) -> data`` and are called through :meth:`Inventory.memo`, so every
check that needs the same listing shares one set of API calls. A failure is
memoised too: the same failing call is never retried by a second check, and
every check that depends on it reports the same ERROR.

Completeness: a fetch whose listing came back but not all of it (a per-resource call
refused, so a resource's identity or region is unknown) says so with
:meth:`Inventory.note_gap`; the runner turns a gap a check read past into an ERROR,
so a resource nobody could see is *unknown*, never deleted (see ``bot/drift.py``).
"""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.loaders import create_loader

from checks.inventory import client_cost  # noqa: F401 - installs the per-process client-making caches

T = TypeVar("T")
_reading = threading.local()  # the memo keys read by the check running on this thread

RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 6},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=64,  # per endpoint host; clients share one HTTP session per process (client_cost.py)
    user_agent_extra="srm-bot",
)


# Service models, endpoint rules and paginators parsed once per process: a botocore session would
# otherwise keep its own parsed copy of every model its clients use (~40 MiB for the services we read),
# and an organization scan opens a session per account.
_SHARED_LOADER = create_loader()


# Every service an inventory fetcher asks a client for (tests/checks/test_client_cost.py keeps it complete).
INVENTORY_SERVICES = (
    "accessanalyzer", "acm", "apigateway", "apigatewayv2", "backup", "cloudfront", "cloudtrail", "cloudwatch",
    "config", "dynamodb", "ec2", "ecr", "efs", "eks", "elb", "elbv2", "guardduty", "iam", "kms", "lambda", "logs",
    "opensearch", "rds", "s3", "s3control", "secretsmanager", "securityhub", "sns", "sqs", "ssm", "sts", "wafv2",
)


def new_session(**kwargs: Any) -> boto3.session.Session:
    """``boto3.Session(**kwargs)`` sharing this process's model loader with every other session it makes."""
    core = botocore.session.Session()
    core.register_component("data_loader", _SHARED_LOADER)
    return boto3.Session(botocore_session=core, **kwargs)


_WARMED: set[str] = set()  # services whose models this process (or the parent it was forked from) has parsed


def warm_models(services: tuple[str, ...] = INVENTORY_SERVICES) -> None:
    """Parse the service models, endpoint rules and paginators of ``services`` now, into this process's shared
    loader and client caches: worker processes forked afterwards share those pages with the parent
    (copy-on-write) instead of each parsing ~100 MiB of its own. Once per service per process: a later large
    scan, or a forked worker, does not make the throwaway clients again."""
    cold = [s for s in services if s not in _WARMED]
    if not cold:
        return
    session = new_session(aws_access_key_id="warm", aws_secret_access_key="warm", region_name="us-east-1")
    paginated = set(_SHARED_LOADER.list_available_services("paginators-1"))
    for service in cold:
        session.client(service, config=RETRY_CONFIG)
        if service in paginated:
            _SHARED_LOADER.load_service_model(service, "paginators-1")
        _WARMED.add(service)


# S3 Control puts the account id in the host name ({account}.s3-control...). Behind an endpoint
# override (an emulator, a proxy) that host does not resolve, so there, and only there, the
# account prefix is taken off the URL before the request is signed (the account id still
# travels in the x-amz-account-id header).
def _endpoint_override(service: str) -> bool:
    return bool(os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL"))


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    account = request.headers.get("x-amz-account-id")
    if account:
        account = account.decode() if isinstance(account, bytes) else account
        request.url = request.url.replace(f"://{account}.", "://", 1)


class ApiCallCounter:
    """Counts API calls per ``service.Operation`` using botocore's event hooks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.params: Counter[str] = Counter()  # (operation, parameters) pairs

    def attach(self, client: Any, account: str = "") -> None:
        scope = f"{account}/{client.meta.region_name}"

        def on_call(params: dict, model: Any, **_: Any) -> None:
            self._record(scope, params, model)

        client.meta.events.register("provide-client-params.*.*", on_call)

    def _record(self, scope: str, params: dict, model: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.calls[name] += 1
            # the same call in another region (or account, via another counter) is not a repeat
            self.params[f"{scope} {name} {sorted(params.items())!r}"] += 1


class FetchError(Exception):
    """A failed inventory fetch, with the AWS error code checks report."""

    def __init__(self, code: str, message: str, operation: str = ""):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.operation = operation


class ScanTimeout(FetchError):
    """A check or unit ran past its time budget (raised before its next API call)."""

    def __init__(self, message: str, operation: str = ""):
        super().__init__("Timeout", message, operation)


_deadlines = threading.local()  # this thread's (monotonic deadline, what ran out) stack


@contextmanager
def deadline(seconds: float | None, what: str) -> Iterator[None]:
    """Within the block, this thread's next AWS API call raises :class:`ScanTimeout` once ``seconds``
    have passed (nested blocks keep the earlier deadline). None: no limit of its own."""
    stack: list[tuple[float, str]] = _deadlines.__dict__.setdefault("stack", [])
    if seconds is None:
        yield
        return
    stack.append((time.monotonic() + seconds, f"{what} took longer than {seconds:g} s"))
    try:
        yield
    finally:
        stack.pop()


def check_deadline(**_: Any) -> None:
    """botocore ``before-call`` hook: stop a thread whose check or unit is out of time."""
    now = time.monotonic()
    for at, message in getattr(_deadlines, "stack", ()):
        if now > at:
            raise ScanTimeout(message)


def error_code_of(exc: BaseException) -> tuple[str, str]:
    """(code, message) for anything AWS/botocore can raise."""
    if isinstance(exc, FetchError):
        return exc.code, exc.message
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code") or "ClientError"), str(err.get("Message") or exc)
    if isinstance(exc, EndpointConnectionError):
        return "EndpointConnectionError", str(exc)
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__, str(exc)
    return type(exc).__name__, str(exc)


class Inventory:
    """Memoised, thread-safe access to one account+region's resources."""

    def __init__(
        self,
        session: boto3.session.Session,
        account_id: str,
        region: str,
        *,
        partition: str = "aws",
        counter: ApiCallCounter | None = None,
        account_name: str = "",
        client_factory: Callable[[str, str], Any] | None = None,
    ):
        self.session = session
        self.account_id = account_id
        self.account_name = account_name or account_id
        self.region = region
        self.partition = partition
        self.counter = counter or ApiCallCounter()
        self._client_factory = client_factory
        self._clients: dict[tuple[str, str], Any] = {}
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.gaps: dict[str, list[str]] = {}  # memo key -> what its listing could not see

    # -- completeness ------------------------------------------------------------
    def note_gap(self, key: str, what: str) -> None:
        """The listing under memo ``key`` is incomplete: ``what`` (a resource, a region) could not be seen."""
        with self._guard:
            self.gaps.setdefault(key, []).append(what)

    def complete(self, key: str) -> bool:
        with self._guard:
            return not self.gaps.get(key)

    # -- clients -----------------------------------------------------------------
    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.region
        key = (service, region)
        with self._guard:
            c = self._clients.get(key)
            if c is None:
                if self._client_factory is not None:
                    c = self._client_factory(service, region)
                else:
                    c = self.session.client(service, region_name=region, config=RETRY_CONFIG)
                    if service == "s3control" and _endpoint_override("s3_control"):
                        c.meta.events.register_first("before-sign.s3-control", _strip_account_host_prefix)
                self.counter.attach(c, self.account_id)
                c.meta.events.register("before-call.*.*", check_deadline)
                self._clients[key] = c
            return c

    # -- memo --------------------------------------------------------------------
    def memo(self, key: str, fetch: Callable[[], T]) -> T:
        """Run ``fetch`` once per key; later callers get the value or the same error."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        reads = getattr(_reading, "keys", None)
        if reads is not None:
            reads.append((self, key))
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, fetch())
                except (ClientError, BotoCoreError, FetchError) as exc:
                    code, msg = error_code_of(exc)
                    self._memo[key] = (False, FetchError(code, msg, key))
            ok, value = self._memo[key]
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Drop the clients and everything listed (called when the last unit using it is done)."""
        with self._guard:
            self._clients.clear()
            self._memo.clear()
            self._locks.clear()
        self.session = None  # type: ignore[assignment]
        self._client_factory = None

    def arn(self, service: str, resource: str, *, region: str | None = None, account: bool = True) -> str:
        reg = self.region if region is None else region
        acct = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{reg}:{acct}:{resource}"


@contextmanager
def tracking_reads() -> Iterator[list[tuple[Inventory, str]]]:
    """The (inventory, memo key) pairs read on this thread inside the block (the runner: one check)."""
    previous = getattr(_reading, "keys", None)
    reads: list[tuple[Inventory, str]] = []
    _reading.keys = reads
    try:
        yield reads
    finally:
        _reading.keys = previous


def paginate(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """All items under ``key`` across pages of ``operation``."""
    out: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        out.extend(page.get(key, []))
    return out


def call_or_none(fn: Callable[[], T], *missing_codes: str) -> T | None:
    """Call ``fn``; return None when AWS says the thing is simply not configured."""
    try:
        return fn()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in missing_codes:
            return None
        raise
