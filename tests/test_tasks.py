"""The task catalogue: shipped data is valid and big enough; broken entries are named; task-level answers."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.datafiles import DataFileError
from bot.matrix import Owner, Provider, load_matrix, load_services
from bot.owners import load_owners
from bot.resolver import Resolver
from bot.slack import blocks
from bot.tasks import TASKS_DIR, catalogue_problems, load_tasks
from checks.registry import load_all

MATRIX = load_matrix()
SERVICES = load_services()
CATALOG = load_tasks()
RESOLVER = Resolver(MATRIX, SERVICES, load_owners(aspect_ids=MATRIX.ids), CATALOG)
REGISTRY = load_all()


def test_shipped_catalogue_is_valid_and_covers_30_aws_services():
    assert catalogue_problems(CATALOG, MATRIX, SERVICES, REGISTRY) == []
    aws = [st for sid, st in CATALOG.by_service.items() if CATALOG.folders[sid] == "aws"]
    assert len(aws) >= 30
    assert all(len(st.tasks) >= 6 for st in aws), [st.service for st in aws if len(st.tasks) < 6]
    assert all(st.source_of(t, MATRIX) and st.source_of(t, MATRIX).url.startswith("https://")
               for st in aws for t in st.tasks)


def _copy_with(tmp_path: Path, rel: str, edit) -> Path:
    root = tmp_path / "tasks"
    shutil.copytree(TASKS_DIR, root)
    path = root / rel
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["tasks"][1].update(owner="shared", customer_does=""), "tasks[1] (engine_minor_patching)"),
    (lambda d: d["tasks"][2].update(disagreement="pages differ"), "must be owned 'shared'"),
    (lambda d: d["tasks"][0].update(owner_by_variant={"serverless_v9": "provider"}), "unknown variant 'serverless_v9'"),
    (lambda d: d["tasks"].append(dict(d["tasks"][0])), "duplicate task id"),
    (lambda d: d["tasks"][0].update(keywords=["Minor Patches"]), "lowercase"),
    (lambda d: d["sources"]["rds_security"].update(url="not a url"), "sources.rds_security.url"),
])
def test_broken_entry_names_file_and_entry(tmp_path, edit, expected):
    with pytest.raises(DataFileError) as exc:
        load_tasks(_copy_with(tmp_path, "aws/rds.yml", edit))
    msg = exc.value.render()
    assert "aws/rds.yml" in msg and expected in msg, msg


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["tasks"][0].update(aspect="teleportation"), "tasks[0] (os_patching).aspect: unknown aspect"),
    (lambda d: d["tasks"][0].update(source="nowhere"), "tasks[0] (os_patching).source: unknown source"),
    (lambda d: d["tasks"][0].update(checks=["rds_made_up_check"]), "unknown check 'rds_made_up_check'"),
    (lambda d: d.update(service="aws_nope"), "unknown service 'aws_nope'"),
    (lambda d: d.update(service="azure_static_web_apps"), "azure_static_web_apps is a azure service, not aws"),
])
def test_cross_file_rules_name_file_and_entry(tmp_path, edit, expected):
    root = _copy_with(tmp_path, "aws/rds.yml", edit)
    # the service it now names may have its own file: drop that one, so only the cross-file rule is left to break
    service = yaml.safe_load((root / "aws/rds.yml").read_text())["service"]
    for other in root.glob("*/*.yml"):
        if other != root / "aws/rds.yml" and yaml.safe_load(other.read_text())["service"] == service:
            other.unlink()
    catalog = load_tasks(root)
    problems = catalogue_problems(catalog, MATRIX, SERVICES, REGISTRY)
    assert any("aws/rds.yml" in p and expected in p for p in problems), problems


def test_security_baselines_become_tasks_citing_the_service_page():
    """data/tasks/security_baselines.yml: each feature a service's Azure baseline rates is a task of that service,
    citing that service's baseline page; services known only through their baseline get a catalogue of their own."""
    st = CATALOG.by_service["azure_app_configuration"]
    assert CATALOG.files["azure_app_configuration"] == "security_baselines.yml"
    task = next(t for t in st.tasks if t.id == "baseline_transit_encryption")
    assert task.from_baseline and task.owner == "provider" and task.customer_does == ""
    source = st.source_of(task, MATRIX)
    assert source is not None and source.url == (
        "https://learn.microsoft.com/en-us/security/benchmark/azure/baselines/azure-app-configuration-security-baseline")
    assert "App Configuration" in source.title
    cmk = next(t for t in CATALOG.by_service["azure_event_hubs"].tasks if t.id == "baseline_cmk_encryption")
    assert cmk.owner == "customer" and cmk.provider_does and cmk.customer_does  # offered, then the customer's part
    # hand-written tasks come first and are never marked as made from a baseline
    signalr = CATALOG.by_service["azure_signalr"].tasks
    assert not signalr[0].from_baseline and signalr[-1].from_baseline


