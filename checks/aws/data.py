"""Data protection gaps: public-write buckets, unencrypted SNS/SQS/OpenSearch, and OpenSearch transport."""
from __future__ import annotations

import json
from fnmatch import fnmatch
from typing import Any

from checks.aws.s3 import BUCKET_ACTIONS, public_statements
from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.opensearch import Domain, domains
from checks.inventory.s3 import GROUP_URIS, ApiError, buckets
from checks.inventory.sns import topics
from checks.inventory.sqs import queues

# An action pattern that matches any of these can change a bucket or its objects.
S3_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl", "s3:PutBucketPolicy", "s3:PutBucketAcl",
                    "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:RestoreObject", "s3:ReplicateObject",
                    "s3:PutLifecycleConfiguration", "s3:AbortMultipartUpload")
WRITE_PERMISSIONS = {"WRITE", "WRITE_ACP", "FULL_CONTROL"}
OPENSEARCH_ACTIONS = ["es:ListDomainNames", "es:DescribeDomains", "es:ListTags"]
DOMAIN = "AWS::OpenSearchService::Domain"
# FSBP OpenSearch.8 asks for Policy-Min-TLS-1-2-2019-07; the PFS policy is stricter still.
TLS_POLICIES = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def write_actions(statement: dict[str, Any]) -> list[str]:
    """The statement's action patterns that allow a write (NotAction allows all but a few: a write)."""
    if "NotAction" in statement:
        return ["NotAction"]
    return sorted({str(a) for a in _as_list(statement.get("Action"))
                   if any(fnmatch(w.lower(), str(a).lower()) for w in S3_WRITE_ACTIONS)})


def public_write_statements(policy: str) -> list[str]:
    """Labels (Sid or #index) of statements open to everyone that allow writing."""
    doc = json.loads(policy)
    stmts = [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict)]
    out = []
    for i, s in enumerate(stmts):
        if s.get("Effect") == "Allow" and public_statements(json.dumps({"Statement": [s]})) and write_actions(s):
            out.append(str(s.get("Sid") or f"#{i}"))
    return out


@register(CheckMeta(
    id="s3_bucket_no_public_write", title="S3 buckets do not let everyone write (ACL or bucket policy)",
    fail_title="S3 bucket lets everyone write", service="s3", aspect="data_protection", severity=Severity.critical,
    scope="account", frameworks={"fsbp": ["S3.3"]},
    remediation=("Console S3 > bucket > Permissions: remove Everyone / Authenticated users write grants from the "
                 "ACL and Principal \"*\" write statements from the bucket policy (and turn on Block Public Access); "
                 "or `aws s3api put-bucket-acl --bucket BUCKET --acl private` and `aws s3api put-bucket-policy "
                 "--bucket BUCKET --policy file://policy.json`."),
    iam_actions=BUCKET_ACTIONS, resource_type="AWS::S3::Bucket",
    notes=("Write = WRITE, WRITE_ACP or FULL_CONTROL granted to AllUsers/AuthenticatedUsers, or an Allow statement "
           "open to everyone (no fixed-value restricting condition) whose actions cover a put/delete/restore "
           "action or use NotAction. Block Public Access is judged by its own checks."),
))
def s3_bucket_no_public_write(scope: Scope):
    for b in buckets(scope.inv):
        kw: dict[str, Any] = {"arn": b.arn, "tags": {} if isinstance(b.tags, ApiError) else b.tags}
        if isinstance(b.region, str):
            kw["region"] = b.region
        acl, policy = b.acl_grants, b.policy
        if isinstance(acl, ApiError) or isinstance(policy, ApiError):
            err = acl if isinstance(acl, ApiError) else policy
            assert isinstance(err, ApiError)
            yield scope.errored(b.name, err.code, f"{err.operation}: {err.message}", **kw)
            continue
        grants = sorted({f"{GROUP_URIS[g['Grantee']['URI']]}:{g.get('Permission')}" for g in acl
                         if (g.get("Grantee") or {}).get("URI") in GROUP_URIS
                         and g.get("Permission") in WRITE_PERMISSIONS})
        statements = public_write_statements(policy) if policy else []
        ev = {"PublicWriteGrants": grants, "PublicWriteStatements": statements}
        if grants or statements:
            yield scope.failed(b.name, "everyone can write: " + ", ".join(grants + statements), evidence=ev, **kw)
        else:
            yield scope.passed(b.name, "no public write grant or policy statement", evidence=ev, **kw)


