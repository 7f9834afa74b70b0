"""EKS and ECR checks on moto."""
import json

import pytest

from checks.base import Status
from tests.checks.canned import DENIED, THROTTLED, scan_with
from tests.checks.conftest import ACCOUNT_ID, only, statuses

PRIVATE, NOT_OPEN, AUDIT, LOGS, SECRETS, VERSION = (
    "eks_cluster_endpoint_private", "eks_cluster_endpoint_not_open_to_internet", "eks_cluster_audit_logging_enabled",
    "eks_cluster_control_plane_logging_enabled", "eks_cluster_secrets_encrypted", "eks_cluster_version_supported")
SCAN, IMMUTABLE, REPO_POLICY = ("ecr_repository_scan_on_push_enabled", "ecr_repository_tag_immutable",
                                "ecr_repository_policy_not_public")
LIFECYCLE = "ecr_repository_lifecycle_policy_configured"
EKS_CHECKS = [PRIVATE, NOT_OPEN, AUDIT, LOGS, SECRETS, VERSION]
P, F, E = Status.PASS, Status.FAIL, Status.ERROR
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _cluster(eks, name: str, *, version="1.33", public=True, cidrs=None, logs=(), key=None, tags=None) -> str:
    vpc = {"subnetIds": ["subnet-1"], "endpointPublicAccess": public, "endpointPrivateAccess": not public}
    if cidrs:
        vpc["publicAccessCidrs"] = cidrs
    extra = {"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": key}}]} if key else {}
    eks.create_cluster(name=name, version=version, roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/eks",
                       resourcesVpcConfig=vpc, tags=tags or {},
                       logging={"clusterLogging": [{"types": list(logs), "enabled": True}]} if logs else {}, **extra)
    return name


def test_a_hardened_cluster_passes_every_eks_check_and_a_default_one_fails_them(aws):
    eks = aws.client("eks")
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    good = _cluster(eks, "good", public=False, logs=ALL_LOGS, key=key, tags={"team": "platform"})
    bad = _cluster(eks, "bad", version="1.29")  # public to 0.0.0.0/0, no logs, no key, old

    result = scan_with(aws, EKS_CHECKS)

    for check in EKS_CHECKS:
        assert statuses(result, check) == {good: P, bad: F}, check
    assert only(result, PRIVATE, good).tags == {"team": "platform"}
    assert only(result, NOT_OPEN, bad).reason == "public API endpoint open to 0.0.0.0/0"
    assert only(result, LOGS, bad).evidence["missingLogTypes"] == ALL_LOGS
    assert result.summary.api_calls == {"eks.ListClusters": 1, "eks.DescribeCluster": 2}


def test_a_public_endpoint_limited_to_cidrs_fails_eks1_but_is_not_open_to_the_internet(aws):
    limited = _cluster(aws.client("eks"), "limited", cidrs=["203.0.113.0/24"])
    result = scan_with(aws, [PRIVATE, NOT_OPEN])
    assert (statuses(result, PRIVATE), statuses(result, NOT_OPEN)) == ({limited: F}, {limited: P})


def test_audit_only_passes_eks8_and_the_required_log_types_are_a_setting(aws):
    audit_only = _cluster(aws.client("eks"), "audit-only", logs=["audit"])
    result = scan_with(aws, [AUDIT, LOGS])
    assert (statuses(result, AUDIT), statuses(result, LOGS)) == ({audit_only: P}, {audit_only: F})
    assert only(result, LOGS, audit_only).evidence["missingLogTypes"] == ["api", "authenticator",
                                                                          "controllerManager", "scheduler"]
    relaxed = scan_with(aws, [LOGS], settings={LOGS: {"log_types": ["audit"]}})
    assert statuses(relaxed, LOGS) == {audit_only: P}


