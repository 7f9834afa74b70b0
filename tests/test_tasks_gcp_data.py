"""The Google Cloud task catalogue (data/tasks/gcp/*.yml) keeps the shared task schema.

Reads the YAML directly so it does not depend on the loader in bot/tasks.py.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
GCP_TASKS = sorted((DATA / "tasks" / "gcp").glob("*.yml"))
ID_RE = re.compile(r"^[a-z0-9_]+$")
OWNERS = {"provider", "customer", "shared"}
GOOGLE_HOSTS = ("cloud.google.com", "google.com", "workspace.google.com")
TASK_KEYS = {
    "id", "title", "aspect", "owner", "owner_by_variant", "provider_does", "customer_does",
    "keywords", "source", "checks", "ccm", "disagreement",
}
# The service areas the issue asks for; each must have a task file.
REQUIRED_SERVICES = {
    "gcp_compute_engine", "gcp_gke", "gcp_cloud_run", "gcp_cloud_functions", "gcp_app_engine", "gcp_batch",
    "gcp_cloud_sql", "gcp_alloydb", "gcp_spanner", "gcp_bigtable", "gcp_firestore", "gcp_memorystore",
    "gcp_bigquery", "gcp_cloud_storage", "gcp_persistent_disk", "gcp_filestore", "gcp_backup_dr", "gcp_iam",
    "gcp_cloud_identity", "gcp_iap", "gcp_secret_manager", "gcp_cloud_kms", "gcp_vpc", "gcp_load_balancing",
    "gcp_cloud_armor", "gcp_cloud_cdn", "gcp_cloud_dns", "gcp_cloud_nat", "gcp_cloud_vpn", "gcp_dataproc",
    "gcp_dataflow", "gcp_pubsub", "gcp_composer", "gcp_cloud_logging", "gcp_security_command_center",
    "google_workspace",
}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def matrix() -> dict:
    return _load(DATA / "matrix.yml")


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return {s["id"]: s for s in _load(DATA / "services.yml")["services"]}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict]:
    return {p.stem: _load(p) for p in GCP_TASKS}


def test_catalogue_covers_at_least_thirty_services_and_every_required_area(catalogue):
    covered = {doc["service"] for doc in catalogue.values()}
    assert len(covered) >= 30
    assert REQUIRED_SERVICES - covered == set()


@pytest.mark.parametrize("path", GCP_TASKS, ids=lambda p: p.stem)
def test_file_names_a_known_google_service_that_matches_its_file(path, services):
    doc = _load(path)
    service = services.get(doc["service"])
    assert service is not None, f"{path.name}: {doc['service']} is not in services.yml"
    assert service["provider"] == "gcp"
    assert doc["service"] in (f"gcp_{path.stem}", path.stem)


@pytest.mark.parametrize("path", GCP_TASKS, ids=lambda p: p.stem)
def test_file_cites_the_services_own_google_pages(path):
    sources = _load(path)["sources"]
    assert sources, f"{path.name} has no sources"
    for key, src in sources.items():
        host = urlparse(src["url"]).hostname or ""
        assert src["url"].startswith("https://"), f"{path.name}: {key}"
        assert host.endswith(GOOGLE_HOSTS), f"{path.name}: {key} points at {host}"
        assert src["title"].strip(), f"{path.name}: {key} has no title"


@pytest.mark.parametrize("path", GCP_TASKS, ids=lambda p: p.stem)
def test_every_task_is_well_formed(path, matrix):
    doc = _load(path)
    aspects = {a["id"] for a in matrix["aspects"]}
    sources = set(doc["sources"]) | set(matrix["sources"])
    variants = {v["id"] for v in doc.get("variants", [])}
    tasks = doc["tasks"]
    assert len(tasks) >= 6, f"{path.name} has {len(tasks)} tasks"
    ids = [t["id"] for t in tasks]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate task ids"
    for task in tasks:
        where = f"{path.name}: {task['id']}"
        assert set(task) <= TASK_KEYS, f"{where}: unknown keys {set(task) - TASK_KEYS}"
        assert ID_RE.match(task["id"]), where
        assert task["aspect"] in aspects, f"{where}: unknown aspect {task['aspect']}"
        assert task["source"] in sources, f"{where}: unknown source {task['source']}"
        assert not task.get("checks"), f"{where}: Google Cloud tasks list no checks"
        by_variant = task.get("owner_by_variant", {})
        assert set(by_variant) <= variants, f"{where}: unknown variant"
        owners = {task["owner"], *by_variant.values()}
        assert owners <= OWNERS, where
        if "shared" in owners:
            assert task["provider_does"] and task["customer_does"], f"{where}: shared needs both sides"
        if task["owner"] == "customer":
            assert task["customer_does"], where
        if task["owner"] == "provider":
            assert task["provider_does"], where
        if task.get("disagreement"):
            assert task["owner"] == "shared", f"{where}: a disagreement is answered shared"


@pytest.mark.parametrize("path", GCP_TASKS, ids=lambda p: p.stem)
def test_keywords_are_lowercase_phrases_not_bare_short_words(path):
    for task in _load(path)["tasks"]:
        assert task["keywords"], f"{path.name}: {task['id']} has no keywords"
        for kw in task["keywords"]:
            assert kw == kw.lower().strip(), f"{path.name}: {task['id']}: {kw!r}"
            assert " " in kw or len(kw) >= 4, f"{path.name}: {task['id']}: {kw!r} is too short alone"


PROVIDER_WORDS = {"gcp", "google", "cloud"}
BROAD_WORDS = {
    "security", "data", "backup", "backups", "logs", "logging", "patching", "patches", "encryption", "access",
    "network", "monitoring", "permissions", "roles", "configuration", "compliance", "updates", "keys",
}


def test_keywords_are_not_bare_service_names_or_one_broad_word(catalogue, services):
    """A keyword that only names a service adds nothing; one that shrinks to one broad word once provider
    names are set aside ("gcp logging" -> "logging") would match far too many questions."""
    names = {a for s in services.values() for a in s.get("aliases", [])}
    names |= {s["name"].lower() for s in services.values()}
    bad = []
    for stem, doc in catalogue.items():
        for task in doc["tasks"]:
            for kw in task["keywords"]:
                rest = [w for w in kw.split() if w not in PROVIDER_WORDS]
                if kw in names or (len(rest) == 1 and rest[0] in BROAD_WORDS):
                    bad.append(f"{stem}.{task['id']}: {kw!r}")
    assert bad == []


def test_variant_ids_are_unique_and_named(catalogue):
    for stem, doc in catalogue.items():
        ids = [v["id"] for v in doc.get("variants", [])]
        assert len(ids) == len(set(ids)), stem
        for variant in doc.get("variants", []):
            assert ID_RE.match(variant["id"]) and variant["name"], stem
