"""Findings in the formats other tools read: OCSF, ASFF, SARIF, CSV, JSON and an HTML report.

Each format is a pure function ``ExportInput -> str`` in its own module, imported when first
used (py-ocsf-models and boto3 are slow to import; `srm who-owns` should not pay for them).
Nothing here reads the store, the clock or AWS: callers (``bot/cli/export.py``) gather the
findings and the check metadata and pass them in.
"""
from __future__ import annotations

import importlib
from typing import Callable

from bot.exports.common import ExportInput, finding_uid

_RENDERERS: dict[str, tuple[str, str]] = {
    "json": ("bot.exports.tabular", "render_json"),
    "csv": ("bot.exports.tabular", "render_csv"),
    "ocsf": ("bot.exports.ocsf", "render_ocsf"),
    "asff": ("bot.exports.asff", "render_asff"),
    "sarif": ("bot.exports.sarif", "render_sarif"),
    "html": ("bot.exports.html", "render_html"),
}
EXPORT_FORMATS = tuple(_RENDERERS)

__all__ = ["EXPORT_FORMATS", "ExportInput", "finding_uid", "render", "renderer"]


def renderer(fmt: str) -> Callable[[ExportInput], str]:
    """The render function of ``fmt`` (KeyError for an unknown format)."""
    module, name = _RENDERERS[fmt]
    return getattr(importlib.import_module(module), name)


def render(fmt: str, inp: ExportInput) -> str:
    return renderer(fmt)(inp)
