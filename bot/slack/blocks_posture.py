"""Block Kit for `/srm posture [framework]`: the framework score, counts per section, the worst failures (pure)."""
from __future__ import annotations

from bot.reports import FrameworkReport, ReqStatus
from bot.slack.blocks import Payload, context, escape, fields, header, message, section

SHOWN_FAILURES = 8
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
SHORT = {ReqStatus.PASS: "pass", ReqStatus.FAIL: "fail", ReqStatus.ERROR: "error", ReqStatus.NO_DATA: "no data",
         ReqStatus.NOT_COVERED: "not covered", ReqStatus.MANUAL: "manual"}


def _counts(counts: dict[ReqStatus, int]) -> str:
    return ", ".join(f"{n} {SHORT[s]}" for s, n in counts.items() if n) or "no requirements"


def posture_message(report: FrameworkReport) -> Payload:
    title = f"{report.name} v{report.version}"
    score = f"{report.score:.0%}" if report.score is not None else "n/a"
    coverage = f"{report.coverage:.0%}" if report.coverage is not None else "n/a"
    blocks = [
        header(f"Posture: {title}"[:150]),
        section(f"*Score {score}*: {report.passed} of {report.covered} covered automated requirements pass. "
                f"Coverage {coverage}: {report.covered} of {report.automated} automated requirements have checks. "
                f"({_counts(report.counts)})"),
        fields(*[f"*{escape(s.id)} {escape(s.title)}*\n{_counts(s.counts)}" for s in report.sections]),
    ]
    failing = sorted((r for r in report.requirements if r.status is ReqStatus.FAIL),
                     key=lambda r: (SEVERITY_ORDER.get(r.severity.value if r.severity else "", 4), -r.failed))
    if failing:
        lines = [f"• `{escape(r.id)}` {escape(r.title)}: {r.failed} failing resource(s)"
                 for r in failing[:SHOWN_FAILURES]]
        if len(failing) > SHOWN_FAILURES:
            lines.append(f"…and {len(failing) - SHOWN_FAILURES} more")
        blocks.append(section("*Failing requirements*\n" + "\n".join(lines)))
    accounts = ", ".join(report.accounts) or "none scanned yet"
    blocks.append(context(f"Accounts: {escape(accounts)}. Full report: "
                          f"`srm report --framework {escape(report.framework)} --format html --output report.html`"))
    return message(f"{title}: score {score}, coverage {coverage}", blocks)
