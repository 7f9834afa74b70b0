"""EKS clusters: API endpoint exposure, control-plane logging, secrets encryption, supported version."""
from __future__ import annotations

from typing import Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.containers import EksCluster, eks_clusters

CLUSTER = "AWS::EKS::Cluster"
READS = ["eks:ListClusters", "eks:DescribeCluster"]
ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
OPEN = {"0.0.0.0/0", "::/0"}


def _meta(id: str, title: str, fail_title: str, aspect: str, severity: Severity, remediation: str,
          **kw) -> CheckMeta:
    return CheckMeta(id=id, title=title, fail_title=fail_title, service="eks", aspect=aspect, severity=severity,
                     remediation=remediation, iam_actions=READS, resource_type=CLUSTER, **kw)


def _kw(c: EksCluster, **evidence) -> dict:
    return {"arn": c.arn, "tags": c.tags, "evidence": evidence}


@register(_meta(
    "eks_cluster_endpoint_private", "EKS cluster API endpoints are private",
    "EKS cluster API endpoints reachable from the internet", "network_controls", Severity.high,
    "Turn off public access to the API server (reach it through the VPC): console EKS > cluster > Networking > "
    "Manage endpoint access > Private, or `aws eks update-cluster-config --name NAME "
    "--resources-vpc-config endpointPublicAccess=false,endpointPrivateAccess=true`.",
    frameworks={"fsbp": ["EKS.1"]},
    notes="Any public endpoint fails, even one limited to some CIDRs (as FSBP EKS.1 does); "
          "eks_cluster_endpoint_not_open_to_internet judges only the 0.0.0.0/0 case.",
))
def eks_cluster_endpoint_private(scope: Scope) -> Iterator[Finding]:
    for c in eks_clusters(scope.inv):
        kw = _kw(c, endpointPublicAccess=c.public_endpoint, publicAccessCidrs=c.public_cidrs)
        if c.public_endpoint:
            yield scope.failed(c.name, f"public API endpoint (allowed from {', '.join(c.public_cidrs)})", **kw)
        else:
            yield scope.passed(c.name, "API endpoint is private", **kw)


@register(_meta(
    "eks_cluster_endpoint_not_open_to_internet", "EKS public API endpoints are limited to known CIDRs",
    "EKS API endpoints open to the whole internet", "network_controls", Severity.high,
    "Limit the public endpoint to your networks: console EKS > cluster > Networking > Manage endpoint access > "
    "Advanced settings, or `aws eks update-cluster-config --name NAME --resources-vpc-config "
    "publicAccessCidrs=203.0.113.0/24` (or make it private).",
))
def eks_cluster_endpoint_not_open_to_internet(scope: Scope) -> Iterator[Finding]:
    for c in eks_clusters(scope.inv):
        open_ = sorted(set(c.public_cidrs) & OPEN) if c.public_endpoint else []
        kw = _kw(c, endpointPublicAccess=c.public_endpoint, publicAccessCidrs=c.public_cidrs)
        if open_:
            yield scope.failed(c.name, f"public API endpoint open to {', '.join(open_)}", **kw)
        else:
            yield scope.passed(c.name, "API endpoint is private or limited to listed CIDRs", **kw)


@register(_meta(
    "eks_cluster_audit_logging_enabled", "EKS clusters send Kubernetes audit logs to CloudWatch",
    "EKS clusters without audit logging", "logging_monitoring", Severity.medium,
    "Enable the audit log: console EKS > cluster > Observability > Control plane logging > Manage, or "
    "`aws eks update-cluster-config --name NAME --logging '{\"clusterLogging\":[{\"types\":[\"audit\"],"
    "\"enabled\":true}]}'`.",
    frameworks={"fsbp": ["EKS.8"]},
))
def eks_cluster_audit_logging_enabled(scope: Scope) -> Iterator[Finding]:
    for c in eks_clusters(scope.inv):
        kw = _kw(c, enabledLogTypes=c.enabled_log_types)
        if "audit" in c.enabled_log_types:
            yield scope.passed(c.name, "audit logging is on", **kw)
        else:
            yield scope.failed(c.name, "audit logging is off", **kw)


@register(_meta(
    "eks_cluster_control_plane_logging_enabled", "EKS clusters log every required control-plane log type",
    "EKS clusters with control-plane log types off", "logging_monitoring", Severity.medium,
    "Enable the missing log types: console EKS > cluster > Observability > Control plane logging > Manage, or "
    "`aws eks update-cluster-config --name NAME --logging '{\"clusterLogging\":[{\"types\":[\"api\",\"audit\","
    "\"authenticator\",\"controllerManager\",\"scheduler\"],\"enabled\":true}]}'`.",
    settings={"log_types": ALL_LOG_TYPES},
    notes="log_types: the control-plane log types that must be on (default: all five).",
))
def eks_cluster_control_plane_logging_enabled(scope: Scope) -> Iterator[Finding]:
    required = [str(t) for t in scope.setting("log_types")]
    for c in eks_clusters(scope.inv):
        missing = [t for t in required if t not in c.enabled_log_types]
        kw = _kw(c, enabledLogTypes=c.enabled_log_types, missingLogTypes=missing)
        if missing:
            yield scope.failed(c.name, f"control-plane log types off: {', '.join(missing)}", **kw)
        else:
            yield scope.passed(c.name, f"all required log types on ({', '.join(required)})", **kw)


@register(_meta(
    "eks_cluster_secrets_encrypted", "EKS clusters envelope-encrypt Kubernetes secrets with a KMS key",
    "EKS clusters without KMS envelope encryption of secrets", "encryption_at_rest", Severity.medium,
    "Associate a KMS key (it cannot be removed later): console EKS > cluster > Overview > Secrets encryption > "
    "Enable, or `aws eks associate-encryption-config --cluster-name NAME --encryption-config "
    "'[{\"resources\":[\"secrets\"],\"provider\":{\"keyArn\":\"KEY_ARN\"}}]'`.",
    notes="Security Hub EKS.3 (NIST standard, not FSBP) asks the same.",
))
def eks_cluster_secrets_encrypted(scope: Scope) -> Iterator[Finding]:
    for c in eks_clusters(scope.inv):
        kw = _kw(c, secretsKeyArn=c.secrets_key_arn or None)
        if c.secrets_key_arn:
            yield scope.passed(c.name, "secrets are envelope-encrypted with a KMS key", **kw)
        else:
            yield scope.failed(c.name, "secrets have no KMS envelope encryption configured", **kw)


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


@register(_meta(
    "eks_cluster_version_supported", "EKS clusters run a supported Kubernetes version",
    "EKS clusters on an unsupported Kubernetes version", "container_security", Severity.high,
    "Upgrade one minor version at a time: console EKS > cluster > Upgrade now, or `aws eks update-cluster-version "
    "--name NAME --kubernetes-version 1.33`, then upgrade node groups and add-ons.",
    frameworks={"fsbp": ["EKS.2"]},
    settings={"min_version": "1.32"},
    notes="min_version: the oldest Kubernetes version still supported by EKS (standard or extended support); "
          "keep it in step with the EKS release calendar (1.31 left extended support in November 2026).",
))
def eks_cluster_version_supported(scope: Scope) -> Iterator[Finding]:
    minimum = str(scope.setting("min_version"))
    for c in eks_clusters(scope.inv):
        kw = _kw(c, version=c.version, minVersion=minimum)
        if _version(c.version) < _version(minimum):
            yield scope.failed(c.name, f"Kubernetes {c.version} is older than {minimum}, the oldest supported",
                               **kw)
        else:
            yield scope.passed(c.name, f"Kubernetes {c.version} is supported", **kw)