def test_minimum_version_is_a_setting_and_compares_numerically(aws):
    eks = aws.client("eks")
    v131, v133 = _cluster(eks, "v131", version="1.31"), _cluster(eks, "v133", version="1.33")
    assert statuses(scan_with(aws, [VERSION]), VERSION) == {v131: F, v133: P}
    newer = scan_with(aws, [VERSION], settings={VERSION: {"min_version": "1.34"}})
    assert statuses(newer, VERSION) == {v131: F, v133: F}
    older = scan_with(aws, [VERSION], settings={VERSION: {"min_version": "1.9"}})  # 1.31 > 1.9 as versions
    assert statuses(older, VERSION) == {v131: P, v133: P}


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_eks_errors_are_errors(aws, error):
    _cluster(aws.client("eks"), "c")
    result = scan_with(aws, EKS_CHECKS, canned={"eks.DescribeCluster": error})
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (c, E, error.code) for c in EKS_CHECKS}
    assert result.summary.api_calls["eks.DescribeCluster"] == 1  # the failure is shared, not retried per check


def _repo(ecr, name: str, *, scan=False, immutable=False, tags=None) -> str:
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": scan},
                          imageTagMutability="IMMUTABLE" if immutable else "MUTABLE",
                          tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    return name


def test_scan_on_push_per_repository_or_by_registry_rule(aws):
    ecr = aws.client("ecr")
    scanned, plain, prod = _repo(ecr, "scanned", scan=True), _repo(ecr, "plain"), _repo(ecr, "prod-api")
    assert statuses(scan_with(aws, [SCAN]), SCAN) == {scanned: P, plain: F, prod: F}

    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}])
    result = scan_with(aws, [SCAN])
    assert statuses(result, SCAN) == {scanned: P, plain: F, prod: P}
    assert only(result, SCAN, prod).evidence["registryRule"] == "CONTINUOUS_SCAN"


def test_mutable_tags_fail(aws):
    ecr = aws.client("ecr")
    fixed, loose = _repo(ecr, "fixed", immutable=True, tags={"team": "ml"}), _repo(ecr, "loose")
    result = scan_with(aws, [IMMUTABLE])
    assert statuses(result, IMMUTABLE) == {fixed: P, loose: F}
    assert only(result, IMMUTABLE, fixed).tags == {"team": "ml"}


def test_repository_policy_open_to_everyone_fails(aws):
    ecr = aws.client("ecr")
    for name in ("nopolicy", "public", "partner"):
        _repo(ecr, name)

    def policy(principal):
        return json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow",
                           "Principal": principal, "Action": ["ecr:BatchGetImage"]}]})

    ecr.set_repository_policy(repositoryName="public", policyText=policy("*"))
    ecr.set_repository_policy(repositoryName="partner", policyText=policy({"AWS": "arn:aws:iam::210987654321:root"}))
    result = scan_with(aws, [REPO_POLICY])
    assert statuses(result, REPO_POLICY) == {"nopolicy": P, "public": F, "partner": P}
    assert only(result, REPO_POLICY, "partner").evidence["OtherAccounts"] == ["210987654321"]


def test_repositories_without_a_lifecycle_policy_fail(aws):
    ecr = aws.client("ecr")
    kept, hoard = _repo(ecr, "kept"), _repo(ecr, "hoard")
    ecr.put_lifecycle_policy(repositoryName=kept, lifecyclePolicyText=json.dumps({"rules": [{
        "rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                         "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}}]}))
    result = scan_with(aws, [LIFECYCLE])
    assert statuses(result, LIFECYCLE) == {kept: P, hoard: F}
    denied = scan_with(aws, [LIFECYCLE, IMMUTABLE], canned={"ecr.GetLifecyclePolicy": DENIED})
    assert {(f.check_id, f.status) for f in denied.findings} == {(LIFECYCLE, E), (IMMUTABLE, F)}


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_ecr_errors_are_errors(aws, error):
    _repo(aws.client("ecr"), "repo")
    listing = scan_with(aws, [SCAN, IMMUTABLE, REPO_POLICY], canned={"ecr.DescribeRepositories": error})
    assert {(f.check_id, f.status) for f in listing.findings} == {(SCAN, E), (IMMUTABLE, E), (REPO_POLICY, E)}
    registry = scan_with(aws, [SCAN, IMMUTABLE], canned={"ecr.GetRegistryScanningConfiguration": error})
    assert {(f.check_id, f.status) for f in registry.findings} == {(SCAN, E), (IMMUTABLE, F)}  # unaffected
    policy = scan_with(aws, [REPO_POLICY], canned={"ecr.GetRepositoryPolicy": error})
    assert {(f.check_id, f.status, f.error_code) for f in policy.findings} == {(REPO_POLICY, E, error.code)}
