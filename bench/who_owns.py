"""Benchmark: who-owns answer latency after load, and load time (matrix, services, owners, task catalogue).

Run: .venv/bin/python bench/who_owns.py [--rounds N] [--tasks DIR]
Reports medians and p50/p99 over the question sets in tests/data/who_owns_*.yml. ``--tasks`` points at
another catalogue root (e.g. one holding aws/, azure/ and gcp/) to measure the load with more data.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.datafiles import collector_paused  # noqa: E402
from bot.matrix import load_matrix, load_services  # noqa: E402
from bot.owners import load_owners  # noqa: E402
from bot.resolver import Resolver  # noqa: E402
from bot.tasks import TASKS_DIR, load_tasks  # noqa: E402
from bot.textmatch import forget_normal_forms, stem  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--tasks", type=Path, default=TASKS_DIR)
    args = ap.parse_args()
    def load() -> tuple[float, float, Any, Any, Any]:
        forget_normal_forms()  # every load starts as a new process does: no text caches in memory
        stem.cache_clear()
        t, c = time.perf_counter(), time.thread_time()
        with collector_paused():  # as build_services loads
            matrix = load_matrix()
            catalog = load_tasks(args.tasks)
            resolver = Resolver(matrix, load_services(), load_owners(aspect_ids=matrix.ids), catalog)
        return (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000, matrix, catalog, resolver

    first_loads = []  # a first start: nothing in the cache directory yet (parsed YAML, the data's normal forms)
    for _ in range(3):
        with tempfile.TemporaryDirectory() as empty, mock.patch.dict(os.environ, {"SRM_CACHE_DIR": empty}):
            first_loads.append(load()[0])
    loads, load_cpu, after_load = [], [], []
    for _ in range(7):  # later starts: the cache directory holds what the first start wrote
        wall, cpu_ms, matrix, catalog, resolver = load()
        loads.append(wall)
        load_cpu.append(cpu_ms)
        t = time.perf_counter()  # the first question after a start also pays the collector's deferred scan
        resolver.who_owns("who patches the os on ec2")
        after_load.append((time.perf_counter() - t) * 1000)
    case_files = sorted((ROOT / "tests/data").glob("who_owns_*.yml"))
    cases = [c for f in case_files for c in yaml.safe_load(f.read_text())["cases"]]
    questions = [c["q"] for c in cases]
    cold = []
    fresh = Resolver(matrix, load_services(), load_owners(aspect_ids=matrix.ids), catalog)
    for q in questions:  # first sight of each question: no token cache yet
        t = time.perf_counter()
        fresh.who_owns(q)
        cold.append((time.perf_counter() - t) * 1000)
    warm, cpu = [], []  # wall time, and this thread's CPU time (immune to being descheduled on a busy machine)
    for _ in range(args.rounds):
        for q in questions:
            t, c = time.perf_counter(), time.thread_time()
            resolver.who_owns(q)
            cpu.append((time.thread_time() - c) * 1000)
            warm.append((time.perf_counter() - t) * 1000)
    out = {
        "questions": len(questions),
        "task_services": len(catalog.by_service),
        "tasks": sum(len(st.tasks) for st in catalog.by_service.values()),
        "first_load_ms_median": round(statistics.median(first_loads), 2),
        "load_ms_median": round(statistics.median(loads), 2),
        "load_cpu_ms_median": round(statistics.median(load_cpu), 2),
        "question_after_load_ms_median": round(statistics.median(after_load), 2),
        "first_answer_ms_p50": round(pct(cold, 50), 3),
        "first_answer_ms_p99": round(pct(cold, 99), 3),
        "answer_ms_p50": round(pct(warm, 50), 3),
        "answer_ms_p99": round(pct(warm, 99), 3),
        "answer_cpu_ms_p50": round(pct(cpu, 50), 3),
        "answer_cpu_ms_p99": round(pct(cpu, 99), 3),
        "target_p99_ms": 5.0,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