@register(CheckMeta(
    id="sns_topic_encrypted_at_rest", title="SNS topics are encrypted at rest with a KMS key",
    fail_title="SNS topic is not encrypted at rest", service="sns", aspect="encryption_at_rest",
    severity=Severity.medium, frameworks={"fsbp": ["SNS.1"]},
    remediation=("Console SNS > Topics > topic > Edit > Encryption: Enable encryption (AWS managed key alias/aws/sns "
                 "or a customer managed key), or `aws sns set-topic-attributes --topic-arn TOPIC_ARN "
                 "--attribute-name KmsMasterKeyId --attribute-value alias/aws/sns`."),
    iam_actions=["sns:ListTopics", "sns:GetTopicAttributes", "sns:ListTagsForResource"],
    resource_type="AWS::SNS::Topic",
))
def sns_topic_encrypted_at_rest(scope: Scope):
    for t in topics(scope.inv):
        if t.error is not None:
            yield scope.errored(t.name, *t.error, arn=t.arn)
            continue
        kw = dict(arn=t.arn, tags=t.tags, evidence={"KmsMasterKeyId": t.kms_key_id or None})
        if t.kms_key_id:
            yield scope.passed(t.name, f"encrypted with KMS key {t.kms_key_id}", **kw)
        else:
            yield scope.failed(t.name, "no KMS key: messages are stored unencrypted at rest", **kw)


@register(CheckMeta(
    id="sqs_queue_encrypted_at_rest", title="SQS queues are encrypted at rest (SSE-SQS or SSE-KMS)",
    fail_title="SQS queue is not encrypted at rest", service="sqs", aspect="encryption_at_rest",
    severity=Severity.medium, frameworks={"fsbp": ["SQS.1"]},
    remediation=("Console SQS > Queues > queue > Edit > Encryption: Enabled (SSE-SQS or SSE-KMS), or "
                 "`aws sqs set-queue-attributes --queue-url QUEUE_URL --attributes SqsManagedSseEnabled=true`."),
    iam_actions=["sqs:ListQueues", "sqs:GetQueueAttributes", "sqs:ListQueueTags"],
    resource_type="AWS::SQS::Queue",
))
def sqs_queue_encrypted_at_rest(scope: Scope):
    for q in queues(scope.inv):
        if q.error is not None:
            yield scope.errored(q.name, *q.error, arn=q.arn)
            continue
        ev = {"KmsMasterKeyId": q.kms_key_id or None, "SqsManagedSseEnabled": q.sqs_managed_sse}
        kw = dict(arn=q.arn, tags=q.tags, evidence=ev)
        if q.kms_key_id:
            yield scope.passed(q.name, f"SSE-KMS with key {q.kms_key_id}", **kw)
        elif q.sqs_managed_sse:
            yield scope.passed(q.name, "SSE-SQS (SQS-managed keys)", **kw)
        else:
            yield scope.failed(q.name, "server-side encryption is off", **kw)


def _domain_kw(d: Domain, evidence: dict[str, Any]) -> dict[str, Any]:
    if d.tags_error:
        evidence = {**evidence, "tags_error": d.tags_error}
    return {"arn": d.arn, "tags": d.tags, "evidence": evidence}


