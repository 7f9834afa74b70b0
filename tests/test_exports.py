"""Each export format validated against its schema or model: OCSF by py-ocsf-models, ASFF by
botocore's Security Hub model, SARIF by the official 2.1.0 JSON schema (tests/data/schemas)."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import botocore.session
import jsonschema
import pytest
from botocore.validate import ParamValidator
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from bot.exports import EXPORT_FORMATS, ExportInput, render
from bot.exports.asff import REQUIRED_FIELDS, asff_finding, asff_resource_type
from bot.exports.common import finding_uid, resource_part
from bot.exports.tabular import CSV_FIELDS
from checks.base import Finding, Severity, Status
from checks.registry import load_all

SARIF_SCHEMA = Path(__file__).parent / "data" / "schemas" / "sarif-schema-2.1.0.json"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"
NASTY = '<script>alert("x")</script> & \'quoted\''


def finding(check_id: str, resource_id: str, status: Status, **kw) -> Finding:
    meta = load_all()[check_id].meta
    return Finding(check_id=check_id, account_id=ACCOUNT, region=kw.pop("region", "us-east-1"),
                   resource_type=meta.resource_type, resource_id=resource_id, status=status,
                   reason=kw.pop("reason", f"{resource_id} is {status.value}"), severity=meta.severity, **kw)


@pytest.fixture
def sample() -> ExportInput:
    findings = [
        finding("s3_bucket_public_access_block_enabled", "logs-bucket", Status.FAIL,
                resource_arn="arn:aws:s3:::logs-bucket", tags={"team": "platform", "env": NASTY, "Name": ""}),
        finding("s3_bucket_public_access_block_enabled", "ok-bucket", Status.PASS,
                resource_arn="arn:aws:s3:::ok-bucket"),
        finding("kms_key_rotation_enabled", "key-1", Status.FAIL, evidence={"KeyRotationEnabled": False},
                reason=NASTY),
        finding("iam_root_mfa_enabled", "account", Status.ERROR, region="global",
                reason="AccessDenied: not allowed", error_code="AccessDenied"),
    ]
    metas = {cid: c.meta for cid, c in load_all().items()}
    return ExportInput(findings=findings, metas=metas, generated_at=NOW, version="1.2.3")


def test_the_registry_has_the_checks_the_sample_uses():
    used = {"s3_bucket_public_access_block_enabled", "kms_key_rotation_enabled", "iam_root_mfa_enabled"}
    assert used <= set(load_all())


# -- OCSF ---------------------------------------------------------------------------------
def test_ocsf_events_validate_as_compliance_findings(sample):
    docs = json.loads(render("ocsf", sample))
    assert len(docs) == len(sample.findings)
    events = [ComplianceFinding.model_validate(d) for d in docs]  # the library's own models
    assert {e.class_uid for e in events} == {2003} and {e.category_uid for e in events} == {2}
    by_uid = {e.finding_info.uid: e for e in events}
    fail = by_uid[f"{ACCOUNT}/us-east-1/s3_bucket_public_access_block_enabled/logs-bucket"]
    assert fail.compliance.status_id.name == "Fail" and fail.resources[0].uid == "arn:aws:s3:::logs-bucket"
    assert fail.severity_id.name == load_all()["s3_bucket_public_access_block_enabled"].meta.severity.value.capitalize()
    assert fail.compliance.requirements and all(" " in r for r in fail.compliance.requirements)
    error = by_uid[f"{ACCOUNT}/global/iam_root_mfa_enabled/account"]
    assert error.compliance.status_id.name == "Unknown"  # ERROR: we could not tell, never a pass
    assert docs[0]["time"] == int(NOW.timestamp() * 1000)


# -- ASFF ---------------------------------------------------------------------------------
def test_asff_findings_satisfy_security_hubs_api_model(sample):
    docs = json.loads(render("asff", sample))
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate({"Findings": docs}, shape)
    assert not report.has_errors(), report.generate_report()
    required = set(model.shape_for("AwsSecurityFinding").required_members)
    assert required <= set(REQUIRED_FIELDS) and all(required <= set(d) for d in docs)
    for d in docs:  # botocore does not check `pattern`; ASFF's NonEmptyString is `.*\S.*`
        maps = [d["ProductFields"], *(r.get("Tags", {}) for r in d["Resources"])]
        assert all(k.strip() and v.strip() for m in maps for k, v in m.items())
        assert all(d[k].strip() for k in ("Id", "Title", "Description", "GeneratorId"))
        assert d["Compliance"]["Status"] in ("PASSED", "FAILED", "NOT_AVAILABLE")
        assert d["ProductArn"] == f"arn:aws:securityhub:{d['Region']}:{ACCOUNT}:product/{ACCOUNT}/default"
    statuses = {d["Id"]: (d["Compliance"]["Status"], d["RecordState"]) for d in docs}
    assert statuses[f"{ACCOUNT}/us-east-1/s3_bucket_public_access_block_enabled/ok-bucket"] == ("PASSED", "ARCHIVED")
    assert statuses[f"{ACCOUNT}/us-east-1/kms_key_rotation_enabled/key-1"] == ("FAILED", "ACTIVE")
    root = next(d for d in docs if d["GeneratorId"].endswith("iam_root_mfa_enabled"))
    assert root["Region"] == "us-east-1"  # account-wide findings go to the home region's hub


def test_asff_ids_are_stable_and_bounded():
    long_id = "x" * 1000
    f = finding("kms_key_rotation_enabled", long_id, Status.FAIL)
    assert finding_uid(f) == finding_uid(f.model_copy(update={"reason": "changed", "evidence": {"a": 1}}))
    assert len(finding_uid(f)) < 512 and resource_part(long_id) != resource_part(long_id[:-1] + "y")
    assert asff_resource_type("AWS::S3::Bucket") == "AwsS3Bucket" and asff_resource_type("AWS::::Account") == "Other"


def test_asff_keeps_a_given_created_at(sample):
    doc = asff_finding(sample, sample.findings[0], created_at="2020-01-01T00:00:00.000Z")
    assert doc["CreatedAt"] == "2020-01-01T00:00:00.000Z" and doc["UpdatedAt"] == "2026-12-03T12:00:00.000Z"


# -- SARIF --------------------------------------------------------------------------------
def test_sarif_validates_against_the_official_schema(sample):
    doc = json.loads(render("sarif", sample))
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=str)
    assert not errors, errors[:3]
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted(
        ["iam_root_mfa_enabled", "kms_key_rotation_enabled", "s3_bucket_public_access_block_enabled"])
    # results are the failing resources only; the ERROR is a tool notification
    assert sorted(r["partialFingerprints"]["srmFindingId/v1"] for r in run["results"]) == [
        f"{ACCOUNT}/us-east-1/kms_key_rotation_enabled/key-1",
        f"{ACCOUNT}/us-east-1/s3_bucket_public_access_block_enabled/logs-bucket"]
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]  # GitHub needs one
        assert uri.startswith(f"aws/{ACCOUNT}/us-east-1/AWS-") and ":" not in uri and " " not in uri
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "AccessDenied" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_sarif_schema_rejects_a_broken_document(sample):
    """The validator is really checking: a result without a message is invalid SARIF."""
    doc = json.loads(render("sarif", sample))
    del doc["runs"][0]["results"][0]["message"]
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert list(jsonschema.Draft4Validator(schema).iter_errors(doc))


# -- CSV / JSON ---------------------------------------------------------------------------
def test_csv_and_json_round_trip(sample):
    rows = list(csv.reader(io.StringIO(render("csv", sample))))
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 1 + len(sample.findings)
    assert json.loads(rows[1][CSV_FIELDS.index("tags")])["env"] == NASTY
    back = [Finding(**{k: v for k, v in d.items() if k != "fingerprint"}) for d in json.loads(render("json", sample))]
    assert back == sample.findings


# -- HTML ---------------------------------------------------------------------------------
class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[dict] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "tr" and "data-severity" in a:
            self.rows.append(a)
        if tag == "script":
            self.scripts += 1


def test_html_is_self_contained_escaped_and_filterable(sample):
    text = render("html", sample)
    page = _Page()
    page.feed(text)
    assert page.scripts == 1  # ours only: the <script> in the data is text, not a tag
    assert "<script>alert" not in text and "&lt;script&gt;alert(&quot;x&quot;)" in text
    assert not [a for _, a in page.tags if {"src", "href"} & set(a)]  # nothing to fetch
    assert "http://" not in text and "https://" not in text and "@import" not in text
    assert {r["data-severity"] for r in page.rows} == {f.severity.value for f in sample.findings}
    assert {r["data-team"] for r in page.rows} == {"platform", "unassigned"}  # from the `team` tag
    assert any("cis" in r["data-frameworks"].split() for r in page.rows)
    selects = {a["id"] for t, a in page.tags if t == "select"}
    assert selects == {"f-severity", "f-status", "f-team", "f-framework"}


def test_html_teams_come_from_the_routing_function(sample):
    routed = ExportInput(findings=sample.findings, metas=sample.metas, generated_at=NOW,
                         team_of=lambda f: "sec-" + f.check_id.split("_")[0])
    page = _Page()
    page.feed(render("html", routed))
    assert {r["data-team"] for r in page.rows} == {"sec-s3", "sec-kms", "sec-iam"}


def test_every_format_renders_an_empty_run():
    empty = ExportInput(findings=[], metas={}, generated_at=NOW)
    for fmt in EXPORT_FORMATS:
        assert render(fmt, empty)
    assert json.loads(render("asff", empty)) == [] and json.loads(render("sarif", empty))["runs"][0]["results"] == []


def test_severity_mapping_covers_every_severity(sample):
    for sev in Severity:
        f = sample.findings[0].model_copy(update={"severity": sev})
        assert asff_finding(sample, f)["Severity"]["Label"] in ("CRITICAL", "HIGH", "MEDIUM", "LOW")
