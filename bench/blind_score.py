"""Score question sets the way the blind evaluation is judged: the owner (and the provider, when the case
names one), per file and per provider, with every miss listed.

Run: .venv/bin/python bench/blind_score.py tests/data/who_owns_blind5.yml [...] [--json]
The first run of a new blind set is its untuned score (record it in bench/README.md before any fix).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.matrix import load_matrix, load_services  # noqa: E402
from bot.owners import load_owners  # noqa: E402
from bot.resolver import Resolver  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    matrix = load_matrix()
    resolver = Resolver(matrix, load_services(), load_owners(aspect_ids=matrix.ids))
    report = {}
    for path in args.files:
        cases = yaml.safe_load(path.read_text())["cases"]
        ok, per_provider, total_provider, misses, leaks = 0, Counter(), Counter(), [], 0
        for case in cases:
            exp = case["expect"]
            answer = resolver.who_owns(case["q"])
            got = {"owner": answer.owner.value, "provider": answer.provider.value if answer.provider else None}
            want = {k: exp[k] for k in ("owner", "provider") if k in exp}
            hit = all(got[k] == v for k, v in want.items())
            bucket = exp.get("provider") or ("out_of_scope" if exp["owner"] == "unknown" else "agnostic")
            total_provider[bucket] += 1
            if hit:
                ok += 1
                per_provider[bucket] += 1
            else:
                misses.append({"q": case["q"], "want": want, "got": got})
            if exp["owner"] == "unknown" and got["owner"] != "unknown":
                leaks += 1
        report[path.stem] = {"cases": len(cases), "correct": ok, "accuracy": round(ok / len(cases), 4),
                             "out_of_scope_given_an_owner": leaks,
                             "per_provider": {p: f"{per_provider[p]}/{n}" for p, n in sorted(total_provider.items())},
                             "misses": misses}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, r in report.items():
        print(f"{name}: {r['correct']}/{r['cases']} = {r['accuracy']:.1%}; out of scope given an owner: "
              f"{r['out_of_scope_given_an_owner']}; per provider: {r['per_provider']}")
        for m in r["misses"]:
            print(f"   MISS {m['q']!r}: want {m['want']} got {m['got']}")


if __name__ == "__main__":
    main()
