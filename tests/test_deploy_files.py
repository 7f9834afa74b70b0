"""docker-compose.yml and deploy/k8s: valid, one replica, Recreate, the volume where SRM_DB lives, and the
health probe on the path and port `srm serve` answers."""
from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import yaml

from bot.config import Settings
from bot.slack.server import HEALTH_PATH

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s" / "srm-bot.yaml"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def k8s_docs() -> dict[str, dict]:
    return {d["kind"]: d for d in yaml.safe_load_all(K8S.read_text())}


def dockerfile_env(name: str) -> str:
    return re.search(rf"{name}=(\S+)", DOCKERFILE.read_text()).group(1)


def test_k8s_manifest_validates_against_the_kubernetes_schemas():
    for doc in yaml.safe_load_all(K8S.read_text()):
        kubernetes_validate.validate(doc, "1.30", strict=True)  # raises on any unknown or mistyped field


def test_k8s_runs_one_pod_that_never_overlaps_and_probes_healthz():
    docs = k8s_docs()
    spec = docs["Deployment"]["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    [container] = spec["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    port = int(env["SRM_PORT"])
    assert port == Settings().srm_port and container["ports"] == [{"name": "http", "containerPort": port}]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH_PATH, "port": "http"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert Path(env["SRM_DB"]).parent == Path(mounts["data"])
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == docs["PersistentVolumeClaim"]["metadata"]["name"]
    assert spec["template"]["spec"]["securityContext"]["runAsUser"] == 10001  # the image's user owns /data


def test_compose_keeps_the_database_on_a_named_volume():
    compose = yaml.safe_load(COMPOSE.read_text())
    assert list(compose["services"]) == ["srm"]  # the optional Redis/worker section stays commented out
    srm = compose["services"]["srm"]
    db = srm["environment"]["SRM_DB"]
    assert db == dockerfile_env("SRM_DB")
    volume, _, mount = srm["volumes"][0].partition(":")
    assert volume in compose["volumes"] and Path(db).parent == Path(mount)
    assert srm["ports"] == [f"{dockerfile_env('SRM_PORT')}:{srm['environment']['SRM_PORT']}"]
    assert "replicas" not in srm.get("deploy", {})
