"""Reduce srm and Prowler findings to (srm check id, resource key, PASS/FAIL) and pair them.

Pure functions over the two tools' JSON (srm's `--format json`, Prowler's json-ocsf) and the
map in bench/prowler_map.yml (read its header for `key` and `rewrite`). Used by
bench/compare_prowler.py.
"""
from __future__ import annotations

import re
from collections import defaultdict


def arn_key(arn: str) -> str:
    """The resource part of an ARN, reduced to its last '/' segment (bucket, sg-..., user, db:NAME)."""
    if not arn.startswith("arn:"):
        return arn
    return arn.split(":", 5)[5].rsplit("/", 1)[-1]


def combine(statuses: set[str]) -> str:
    for s in ("ERROR", "FAIL", "PASS"):
        if s in statuses:
            return s
    return "MANUAL"


def ours_by_check(findings: list[dict], mapping: dict) -> dict[str, dict[str, str]]:
    acc: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in findings:
        how = mapping.get(f["check_id"], {}).get("key", "arn")
        key = {"account": f["account_id"], "region": f["region"]}.get(how) or arn_key(
            f["resource_arn"] or f["resource_id"])
        acc[f["check_id"]][key].add(f["status"])
    return {c: {k: combine(v) for k, v in keys.items()} for c, keys in acc.items()}


def prowler_by_check(findings: list[dict], mapping: dict) -> tuple[dict, dict]:
    """(srm check -> key -> status, srm check -> key -> [Prowler status_extended])."""
    by_prowler: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        by_prowler[f["metadata"]["event_code"]].append(f)
    verdicts: dict[str, dict[str, str]] = {}
    details: dict[str, dict[str, list[str]]] = {}
    for cid, spec in mapping.items():
        acc: dict[str, set[str]] = defaultdict(set)
        det: dict[str, list[str]] = defaultdict(list)
        for pid in spec["prowler"]:
            for f in by_prowler.get(pid, []):
                status, text = f["status_code"], f.get("status_detail", "")
                for rw in spec.get("rewrite", []):
                    if rw.get("check", pid) == pid and rw["status"] == status and re.search(rw["match"], text):
                        status = rw["to"]
                res = (f.get("resources") or [{}])[0]
                how = spec.get("key", "arn")
                key = {"account": f["cloud"]["account"]["uid"], "region": res.get("region")}.get(how) \
                    or arn_key(res.get("uid") or res.get("name", ""))
                acc[key].add(status)
                det[key].append(f"{pid}: {status}: {text}")
        verdicts[cid] = {k: combine(v) for k, v in acc.items()}
        details[cid] = dict(det)
    return verdicts, details


def compare(ours: dict, theirs: dict, details: dict, mapping: dict) -> list[dict]:
    rows = []
    for cid, spec in mapping.items():
        a, b = ours.get(cid, {}), theirs.get(cid, {})
        common = sorted(set(a) & set(b))
        row = {"check": cid, "prowler": spec["prowler"],
               "both_pass": sorted(k for k in common if a[k] == b[k] == "PASS"),
               "both_fail": sorted(k for k in common if a[k] == b[k] == "FAIL"),
               "disagree": [{"resource": k, "srm": a[k], "prowler": b[k], "prowler_says": details[cid][k]}
                            for k in common if a[k] != b[k]],
               "only_srm": sorted(f"{k} ({a[k]})" for k in set(a) - set(b)),
               "only_prowler": sorted(f"{k} ({b[k]})" for k in set(b) - set(a))}
        row["verdict"] = "no common resource" if not common else "agree" if not row["disagree"] else "DISAGREE"
        rows.append(row)
    return rows
