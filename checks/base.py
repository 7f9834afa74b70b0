"""The contract every customer-side check follows.

A check is a plain function ``fn(scope: Scope) -> Iterable[Finding]`` registered
with :func:`register` together with its :class:`CheckMeta`. It reads everything it
needs from ``scope.inv`` (the shared, memoised inventory for one account and
region) and never creates AWS clients itself. Errors raised while fetching
inventory are turned into ERROR findings by the runner; a check never swallows
an AWS error into a PASS.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping

from pydantic import BaseModel, Field, computed_field, field_validator

if TYPE_CHECKING:  # pragma: no cover
    from checks.inventory.core import Inventory


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 ... low=1."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1}[self.value]


CHECK_ID_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+){2,}$")
IAM_ACTION_RE = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")


class CheckMeta(BaseModel):
    """Declared metadata of one check. A registry-wide test keeps it honest."""

    id: str
    title: str
    service: str  # AWS service short name, e.g. "iam", "s3", "ec2"
    aspect: str  # a row id of data/matrix.yml
    severity: Severity
    scope: Literal["account", "region"] = "region"
    frameworks: dict[str, list[str]] = Field(default_factory=dict)  # {"cis": [...], "fsbp": [...]}
    remediation: str
    iam_actions: list[str]
    resource_type: str
    moto: Literal["supported", "stubber"] = "supported"
    notes: str = ""
    # Title for lists of failures ("The root user has no MFA"); `title` says the passing condition.
    fail_title: str = ""
    # Tunable thresholds and lists with their defaults; srm.yml `checks: {<id>: {<name>: value}}`
    # overrides them (validated against these names and types). Read with Scope.setting(name).
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not CHECK_ID_RE.match(v):
            raise ValueError(f"check id {v!r} must look like <service>_<resource>_<condition>")
        return v

    @field_validator("iam_actions")
    @classmethod
    def _actions_shape(cls, v: list[str]) -> list[str]:
        for a in v:
            if not IAM_ACTION_RE.match(a):
                raise ValueError(f"IAM action {a!r} must look like service:Action")
        return v


def fingerprint(evidence: dict[str, Any]) -> str:
    """A stable hash of the evidence (key order and whitespace do not matter)."""
    blob = json.dumps(evidence, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class Finding(BaseModel):
    check_id: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    resource_arn: str = ""
    status: Status
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    severity: Severity = Severity.medium
    error_code: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> str:
        return fingerprint({"status": self.status.value, **self.evidence})

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of the thing judged: (account, region, check, resource)."""
        return (self.account_id, self.region, self.check_id, self.resource_id)


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Scope:
    """What a check sees: one account and region, its inventory, its settings, the clock,
    and a finding factory."""

    def __init__(self, meta: CheckMeta, inv: "Inventory", *,
                 settings: Mapping[str, Any] | None = None, clock: Clock | None = None):
        self.meta = meta
        self.inv = inv
        self.account_id = inv.account_id
        self.region = inv.region
        self.partition = inv.partition
        self._settings = dict(settings or {})
        self._clock = clock or utc_now

    def setting(self, name: str) -> Any:
        """The configured value of a declared setting, else its default (KeyError if undeclared)."""
        if name not in self.meta.settings:
            raise KeyError(f"check {self.meta.id} declares no setting {name!r}")
        return self._settings.get(name, self.meta.settings[name])

    def now(self) -> datetime:
        """Aware UTC "now" from the one clock (freezegun moves it in tests)."""
        return self._clock()

    def finding(
        self,
        resource_id: str,
        status: Status,
        reason: str,
        *,
        evidence: dict[str, Any] | None = None,
        arn: str = "",
        tags: dict[str, str] | None = None,
        region: str | None = None,
        resource_type: str | None = None,
        error_code: str | None = None,
    ) -> Finding:
        return Finding(
            check_id=self.meta.id,
            account_id=self.account_id,
            region=region or self.region,
            resource_type=resource_type or self.meta.resource_type,
            resource_id=resource_id,
            resource_arn=arn,
            status=status,
            reason=reason,
            evidence=evidence or {},
            tags=tags or {},
            severity=self.meta.severity,
            error_code=error_code,
        )

    def passed(self, resource_id: str, reason: str, **kw: Any) -> Finding:
        return self.finding(resource_id, Status.PASS, reason, **kw)

    def failed(self, resource_id: str, reason: str, **kw: Any) -> Finding:
        return self.finding(resource_id, Status.FAIL, reason, **kw)

    def errored(self, resource_id: str, code: str, message: str, **kw: Any) -> Finding:
        return self.finding(resource_id, Status.ERROR, f"{code}: {message}", error_code=code, **kw)


CheckFn = Callable[[Scope], Iterable[Finding]]


class Check:
    def __init__(self, meta: CheckMeta, fn: CheckFn):
        self.meta = meta
        self.fn = fn

    def __call__(self, scope: Scope) -> Iterable[Finding]:
        return self.fn(scope)

    def __repr__(self) -> str:  # pragma: no cover
        return f"Check({self.meta.id})"


REGISTRY: dict[str, Check] = {}


def register(meta: CheckMeta) -> Callable[[CheckFn], CheckFn]:
    """Decorator: add a check function to the registry under ``meta.id``."""

    def deco(fn: CheckFn) -> CheckFn:
        if meta.id in REGISTRY:
            raise ValueError(f"duplicate check id {meta.id}")
        REGISTRY[meta.id] = Check(meta, fn)
        return fn

    return deco


def setting_problems(meta: CheckMeta, values: Mapping[str, Any]) -> list[str]:
    """Why configured ``values`` do not fit the check's declared settings (empty when they do)."""
    problems = []
    for name, value in values.items():
        if name not in meta.settings:
            known = ", ".join(sorted(meta.settings)) or "none"
            problems.append(f"{meta.id}: unknown setting {name!r} (known: {known})")
            continue
        default = meta.settings[name]
        ok = isinstance(value, type(default)) and not (isinstance(value, bool) and not isinstance(default, bool))
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            problems.append(f"{meta.id}: setting {name!r} must be {type(default).__name__}, "
                            f"got {type(value).__name__} {value!r}")
    return problems


def tags_of(tag_list: list[dict[str, str]] | None) -> dict[str, str]:
    """AWS [{'Key':..,'Value':..}] -> {key: value}."""
    return {t["Key"]: t.get("Value", "") for t in (tag_list or []) if "Key" in t}
