"""Framework reports: the requirement -> checks map comes from check metadata; statuses, score and formats."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
import yaml
from click.testing import CliRunner
from moto import mock_aws

from bot.cli import main
from bot.datafiles import DataFileError
from bot.demo.aws import REGION, fix_ssh, open_ssh, seed_account
from bot.frameworks import (
    FRAMEWORKS_DIR,
    Framework,
    check_framework_ids,
    get_framework,
    load_framework,
    load_frameworks,
    metadata_problems,
)
from bot.report_formats import CSV_FIELDS, to_csv, to_html
from bot.reports import ReqStatus, build_report
from bot.slack.replies import Asker, Sub, parse, reply
from bot.slack.status import Links
from bot.store import Store
from checks.base import Check, CheckMeta, Finding, Severity, Status
from checks.runner import RunError, RunResult, RunSummary

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"


def _check(cid: str, **frameworks: list[str]) -> Check:
    meta = CheckMeta(id=cid, title=cid, service="iam", aspect="iam", severity=Severity.high,
                     frameworks=frameworks, remediation="fix it", iam_actions=["iam:ListUsers"],
                     resource_type="AWS::IAM::User")
    return Check(meta, lambda scope: [])


TOY = Framework.model_validate({
    "id": "toy-1.0", "key": "toy", "name": "Toy benchmark", "version": "1.0",
    "sections": [{"id": "1", "title": "Identity"}, {"id": "2", "title": "Storage"}],
    "requirements": [
        {"id": "1.1", "title": "passes", "section": "1", "assessment": "automated"},
        {"id": "1.2", "title": "fails", "section": "1", "assessment": "automated"},
        {"id": "1.3", "title": "nobody checks this", "section": "1", "assessment": "automated"},
        {"id": "1.4", "title": "a human looks", "section": "1", "assessment": "manual"},
        {"id": "2.1", "title": "errored", "section": "2", "assessment": "automated"},
        {"id": "2.2", "title": "never ran", "section": "2", "assessment": "automated"},
    ]})
CHECKS = [_check("toy_user_ok_check", toy=["1.1"]), _check("toy_user_bad_check", toy=["1.2", "1.4"]),
          _check("toy_user_error_check", toy=["2.1"]), _check("toy_user_unrun_check", toy=["2.2"])]


def _finding(cid: str, status: Status, resource: str, reason: str = "because") -> Finding:
    return Finding(check_id=cid, account_id=ACCOUNT, region="global", resource_type="AWS::IAM::User",
                   resource_id=resource, status=status, reason=reason, severity=Severity.high)


def _record(store: Store, findings: list[Finding], covered: list[str], errors: list[str] = ()) -> None:
    summary = RunSummary(started_at=NOW.timestamp(), duration_s=1.0, checks_run=len(covered), scopes=1,
                         findings={}, api_calls={}, duplicate_calls=0,
                         errors=[RunError(check_id=c, account_id=ACCOUNT, region="global", code="AccessDenied",
                                          message="no") for c in errors])
    run = RunResult(findings=findings, summary=summary, covered=[(ACCOUNT, "global", c) for c in covered])
    run_id = store.record_run(run, NOW)
    store.apply_findings([f for f in findings if f.status is not Status.ERROR], [], NOW, run_id)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "srm.db")


def test_each_status_and_the_score(store):
    _record(store, [_finding("toy_user_ok_check", Status.PASS, "alice"),
                    _finding("toy_user_bad_check", Status.PASS, "alice"),
                    _finding("toy_user_bad_check", Status.FAIL, "<bob>", reason="no MFA <b>")],
            covered=["toy_user_ok_check", "toy_user_bad_check", "toy_user_error_check"],
            errors=["toy_user_error_check"])
    report = build_report(TOY, store, CHECKS, now=NOW)
    status = {r.id: r.status for r in report.requirements}
    assert status == {"1.1": ReqStatus.PASS, "1.2": ReqStatus.FAIL, "1.3": ReqStatus.NOT_COVERED,
                      "1.4": ReqStatus.MANUAL, "2.1": ReqStatus.ERROR, "2.2": ReqStatus.NO_DATA}
    by_id = {r.id: r for r in report.requirements}
    assert [(f.resource_id, f.check_id) for f in by_id["1.2"].failing] == [("<bob>", "toy_user_bad_check")]
    assert by_id["1.4"].failing, "a manual requirement still shows what its checks found"
    assert by_id["2.1"].errors == [f"{ACCOUNT}/global: AccessDenied"]
    assert by_id["2.2"].not_run == ["toy_user_unrun_check"]
    assert (report.automated, report.covered, report.passed) == (5, 4, 1)
    assert report.score == 0.25 and report.coverage == 0.8
    assert report.accounts == [ACCOUNT]
    identity = next(s for s in report.sections if s.id == "1")
    assert identity.counts[ReqStatus.FAIL] == 1 and identity.counts[ReqStatus.NOT_COVERED] == 1
    assert "score 25% (1/4" in report.summary_line() and "coverage 80% (4/5)" in report.summary_line()


def test_the_counts_only_summary_judges_the_same_without_loading_rows(store):
    _record(store, [_finding("toy_user_ok_check", Status.PASS, "alice"),
                    _finding("toy_user_bad_check", Status.FAIL, "bob"),
                    _finding("toy_user_bad_check", Status.FAIL, "eve")],
            covered=["toy_user_ok_check", "toy_user_bad_check"])
    full = build_report(TOY, store, CHECKS, now=NOW)
    summary = build_report(TOY, store, CHECKS, now=NOW, resources=False)
    assert [r.status for r in summary.requirements] == [r.status for r in full.requirements]
    bad = next(r for r in summary.requirements if r.id == "1.2")
    assert (bad.failed, bad.failing, summary.score) == (2, [], full.score)


def test_no_scan_yet_has_no_score(store):
    report = build_report(TOY, store, CHECKS, now=NOW)
    assert report.score is None and report.coverage == 0.8 and report.accounts == []
    assert report.counts[ReqStatus.NO_DATA] == 4 and "score n/a" in report.summary_line()


def test_a_later_clean_run_clears_an_error(store):
    _record(store, [], covered=["toy_user_error_check"], errors=["toy_user_error_check"])
    _record(store, [_finding("toy_user_error_check", Status.PASS, "carol")], covered=["toy_user_error_check"])
    report = build_report(TOY, store, CHECKS, now=NOW)
    assert next(r for r in report.requirements if r.id == "2.1").status is ReqStatus.PASS


def test_html_is_self_contained_and_escaped(store):
    _record(store, [_finding("toy_user_bad_check", Status.FAIL, "<script>x</script>", reason="a & <b>")],
            covered=["toy_user_bad_check"])
    page = to_html(build_report(TOY, store, CHECKS, now=NOW))
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page and "a &amp; &lt;b&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page


def test_csv_has_one_row_per_requirement(store):
    _record(store, [_finding("toy_user_bad_check", Status.FAIL, "bob")], covered=["toy_user_bad_check"])
    rows = list(csv.DictReader(io.StringIO(to_csv(build_report(TOY, store, CHECKS, now=NOW)))))
    assert tuple(rows[0]) == CSV_FIELDS and [r["requirement"] for r in rows] == [r.id for r in TOY.requirements]
    fails = next(r for r in rows if r["requirement"] == "1.2")
    assert (fails["status"], fails["failing_resources"]) == ("FAIL", "1")
    assert fails["failing"] == f"{ACCOUNT}/global/bob (toy_user_bad_check)"


def test_unknown_metadata_ids_are_named():
    problems = metadata_problems({"toy-1.0": TOY}, [_check("toy_user_typo_check", toy=["9.9"]),
                                                    _check("toy_user_other_check", nist=["AC-2"])])
    assert problems == ["toy_user_other_check: unknown framework key 'nist' (known: toy)",
                        "toy_user_typo_check: toy id(s) 9.9 are not in toy-1.0"]


def test_broken_framework_file_names_the_entry(tmp_path: Path):
    data = yaml.safe_load((FRAMEWORKS_DIR / "cis-4.0.yml").read_text())
    data["requirements"][3]["assessment"] = "sometimes"
    data["requirements"][5]["section"] = "77"
    path = tmp_path / "cis-4.0.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(DataFileError) as exc:
        load_framework(path)
    msg = exc.value.render()
    assert "cis-4.0.yml" in msg and "requirements[3] (1.4).assessment" in msg


def test_validate_checks_the_framework_files_and_the_ids_checks_declare(tmp_path: Path):
    code, out = srm("validate")
    assert code == 0 and "ok    frameworks" in out
    data = yaml.safe_load((FRAMEWORKS_DIR / "fsbp.yml").read_text())
    (tmp_path / "cis-4.0.yml").write_text((FRAMEWORKS_DIR / "cis-4.0.yml").read_text())
    data["requirements"] = [r for r in data["requirements"] if r["id"] != "IAM.4"]  # iam_root_access_keys_absent
    (tmp_path / "fsbp.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(DataFileError) as exc:
        check_framework_ids(tmp_path)
    assert "iam_root_access_keys_absent: fsbp id(s) IAM.4 are not in fsbp" in exc.value.render()
    (tmp_path / "other.yml").write_text(yaml.safe_dump({**data, "id": "fsbp2"}))
    with pytest.raises(DataFileError) as exc:
        load_frameworks(tmp_path)
    assert "other.yml" in exc.value.render() and "must match the file name 'other'" in exc.value.render()


def test_shipped_frameworks_are_complete():
    cis = get_framework("cis-4.0")
    assert len(cis.requirements) == 64 and cis.key == "cis"
    manual = {r.id for r in cis.requirements if r.assessment == "manual"}
    assert {"1.1", "1.6", "2.1.2", "4.2", "4.15", "5.6"} <= manual and "4.1" not in manual
    fsbp = get_framework("fsbp")
    assert {"IAM.1", "S3.8", "EC2.8", "SSM.1", "Lambda.2", "EKS.2", "GuardDuty.1"} <= fsbp.ids
    assert all(r.severity for r in fsbp.requirements)


# -- end to end: the demo account on moto, `srm scan`, then `srm report` ---------------------
@pytest.fixture
def demo_account(tmp_path, monkeypatch):
    for var in ("SRM_CONFIG", "SRM_DB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        yield session, seed_account(session), str(tmp_path / "srm.db")


def srm(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def cis_by_id(db: str) -> tuple[dict, dict]:
    code, out = srm("report", "--framework", "cis-4.0", "--format", "json", "--db", db)
    assert code == 0, out
    report = json.loads(out)
    return report, {r["id"]: r for r in report["requirements"]}


def test_report_on_the_scanned_demo_account(demo_account, tmp_path):
    session, seeded, db = demo_account
    assert srm("scan", "--region", REGION, "--db", db)[0] == 0
    _, by_id = cis_by_id(db)
    assert seeded.ssh_group_id not in json.dumps(by_id["5.3"])  # SSH from the office range only

    open_ssh(session, seeded)  # the demo's drift
    assert srm("scan", "--region", REGION, "--db", db)[0] == 0
    report, by_id = cis_by_id(db)
    assert by_id["5.3"]["status"] == "FAIL"
    assert seeded.ssh_group_id in {f["resource_id"] for f in by_id["5.3"]["failing"]}
    assert by_id["1.10"]["status"] == "FAIL" and by_id["1.15"]["status"] == "FAIL"
    assert by_id["3.6"]["status"] == "FAIL"  # the demo key does not rotate
    assert by_id["1.4"]["status"] == "PASS" and by_id["1.1"]["status"] == "MANUAL"
    assert report["score"] == round(report["passed"] / report["covered"], 4)

    fix_ssh(session, seeded)
    assert srm("scan", "--region", REGION, "--db", db)[0] == 0
    html = tmp_path / "cis.html"
    code, out = srm("report", "--framework", "cis-4.0", "--format", "html", "--output", str(html), "--db", db)
    assert code == 0 and "score" in out
    assert seeded.ssh_group_id not in html.read_text()  # closed: no longer a failing resource
    code, text = srm("report", "--framework", "fsbp", "--db", db)
    assert code == 0 and "AWS Foundational Security Best Practices" in text and "S3.8" in text


# -- Slack: /srm posture, and the digest's framework score ------------------------------------
def test_posture_command_parses_with_cis_by_default():
    assert (parse("posture").sub, parse("posture").arg) == (Sub.posture, "cis-4.0")
    assert parse("Posture FSBP").arg == "fsbp"


def test_posture_reply_shows_score_sections_and_worst_failures(store, monkeypatch):
    _record(store, [_finding("toy_user_bad_check", Status.FAIL, "<!channel>")],
            covered=["toy_user_ok_check", "toy_user_bad_check"])
    monkeypatch.setattr("bot.slack.replies.get_framework", lambda fid: TOY)
    monkeypatch.setattr("bot.slack.replies.registry", lambda: {c.meta.id: c for c in CHECKS})
    services = SimpleNamespace(store=store, clock=SimpleNamespace(now=lambda: NOW))
    payload = reply(services, Asker("U1"), parse("posture toy-1.0"), Links())
    body = json.dumps(payload)
    assert payload["text"] == "Toy benchmark v1.0: score 25%, coverage 80%"
    assert "*Score 25%*: 1 of 4 covered automated requirements pass" in body
    assert "*1 Identity*" in body and "`1.2` fails: 1 failing resource(s)" in body
    assert "<!channel>" not in body and "srm report --framework toy-1.0" in body


def test_posture_for_an_unknown_framework_names_the_known_ones(store):
    services = SimpleNamespace(store=store, clock=SimpleNamespace(now=lambda: NOW))
    payload = reply(services, Asker("U1"), parse("posture pci"), Links())
    assert "unknown framework 'pci' (known: cis-4.0, fsbp)" in payload["text"]


def test_the_digest_carries_each_framework_score(demo_account):
    from bot.config import Settings
    from bot.digest import build_digest
    from bot.main import build_services
    from bot.slack.digest_blocks import digest_message

    _, _, db = demo_account
    assert srm("scan", "--region", REGION, "--check", "kms_key_rotation_enabled", "--db", db)[0] == 0
    digest = build_digest(build_services(Settings(srm_db=db)))
    cis = next(f for f in digest.frameworks if f.id == "cis-4.0")
    assert cis.failing >= 1 and cis.passed == 0 and cis.covered >= 28 and cis.score == 0.0
    assert f"cis-4.0 0% (0/{cis.covered})" in json.dumps(digest_message(digest, "UTC"))
