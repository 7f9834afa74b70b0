"""srm's own shapes: a JSON array of findings and a flat CSV (one row per finding)."""
from __future__ import annotations

import csv
import io
import json

from bot.exports.common import ExportInput

CSV_FIELDS = ("check_id", "status", "severity", "account_id", "region", "resource_type", "resource_id",
              "resource_arn", "reason", "error_code", "fingerprint", "evidence", "tags")


def render_json(inp: ExportInput) -> str:
    return json.dumps([f.model_dump(mode="json") for f in inp.findings], indent=2) + "\n"


def render_csv(inp: ExportInput) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for f in inp.findings:
        row = f.model_dump(mode="json")
        row["evidence"] = json.dumps(row["evidence"], sort_keys=True)
        row["tags"] = json.dumps(row["tags"], sort_keys=True)
        writer.writerow(["" if row.get(k) is None else row[k] for k in CSV_FIELDS])
    return buf.getvalue()
