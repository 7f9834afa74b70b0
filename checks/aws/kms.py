"""KMS checks."""
from __future__ import annotations

from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.kms import customer_keys


@register(CheckMeta(
    id="kms_key_rotation_enabled",
    fail_title="Customer-managed KMS keys without automatic rotation",
    title="Customer-managed KMS keys rotate automatically",
    service="kms",
    aspect="key_management",
    severity=Severity.medium,
    frameworks={"cis": ["3.6"]},
    remediation=("Enable automatic rotation: console KMS > key > Key rotation, or "
                 "`aws kms enable-key-rotation --key-id KEY_ID`."),
    iam_actions=["kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
    resource_type="AWS::KMS::Key",
))
def kms_key_rotation_enabled(scope: Scope):
    for key in customer_keys(scope.inv):
        if key.rotation_enabled is None:
            continue  # rotation is not available for this key type; nothing to judge
        evidence = {"KeyRotationEnabled": key.rotation_enabled, "KeySpec": key.spec}
        if key.rotation_enabled:
            yield scope.passed(key.key_id, "automatic key rotation is enabled",
                               arn=key.arn, evidence=evidence, tags=key.tags)
        else:
            yield scope.failed(key.key_id, "automatic key rotation is disabled",
                               arn=key.arn, evidence=evidence, tags=key.tags)
