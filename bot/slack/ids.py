"""Every id the Slack adapter sends to Slack and matches on the way back.

Incident action ids are derived from the one registry (``bot/actions.py``):
:func:`action_id`; builders put them on elements and listeners register on the same
function, so a renamed action cannot leave a button without a listener. A button's
``value`` is an :class:`ActionValue` serialized as JSON: it says which incident and
which action (and a select's choice), never who may do it (decided from the database).
"""
from __future__ import annotations

from enum import StrEnum

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from bot.actions import BY_ID, ActionSpec


def action_id(spec: ActionSpec | str) -> str:
    """The Slack action_id of an incident action: ``incident.<id>``."""
    return f"incident.{spec if isinstance(spec, str) else spec.id}"


class ActionId(StrEnum):
    # who-owns answers: re-run the guarding checks; re-ask naming a variant (one button per actions block)
    who_recheck = "who.recheck"
    who_variant = "who.variant"
    # inputs of the accept-risk modal (incident actions: action_id())
    justification = "risk.justification"
    expiry = "risk.expiry"
    backlog_promote = "backlog.promote"  # a team's backlog summary: open threads for a severity and worse


class BlockId(StrEnum):
    incident_actions = "incident.actions"
    justification = "risk.justification"
    expiry = "risk.expiry"


class CallbackId(StrEnum):
    accept_risk = "incident.accept_risk"


class ActionValue(BaseModel):
    """The ``value`` of an incident button (or snooze option, or the modal's private_metadata)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident_id: int = Field(ge=1, le=2**53)
    action: str
    # a select's choice (snooze hours, a team id); "hours" is how values posted before were spelled
    param: str | None = Field(default=None, max_length=64, validation_alias=AliasChoices("param", "hours"))

    @field_validator("action")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in BY_ID:
            raise ValueError(f"unknown incident action {v!r}")
        return v

    @field_validator("param", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @property
    def hours(self) -> int | None:
        return int(self.param) if self.param and self.param.isdigit() else None

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def parse(cls, raw: str, expected: ActionSpec | str | None = None) -> "ActionValue":
        """Raises ValueError on anything but a well-formed value for ``expected``."""
        value = cls.model_validate_json(raw)
        want = expected.id if isinstance(expected, ActionSpec) else expected
        if want is not None and value.action != want:
            raise ValueError(f"value is for {value.action}, not {want}")
        return value


MAX_VARIANT_BUTTONS = 6


class WhoValue(BaseModel):
    """The ``value`` of a who-owns button: the checks to re-run, or the question to re-ask with a variant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: list[str] = Field(default_factory=list, max_length=20)
    question: str = Field(default="", max_length=1500)
    variant: str = Field(default="", max_length=100)

    def dump(self) -> str:
        return self.model_dump_json(exclude_defaults=True)