def test_a_service_task_of_the_same_id_replaces_the_baseline_one(tmp_path):
    own = {"id": "baseline_transit_encryption", "title": "TLS for client connections", "aspect": "encryption_in_transit",
           "owner": "shared", "provider_does": "Offers TLS 1.2.", "customer_does": "Makes clients use it.",
           "keywords": ["client tls", "tls for clients"], "source": "signalr_scale"}
    root = _copy_with(tmp_path, "azure/signalr.yml", lambda d: d["tasks"].append(own))
    tasks = [t for t in load_tasks(root).by_service["azure_signalr"].tasks if t.id == "baseline_transit_encryption"]
    assert len(tasks) == 1 and tasks[0].owner == "shared" and not tasks[0].from_baseline


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["services"]["azure_signalr"]["owners"].update(teleport="customer"),
     "services.azure_signalr.owners: unknown feature 'teleport'"),
    (lambda d: d["services"]["azure_signalr"]["owners"].update(transit_encryption="maybe"),
     "services.azure_signalr.owners.transit_encryption"),
    (lambda d: d["features"][0].update(keywords=["Data In Transit"]), "features[0] (transit_encryption).keywords"),
    (lambda d: d.update(source_url="https://learn.microsoft.com/no-placeholder"), "source_url"),
    (lambda d: d.update(source_title="Baseline for {service}"), "only {name} and {page} may stand in braces"),
])
def test_a_broken_baseline_entry_names_the_file_and_entry(tmp_path, edit, expected):
    with pytest.raises(DataFileError) as exc:
        load_tasks(_copy_with(tmp_path, "security_baselines.yml", edit))
    msg = exc.value.render()
    assert "security_baselines.yml" in msg and expected in msg, msg


def test_validate_names_a_baseline_feature_with_an_unknown_aspect(tmp_path):
    root = _copy_with(tmp_path, "security_baselines.yml", lambda d: d["features"][0].update(aspect="teleportation"))
    problems = catalogue_problems(load_tasks(root), MATRIX, SERVICES, REGISTRY)
    assert any("baseline_transit_encryption" in p and "unknown aspect 'teleportation'" in p for p in problems), problems


def test_validate_names_a_row_service_of_another_provider():
    row = next(a for a in MATRIX.aspects if a.id == "ddos_protection")
    bad = MATRIX.model_copy(update={"aspects": [row.model_copy(update={"row_services": {
        Provider.azure: "aws_shield", Provider.gcp: "no_such_service"}}) if a is row else a for a in MATRIX.aspects]})
    problems = catalogue_problems(CATALOG, bad, SERVICES, REGISTRY)
    assert "matrix.yml: aspects (ddos_protection).row_services.azure: aws_shield is a aws service, not azure" in problems
    assert "matrix.yml: aspects (ddos_protection).row_services.gcp: unknown service 'no_such_service'" in problems


@pytest.mark.parametrize("q, owner, service, task", [
    ("who encrypts data in transit for azure app configuration", Owner.provider, "azure_app_configuration",
     "baseline_transit_encryption"),
    ("who disables public network access on azure app configuration", Owner.customer, "azure_app_configuration",
     "baseline_public_network_access"),
    ("who backs up azure cosmos db for postgresql", Owner.provider, "azure_cosmos_db_postgresql", "baseline_native_backup"),
    ("iot central - who encrypts data at rest", Owner.provider, "azure_iot_central", "baseline_platform_key_encryption"),
    ("who turns on diagnostic settings for azure digital twins", Owner.customer, "azure_digital_twins",
     "baseline_resource_logs"),
    # a word only a baseline task knows ("connection strings in key vault") does not unsettle the written ones
    ("azure storage account: who stops clients from connecting with tls 1.0", Owner.customer, "azure_blob_storage",
     "secure_transfer"),
])
def test_baseline_tasks_answer_on_their_keywords(q, owner, service, task):
    a = RESOLVER.who_owns(q)
    assert (a.owner, a.service, a.task.id if a.task else None) == (owner, service, f"{service}.{task}"), a.explanation


