"""ACM inventory: certificates with type, key algorithm, validity and tags.

ListCertificates returns only RSA_1024/RSA_2048 certificates unless asked for other key
types, so every key type is asked for explicitly. Then one DescribeCertificate and one
ListTagsForCertificate per certificate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from checks.inventory.core import Inventory, paginate

ALL_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


@dataclass
class Certificate:
    arn: str
    domain: str
    type: str  # IMPORTED | AMAZON_ISSUED | PRIVATE
    status: str  # ISSUED | EXPIRED | PENDING_VALIDATION | ...
    key_algorithm: str  # RSA_2048, EC_prime256v1, ...
    not_after: datetime | None
    in_use_by: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def certificate_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def rsa_bits(self) -> int | None:
        algo, _, bits = self.key_algorithm.partition("_")
        return int(bits) if algo == "RSA" and bits.isdigit() else None


def certificates(inv: Inventory) -> list[Certificate]:
    """Every ACM certificate in this region, of every key type and status."""

    def fetch() -> list[Certificate]:
        acm = inv.client("acm")
        out: list[Certificate] = []
        for s in paginate(acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": ALL_KEY_TYPES}):
            arn = s["CertificateArn"]
            d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
            tags = acm.list_tags_for_certificate(CertificateArn=arn).get("Tags", [])
            out.append(Certificate(
                arn=arn, domain=d.get("DomainName", ""), type=d.get("Type", ""), status=d.get("Status", ""),
                key_algorithm=d.get("KeyAlgorithm", ""), not_after=d.get("NotAfter"),
                in_use_by=list(d.get("InUseBy") or []),
                tags={t["Key"]: t.get("Value", "") for t in tags}))
        return out

    return inv.memo("acm.certificates", fetch)
