"""Container inventory: EKS clusters and ECR repositories (with policies and registry scanning rules).

EKS: one paginated ListClusters and one DescribeCluster per cluster. ECR: one paginated
DescribeRepositories, one ListTagsForResource per repository, one
GetRegistryScanningConfiguration per region, and GetRepositoryPolicy / GetLifecyclePolicy
per repository only when a check asks for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from typing import Any

from checks.inventory.core import Inventory, call_or_none, paginate


@dataclass
class EksCluster:
    name: str
    arn: str
    version: str
    public_endpoint: bool
    private_endpoint: bool
    public_cidrs: list[str]
    enabled_log_types: list[str]
    secrets_key_arn: str  # "" when Kubernetes secrets have no KMS envelope encryption
    tags: dict[str, str] = field(default_factory=dict)


def eks_clusters(inv: Inventory) -> list[EksCluster]:
    def fetch() -> list[EksCluster]:
        eks = inv.client("eks")
        out = []
        for name in paginate(eks, "list_clusters", "clusters"):
            c: dict[str, Any] = eks.describe_cluster(name=name)["cluster"]
            vpc = c.get("resourcesVpcConfig") or {}
            logs = sorted({t for entry in (c.get("logging") or {}).get("clusterLogging", [])
                           if entry.get("enabled") for t in entry.get("types", [])})
            key = next((e.get("provider", {}).get("keyArn", "") for e in c.get("encryptionConfig") or []
                        if "secrets" in e.get("resources", [])), "")
            out.append(EksCluster(
                name=name, arn=c.get("arn", ""), version=c.get("version", ""),
                public_endpoint=bool(vpc.get("endpointPublicAccess", True)),
                private_endpoint=bool(vpc.get("endpointPrivateAccess", False)),
                public_cidrs=list(vpc.get("publicAccessCidrs") or (["0.0.0.0/0"] if vpc.get(
                    "endpointPublicAccess", True) else [])),
                enabled_log_types=logs, secrets_key_arn=key or "", tags=dict(c.get("tags") or {})))
        return out

    return inv.memo("eks.clusters", fetch)


@dataclass
class EcrRepository:
    name: str
    arn: str
    tag_mutability: str  # MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION
    scan_on_push: bool
    tags: dict[str, str] = field(default_factory=dict)


def ecr_repositories(inv: Inventory) -> list[EcrRepository]:
    def fetch() -> list[EcrRepository]:
        ecr = inv.client("ecr")
        out = []
        for r in paginate(ecr, "describe_repositories", "repositories"):
            tags = ecr.list_tags_for_resource(resourceArn=r["repositoryArn"]).get("tags") or []
            out.append(EcrRepository(
                name=r["repositoryName"], arn=r["repositoryArn"],
                tag_mutability=r.get("imageTagMutability", "MUTABLE"),
                scan_on_push=bool((r.get("imageScanningConfiguration") or {}).get("scanOnPush")),
                tags={t["Key"]: t.get("Value", "") for t in tags}))
        return out

    return inv.memo("ecr.repositories", fetch)


@dataclass
class RegistryScanning:
    scan_type: str  # BASIC | ENHANCED
    rules: list[dict[str, Any]]

    def rule_for(self, repository: str) -> str:
        """The scan frequency a registry rule gives this repository ("" when no rule matches)."""
        for rule in self.rules:
            for f in rule.get("repositoryFilters", []):
                if f.get("filterType", "WILDCARD") == "WILDCARD" and fnmatchcase(repository, f.get("filter", "")):
                    return str(rule.get("scanFrequency", ""))
        return ""


def registry_scanning(inv: Inventory) -> RegistryScanning:
    def fetch() -> RegistryScanning:
        cfg = inv.client("ecr").get_registry_scanning_configuration().get("scanningConfiguration") or {}
        return RegistryScanning(cfg.get("scanType", "BASIC"), list(cfg.get("rules") or []))

    return inv.memo("ecr.registry_scanning", fetch)


def ecr_lifecycle_policies(inv: Inventory) -> dict[str, str | None]:
    """Repository name -> lifecycle policy JSON (None: no lifecycle policy)."""

    def fetch() -> dict[str, str | None]:
        ecr = inv.client("ecr")
        out: dict[str, str | None] = {}
        for r in ecr_repositories(inv):
            got = call_or_none(partial(ecr.get_lifecycle_policy, repositoryName=r.name),
                               "LifecyclePolicyNotFoundException")
            out[r.name] = (got or {}).get("lifecyclePolicyText") or None
        return out

    return inv.memo("ecr.lifecycle_policies", fetch)


def ecr_policies(inv: Inventory) -> dict[str, str | None]:
    """Repository name -> repository policy JSON (None: no policy)."""

    def fetch() -> dict[str, str | None]:
        ecr = inv.client("ecr")
        out: dict[str, str | None] = {}
        for r in ecr_repositories(inv):
            got = call_or_none(partial(ecr.get_repository_policy, repositoryName=r.name),
                               "RepositoryPolicyNotFoundException")
            out[r.name] = (got or {}).get("policyText") or None
        return out

    return inv.memo("ecr.policies", fetch)
