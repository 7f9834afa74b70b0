"""Fixtures for check tests: an in-process moto account and a one-call scan helper."""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from moto import mock_aws

from checks.base import Finding, Status
from checks.registry import select
from checks.runner import RunResult, Target, run


def _sign_one_certificate_with_the_real_clock() -> None:
    """cryptography's Rust core remembers the datetime class of the first certificate it builds. If that
    happens under freezegun (test_acm), it keeps FakeDatetime and refuses the real datetimes moto's ACM
    uses later (TypeError in request_certificate). Building one certificate now, unfrozen, pins the real
    class, which FakeDatetime instances also satisfy."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([])
    now = datetime.now(timezone.utc)
    (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
     .serial_number(1).not_valid_before(now).not_valid_after(now).sign(key, hashes.SHA256()))


_sign_one_certificate_with_the_real_clock()
ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"


@pytest.fixture
def aws():
    """A fresh moto-emulated AWS for one test; yields a boto3 session."""
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def scan(session, check_ids, regions=(REGION,)) -> RunResult:
    target = Target(name="test", account_id=ACCOUNT_ID, session=session, regions=list(regions))
    return run(select(list(check_ids)), [target], max_workers=4)


def statuses(result: RunResult, check_id: str) -> dict[str, Status]:
    """resource_id -> status for one check (raises if the resource appears twice)."""
    out: dict[str, Status] = {}
    for f in result.findings:
        if f.check_id == check_id:
            assert f.resource_id not in out, f"duplicate finding for {f.resource_id}"
            out[f.resource_id] = f.status
    return out


def only(result: RunResult, check_id: str, resource_id: str) -> Finding:
    hits = [f for f in result.findings if f.check_id == check_id and f.resource_id == resource_id]
    assert len(hits) == 1, f"expected one finding for {resource_id}, got {hits}"
    return hits[0]
