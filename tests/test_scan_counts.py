"""An organization scan keeps counts, not every finding: the same summary, changes and incidents either way."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from bot.config import Settings
from bot.demo.aws import REGION, seed_account
from bot.main import build_services


@pytest.fixture
def seeded(monkeypatch):
    for var in ("SRM_CONFIG", "SRM_DB"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        seed_account(boto3.Session(region_name=REGION))
        yield


@pytest.mark.usefixtures("seeded")
def test_a_scan_that_keeps_no_findings_reports_the_same_counts_changes_and_incidents(tmp_path) -> None:
    runs = {}
    for keep in (True, False):
        services = build_services(Settings(srm_db=str(tmp_path / f"keep-{keep}.db")))
        checks = services.select_checks(None)
        runs[keep] = services.scan(checks, region=REGION, keep_findings=keep)
    (kept, kept_out), (counted, counted_out) = runs[True], runs[False]
    assert kept.findings and counted.findings == [] and counted_out.drift == []
    assert counted.summary.findings == kept.summary.findings
    assert sum(kept.summary.findings.values()) == len(kept.findings)
    assert counted.summary.findings["FAIL"] >= 10
    assert [e.model_dump() for e in counted.summary.errors] == [e.model_dump() for e in kept.summary.errors]
    assert counted.covered == kept.covered and counted.summary.scopes == kept.summary.scopes
    assert counted_out.changes == kept_out.changes == len(kept_out.drift) > 0
    assert [(e.kind, e.to_state) for e in counted_out.events] == [(e.kind, e.to_state) for e in kept_out.events]
