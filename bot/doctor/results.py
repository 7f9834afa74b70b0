"""Doctor's result records: one line per check, ok / warn / FAIL, with the fix."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

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
