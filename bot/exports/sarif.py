"""SARIF 2.1.0: rules are the checks, results are the failing resources.

Cloud resources have no source file, so each result names its resource as a logical
location (the ARN, or the resource id) and as a relative pseudo path
``aws/<account>/<region>/<resource type>/<resource id>`` (GitHub code scanning rejects a result
without ``physicalLocation.artifactLocation.uri``), and carries a stable ``partialFingerprints``
entry so code-scanning UIs track it across runs. ERROR findings (we could not tell) are
tool execution notifications, not results: they say nothing about the resource.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from bot.exports.common import PRODUCT_NAME, ExportInput, finding_uid, frameworks_of, title_of
from checks.base import CheckMeta, Finding, Status

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning reads a 0.0-10.0 "security-severity" from the rule's properties.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def pseudo_path(f: Finding) -> str:
    """A relative URI naming the resource, each segment percent-encoded (ids may hold ``/`` or spaces)."""
    parts = ("aws", f.account_id, f.region, f.resource_type.replace("::", "-").strip("-") or "resource", f.resource_id)
    return "/".join(quote(p, safe="") for p in parts)


def _rule(meta: CheckMeta) -> dict[str, Any]:
    return {
        "id": meta.id,
        "name": "".join(part.capitalize() for part in meta.id.split("_")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.fail_title or meta.title},
        "help": {"text": meta.remediation},
        "defaultConfiguration": {"level": LEVEL[meta.severity.value]},
        "properties": {
            "tags": ["security", meta.service, meta.aspect, *frameworks_of(meta)],
            "security-severity": SECURITY_SEVERITY[meta.severity.value],
            "precision": "high",
        },
    }


def _result(inp: ExportInput, f: Finding, rule_index: int | None) -> dict[str, Any]:
    name = f.resource_arn or f.resource_id
    out: dict[str, Any] = {
        "ruleId": f.check_id,
        "kind": "fail",
        "level": LEVEL[f.severity.value],
        "message": {"text": f"{title_of(f, inp.meta(f))}: {f.reason}" if f.reason else title_of(f, inp.meta(f))},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": pseudo_path(f)}},
                       "logicalLocations": [{"name": f.resource_id, "fullyQualifiedName": name,
                                             "kind": "resource"}]}],
        "partialFingerprints": {"srmFindingId/v1": finding_uid(f)},
        "properties": {"account": f.account_id, "region": f.region, "resourceType": f.resource_type,
                       "team": inp.team(f), "evidenceFingerprint": f.fingerprint},
    }
    if rule_index is not None:
        out["ruleIndex"] = rule_index
    return out


def sarif_document(inp: ExportInput) -> dict[str, Any]:
    used = sorted({f.check_id for f in inp.findings})
    metas = [inp.metas[c] for c in used if c in inp.metas]
    index = {m.id: i for i, m in enumerate(metas)}
    results = [_result(inp, f, index.get(f.check_id)) for f in inp.findings if f.status is Status.FAIL]
    notes = [{"level": "error", "message": {"text": f"{f.check_id} {f.account_id} {f.region}: {f.reason}"},
              "descriptor": {"id": f.check_id}}
             for f in inp.findings if f.status is Status.ERROR]
    invocation: dict[str, Any] = {"executionSuccessful": not notes}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": PRODUCT_NAME, "version": inp.version, "rules": [_rule(m) for m in metas]}},
            "invocations": [invocation],
            "results": results,
        }],
    }


def render_sarif(inp: ExportInput) -> str:
    return json.dumps(sarif_document(inp), indent=2, ensure_ascii=False) + "\n"
