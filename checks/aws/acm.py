"""ACM certificates: not expiring soon, and no weak RSA keys."""
from __future__ import annotations

from typing import Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.acm import certificates

CERT = "AWS::CertificateManager::Certificate"
ACM_READS = ["acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate"]
JUDGED_STATUSES = {"ISSUED", "EXPIRED"}  # pending, failed or revoked certificates protect nothing yet


@register(CheckMeta(
    id="acm_certificate_not_expiring",
    title="ACM certificates are valid for more than the warning period",
    fail_title="ACM certificates expired or expiring soon",
    service="acm", aspect="encryption_in_transit", severity=Severity.high,
    frameworks={"fsbp": ["ACM.1"]},
    remediation=("Imported certificates do not renew: import the renewed certificate over the old one "
                 "(console ACM > certificate > Reimport, or `aws acm import-certificate --certificate-arn ARN "
                 "--certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain "
                 "fileb://chain.pem`). For ACM-issued certificates fix DNS validation so managed renewal succeeds "
                 "(`aws acm describe-certificate --certificate-arn ARN` shows RenewalSummary)."),
    iam_actions=ACM_READS, resource_type=CERT,
    settings={"days": 30},
))
def acm_certificate_not_expiring(scope: Scope) -> Iterator[Finding]:
    days = int(scope.setting("days"))
    now = scope.now()
    for c in certificates(scope.inv):
        if c.status not in JUDGED_STATUSES or c.not_after is None:
            continue
        left = (c.not_after - now).days
        evidence = {"NotAfter": c.not_after.isoformat(), "Type": c.type, "InUse": bool(c.in_use_by), "Days": days}
        kw = {"arn": c.arn, "tags": c.tags, "evidence": evidence}
        if c.not_after <= now:
            yield scope.failed(c.certificate_id, f"{c.domain} expired on {c.not_after:%Y-%m-%d}", **kw)
        elif left < days:
            yield scope.failed(c.certificate_id, f"{c.domain} expires in {left} days ({c.not_after:%Y-%m-%d}; "
                               f"warning at {days})", **kw)
        else:
            yield scope.passed(c.certificate_id, f"{c.domain} valid until {c.not_after:%Y-%m-%d}", **kw)


@register(CheckMeta(
    id="acm_certificate_rsa_key_strong",
    title="ACM certificates with RSA keys use at least 2048 bits",
    fail_title="ACM certificates with weak RSA keys",
    service="acm", aspect="encryption_in_transit", severity=Severity.high,
    frameworks={"fsbp": ["ACM.2"]},
    remediation=("ACM issues RSA keys of 2048 bits or more; a shorter key comes from an imported certificate. "
                 "Issue a new certificate with an RSA 2048+ or ECDSA key and reimport it (console ACM > "
                 "certificate > Reimport, or "
                 "`aws acm import-certificate --certificate-arn ARN --certificate fileb://cert.pem "
                 "--private-key fileb://key.pem`), or request one from ACM (`aws acm request-certificate "
                 "--domain-name NAME --key-algorithm EC_prime256v1`)."),
    iam_actions=ACM_READS, resource_type=CERT,
    settings={"min_rsa_bits": 2048},
))
def acm_certificate_rsa_key_strong(scope: Scope) -> Iterator[Finding]:
    minimum = int(scope.setting("min_rsa_bits"))
    for c in certificates(scope.inv):
        bits = c.rsa_bits
        if bits is None:
            continue  # an elliptic-curve key: nothing to judge here
        kw = {"arn": c.arn, "tags": c.tags, "evidence": {"KeyAlgorithm": c.key_algorithm, "Type": c.type}}
        if bits < minimum:
            yield scope.failed(c.certificate_id, f"{c.domain} uses a {bits}-bit RSA key (minimum {minimum})", **kw)
        else:
            yield scope.passed(c.certificate_id, f"{c.domain} uses a {bits}-bit RSA key", **kw)
