"""Declared truth: what every registered check declares is held against outside sources, offline.

* IAM actions exist in botocore's service model of their service, and are read-only;
* resource types are real CloudFormation type names (cfn-lint's shipped provider schema list);
* framework ids exist in data/frameworks/ (CIS AWS Foundations v4.0.0, FSBP);
* every check is reachable from a matrix row (its aspect exists and the row lists it).

Generic over the registry: a check added anywhere under checks/aws/ is covered without editing this file,
unless it needs a new IAM prefix alias below.
"""
from __future__ import annotations

import importlib.resources
import json
from functools import cache

import botocore.session
import pytest

from bot.frameworks import load_frameworks, metadata_problems
from bot.matrix import load_matrix
from checks.accounts import SCANNER_IAM_ACTIONS
from checks.policy import CALLER_ONLY_ACTIONS, is_read_only
from checks.registry import load_all

CHECKS = sorted(load_all().values(), key=lambda c: c.meta.id)
IDS = [c.meta.id for c in CHECKS]

# IAM action prefix -> botocore service name(s), where they differ (one IAM prefix may authorize two APIs).
PREFIX_SERVICES: dict[str, tuple[str, ...]] = {
    "elasticloadbalancing": ("elbv2", "elb"),
    "es": ("opensearch", "es"),
    "elasticfilesystem": ("efs",),
    "access-analyzer": ("accessanalyzer",),
    "states": ("stepfunctions",),
    "tag": ("resourcegroupstaggingapi",),
    "aoss": ("opensearchserverless",),
}
# IAM actions whose name is not the API operation they authorize -> (botocore service, operation).
IAM_ONLY_ACTIONS: dict[str, tuple[str, str]] = {
    "s3:GetAccountPublicAccessBlock": ("s3control", "GetPublicAccessBlock"),
    "s3:GetBucketPublicAccessBlock": ("s3", "GetPublicAccessBlock"),
    "s3:GetEncryptionConfiguration": ("s3", "GetBucketEncryption"),
    "s3:ListAllMyBuckets": ("s3", "ListBuckets"),
    "s3:GetLifecycleConfiguration": ("s3", "GetBucketLifecycleConfiguration"),
    "s3:GetReplicationConfiguration": ("s3", "GetBucketReplication"),
    "s3:GetBucketObjectLockConfiguration": ("s3", "GetObjectLockConfiguration"),
    "s3:GetAccessPointPolicy": ("s3control", "GetAccessPointPolicy"),
    "s3:ListAccessPoints": ("s3control", "ListAccessPoints"),
}
# API Gateway's IAM actions are HTTP verbs on resource paths (apigateway:GET covers every read).
APIGATEWAY_VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Resource types that are real AWS names but not CloudFormation types, each with why it stays.
NOT_CFN_TYPES: dict[str, str] = {
    "AWS::::Account": "the account itself, as AWS Config names it in account-level compliance results",
    "AWS::EC2::Snapshot": "EBS snapshots have no CloudFormation or AWS Config type; the check's own choice",
}


@cache
def _botocore():  # noqa: ANN202 - a botocore Session
    return botocore.session.get_session()


@cache
def _operations(service: str) -> frozenset[str]:
    if service not in _botocore().get_available_services():
        return frozenset()
    return frozenset(_botocore().get_service_model(service).operation_names)


@cache
def _cfn_types() -> frozenset[str]:
    schema = importlib.resources.files("cfnlint.data.schemas.providers") / "us-east-1.json"
    return frozenset(json.loads(schema.read_text(encoding="utf-8")))


def action_problem(action: str) -> str | None:
    """Why ``action`` is not a real, read-only IAM action of a botocore service (None when it is)."""
    prefix, _, name = action.partition(":")
    if prefix == "apigateway":
        if name not in APIGATEWAY_VERBS:
            return f"{action}: API Gateway actions are HTTP verbs ({', '.join(sorted(APIGATEWAY_VERBS))})"
    elif action in IAM_ONLY_ACTIONS:
        service, op = IAM_ONLY_ACTIONS[action]
        if op not in _operations(service):
            return f"{action}: alias {service}:{op} is not in botocore"
    else:
        services = PREFIX_SERVICES.get(prefix, (prefix,))
        if not any(_operations(s) for s in services):
            return f"{action}: no botocore service for IAM prefix {prefix!r} (add it to PREFIX_SERVICES)"
        if not any(name in _operations(s) for s in services):
            return f"{action}: {name} is not an operation of {' or '.join(services)} in botocore"
    if not is_read_only(action):
        return f"{action}: not read-only (checks.policy.is_read_only)"
    return None


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_iam_actions_exist_in_botocore_and_are_read_only(check):
    problems = [p for a in check.meta.iam_actions if (p := action_problem(a))]
    assert not problems, f"{check.meta.id}: " + "; ".join(problems)


def test_the_scanners_own_actions_are_real_too():
    problems = [p for a in SCANNER_IAM_ACTIONS if a not in CALLER_ONLY_ACTIONS and (p := action_problem(a))]
    assert not problems


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_resource_type_is_a_cloudformation_type(check):
    rt = check.meta.resource_type
    assert rt in _cfn_types() or rt in NOT_CFN_TYPES, \
        f"{check.meta.id}: {rt!r} is not a CloudFormation resource type (cfn-lint's us-east-1 schema list)"


def test_every_exception_to_the_cfn_rule_is_still_needed():
    used = {c.meta.resource_type for c in CHECKS}
    assert not (set(NOT_CFN_TYPES) & _cfn_types()), "a listed exception became a CloudFormation type"
    assert set(NOT_CFN_TYPES) <= used, f"unused exceptions: {sorted(set(NOT_CFN_TYPES) - used)}"


def test_every_framework_id_in_metadata_is_in_the_framework_map():
    assert metadata_problems(load_frameworks(), CHECKS) == []


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_every_check_is_reachable_from_a_matrix_row(check):
    matrix = load_matrix()
    assert check.meta.aspect in matrix.ids, f"{check.meta.id}: aspect {check.meta.aspect!r} is not a matrix row"
    assert check.meta.id in matrix.aspect(check.meta.aspect).checks, \
        f"{check.meta.id}: not listed under its row {check.meta.aspect!r} in data/matrix.yml"


def test_the_truth_sources_say_no_to_made_up_declarations():
    assert action_problem("ec2:DescribeInstances") is None
    assert action_problem("iam:GenerateCredentialReport") is None  # an operation, read-only in effect
    assert action_problem("elasticloadbalancing:DescribeLoadBalancers") is None  # elbv2 and elb
    assert action_problem("apigateway:GET") is None
    assert "not an operation" in action_problem("ec2:DescribeUnicorns")
    assert "not read-only" in action_problem("ec2:TerminateInstances")
    assert "not read-only" in action_problem("apigateway:DELETE")
    assert "no botocore service" in action_problem("nosuchservice:ListThings")
    assert "AWS::S3::Bucket" in _cfn_types() and "AWS::S3::Buckets" not in _cfn_types()
