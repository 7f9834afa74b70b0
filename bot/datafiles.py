"""Load YAML data files into pydantic models with errors people can act on.

Every problem becomes a :class:`DataFileError` that names the file, the entry
(by list index and, where it has one, its ``id``) and the field. No traceback
reaches the user.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: several times faster


class DataFileError(Exception):
    """One or more problems in one data file."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.path}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def _describe_loc(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn ('aspects', 3, 'cells', 'iaas', 'owner') into 'aspects[3] (guest_os).cells.iaas.owner'."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and node.get("id"):
                    label += f" ({node['id']})"
            else:
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except OSError as exc:
        raise DataFileError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(path, [f"{where}invalid YAML ({problem})"]) from None


def validation_problems(data: Any, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-after")))
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{_describe_loc(data, loc)}: {msg}")
    return out


def load_yaml_model(path: Path, model: type[M]) -> M:
    data = read_yaml(path)
    if data is None:
        raise DataFileError(path, ["file is empty"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DataFileError(path, validation_problems(data, exc)) from None
