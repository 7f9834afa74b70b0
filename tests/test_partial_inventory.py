"""A resource the scan could not see is unknown, not gone (issue 13, item 2): with GetBucketLocation
denied or throttled past retries, every S3 check reports ERROR for that bucket (never a finding re-keyed
to ``global``), the run says "partial", and the incident, its accepted risk and its resources stay as
they were: no "deleted", no resolution, no reopen, no exception change."""
from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from bot.cli.scan import summary_line
from bot.incidents import Incidents
from bot.models import Actor, IncidentState
from bot.notify.recording import RecordingNotifier
from bot.store import Store
from checks.base import Status
from checks.registry import select
from checks.runner import GLOBAL_REGION, Target, run
from tests.test_incidents import ADMIN, make_owners

ACCOUNT_ID = "123456789012"
VERSIONING = "s3_bucket_versioning_enabled"
S3_CHECKS = ["s3_bucket_versioning_enabled", "s3_bucket_default_encryption_enabled", "s3_bucket_policy_not_public",
             "s3_bucket_access_logging_enabled"]


def _refuse(code: str, status: int):
    def hook(model, context, **_):
        if model.name == "GetBucketLocation" and context["input_params"].get("Bucket") == "bucket-a":
            return AWSResponse("https://s3.amazonaws.com", status, {}, None), {
                "Error": {"Code": code, "Message": "refused"}, "ResponseMetadata": {}}
        return None
    return hook


@pytest.fixture
def aws():
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        s3 = session.client("s3")
        for name in ("bucket-a", "bucket-b"):
            s3.create_bucket(Bucket=name)
        yield session


def scan(session, refuse: tuple[str, int] | None = None):
    def factory(service, region):
        client = session.client(service, region_name=region)
        if refuse:
            client.meta.events.register("before-call.s3.GetBucketLocation", _refuse(*refuse))
        return client
    return run(select(S3_CHECKS), [Target("t", ACCOUNT_ID, session, ["us-east-1"], client_factory=factory)])


@pytest.mark.parametrize("refuse", [("AccessDenied", 403), ("SlowDown", 503)])
def test_a_bucket_without_a_location_is_error_in_every_check_and_the_run_is_partial(aws, refuse):
    result = scan(aws, refuse)
    about_a = [f for f in result.findings if f.resource_id == "bucket-a"]
    assert {f.check_id for f in about_a} == set(S3_CHECKS)
    assert all(f.status is Status.ERROR and f.error_code == refuse[0] for f in about_a)
    assert not [f for f in result.findings if f.status is not Status.ERROR and f.region == GLOBAL_REGION]
    assert result.summary.partial and any("bucket-a: region unknown" in g for g in result.summary.gaps)
    assert "partial" in summary_line(result, 1)
    assert not scan(aws).summary.partial


@pytest.mark.parametrize("refuse", [("AccessDenied", 403), ("SlowDown", 503)])
def test_an_unseen_bucket_changes_no_incident_and_no_accepted_risk(aws, tmp_path, refuse):
    notifier = RecordingNotifier()
    inc_svc = Incidents(Store(tmp_path / "srm.db"), make_owners(), notifier)
    inc_svc.ingest(scan(aws))
    [inc] = [i for i in inc_svc.store.incidents() if i.check_id == VERSIONING]
    ok = inc_svc.accept_risk(inc.id, Actor(id=ADMIN), "legacy buckets", inc_svc.clock.now() + timedelta(days=30))
    assert ok.ok and inc_svc.store.incident(inc.id).state is IncidentState.risk_accepted
    before = {i.id: (i.state, len(inc_svc.store.events(i.id))) for i in inc_svc.store.incidents()}
    stored = inc_svc.store.failing(inc.account_id, VERSIONING)

    outcome = inc_svc.ingest(scan(aws, refuse))

    assert outcome.drift == [] and outcome.events == []
    assert {i.id: (i.state, len(inc_svc.store.events(i.id))) for i in inc_svc.store.incidents()} == before
    assert inc_svc.store.failing(inc.account_id, VERSIONING) == stored
    assert len(inc_svc.store.active_exceptions(inc.account_id, VERSIONING, inc_svc.clock.now())) == 2
