"""OS patching through Systems Manager: managed instances, patch compliance, fresh patch data.

Patching the guest OS is the customer's duty on EC2. These checks read what Systems
Manager knows: which running instances it manages, and the last patch scan or install
of each (``DescribeInstancePatchStates``). moto emulates neither API, so tests answer
those two operations from canned, shape-validated responses and EC2 from moto.
"""
from __future__ import annotations

from datetime import timedelta

from checks.base import CheckMeta, Scope, Severity, register
from checks.inventory.ec2 import instances
from checks.inventory.ssm import managed_instances, patch_states

INSTANCE = "AWS::EC2::Instance"
MOTO_GAP = "moto emulates neither ssm:DescribeInstanceInformation nor ssm:DescribeInstancePatchStates"


@register(CheckMeta(
    id="ssm_instance_managed",
    title="Running EC2 instances are managed by Systems Manager",
    fail_title="Running EC2 instances are not managed by Systems Manager",
    service="ssm", aspect="guest_os", severity=Severity.medium,
    frameworks={"fsbp": ["SSM.1"]},
    remediation=("Install and start the SSM Agent (preinstalled on most AWS AMIs), give the instance a profile "
                 "with the `AmazonSSMManagedInstanceCore` policy, or turn on Default Host Management "
                 "(console Systems Manager > Fleet Manager > Account management). Check with "
                 "`aws ssm describe-instance-information --filters Key=InstanceIds,Values=INSTANCE_ID`."),
    iam_actions=["ec2:DescribeInstances", "ssm:DescribeInstanceInformation"],
    resource_type=INSTANCE, moto="stubber", notes=MOTO_GAP,
))
def ssm_instance_managed(scope: Scope):
    managed = managed_instances(scope.inv)
    for i in instances(scope.inv):
        if i.state != "running":
            continue  # a stopped instance cannot report to Systems Manager; nothing to judge
        m = managed.get(i.instance_id)
        if m is None:
            yield scope.failed(i.instance_id, "not registered with Systems Manager (no SSM Agent reporting)",
                               arn=i.arn, tags=i.tags, evidence={"Managed": False})
        elif m.ping_status != "Online":
            yield scope.failed(i.instance_id, f"registered, but the SSM Agent is {m.ping_status}",
                               arn=i.arn, tags=i.tags, evidence={"Managed": True, "PingStatus": m.ping_status})
        else:
            yield scope.passed(i.instance_id, "managed by Systems Manager, agent online", arn=i.arn, tags=i.tags,
                               evidence={"Managed": True, "PingStatus": m.ping_status})


@register(CheckMeta(
    id="ssm_instance_patch_compliant",
    title="Managed instances are compliant with their patch baseline",
    fail_title="Managed instances are missing patches or have failed patch installs",
    service="ssm", aspect="guest_os", severity=Severity.high,
    frameworks={"fsbp": ["SSM.2"]},
    remediation=("Install the missing patches: console Systems Manager > Patch Manager > Patch now, or "
                 "`aws ssm send-command --document-name AWS-RunPatchBaseline --parameters Operation=Install "
                 "--targets Key=InstanceIds,Values=INSTANCE_ID`; reboot instances with patches pending reboot."),
    iam_actions=["ssm:DescribeInstanceInformation", "ssm:DescribeInstancePatchStates"],
    resource_type=INSTANCE, moto="stubber", notes=MOTO_GAP + "; instances without patch data are judged by "
    "ssm_instance_patch_data_fresh",
))
def ssm_instance_patch_compliant(scope: Scope):
    states = patch_states(scope.inv)
    for instance_id in sorted(managed_instances(scope.inv)):
        s = states.get(instance_id)
        if s is None:
            continue
        arn = scope.inv.arn("ec2", f"instance/{instance_id}")
        bad = s.non_compliant_counts
        evidence = {"BaselineId": s.baseline_id, "Operation": s.operation, **bad}
        if bad:
            summary = ", ".join(f"{k.removesuffix('Count')} {v}" for k, v in bad.items())
            yield scope.failed(instance_id, f"not compliant with its patch baseline ({summary})",
                               arn=arn, evidence=evidence)
        else:
            yield scope.passed(instance_id, "compliant with its patch baseline", arn=arn, evidence=evidence)


@register(CheckMeta(
    id="ssm_instance_patch_data_fresh",
    title="Managed instances reported patch compliance recently",
    fail_title="Managed instances have stale or no patch compliance data",
    service="ssm", aspect="guest_os", severity=Severity.medium,
    remediation=("Scan on a schedule: console Systems Manager > Patch Manager > Configure patching (Scan, daily), "
                 "or a State Manager association: `aws ssm create-association --name AWS-RunPatchBaseline "
                 "--parameters Operation=Scan --schedule-expression \"rate(1 day)\" "
                 "--targets Key=InstanceIds,Values=INSTANCE_ID`."),
    iam_actions=["ssm:DescribeInstanceInformation", "ssm:DescribeInstancePatchStates"],
    resource_type=INSTANCE, moto="stubber", notes=MOTO_GAP,
    settings={"max_age_days": 30},
))
def ssm_instance_patch_data_fresh(scope: Scope):
    max_age = int(scope.setting("max_age_days"))
    now = scope.now()
    states = patch_states(scope.inv)
    for instance_id in sorted(managed_instances(scope.inv)):
        arn = scope.inv.arn("ec2", f"instance/{instance_id}")
        s = states.get(instance_id)
        if s is None or s.operation_end is None:
            yield scope.failed(instance_id, "no patch scan or install has ever been reported", arn=arn,
                               evidence={"OperationEndTime": None})
            continue
        age = (now - s.operation_end).days
        evidence = {"OperationEndTime": s.operation_end.isoformat(), "MaxAgeDays": max_age}
        if now - s.operation_end > timedelta(days=max_age):
            yield scope.failed(instance_id, f"last patch {s.operation.lower() or 'operation'} was {age} days ago "
                               f"(limit {max_age})", arn=arn, evidence=evidence)
        else:
            yield scope.passed(instance_id, f"last patch {s.operation.lower() or 'operation'} {age} days ago",
                               arn=arn, evidence=evidence)
