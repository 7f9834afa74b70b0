"""Compliance frameworks (CIS AWS Foundations, AWS FSBP): schema, loading and the requirement -> checks map.

``data/frameworks/<id>.yml`` lists every requirement of one framework with its section and whether the
framework marks it automated or manual. Which checks guard a requirement is never written there: it is
derived from the checks' own metadata (``CheckMeta.frameworks[<key>]``, e.g. ``{"cis": ["1.4"]}``), so a
new check shows up in every report the moment it declares its ids.
"""
from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Iterable, Mapping

from pydantic import BaseModel, Field, model_validator

from bot.datafiles import DataFileError, load_yaml_model
from checks.base import Check, Severity
from checks.registry import load_all

FRAMEWORKS_DIR = Path(__file__).resolve().parent.parent / "data" / "frameworks"


class Assessment(StrEnum):
    automated = "automated"
    manual = "manual"


class Section(BaseModel, extra="forbid"):
    id: str
    title: str


class Requirement(BaseModel, extra="forbid"):
    id: str
    title: str
    section: str
    assessment: Assessment
    level: int | None = None  # CIS profile level (1 or 2)
    severity: Severity | None = None  # FSBP control severity


class Framework(BaseModel, extra="forbid"):
    id: str  # the name people type: cis-4.0, fsbp
    key: str  # the key checks use in CheckMeta.frameworks: cis, fsbp
    name: str
    version: str
    sections: list[Section]
    requirements: list[Requirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Framework":
        sections = {s.id for s in self.sections}
        seen: set[str] = set()
        for i, r in enumerate(self.requirements):
            if r.id in seen:
                raise ValueError(f"requirements[{i}] ({r.id}): duplicate requirement id")
            seen.add(r.id)
            if r.section not in sections:
                raise ValueError(f"requirements[{i}] ({r.id}).section: unknown section {r.section!r}")
        return self

    @property
    def ids(self) -> set[str]:
        return {r.id for r in self.requirements}

    def section_title(self, section_id: str) -> str:
        return next((s.title for s in self.sections if s.id == section_id), section_id)

    def top_section(self, requirement: Requirement) -> str:
        """The first-level section ("2" for 2.1.4 in CIS, the service for FSBP)."""
        return requirement.section.split(".")[0]

    def checks_by_requirement(self, checks: Iterable[Check]) -> dict[str, list[str]]:
        """Requirement id -> ids of the checks that declare it (sorted); every requirement has an entry."""
        out: dict[str, list[str]] = {r.id: [] for r in self.requirements}
        for c in checks:
            for rid in c.meta.frameworks.get(self.key, []):
                if rid in out:
                    out[rid].append(c.meta.id)
        return {rid: sorted(ids) for rid, ids in out.items()}


def framework_path(framework_id: str, directory: Path = FRAMEWORKS_DIR) -> Path:
    return directory / f"{framework_id}.yml"


def load_framework(path: Path | str) -> Framework:
    """One framework file; DataFileError naming the file, entry and field on any problem."""
    return load_yaml_model(Path(path), Framework)


def available(directory: Path = FRAMEWORKS_DIR) -> list[str]:
    """Framework ids that have a file (cis-4.0, fsbp)."""
    return sorted(p.stem for p in directory.glob("*.yml"))


def load_frameworks(directory: Path = FRAMEWORKS_DIR) -> dict[str, Framework]:
    """Every framework under ``directory`` by id; the file name must be the id, and keys must be unique."""
    out: dict[str, Framework] = {}
    keys: dict[str, str] = {}
    for fid in available(directory):
        path = framework_path(fid, directory)
        fw = load_framework(path)
        if fw.id != fid:
            raise DataFileError(path, [f"id: {fw.id!r} must match the file name {fid!r}"])
        if fw.key in keys:
            raise DataFileError(path, [f"key: {fw.key!r} is already used by {keys[fw.key]}"])
        keys[fw.key] = fw.id
        out[fid] = fw
    return out


@cache
def default_frameworks() -> dict[str, Framework]:
    return load_frameworks()


def get_framework(framework_id: str, directory: Path = FRAMEWORKS_DIR) -> Framework:
    """KeyError naming the known ids when ``framework_id`` has no file."""
    known = available(directory)
    if framework_id not in known:
        raise KeyError(f"unknown framework {framework_id!r} (known: {', '.join(known) or 'none'})")
    return load_framework(framework_path(framework_id, directory))


def metadata_problems(frameworks: Mapping[str, Framework], checks: Iterable[Check]) -> list[str]:
    """Framework ids in check metadata that no framework file knows (empty when all are known)."""
    by_key = {fw.key: fw for fw in frameworks.values()}
    problems = []
    for c in sorted(checks, key=lambda c: c.meta.id):
        for key, ids in c.meta.frameworks.items():
            fw = by_key.get(key)
            if fw is None:
                problems.append(f"{c.meta.id}: unknown framework key {key!r} (known: {', '.join(sorted(by_key))})")
                continue
            unknown = [i for i in ids if i not in fw.ids]
            if unknown:
                problems.append(f"{c.meta.id}: {key} id(s) {', '.join(unknown)} are not in {fw.id}")
    return problems


def check_framework_ids(directory: Path = FRAMEWORKS_DIR) -> dict[str, Framework]:
    """Load every framework and raise DataFileError unless every framework id in check metadata is known."""
    frameworks = load_frameworks(directory)
    problems = metadata_problems(frameworks, load_all().values())
    if problems:
        raise DataFileError(directory, [f"check metadata: {p}" for p in problems])
    return frameworks