def test_a_non_aws_task_may_not_list_an_aws_check(tmp_path):
    root = tmp_path / "tasks"
    (root / "azure").mkdir(parents=True)
    (root / "azure" / "vm.yml").write_text(yaml.safe_dump({
        "service": "azure_vm", "sources": {"vm": {"title": "Azure VMs security", "url": "https://learn.microsoft.com/x"}},
        "tasks": [{"id": "os_patching", "title": "Patch the guest OS", "aspect": "guest_os", "owner": "customer",
                   "customer_does": "Patches it.", "keywords": ["patch the os"], "source": "vm",
                   "checks": ["ec2_instance_imdsv2_required"]}]}))
    problems = catalogue_problems(load_tasks(root), MATRIX, SERVICES, REGISTRY)
    assert any("azure/vm.yml: tasks[0] (os_patching).checks" in p and "aws check" in p for p in problems), problems


def test_validate_cli_fails_on_a_broken_task_file(tmp_path, monkeypatch):
    root = _copy_with(tmp_path, "aws/s3.yml", lambda d: d["tasks"][0].update(aspect="nope"))
    monkeypatch.setenv("SRM_TASKS", str(root))
    r = CliRunner().invoke(main, ["validate"])
    assert r.exit_code == 2 and "FAIL  tasks" in r.output and "aws/s3.yml: tasks[0]" in r.output
    assert "Traceback" not in r.output


def test_validate_cli_names_a_key_written_twice(tmp_path, monkeypatch):
    """YAML keeps the last of two equal keys without a word (a merge once wrote a source twice): validate says where."""
    root = _copy_with(tmp_path, "aws/s3.yml", lambda d: None)
    path = root / "aws" / "s3.yml"
    path.write_text(path.read_text() + "service: aws_s3\n")
    monkeypatch.setenv("SRM_TASKS", str(root))
    r = CliRunner().invoke(main, ["validate"])
    assert r.exit_code == 2 and "FAIL  yaml keys" in r.output and "ok    tasks" in r.output
    assert f"{path}: line " in r.output and "key 'service' is written twice" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("q, owner, task, variant", [
    ("who does major version upgrades on rds postgres?", "customer", "aws_rds.major_version_upgrade", None),
    ("who applies minor engine patches on our rds instances", "shared", "aws_rds.engine_minor_patching", None),
    ("aurora storage replication across zones - ours?", "provider", "aws_rds.storage_durability", "aurora"),
    ("who patches the hosts of ecs tasks on fargate", "provider", "aws_ecs.host_os_patching", "fargate"),
    ("who migrates lambdas off a deprecated runtime", "customer", "aws_lambda.deprecated_runtime_migration", None),
    ("who runs the eks control plane", "provider", "aws_eks.control_plane", None),
    ("is shield standard on us for syn floods", "provider", "aws_shield.network_layer_ddos", "standard"),
    ("who turns on pitr for dynamodb tables", "customer", "aws_dynamodb.backups_pitr", None),
])
def test_task_answers(q, owner, task, variant):
    a = RESOLVER.who_owns(q)
    assert (a.owner.value, a.task.id if a.task else None, a.variant) == (owner, task, variant), a.explanation
    assert a.sources and a.sources[0].url.startswith("https://docs.aws.amazon.com/")
    assert a.next_step


def test_variant_decides_and_none_named_asks_which_with_buttons():
    a = RESOLVER.who_owns("who patches the worker node os in eks")
    assert a.owner is Owner.depends and a.asks_variant
    assert {v.id: v.owner for v in a.variants} == {"self_managed": "customer", "managed_node_groups": "shared",
                                                   "fargate": "provider", "auto_mode": "provider",
                                                   "hybrid_nodes": "customer"}
    payload = blocks.who_owns_message(a, None, [])
    buttons = [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Self-managed nodes", "Managed node groups", "Fargate",
                                                          "EKS Auto Mode", "EKS Hybrid Nodes"]
    again = RESOLVER.who_owns(f"{a.question} (Managed node groups)")
    assert (again.owner, again.variant) == (Owner.shared, "managed_node_groups")


def test_checks_are_scoped_to_provider_and_service():
    rds = RESOLVER.who_owns("who owns backups for rds?")
    assert rds.checks and all("rds" in c for c in rds.checks)  # no S3 or DynamoDB check
    for q in ["who owns backups on azure sql database", "who owns mfa on gcp", "who encrypts data at rest in azure"]:
        assert RESOLVER.who_owns(q).checks == [], q
    contract = RESOLVER.who_owns("who sets s3 bucket versioning").contract()
    assert [c["id"] for c in contract["checks"]] == ["s3_bucket_versioning_enabled"]
    assert contract["checks"][0]["status"] == "not_scanned"
    assert set(contract) >= {"task", "sources", "checks", "next_step"}
    assert contract["task"]["id"] == "aws_s3.versioning_object_lock"


