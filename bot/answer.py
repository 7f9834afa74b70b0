"""The answer to "who owns X?" and its stable JSON contract (pure data; built by bot/resolver.py).

``Answer.contract()`` is what `srm who-owns --json` prints. Its first ten keys never change; ``task``,
``sources``, ``checks`` and ``next_step`` follow. Live check status comes from the store and is
handed in by the caller as :class:`GuardStatus` rows, so this module never reads anything.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.matrix import Model, Owner, Provider


class Alternative(BaseModel):
    aspect: str
    title: str
    score: float


class ModelOwner(BaseModel):
    owner: str
    summary: str


class TaskRef(BaseModel):
    id: str  # "<service>.<task>", e.g. "aws_rds.major_version_upgrade"
    title: str


class SourceRef(BaseModel):
    title: str
    url: str


class VariantOwner(BaseModel):
    id: str
    name: str
    owner: str


class TaskOwner(BaseModel):
    id: str
    title: str
    owner: str


class GuardStatus(BaseModel):
    """Live status of one guarding check, read from the store by the caller."""

    id: str
    title: str = ""
    status: Literal["passing", "failing", "not_scanned", "unknown_check"] = "not_scanned"
    passing: int = 0
    failing: int = 0
    incident: dict[str, Any] | None = None  # {"id", "state", "url"} of the open incident, if any


class Answer(BaseModel):
    question: str
    owner: Owner
    aspect: str | None = None
    aspect_title: str | None = None
    service_model: Model | None = None
    service_model_stated: bool = False
    provider: Provider | None = None
    provider_stated: bool = False
    service: str | None = None
    service_name: str | None = None
    explanation: str
    provider_does: str | None = None
    customer_does: str | None = None
    team: str | None = None
    team_name: str | None = None
    breakdown: dict[str, ModelOwner] = Field(default_factory=dict)
    alternatives: list[Alternative] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)  # guarding check ids, scoped to the provider and service
    sources: list[SourceRef] = Field(default_factory=list)
    task: TaskRef | None = None
    variant: str | None = None  # the service variant the answer is for (named or implied)
    variants: list[VariantOwner] = Field(default_factory=list)  # filled when the answer asks which variant
    assumption: str | None = None  # said when the answer follows one provider's own classification
    service_tasks: list[TaskOwner] = Field(default_factory=list)  # an aspect answer: the named service's tasks in it
    next_step: str = ""

    @property
    def topic(self) -> str:
        """What the answer is about: the task, the row, the split as a whole (an overview), or nothing we cover."""
        if self.task:
            return self.task.title
        if self.aspect_title:
            return self.aspect_title
        if self.owner is Owner.unknown:
            return "not in the matrix"
        return f"{self.service_name} as a whole" if self.service_name else "the shared responsibility model as a whole"

    @property
    def asks_variant(self) -> bool:
        return bool(self.variants) and self.variant is None

    def next_step_given(self, statuses: list[GuardStatus]) -> str:
        """The next step, sharpened by live status: a failing guarding check comes first."""
        failing = [s for s in statuses if s.status == "failing"]
        if failing and self.owner not in (Owner.provider, Owner.unknown):
            s = failing[0]
            inc = f" (incident #{s.incident['id']})" if s.incident else ""
            return f"Fix the {s.failing} failing resource(s) of {s.id}{inc}, then re-check it."
        return self.next_step

    def contract(self, checks: list[GuardStatus] | None = None) -> dict[str, Any]:
        """The stable JSON contract of `srm who-owns --json` (extra keys follow the first ten)."""
        statuses = checks if checks is not None else [GuardStatus(id=c) for c in self.checks]
        return {
            "owner": self.owner.value,
            "aspect": self.aspect,
            "service_model": self.service_model.value if self.service_model else None,
            "provider": self.provider.value if self.provider else None,
            "service": self.service,
            "explanation": self.explanation,
            "team": self.team,
            "alternatives": [a.aspect for a in self.alternatives],
            "stated": {"service_model": self.service_model_stated, "provider": self.provider_stated},
            "breakdown": {m: b.owner for m, b in self.breakdown.items()},
            "task": self.task.model_dump() if self.task else None,
            "sources": [s.model_dump() for s in self.sources],
            "checks": [s.model_dump() for s in statuses],
            "next_step": self.next_step_given(statuses),
            "variant": self.variant,
            "variants": [v.model_dump() for v in self.variants],
            "assumption": self.assumption,
            "service_tasks": [t.model_dump() for t in self.service_tasks],
        }
