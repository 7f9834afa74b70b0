"""ECR repositories: image scanning, immutable tags, a lifecycle policy, no public repository policy."""
from __future__ import annotations

from typing import Iterator

from checks.aws.access_policy import other_accounts, public_statements
from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.containers import ecr_lifecycle_policies, ecr_policies, ecr_repositories, registry_scanning

REPOSITORY = "AWS::ECR::Repository"
READS = ["ecr:DescribeRepositories", "ecr:ListTagsForResource"]


@register(CheckMeta(
    id="ecr_repository_scan_on_push_enabled",
    title="ECR repositories scan images for vulnerabilities",
    fail_title="ECR repositories that do not scan pushed images",
    service="ecr", aspect="vulnerability_testing", severity=Severity.high,
    frameworks={"fsbp": ["ECR.1"]},
    remediation=("Turn on scan on push (`aws ecr put-image-scanning-configuration --repository-name NAME "
                 "--image-scanning-configuration scanOnPush=true`) or, better, enhanced scanning for the registry "
                 "(console ECR > Private registry > Scanning, or `aws ecr put-registry-scanning-configuration "
                 "--scan-type ENHANCED --rules '[{\"scanFrequency\":\"CONTINUOUS_SCAN\",\"repositoryFilters\":"
                 "[{\"filter\":\"*\",\"filterType\":\"WILDCARD\"}]}]'`)."),
    iam_actions=READS + ["ecr:GetRegistryScanningConfiguration"], resource_type=REPOSITORY,
    notes="Passes when the repository scans on push, or a registry scanning rule matches it (ENHANCED: any "
          "frequency; BASIC: SCAN_ON_PUSH).",
))
def ecr_repository_scan_on_push_enabled(scope: Scope) -> Iterator[Finding]:
    registry = registry_scanning(scope.inv)
    for r in ecr_repositories(scope.inv):
        rule = registry.rule_for(r.name)
        by_registry = bool(rule) and (registry.scan_type == "ENHANCED" or rule == "SCAN_ON_PUSH")
        evidence = {"scanOnPush": r.scan_on_push, "registryScanType": registry.scan_type,
                    "registryRule": rule or None}
        kw = {"arn": r.arn, "tags": r.tags, "evidence": evidence}
        if by_registry:
            yield scope.passed(r.name, f"scanned by the registry's {registry.scan_type} rule ({rule})", **kw)
        elif r.scan_on_push:
            yield scope.passed(r.name, "scan on push is on", **kw)
        else:
            yield scope.failed(r.name, "images are not scanned on push and no registry scanning rule matches", **kw)


@register(CheckMeta(
    id="ecr_repository_tag_immutable",
    title="ECR repositories have immutable image tags",
    fail_title="ECR repositories with mutable image tags",
    service="ecr", aspect="container_security", severity=Severity.medium,
    frameworks={"fsbp": ["ECR.2"]},
    remediation=("Make tags immutable so a pushed tag cannot be replaced: console ECR > repository > Edit > Tag "
                 "immutability, or `aws ecr put-image-tag-mutability --repository-name NAME "
                 "--image-tag-mutability IMMUTABLE`."),
    iam_actions=READS, resource_type=REPOSITORY,
))
def ecr_repository_tag_immutable(scope: Scope) -> Iterator[Finding]:
    for r in ecr_repositories(scope.inv):
        kw = {"arn": r.arn, "tags": r.tags, "evidence": {"imageTagMutability": r.tag_mutability}}
        if r.tag_mutability.startswith("IMMUTABLE"):
            yield scope.passed(r.name, f"image tags are {r.tag_mutability.lower().replace('_', ' ')}", **kw)
        else:
            yield scope.failed(r.name, "image tags can be overwritten", **kw)


@register(CheckMeta(
    id="ecr_repository_policy_not_public",
    title="ECR repository policies do not admit everyone",
    fail_title="ECR repositories whose policy admits everyone",
    service="ecr", aspect="container_security", severity=Severity.critical,
    remediation=("Remove the Principal \"*\" statement or pin it with a condition (aws:PrincipalOrgID): console "
                 "ECR > repository > Permissions > Edit policy JSON, or `aws ecr set-repository-policy "
                 "--repository-name NAME --policy-text file://policy.json` (`aws ecr delete-repository-policy "
                 "--repository-name NAME` removes it)."),
    iam_actions=READS + ["ecr:GetRepositoryPolicy"], resource_type=REPOSITORY,
    notes="Other accounts named in the policy are listed in the evidence but do not fail the check.",
))
def ecr_repository_policy_not_public(scope: Scope) -> Iterator[Finding]:
    docs = ecr_policies(scope.inv)
    for r in ecr_repositories(scope.inv):
        policy = docs.get(r.name)
        if not policy:
            yield scope.passed(r.name, "no repository policy", arn=r.arn, tags=r.tags, evidence={"Policy": False})
            continue
        public = public_statements(policy)
        kw = {"arn": r.arn, "tags": r.tags,
              "evidence": {"PublicStatements": public, "OtherAccounts": other_accounts(policy, scope.account_id)}}
        if public:
            yield scope.failed(r.name, f"policy admits everyone (statements {', '.join(public)})", **kw)
        else:
            yield scope.passed(r.name, "policy admits only named principals", **kw)


@register(CheckMeta(
    id="ecr_repository_lifecycle_policy_configured",
    title="ECR repositories have a lifecycle policy",
    fail_title="ECR repositories without a lifecycle policy",
    service="ecr", aspect="container_security", severity=Severity.low,
    frameworks={"fsbp": ["ECR.3"]},
    remediation=("Expire old and untagged images so stale, unpatched images do not linger: console ECR > "
                 "repository > Lifecycle policy > Create rule, or `aws ecr put-lifecycle-policy --repository-name "
                 "NAME --lifecycle-policy-text file://policy.json`."),
    iam_actions=READS + ["ecr:GetLifecyclePolicy"], resource_type=REPOSITORY,
))
def ecr_repository_lifecycle_policy_configured(scope: Scope) -> Iterator[Finding]:
    docs = ecr_lifecycle_policies(scope.inv)
    for r in ecr_repositories(scope.inv):
        kw = {"arn": r.arn, "tags": r.tags, "evidence": {"LifecyclePolicy": bool(docs.get(r.name))}}
        if docs.get(r.name):
            yield scope.passed(r.name, "a lifecycle policy expires old images", **kw)
        else:
            yield scope.failed(r.name, "no lifecycle policy", **kw)
