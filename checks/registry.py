"""Import every module under checks/aws so their @register decorators run."""
from __future__ import annotations

import functools
import importlib
import pkgutil

import checks.aws
from checks.base import REGISTRY, Check


@functools.cache
def _import_checks() -> None:
    for mod in pkgutil.iter_modules(checks.aws.__path__):
        importlib.import_module(f"checks.aws.{mod.name}")


def load_all() -> dict[str, Check]:
    """Every registered check (the check modules are imported once per process)."""
    _import_checks()
    return REGISTRY


def select(
    ids: list[str] | None = None,
    *,
    aspect: str | None = None,
    service: str | None = None,
) -> list[Check]:
    """Checks by id, matrix aspect or AWS service; all when nothing is given.

    Raises KeyError naming the unknown id, aspect or service.
    """
    reg = load_all()
    out = list(reg.values())
    if ids:
        unknown = [i for i in ids if i not in reg]
        if unknown:
            raise KeyError(f"unknown check id(s): {', '.join(unknown)}")
        out = [reg[i] for i in ids]
    if aspect:
        out = [c for c in out if c.meta.aspect == aspect]
        if not out:
            raise KeyError(f"no check guards aspect {aspect!r}")
    if service:
        out = [c for c in out if c.meta.service == service.lower()]
        if not out:
            raise KeyError(f"no check for service {service!r}")
    return sorted(out, key=lambda c: c.meta.id)
