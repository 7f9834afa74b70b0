"""Findings in the formats other tools read: OCSF, ASFF, SARIF, CSV, JSON and an HTML report.

Each format is a pure function ``ExportInput -> str`` in its own module; :data:`RENDERERS`
names them. Nothing here reads the store, the clock or AWS: callers (``bot/cli/export.py``)
gather the findings and the check metadata and pass them in.
"""
from __future__ import annotations

from typing import Callable

from bot.exports.asff import render_asff
from bot.exports.common import ExportInput, finding_uid
from bot.exports.html import render_html
from bot.exports.ocsf import render_ocsf
from bot.exports.sarif import render_sarif
from bot.exports.tabular import render_csv, render_json

RENDERERS: dict[str, Callable[[ExportInput], str]] = {
    "json": render_json,
    "csv": render_csv,
    "ocsf": render_ocsf,
    "asff": render_asff,
    "sarif": render_sarif,
    "html": render_html,
}
EXPORT_FORMATS = tuple(RENDERERS)

__all__ = ["EXPORT_FORMATS", "RENDERERS", "ExportInput", "finding_uid", "render"]


def render(fmt: str, inp: ExportInput) -> str:
    """The document for ``fmt`` (KeyError for an unknown format)."""
    return RENDERERS[fmt](inp)