def test_named_provider_classification_replaces_depends_and_says_so():
    a = RESOLVER.who_owns("who does patch management on aws?")
    assert a.owner is Owner.shared and a.assumption and "AWS" in a.explanation
    assert RESOLVER.who_owns("who does patch management?").owner is Owner.depends


def test_matching_guards():
    # a product name is never read as a typo of a keyword word, a degenerate keyword matches only as written
    assert RESOLVER.who_owns("who owns postgres").owner is Owner.unknown  # not "posture"
    assert RESOLVER.who_owns("who owns the config").aspect is None
    assert RESOLVER.who_owns("who owns aws config?").aspect == "configuration_management"
    # a provider named outright decides a name two stacks share
    assert RESOLVER.who_owns("who writes waf rules on azure").provider.value == "azure"


TUNING = yaml.safe_load((Path(__file__).parent / "data" / "who_owns_tasks_aws.yml").read_text())["cases"]


@pytest.mark.parametrize("case", TUNING, ids=[c["q"][:50] for c in TUNING])
def test_tuning_question_reaches_its_task(case):
    a = RESOLVER.who_owns(case["q"])
    assert (a.task.id if a.task else None) == case["task"], a.explanation


def test_cli_shows_source_live_check_status_incident_and_next_step(tmp_path, monkeypatch):
    from bot.config import Settings
    from bot.main import build_services
    from tests.test_drift import finding, run_of

    versioning = "s3_bucket_versioning_enabled"
    services = build_services(Settings(srm_db=tmp_path / "srm.db"))
    services.incidents.ingest(run_of(finding("logs", check=versioning), finding("ok", "PASS", check=versioning)))
    monkeypatch.setenv("SRM_DB", str(tmp_path / "srm.db"))
    r = CliRunner().invoke(main, ["who-owns", "--json", "who turns on versioning for our s3 buckets"])
    assert r.exit_code == 0, r.output
    body = yaml.safe_load(r.output)
    [check] = body["checks"]
    assert (check["id"], check["status"], check["failing"], check["passing"]) == (versioning, "failing", 1, 1)
    state = check["incident"]["state"]  # first contact: a backlog incident; later drift: open
    assert check["incident"]["id"] == 1 and state in ("open", "backlog")
    assert body["next_step"].startswith(f"Fix the 1 failing resource(s) of {versioning} (incident #1)")
    text = " ".join(CliRunner().invoke(main, ["who-owns", "who turns on versioning for our s3 buckets"]).output.split())
    assert "Source: Amazon S3 User Guide" in text and "failing" in text and f"incident #1 {state}" in text
    assert "Next step: Fix the 1 failing" in text


def test_a_provider_word_and_a_broad_word_name_a_service_only_as_written():
    assert RESOLVER.who_owns("Does AWS back up my DynamoDB tables automatically?").service == "aws_dynamodb"
    assert RESOLVER.who_owns("Who sets up AWS Backup for our accounts?").service == "aws_backup"


def test_an_aspect_answer_about_a_service_lists_its_tasks_and_cites_its_own_page_first():
    a = RESOLVER.who_owns("who owns backups for rds?")
    assert a.task is None and a.owner is Owner.shared
    assert "aws_rds.backup_retention" in [t.id for t in a.service_tasks]
    assert a.sources[0].url.startswith("https://docs.aws.amazon.com/AmazonRDS/")
    assert all("microsoft" not in s.url and "google" not in s.url for s in a.sources)


@pytest.mark.parametrize(("said", "variant"), [
    ("cloud sql: autogrow isn't enabled", "auto_increase_off"),
    ("cloud sql, we never turned on auto resize", "auto_increase_off"),
    ("cloud sql without storage autogrow", "auto_increase_off"),
    ("cloud sql where we have autogrow", "auto_increase_on"),
    ("cloud sql, auto grow was switched on", "auto_increase_on"),
    ("artifact registry, container scanning is disabled", "scanning_off"),
])
def test_a_setting_written_once_in_its_state_form_is_read_in_its_other_forms(said, variant):
    # the data writes "autogrow off" once; "isn't enabled", "without", "never turned on", "we have" are derived
    from bot.textmatch import raw_tokens
    service = "gcp_cloud_sql" if said.startswith("cloud sql") else "gcp_artifact_registry"
    assert RESOLVER.tasks.variant_in(service, raw_tokens(said)) == variant
