"""KMS inventory: customer-managed keys with their rotation status."""
from __future__ import annotations

from dataclasses import dataclass, field

from checks.inventory.core import Inventory, paginate


@dataclass
class KmsKey:
    key_id: str
    arn: str
    manager: str  # AWS | CUSTOMER
    state: str
    spec: str
    rotation_enabled: bool | None  # None: rotation does not apply (asymmetric/HMAC/imported)
    tags: dict[str, str] = field(default_factory=dict)


def customer_keys(inv: Inventory) -> list[KmsKey]:
    """Enabled customer-managed keys in this region (AWS-managed keys are skipped)."""

    def fetch() -> list[KmsKey]:
        kms = inv.client("kms")
        out: list[KmsKey] = []
        for k in paginate(kms, "list_keys", "Keys"):
            meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") != "Enabled":
                continue
            spec = meta.get("KeySpec", "SYMMETRIC_DEFAULT")
            rotation = None
            if spec == "SYMMETRIC_DEFAULT" and meta.get("Origin") == "AWS_KMS":
                rotation = bool(kms.get_key_rotation_status(KeyId=k["KeyId"])["KeyRotationEnabled"])
            tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=k["KeyId"]).get("Tags", [])}
            out.append(KmsKey(k["KeyId"], meta["Arn"], "CUSTOMER", meta["KeyState"], spec, rotation, tags))
        return out

    return inv.memo("kms.customer_keys", fetch)
