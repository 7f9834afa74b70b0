"""The least-privilege IAM policy for the read-only scanning role.

``least_privilege_policy(checks)`` is the policy to attach to the role srm-bot reads
each account with: the union of every check's declared ``iam_actions`` plus the
scanner's own calls (:data:`checks.accounts.SCANNER_IAM_ACTIONS`).

``sts:AssumeRole`` is deliberately left out: it is made by the *caller* (the
identity srm-bot itself runs as, in the management/security account) against the
read-only role, so it belongs in the caller's identity policy (scoped to the role
ARNs) and in the role's trust policy, not in the role's own permissions.
"""
from __future__ import annotations

from typing import Any, Iterable

from checks.accounts import SCANNER_IAM_ACTIONS
from checks.base import Check

POLICY_VERSION = "2012-10-17"
CALLER_ONLY_ACTIONS = frozenset({"sts:AssumeRole"})

# An action is read-only when its name starts with one of these verbs ...
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Search")
# ... or is one of these exact actions (read-only in effect, despite the verb).
READ_ONLY_EXCEPTIONS = frozenset({
    "iam:GenerateCredentialReport",  # builds the report that GetCredentialReport reads
    "iam:GenerateServiceLastAccessedDetails",
    "cloudtrail:LookupEvents",
    "apigateway:GET",
})


def is_read_only(action: str) -> bool:
    _, _, name = action.partition(":")
    return action in READ_ONLY_EXCEPTIONS or name.startswith(READ_ONLY_PREFIXES)


def required_actions(checks: Iterable[Check]) -> list[str]:
    """Sorted union of the checks' actions and the scanner's own (minus caller-only ones)."""
    actions = {a for c in checks for a in c.meta.iam_actions} | set(SCANNER_IAM_ACTIONS)
    return sorted(actions - CALLER_ONLY_ACTIONS)


def least_privilege_policy(checks: Iterable[Check]) -> dict[str, Any]:
    """An IAM policy document granting exactly what the given checks read.

    Raises ValueError if any declared action is not read-only: srm-bot never
    needs to change anything, and the policy must be safe to attach everywhere.
    """
    actions = required_actions(checks)
    writes = [a for a in actions if not is_read_only(a)]
    if writes:
        raise ValueError(f"not read-only, refusing to grant: {', '.join(writes)}")
    return {
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "SrmBotReadOnly",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
        }],
    }


# Opt-in: what `srm securityhub push` needs, kept apart from the read-only policy so the scanning
# role stays read-only unless an operator attaches this one too.
SECURITYHUB_WRITE_ACTIONS: tuple[str, ...] = (
    "securityhub:BatchImportFindings",
    "securityhub:BatchUpdateFindings",
    "securityhub:GetFindings",
)


def securityhub_write_policy() -> dict[str, Any]:
    """The separate policy for pushing findings to Security Hub (import, resolve, read back)."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "SrmBotSecurityHubPush",
            "Effect": "Allow",
            "Action": list(SECURITYHUB_WRITE_ACTIONS),
            "Resource": "*",
        }],
    }
