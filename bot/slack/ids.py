"""Every id the Slack adapter sends to Slack and matches on the way back.

Builders put these ids on blocks and elements; listeners register on the same
enums, so a renamed id cannot leave a button without a listener. A button's
``value`` is an :class:`ActionValue` serialized as JSON: it says which incident
and which action, never who may do it (that is decided from the database).
"""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ActionId(StrEnum):
    acknowledge = "incident.acknowledge"
    snooze = "incident.snooze"
    accept_risk = "incident.accept_risk"
    recheck = "incident.recheck"
    # who-owns answers: re-run the guarding checks; re-ask naming a variant (one button per actions block)
    who_recheck = "who.recheck"
    who_variant = "who.variant"
    # inputs of the accept-risk modal
    justification = "risk.justification"
    expiry = "risk.expiry"


class BlockId(StrEnum):
    incident_actions = "incident.actions"
    justification = "risk.justification"
    expiry = "risk.expiry"


class CallbackId(StrEnum):
    accept_risk = "incident.accept_risk"


class IncidentAction(StrEnum):
    acknowledge = "acknowledge"
    snooze = "snooze"
    accept_risk = "accept_risk"
    recheck = "recheck"


ACTION_OF: dict[ActionId, IncidentAction] = {
    ActionId.acknowledge: IncidentAction.acknowledge,
    ActionId.snooze: IncidentAction.snooze,
    ActionId.accept_risk: IncidentAction.accept_risk,
    ActionId.recheck: IncidentAction.recheck,
}


class ActionValue(BaseModel):
    """The ``value`` of an incident button (or snooze option, or the modal's private_metadata)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident_id: int = Field(ge=1)
    action: IncidentAction
    hours: int | None = Field(default=None, ge=1, le=24 * 366)  # snooze length

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def parse(cls, raw: str, expected: IncidentAction | None = None) -> "ActionValue":
        """Raises ValueError on anything but a well-formed value for ``expected``."""
        value = cls.model_validate_json(raw)
        if expected is not None and value.action is not expected:
            raise ValueError(f"value is for {value.action.value}, not {expected.value}")
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
