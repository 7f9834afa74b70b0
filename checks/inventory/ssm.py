"""Systems Manager inventory: managed EC2 instances and their patch compliance state.

``managed_instances`` is one paginated ``describe_instance_information`` per
(account, region); ``patch_states`` asks ``describe_instance_patch_states`` for the
managed EC2 instances in batches of 50 (the API's limit), so calls grow with the
number of managed instances / 50.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from checks.inventory.core import Inventory, paginate
from checks.inventory.emulator import missing_api

PATCH_STATE_BATCH = 50


@dataclass
class ManagedInstance:
    instance_id: str
    ping_status: str  # Online | ConnectionLost | Inactive
    platform: str
    agent_version: str


@dataclass
class PatchState:
    instance_id: str
    baseline_id: str
    operation: str  # Scan | Install
    operation_end: datetime | None
    missing: int
    failed: int
    installed_pending_reboot: int
    installed_rejected: int

    @property
    def non_compliant_counts(self) -> dict[str, int]:
        counts = {"MissingCount": self.missing, "FailedCount": self.failed,
                  "InstalledPendingRebootCount": self.installed_pending_reboot,
                  "InstalledRejectedCount": self.installed_rejected}
        return {k: v for k, v in counts.items() if v}


def managed_instances(inv: Inventory) -> dict[str, ManagedInstance]:
    """EC2 instances registered with Systems Manager in this region, by instance id."""

    def fetch() -> dict[str, ManagedInstance]:
        out: dict[str, ManagedInstance] = {}
        with missing_api("ssm.DescribeInstanceInformation"):
            listed = paginate(inv.client("ssm"), "describe_instance_information", "InstanceInformationList")
        for i in listed:
            if i.get("ResourceType", "EC2Instance") != "EC2Instance":
                continue  # hybrid (mi-) nodes are not EC2 instances
            out[i["InstanceId"]] = ManagedInstance(
                instance_id=i["InstanceId"], ping_status=i.get("PingStatus", ""),
                platform=i.get("PlatformName", ""), agent_version=i.get("AgentVersion", ""))
        return out

    return inv.memo("ssm.managed_instances", fetch)


def patch_states(inv: Inventory) -> dict[str, PatchState]:
    """The last patch scan/install result of every managed EC2 instance that has one."""

    def fetch() -> dict[str, PatchState]:
        ssm = inv.client("ssm")
        ids = sorted(managed_instances(inv))
        out: dict[str, PatchState] = {}
        for start in range(0, len(ids), PATCH_STATE_BATCH):
            batch = ids[start:start + PATCH_STATE_BATCH]
            with missing_api("ssm.DescribeInstancePatchStates"):
                states = paginate(ssm, "describe_instance_patch_states", "InstancePatchStates", InstanceIds=batch)
            for s in states:
                out[s["InstanceId"]] = PatchState(
                    instance_id=s["InstanceId"], baseline_id=s.get("BaselineId", ""),
                    operation=s.get("Operation", ""), operation_end=s.get("OperationEndTime"),
                    missing=int(s.get("MissingCount") or 0), failed=int(s.get("FailedCount") or 0),
                    installed_pending_reboot=int(s.get("InstalledPendingRebootCount") or 0),
                    installed_rejected=int(s.get("InstalledRejectedCount") or 0))
        return out

    return inv.memo("ssm.patch_states", fetch)
