"""Render a :class:`~bot.reports.FrameworkReport` as JSON, CSV or one self-contained HTML page (pure functions).

The HTML page loads nothing from the network (inline CSS, no scripts) and escapes every text that came
from AWS, the store or the data files.
"""
from __future__ import annotations

import csv
import io
from html import escape

from bot.reports import FrameworkReport, ReqStatus, RequirementResult

CSV_FIELDS = ("framework", "requirement", "section", "title", "assessment", "severity", "status", "checks",
              "passed_resources", "failing_resources", "failing", "errors")
STATUS_COLOURS = {ReqStatus.PASS: "#1a7f37", ReqStatus.FAIL: "#cf222e", ReqStatus.ERROR: "#9a6700",
                  ReqStatus.NO_DATA: "#6e7781", ReqStatus.NOT_COVERED: "#8250df", ReqStatus.MANUAL: "#0969da"}


def to_json(report: FrameworkReport) -> str:
    return report.model_dump_json(indent=2)


def _failing_text(r: RequirementResult) -> str:
    return "; ".join(f"{f.account_id}/{f.region}/{f.resource_id} ({f.check_id})" for f in r.failing)


def to_csv(report: FrameworkReport) -> str:
    """One row per requirement; failing resources joined with '; '."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in report.requirements:
        w.writerow([report.framework, r.id, r.section, r.title, r.assessment.value,
                    r.severity.value if r.severity else "", r.status.value, " ".join(r.checks), r.passed,
                    r.failed, _failing_text(r), "; ".join(r.errors)])
    return buf.getvalue()


_CSS = """
body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#1f2328}
h1{font-size:1.5em;margin-bottom:.2em}.muted{color:#6e7781}table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border-bottom:1px solid #d0d7de;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}.badge{display:inline-block;color:#fff;border-radius:1em;padding:0 .6em;font-size:.85em;
white-space:nowrap}code{font-size:.9em}details summary{cursor:pointer}.score{font-size:1.2em;font-weight:600}
"""


def _badge(status: ReqStatus) -> str:
    return f'<span class="badge" style="background:{STATUS_COLOURS[status]}">{escape(status.value)}</span>'


def _row(r: RequirementResult) -> str:
    checks = "<br>".join(f"<code>{escape(c)}</code>" for c in r.checks) or '<span class="muted">none</span>'
    detail = ""
    if r.failing:
        items = "".join(f"<li><code>{escape(f.account_id)}/{escape(f.region)}/{escape(f.resource_id)}</code> "
                        f"({escape(f.check_id)}): {escape(f.reason)}</li>" for f in r.failing)
        detail += f"<details><summary>{len(r.failing)} failing resource(s)</summary><ul>{items}</ul></details>"
    if r.errors:
        detail += "<div>errors: " + escape("; ".join(r.errors)) + "</div>"
    if r.not_run:
        detail += '<div class="muted">not run yet: ' + escape(", ".join(r.not_run)) + "</div>"
    extra = escape(r.severity.value) if r.severity else (f"L{r.level}" if r.level else "")
    return (f"<tr><td>{escape(r.id)}</td><td>{escape(r.title)}{detail}</td><td>{escape(r.assessment.value)}"
            f"</td><td>{extra}</td><td>{_badge(r.status)}</td><td>{checks}</td></tr>")


def to_html(report: FrameworkReport) -> str:
    c = report.counts
    head = "".join(f"<th>{escape(s.value)}</th>" for s in ReqStatus)
    sections = "".join(
        f"<tr><td>{escape(s.id)}</td><td>{escape(s.title)}</td>"
        + "".join(f"<td>{s.counts[st]}</td>" for st in ReqStatus) + "</tr>" for s in report.sections)
    totals = "".join(f"<td><b>{c[st]}</b></td>" for st in ReqStatus)
    reqs = "".join(_row(r) for r in report.requirements)
    accounts = ", ".join(report.accounts) or "none scanned yet"
    title = f"{report.name} v{report.version}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<div class="muted">generated {escape(report.generated_at.isoformat(timespec="seconds"))} from the latest findings;
accounts: {escape(accounts)}</div>
<p class="score">{escape(report.summary_line())}</p>
<h2>By section</h2>
<table><tr><th>Section</th><th>Title</th>{head}</tr>{sections}<tr><td></td><td><b>Total</b></td>{totals}</tr></table>
<h2>Requirements</h2>
<table><tr><th>Id</th><th>Requirement</th><th>Assessment</th><th>Severity / level</th><th>Status</th>
<th>Checks</th></tr>{reqs}</table>
</body></html>
"""


RENDERERS = {"json": to_json, "csv": to_csv, "html": to_html}
