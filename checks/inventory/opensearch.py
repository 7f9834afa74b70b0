"""OpenSearch Service inventory: domains (OpenSearch and legacy Elasticsearch engines).

One ``list_domain_names``, then ``describe_domains`` in batches of five (its limit)
and one ``list_tags`` per domain. A refused tag call leaves the domain untagged
with the error noted; a refused describe fails the whole listing (ERROR).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of

DESCRIBE_BATCH = 5


@dataclass
class Domain:
    name: str
    arn: str
    engine_version: str
    encrypted_at_rest: bool
    node_to_node: bool
    enforce_https: bool
    tls_policy: str  # DomainEndpointOptions.TLSSecurityPolicy
    tags: dict[str, str] = field(default_factory=dict)
    tags_error: str = ""  # the error code when the tags could not be read


def _domain(raw: dict[str, Any]) -> Domain:
    endpoint = raw.get("DomainEndpointOptions") or {}
    return Domain(
        name=raw["DomainName"], arn=raw.get("ARN", ""), engine_version=raw.get("EngineVersion", ""),
        encrypted_at_rest=bool((raw.get("EncryptionAtRestOptions") or {}).get("Enabled")),
        node_to_node=bool((raw.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
        enforce_https=bool(endpoint.get("EnforceHTTPS")),
        tls_policy=str(endpoint.get("TLSSecurityPolicy") or ""),
    )


def domains(inv: Inventory) -> list[Domain]:
    """Every OpenSearch Service domain in this region."""

    def fetch() -> list[Domain]:
        client = inv.client("opensearch")
        names = sorted(d["DomainName"] for d in client.list_domain_names().get("DomainNames", []))
        out: list[Domain] = []
        for i in range(0, len(names), DESCRIBE_BATCH):
            batch = client.describe_domains(DomainNames=names[i:i + DESCRIBE_BATCH])
            out.extend(_domain(d) for d in batch.get("DomainStatusList", []))
        for d in out:
            try:
                d.tags = tags_of(client.list_tags(ARN=d.arn).get("TagList"))
            except ClientError as exc:
                d.tags_error = error_code_of(exc)[0]
        return sorted(out, key=lambda d: d.name)

    return inv.memo("opensearch.domains", fetch)
