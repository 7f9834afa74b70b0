"""Teams, membership and routing (pure: no I/O beyond loading the file).

The owners file (``data/owners.example.yml`` by default, ``SRM_OWNERS`` to
override) says which internal team owns the
customer part of each matrix aspect, who is in each team, who to escalate to,
and who the admins are.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping

from pydantic import BaseModel, Field, model_validator

from bot.datafiles import DataFileError, load_yaml_model

SLACK_USER_RE = r"^[UW][A-Z0-9]{2,}$"
OWNERS_EXAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / "owners.example.yml"


class Team(BaseModel, extra="forbid"):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    members: list[str] = Field(default_factory=list)
    leads: list[str] = Field(default_factory=list)
    usergroup: str | None = Field(default=None, pattern=r"^S[A-Z0-9]{2,}$")
    channel: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")
    escalation: str = Field(pattern=SLACK_USER_RE)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")  # the team's address (e-mail lane)

    @model_validator(mode="after")
    def _ids_look_like_slack_users(self) -> "Team":
        for field in ("members", "leads"):
            for uid in getattr(self, field):
                if not re.match(SLACK_USER_RE, uid):
                    raise ValueError(f"{field}: {uid!r} is not a Slack member id (U... or W...)")
        return self


class Owners(BaseModel, extra="forbid"):
    version: int = 1
    admins: list[str] = Field(default_factory=list)
    default_team: str
    tag_keys: list[str] = Field(default_factory=lambda: ["owner", "team"])
    leads_can_accept_risk: bool = False
    teams: list[Team] = Field(min_length=1)
    aspects: dict[str, str] = Field(default_factory=dict)  # aspect id -> team id

    @model_validator(mode="after")
    def _references_resolve(self) -> "Owners":
        ids = [t.id for t in self.teams]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"teams: duplicate team id(s) {sorted(dupes)}")
        if self.default_team not in ids:
            raise ValueError(f"default_team: unknown team {self.default_team!r}")
        for aspect, team in self.aspects.items():
            if team not in ids:
                raise ValueError(f"aspects.{aspect}: unknown team {team!r}")
        return self

    # -- lookups -------------------------------------------------------------------
    def team(self, team_id: str) -> Team:
        for t in self.teams:
            if t.id == team_id:
                return t
        raise KeyError(team_id)

    def team_for_aspect(self, aspect_id: str) -> Team | None:
        tid = self.aspects.get(aspect_id)
        return self.team(tid) if tid else None

    def teams_of(self, user_id: str) -> list[Team]:
        return [t for t in self.teams if user_id in t.members or user_id in t.leads]

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def route(self, aspect_id: str | None, tags: Mapping[str, str] | None = None) -> Team:
        """Resource tag naming a team wins; else the aspect's team; else the default team."""
        by_key = {k.lower(): v for k, v in (tags or {}).items()}
        for key in self.tag_keys:
            value = (by_key.get(key.lower()) or "").strip().lower()
            for t in self.teams:
                if value and value in (t.id.lower(), t.name.lower()):
                    return t
        if aspect_id:
            t = self.team_for_aspect(aspect_id)
            if t:
                return t
        return self.team(self.default_team)


def load_owners(path: Path | str = OWNERS_EXAMPLE_PATH, *, aspect_ids: Iterable[str] | None = None) -> Owners:
    """Load and validate; with ``aspect_ids``, also reject aspects the matrix does not have."""
    path = Path(path)
    owners = load_yaml_model(path, Owners)
    if aspect_ids is not None:
        known = set(aspect_ids)
        bad = [a for a in owners.aspects if a not in known]
        if bad:
            raise DataFileError(path, [f"aspects.{a}: no such aspect in the matrix" for a in bad])
    return owners
