"""Load YAML data files into pydantic models with errors people can act on.

Every problem becomes a :class:`DataFileError` that names the file, the entry
(by list index and, where it has one, its ``id``) and the field. No traceback
reaches the user.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: several times faster


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading the data makes about a million objects and frees almost none: the cyclic garbage collector, run as
    they pile up, would scan the growing heap again and again (bench/who_owns.py: ~310 -> ~240 ms; a fresh process
    gains less, bench/README.md). Paused while loading, it is left as it was found (a caller that paused it keeps
    it paused)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


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


def duplicate_key_problems(path: Path) -> list[str]:
    """Keys written twice in one mapping of a YAML file (a plain load keeps the last one silently), each named by
    line and key; [] for a file that does not parse (``read_yaml`` reports that)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError):
        return []
    problems: list[tuple[int, str]] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        line = key.start_mark.line + 1
                        problems.append((line, f"line {line}: key {key.value!r} is written twice in one mapping "
                                               f"(first on line {seen[key.value]}; YAML keeps only the last)"))
                    seen.setdefault(key.value, key.start_mark.line + 1)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return [text for _, text in sorted(problems)]


def no_key_twice(paths: list[Path | None]) -> None:
    """`srm validate`: one DataFileError listing every key written twice in these files (None: a file not
    configured), each naming its file."""
    files = [Path(p) for p in paths if p is not None and Path(p).is_file()]
    problems = [f"{p}: {problem}" for p in files for problem in duplicate_key_problems(p)]
    if problems:
        raise DataFileError("data files", problems)


def cache_dir() -> Path:
    """Where derived data is kept between starts (parsed YAML, normal forms of the catalogue's words), like .pyc
    files: ``SRM_CACHE_DIR`` or ``<temp dir>/srm-bot-cache``. Safe to delete; a read-only place only costs speed."""
    return Path(os.environ.get("SRM_CACHE_DIR") or Path(tempfile.gettempdir()) / "srm-bot-cache")


_KEEP = 16  # cache files of one kind kept (the newest): tests and edited data keep making new ones


def write_cache(path: Path, data: Any) -> None:
    """Write JSON atomically (a reader never sees half a file), then drop all but the newest files of its kind
    (the name up to its first "-"); failures only cost speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
        kind = path.name.split("-", 1)[0]
        older = sorted(path.parent.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in older[_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def read_yaml_files(root: Path, paths: list[Path]) -> dict[str, Any]:
    """rel path -> parsed YAML, or the file's DataFileError. Parsing YAML is most of the load time, so the parsed
    data of an unchanged set of files (by path, size and mtime) is kept as JSON; a set with a file that does not
    parse, or whose data JSON would not give back as it is (dates, number keys), is never cached."""
    sig = hashlib.sha1(str(root.resolve()).encode())
    for p in paths:
        try:
            st = p.stat()
            sig.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}".encode())
        except OSError:
            sig.update(f"{p}|missing".encode())
    cache = cache_dir() / f"yaml-{sig.hexdigest()}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    out: dict[str, Any] = {}
    for path in paths:
        rel = str(path.relative_to(root))
        try:
            out[rel] = read_yaml(path)
        except DataFileError as exc:
            out[rel] = exc
    if not any(isinstance(v, DataFileError) for v in out.values()):
        try:
            same = json.loads(json.dumps(out)) == out
        except (TypeError, ValueError):
            same = False
        if same:
            write_cache(cache, out)
    return out


def validation_problems(data: Any, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-after")))
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{_describe_loc(data, loc)}: {msg}")
    return out


def load_yaml_model(path: Path, model: type[M], cached: bool = False) -> M:
    """The file as a model. ``cached``: the bundled data files (read at every start) keep their parsed form
    between starts (:func:`read_yaml_files`); a user's config is read fresh."""
    if cached:
        data = read_yaml_files(path.parent, [path])[path.name]
        if isinstance(data, DataFileError):
            raise data
    else:
        data = read_yaml(path)
    if data is None:
        raise DataFileError(path, ["file is empty"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DataFileError(path, validation_problems(data, exc)) from None
