"""The Azure task catalogue (data/tasks/azure/*.yml) is well formed and points at real aspects, services and sources.

Independent of bot/tasks.py on purpose: it reads the YAML directly, so it guards the data files on their own.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.matrix import MATRIX_PATH, SERVICES_PATH

AZURE_TASKS_DIR = MATRIX_PATH.parent / "tasks" / "azure"
TASK_FILES = sorted(AZURE_TASKS_DIR.glob("*.yml"))
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
MICROSOFT_URL = re.compile(r"^https://([a-z0-9-]+\.)*microsoft\.com/")
OWNERS = {"provider", "customer", "shared"}
TASK_KEYS = {
    "id", "title", "aspect", "owner", "owner_by_variant", "provider_does", "customer_does",
    "keywords", "source", "checks", "ccm", "disagreement",
}
REQUIRED_TASK_KEYS = {"id", "title", "aspect", "owner", "provider_does", "customer_does", "keywords", "source"}


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def matrix() -> dict[str, Any]:
    return _load(MATRIX_PATH)


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in _load(SERVICES_PATH)["services"]}


def test_catalogue_covers_at_least_thirty_azure_services() -> None:
    assert len(TASK_FILES) >= 30
    assert len({_load(p)["service"] for p in TASK_FILES}) == len(TASK_FILES)


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_file_names_a_known_azure_service(path: Path, services: dict[str, dict[str, Any]]) -> None:
    data = _load(path)
    assert set(data) <= {"service", "sources", "variants", "tasks"}, path.name
    service = services.get(data["service"])
    assert service is not None, f"{path.name}: unknown service {data['service']!r}"
    assert service["provider"] == "azure", f"{path.name}: {data['service']} is not an Azure service"


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_sources_are_microsoft_pages(path: Path) -> None:
    sources = _load(path)["sources"]
    assert sources, f"{path.name}: no sources"
    for key, source in sources.items():
        assert source["title"].strip(), f"{path.name}: source {key} has no title"
        assert MICROSOFT_URL.match(source["url"]), f"{path.name}: source {key} url {source['url']!r}"
    assert any("learn.microsoft.com" in s["url"] for s in sources.values()), path.name


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_tasks_are_complete_and_consistent(path: Path, matrix: dict[str, Any]) -> None:
    data = _load(path)
    aspects = {a["id"] for a in matrix["aspects"]}
    known_sources = set(data["sources"]) | set(matrix.get("sources", {}))
    variants = {v["id"] for v in data.get("variants", [])}
    tasks = data["tasks"]
    assert len(tasks) >= 6, f"{path.name}: only {len(tasks)} tasks"
    ids = [t["id"] for t in tasks]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate task ids"
    for task in tasks:
        where = f"{path.name}: {task.get('id')}"
        assert REQUIRED_TASK_KEYS <= set(task) <= TASK_KEYS, where
        assert ID_PATTERN.match(task["id"]), where
        assert task["aspect"] in aspects, f"{where}: unknown aspect {task['aspect']!r}"
        assert task["source"] in known_sources, f"{where}: unknown source {task['source']!r}"
        assert task["owner"] in OWNERS, where
        assert not task.get("checks"), f"{where}: Azure tasks list no checks"
        if task["owner"] == "shared" or task.get("disagreement"):
            assert task["owner"] == "shared", f"{where}: a disagreement must be answered shared"
            assert task["provider_does"] and task["customer_does"], f"{where}: shared needs both sides"
        else:
            side = "provider_does" if task["owner"] == "provider" else "customer_does"
            assert task[side], f"{where}: owner {task['owner']} but {side} is empty"
        for variant, owner in task.get("owner_by_variant", {}).items():
            assert variant in variants, f"{where}: unknown variant {variant!r}"
            assert owner in OWNERS, where
            if owner == "shared":
                assert task["provider_does"] and task["customer_does"], f"{where}: {variant} is shared: say both sides"


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_keywords_are_specific_lowercase_phrases(path: Path, services: dict[str, dict[str, Any]]) -> None:
    service_names = {a for s in services.values() for a in s.get("aliases", [])}
    service_names |= {s["name"].lower() for s in services.values()}
    seen: dict[str, str] = {}
    for task in _load(path)["tasks"]:
        assert len(task["keywords"]) >= 2, f"{path.name}: {task['id']} needs more keywords"
        for keyword in task["keywords"]:
            where = f"{path.name}: {task['id']} keyword {keyword!r}"
            assert keyword == keyword.lower().strip(), where
            assert keyword not in service_names, f"{where} is a product name on its own"
            assert keyword not in {"security", "data", "backup", "patching", "encryption", "network"}, where
            assert seen.setdefault(keyword, task["id"]) == task["id"], f"{where} also in {seen[keyword]}"
