"""A self-contained HTML report: one file, inline CSS and JS, no network fetches.

Every value from a finding or a check is escaped (``html.escape`` with quotes) before it
goes into the page, attribute values included; the script only reads ``data-`` attributes
and toggles row visibility, so nothing from AWS is ever evaluated.
"""
from __future__ import annotations

from collections import Counter
from html import escape

from bot.exports.common import ExportInput, framework_names, frameworks_of, iso_z, title_of
from checks.base import Finding, Status

SEVERITIES = ("critical", "high", "medium", "low")
STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2}

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
h1{font-size:1.4rem;margin:0 0 .3rem}
.meta{color:#555;margin-bottom:1rem}
.filters{display:flex;gap:1rem;flex-wrap:wrap;margin:.8rem 0}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#444}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
.sev-critical{color:#fff;background:#8b0000}.sev-high{color:#fff;background:#c62828}
.sev-medium{background:#ffb300}.sev-low{background:#cfd8dc}
.badge{border-radius:3px;padding:0 .35rem;font-size:.8rem;white-space:nowrap}
.st-FAIL{color:#c62828;font-weight:600}.st-ERROR{color:#a15c00;font-weight:600}.st-PASS{color:#2e7d32}
.counts span{margin-right:1rem}
code{font-size:.85em;word-break:break-all}
"""

JS = """
(function(){
  var ids=['f-severity','f-status','f-team','f-framework'];
  function apply(){
    var v={};ids.forEach(function(i){v[i]=document.getElementById(i).value;});
    var shown=0;
    document.querySelectorAll('tbody tr').forEach(function(r){
      var ok=(!v['f-severity']||r.dataset.severity===v['f-severity'])
        &&(!v['f-status']||r.dataset.status===v['f-status'])
        &&(!v['f-team']||r.dataset.team===v['f-team'])
        &&(!v['f-framework']||(' '+r.dataset.frameworks+' ').indexOf(' '+v['f-framework']+' ')>=0);
      r.hidden=!ok; if(ok){shown++;}
    });
    document.getElementById('shown').textContent=shown;
  }
  ids.forEach(function(i){document.getElementById(i).addEventListener('change',apply);});
  apply();
})();
"""


def _options(values: list[str]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)


def _select(ident: str, label: str, values: list[str], default: str = "") -> str:
    opts = _options(values).replace(f'value="{escape(default)}"', f'value="{escape(default)}" selected', 1) \
        if default else _options(values)
    return (f'<label for="{ident}">{escape(label)}<select id="{ident}"><option value="">all</option>'
            f"{opts}</select></label>")


def _row(inp: ExportInput, f: Finding) -> str:
    meta = inp.meta(f)
    fws = framework_names(meta)
    controls = ", ".join(frameworks_of(meta))
    resource = f.resource_arn or f.resource_id
    return (
        f'<tr data-severity="{escape(f.severity.value)}" data-status="{escape(f.status.value)}"'
        f' data-team="{escape(inp.team(f))}" data-frameworks="{escape(" ".join(fws))}">'
        f'<td><span class="badge sev-{escape(f.severity.value)}">{escape(f.severity.value)}</span></td>'
        f'<td class="st-{escape(f.status.value)}">{escape(f.status.value)}</td>'
        f"<td>{escape(title_of(f, meta))}<br><code>{escape(f.check_id)}</code></td>"
        f"<td>{escape(f.account_id)}<br>{escape(f.region)}</td>"
        f"<td><code>{escape(resource)}</code><br>{escape(f.resource_type)}</td>"
        f"<td>{escape(f.reason)}</td>"
        f"<td>{escape(inp.team(f))}</td>"
        f"<td>{escape(controls)}</td>"
        f"<td>{escape(meta.remediation) if meta else ''}</td></tr>"
    )


def render_html(inp: ExportInput) -> str:
    findings = sorted(inp.findings, key=lambda f: (STATUS_ORDER[f.status], -f.severity.rank, f.check_id,
                                                    f.account_id, f.region, f.resource_id))
    counts = Counter(f.status.value for f in findings)
    teams = sorted({inp.team(f) for f in findings})
    fws = sorted({fw for f in findings for fw in framework_names(inp.meta(f))})
    has_bad = any(f.status is not Status.PASS for f in findings)
    filters = (_select("f-severity", "Severity", list(SEVERITIES))
               + _select("f-status", "Status", [s.value for s in Status], "FAIL" if has_bad else "")
               + _select("f-team", "Team", teams) + _select("f-framework", "Framework", fws))
    head = "".join(f"<th>{h}</th>" for h in ("Severity", "Status", "Check", "Account / region", "Resource",
                                             "Reason", "Team", "Controls", "Remediation"))
    rows = "\n".join(_row(inp, f) for f in findings)
    summary = "".join(f"<span>{escape(s.value)}: {counts.get(s.value, 0)}</span>" for s in Status)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
        " script-src 'unsafe-inline'\">"
        f"<title>{escape(inp.title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(inp.title)}</h1>"
        f'<div class="meta">generated {escape(iso_z(inp.generated_at))} by srm-bot {escape(inp.version)}'
        f" · {len(findings)} findings</div>"
        f'<div class="counts">{summary}<span>shown: <b id="shown">{len(findings)}</b></span></div>'
        f'<div class="filters">{filters}</div>'
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>"
        f"<script>{JS}</script></body></html>\n"
    )
