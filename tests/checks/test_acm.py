"""ACM checks on moto with self-signed certificates made here (key size and validity under test control)."""
import datetime as dt
from datetime import datetime, timedelta, timezone
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from freezegun import freeze_time

from checks.base import Status
from tests.checks.canned import DENIED, THROTTLED, scan_with
from tests.checks.conftest import only, statuses

EXPIRY, RSA_KEY = "acm_certificate_not_expiring", "acm_certificate_rsa_key_strong"
P, F, E = Status.PASS, Status.FAIL, Status.ERROR
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


@cache
def _key(kind: str):
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, int(kind))


def _at(moment: datetime) -> datetime:
    """The same instant as whatever datetime class is current (freezegun swaps it; cryptography checks it)."""
    return dt.datetime.fromtimestamp(moment.timestamp(), tz=timezone.utc)


def _import(acm, domain: str, *, days_left: int, key: str = "2048", tags: dict | None = None) -> str:
    k = _key(key)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_at(NOW - timedelta(days=300))).not_valid_after(_at(NOW + timedelta(days=days_left)))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
            .sign(k, hashes.SHA256()))
    extra = {"Tags": [{"Key": a, "Value": b} for a, b in tags.items()]} if tags else {}
    arn = acm.import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption()), **extra)["CertificateArn"]
    return arn.rsplit("/", 1)[-1]


def test_certificates_expiring_within_the_window_or_expired_fail(aws):
    acm = aws.client("acm")
    with freeze_time(NOW - timedelta(days=30)):  # ACM refuses to import a certificate that has already expired
        gone = _import(acm, "gone.example.com", days_left=-5)
    with freeze_time(NOW):
        fine = _import(acm, "fine.example.com", days_left=200, tags={"team": "web"})
        soon = _import(acm, "soon.example.com", days_left=10)
        result = scan_with(aws, [EXPIRY])

    assert statuses(result, EXPIRY) == {fine: P, soon: F, gone: F}
    assert only(result, EXPIRY, fine).tags == {"team": "web"}
    assert "expires in 10 days" in only(result, EXPIRY, soon).reason
    assert only(result, EXPIRY, gone).reason.startswith("gone.example.com expired on 2026-02-24")


@freeze_time(NOW)
def test_the_warning_window_is_a_setting(aws):
    acm = aws.client("acm")
    in_60 = _import(acm, "sixty.example.com", days_left=60)
    assert statuses(scan_with(aws, [EXPIRY]), EXPIRY) == {in_60: P}
    wide = scan_with(aws, [EXPIRY], settings={EXPIRY: {"days": 90}})
    assert statuses(wide, EXPIRY) == {in_60: F}
    assert only(wide, EXPIRY, in_60).evidence["Days"] == 90


@freeze_time(NOW)
def test_rsa_keys_below_2048_bits_fail_and_ec_keys_are_not_judged(aws):
    acm = aws.client("acm")
    weak = _import(acm, "weak.example.com", days_left=100, key="1024")
    strong = _import(acm, "strong.example.com", days_left=100, key="2048")
    _import(acm, "curve.example.com", days_left=100, key="ec")

    result = scan_with(aws, [RSA_KEY])

    assert statuses(result, RSA_KEY) == {weak: F, strong: P}  # the EC certificate is listed but not judged
    assert only(result, RSA_KEY, weak).evidence["KeyAlgorithm"] == "RSA_1024"
    stricter = scan_with(aws, [RSA_KEY], settings={RSA_KEY: {"min_rsa_bits": 3072}})
    assert statuses(stricter, RSA_KEY) == {weak: F, strong: F}


@freeze_time(NOW)
def test_both_checks_share_one_listing_of_every_key_type(aws):
    acm = aws.client("acm")
    for i in range(3):
        _import(acm, f"c{i}.example.com", days_left=100, key="ec" if i == 0 else "2048")
    result = scan_with(aws, [EXPIRY, RSA_KEY])
    calls = result.summary.api_calls
    assert (calls["acm.ListCertificates"], calls["acm.DescribeCertificate"]) == (1, 3)
    assert result.summary.duplicate_calls == 0
    assert len(statuses(result, EXPIRY)) == 3  # the EC certificate was listed too


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_acm_errors_are_errors(aws, error):
    with freeze_time(NOW):
        _import(aws.client("acm"), "x.example.com", days_left=100)
        result = scan_with(aws, [EXPIRY, RSA_KEY], canned={"acm.DescribeCertificate": error})
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (EXPIRY, E, error.code), (RSA_KEY, E, error.code)}
