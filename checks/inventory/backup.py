"""AWS Backup inventory: backup plan resource selections and backup vaults.

``selections`` lists the plans (one paginated call), then each plan's selections and
each selection's document: calls grow with plans + selections, never with the
resources judged. :meth:`BackupSelection.covers` applies AWS Backup's assignment rules
to a resource ARN and its tags, so a resource can be judged "in a plan" without
waiting for a first recovery point (ListProtectedResources only knows resources
that have been backed up at least once).

Assignment rules (AWS Backup API, BackupSelection): a resource is selected when it
matches ``Resources`` (ARNs, ``*`` wildcards) or any ``ListOfTags`` entry (OR); with
neither given every resource matches. It must then match ALL ``Conditions``
(StringEquals/StringNotEquals/StringLike/StringNotLike on ``aws:ResourceTag/<key>``,
AND) and no ``NotResources`` pattern.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from typing import Any

from checks.inventory.core import Inventory, call_or_none, paginate
from checks.inventory.emulator import missing_api

TAG_PREFIX = "aws:ResourceTag/"


def _tag_key(condition_key: str) -> str:
    return condition_key[len(TAG_PREFIX):] if condition_key.startswith(TAG_PREFIX) else condition_key


def _condition_holds(op: str, condition: dict[str, str], tags: dict[str, str]) -> bool:
    key, want = _tag_key(condition.get("ConditionKey", "")), condition.get("ConditionValue", "")
    have = tags.get(key)
    if op == "StringEquals":
        return have == want
    if op == "StringNotEquals":
        return have != want
    if op == "StringLike":
        return have is not None and fnmatchcase(have, want)
    if op == "StringNotLike":
        return have is None or not fnmatchcase(have, want)
    return False  # an operator we do not know never selects anything


@dataclass
class BackupSelection:
    plan_id: str
    plan_name: str
    selection_id: str
    name: str
    resources: list[str] = field(default_factory=list)
    not_resources: list[str] = field(default_factory=list)
    list_of_tags: list[dict[str, str]] = field(default_factory=list)
    conditions: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def covers(self, arn: str, tags: dict[str, str]) -> bool:
        by_arn = any(fnmatchcase(arn, pattern) for pattern in self.resources)
        by_tag = any(_condition_holds("StringEquals", t, tags) for t in self.list_of_tags)  # its only operator
        if (self.resources or self.list_of_tags) and not (by_arn or by_tag):
            return False
        if not all(_condition_holds(op, c, tags) for op, conds in self.conditions.items() for c in conds):
            return False
        return not any(fnmatchcase(arn, pattern) for pattern in self.not_resources)

    @property
    def label(self) -> str:
        return f"{self.plan_name}/{self.name}"


def selections(inv: Inventory) -> list[BackupSelection]:
    """Every resource selection of every backup plan in this region."""

    def fetch() -> list[BackupSelection]:
        backup = inv.client("backup")
        out: list[BackupSelection] = []
        for plan in paginate(backup, "list_backup_plans", "BackupPlansList"):
            plan_id = plan["BackupPlanId"]
            with missing_api("backup.ListBackupSelections"):
                listed = paginate(backup, "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id)
            for sel in listed:
                with missing_api("backup.GetBackupSelection"):
                    doc: dict[str, Any] = backup.get_backup_selection(
                        BackupPlanId=plan_id, SelectionId=sel["SelectionId"])["BackupSelection"]
                conditions = {op: list(v) for op, v in (doc.get("Conditions") or {}).items() if v}
                out.append(BackupSelection(
                    plan_id=plan_id, plan_name=plan.get("BackupPlanName", plan_id),
                    selection_id=sel["SelectionId"], name=doc.get("SelectionName", sel["SelectionId"]),
                    resources=list(doc.get("Resources") or []), not_resources=list(doc.get("NotResources") or []),
                    list_of_tags=list(doc.get("ListOfTags") or []), conditions=conditions))
        return out

    return inv.memo("backup.selections", fetch)


def covering(inv: Inventory, arn: str, tags: dict[str, str]) -> list[str]:
    """Labels (plan/selection) of the selections that assign this resource to a plan."""
    return [s.label for s in selections(inv) if s.covers(arn, tags)]


@dataclass
class BackupVault:
    name: str
    arn: str
    encryption_key_arn: str
    vault_type: str  # BACKUP_VAULT | LOGICALLY_AIR_GAPPED_BACKUP_VAULT | RESTORE_ACCESS_BACKUP_VAULT
    policy: str | None = None  # the access policy document, when read (see vault_policies)


def vaults(inv: Inventory) -> list[BackupVault]:
    """Every backup vault in this region (one paginated ListBackupVaults)."""

    def fetch() -> list[BackupVault]:
        return [BackupVault(name=v["BackupVaultName"], arn=v.get("BackupVaultArn", ""),
                            encryption_key_arn=v.get("EncryptionKeyArn", ""),
                            vault_type=v.get("VaultType", "BACKUP_VAULT"))
                for v in paginate(inv.client("backup"), "list_backup_vaults", "BackupVaultList")]

    return inv.memo("backup.vaults", fetch)


def vault_policies(inv: Inventory) -> dict[str, str | None]:
    """Vault name -> access policy JSON (None: the vault has no access policy)."""

    def fetch() -> dict[str, str | None]:
        backup = inv.client("backup")
        out: dict[str, str | None] = {}
        for v in vaults(inv):
            with missing_api("backup.GetBackupVaultAccessPolicy"):
                got = call_or_none(partial(backup.get_backup_vault_access_policy, BackupVaultName=v.name),
                                   "ResourceNotFoundException")
            out[v.name] = (got or {}).get("Policy") or None
        return out

    return inv.memo("backup.vault_policies", fetch)


def key_manager(inv: Inventory, key_arn: str) -> str:
    """KeyManager (AWS | CUSTOMER) of a vault's KMS key; one DescribeKey per distinct key."""
    region = key_arn.split(":")[3] if key_arn.count(":") >= 5 else None
    return inv.memo(f"kms.key_manager:{key_arn}", lambda: str(
        inv.client("kms", region).describe_key(KeyId=key_arn)["KeyMetadata"].get("KeyManager", "")))