@register(CheckMeta(
    id="opensearch_domain_encrypted_at_rest", title="OpenSearch domains are encrypted at rest",
    fail_title="OpenSearch domain is not encrypted at rest", service="opensearch", aspect="encryption_at_rest",
    severity=Severity.high, frameworks={"fsbp": ["OpenSearch.1"]},
    remediation=("Console OpenSearch Service > Domains > domain > Actions > Edit security configuration > Encryption "
                 "of data at rest: Enable, or `aws opensearch update-domain-config --domain-name DOMAIN "
                 "--encryption-at-rest-options Enabled=true`."),
    iam_actions=OPENSEARCH_ACTIONS, resource_type=DOMAIN,
))
def opensearch_domain_encrypted_at_rest(scope: Scope):
    for d in domains(scope.inv):
        kw = _domain_kw(d, {"EncryptionAtRestOptions.Enabled": d.encrypted_at_rest})
        if d.encrypted_at_rest:
            yield scope.passed(d.name, "data at rest is encrypted", **kw)
        else:
            yield scope.failed(d.name, "data at rest is not encrypted", **kw)


@register(CheckMeta(
    id="opensearch_domain_node_to_node_encrypted", title="OpenSearch domains encrypt traffic between nodes",
    fail_title="OpenSearch domain does not encrypt node-to-node traffic", service="opensearch",
    aspect="encryption_in_transit", severity=Severity.medium, frameworks={"fsbp": ["OpenSearch.3"]},
    remediation=("Console OpenSearch Service > Domains > domain > Actions > Edit security configuration > "
                 "Node-to-node encryption: Enable, or `aws opensearch update-domain-config --domain-name DOMAIN "
                 "--node-to-node-encryption-options Enabled=true`."),
    iam_actions=OPENSEARCH_ACTIONS, resource_type=DOMAIN,
))
def opensearch_domain_node_to_node_encrypted(scope: Scope):
    for d in domains(scope.inv):
        kw = _domain_kw(d, {"NodeToNodeEncryptionOptions.Enabled": d.node_to_node})
        if d.node_to_node:
            yield scope.passed(d.name, "node-to-node encryption is on", **kw)
        else:
            yield scope.failed(d.name, "node-to-node encryption is off", **kw)


@register(CheckMeta(
    id="opensearch_domain_https_required", title="OpenSearch domains require HTTPS with a current TLS policy",
    fail_title="OpenSearch domain allows plain HTTP or an old TLS policy", service="opensearch",
    aspect="encryption_in_transit", severity=Severity.medium, frameworks={"fsbp": ["OpenSearch.8"]},
    remediation=("Console OpenSearch Service > Domains > domain > Actions > Edit security configuration > "
                 "Require HTTPS for all traffic, TLS security policy: Policy-Min-TLS-1-2-2019-07 or newer; or "
                 "`aws opensearch update-domain-config --domain-name DOMAIN --domain-endpoint-options "
                 "EnforceHTTPS=true,TLSSecurityPolicy=Policy-Min-TLS-1-2-PFS-2023-10`."),
    iam_actions=OPENSEARCH_ACTIONS, resource_type=DOMAIN, settings={"allowed_tls_policies": TLS_POLICIES},
))
def opensearch_domain_https_required(scope: Scope):
    allowed = list(scope.setting("allowed_tls_policies"))
    for d in domains(scope.inv):
        kw = _domain_kw(d, {"EnforceHTTPS": d.enforce_https, "TLSSecurityPolicy": d.tls_policy,
                            "allowed_tls_policies": allowed})
        if not d.enforce_https:
            yield scope.failed(d.name, "HTTPS is not enforced: plain HTTP is accepted", **kw)
        elif d.tls_policy not in allowed:
            yield scope.failed(d.name, f"TLS policy {d.tls_policy or 'unset'} is not an allowed policy", **kw)
        else:
            yield scope.passed(d.name, f"HTTPS enforced with {d.tls_policy}", **kw)
