"""CIS AWS Foundations v4.0 section 4.1-4.15: activity that must raise an alarm.

Each check asks the same question of one shared chain (checks/inventory/cloudwatch.py):
does a multi-region trail that is logging all management events deliver to a CloudWatch
Logs group that has a metric filter for the activity, an alarm on that filter's metric,
and an SNS topic behind the alarm with at least one confirmed subscription?

Filter patterns are judged by their terms, not their text: whitespace, quotes, parentheses
and term order do not matter, extra terms are allowed, and every required
``$.field OP value`` term must be present (leading/trailing ``*`` wildcards in values are
ignored). Terms that only narrow noise (4.1's HeadBucket exclusion, 4.14's retired
ClassicLink events) are not required.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from checks.aws.logging import management_events
from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.cloudwatch import confirmed_subscriptions, log_group_of, metric_alarms, metric_filters
from checks.inventory.core import FetchError
from checks.inventory.logging import Trail, trail_activity, trails

TERM_RE = re.compile(r"\$\.([\w.\[\]]+)\s*(NOT\s+EXISTS|IS\s+NULL|!=|=)\s*([^&|()}]*)", re.IGNORECASE)
CHAIN_ACTIONS = [
    "cloudtrail:ListTrails", "cloudtrail:GetTrail", "cloudtrail:ListTags", "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors", "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms",
    "sns:ListSubscriptionsByTopic",
]
Term = tuple[str, str, str]


def filter_terms(pattern: str) -> set[Term]:
    """The (field, operator, value) comparisons of a CloudWatch Logs JSON filter pattern."""
    out: set[Term] = set()
    for field, op, value in TERM_RE.findall(pattern or ""):
        op = " ".join(op.upper().split())
        v = value.strip().strip('"').strip().strip("*") if op in ("=", "!=") else ""
        out.add((field, op, v))
    return out


def missing_terms(pattern: str, required: set[Term]) -> list[Term]:
    return sorted(required - filter_terms(pattern))


def _names(*events: str) -> str:
    return " || ".join(f"($.eventName = {e})" for e in events)


@dataclass(frozen=True)
class Activity:
    key: str
    cis: str
    what: str  # "unauthorized API calls"
    pattern: str  # the CIS filter pattern (also the remediation's)
    optional: str = ""  # a pattern fragment whose terms are not required
    severity: Severity = Severity.medium

    @property
    def required(self) -> set[Term]:
        return filter_terms(self.pattern) - filter_terms(self.optional)


ACTIVITIES = [
    Activity("unauthorized_api_calls", "4.1", "unauthorized API calls",
             '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
             '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
             optional='($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket")'),
    Activity("console_signin_without_mfa", "4.2", "console sign-in without MFA",
             '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }', severity=Severity.high),
    Activity("root_account_usage", "4.3", "use of the root user",
             '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
             '$.eventType != "AwsServiceEvent" }', severity=Severity.high),
    Activity("iam_policy_changes", "4.4", "IAM policy changes", "{ " + _names(
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy") + " }"),
    Activity("cloudtrail_config_changes", "4.5", "CloudTrail configuration changes", "{ " + _names(
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging") + " }"),
    Activity("console_auth_failures", "4.6", "console authentication failures",
             '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    Activity("cmk_disable_or_deletion", "4.7", "disabling or scheduled deletion of customer managed KMS keys",
             "{ ($.eventSource = kms.amazonaws.com) && (" + _names("DisableKey", "ScheduleKeyDeletion") + ") }"),
    Activity("s3_bucket_policy_changes", "4.8", "S3 bucket policy changes",
             "{ ($.eventSource = s3.amazonaws.com) && (" + _names(
                 "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
                 "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication")
             + ") }"),
    Activity("config_changes", "4.9", "AWS Config configuration changes",
             "{ ($.eventSource = config.amazonaws.com) && (" + _names(
                 "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
                 "PutConfigurationRecorder") + ") }"),
    Activity("security_group_changes", "4.10", "security group changes", "{ " + _names(
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup") + " }"),
    Activity("nacl_changes", "4.11", "network ACL changes", "{ " + _names(
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation") + " }"),
    Activity("network_gateway_changes", "4.12", "network gateway changes", "{ " + _names(
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway") + " }"),
    Activity("route_table_changes", "4.13", "route table changes", "{ " + _names(
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable") + " }"),
    Activity("vpc_changes", "4.14", "VPC changes", "{ " + _names(
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
        "DisableVpcClassicLink", "EnableVpcClassicLink") + " }",
             optional=_names("AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink",
                             "EnableVpcClassicLink")),
    Activity("organizations_changes", "4.15", "AWS Organizations changes",
             "{ ($.eventSource = organizations.amazonaws.com) && (" + _names(
                 "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
                 "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
                 "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
                 "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit")
             + ") }"),
]

# How far a trail got, worst first; the reason names the furthest stage any trail reached.
STAGES = ["not_logging_all_management_events", "no_matching_metric_filter", "no_alarm_on_metric",
          "no_subscribed_topic"]
STAGE_TEXT = {
    "not_logging_all_management_events": "is not logging read and write management events",
    "no_matching_metric_filter": "has no metric filter for {what} on its log group",
    "no_alarm_on_metric": "has a metric filter for {what} but no alarm with actions on its metric",
    "no_subscribed_topic": "has an alarm for {what} but its SNS topics have no confirmed subscription",
}


def _remediation(a: Activity) -> str:
    return ("Send a multi-region trail to CloudWatch Logs (console CloudTrail > Trails > trail > CloudWatch Logs > "
            "Edit), then console CloudWatch > Log groups > group > Metric filters > Create metric filter, create an "
            "alarm on its metric (Sum >= 1 over 5 minutes) that notifies an SNS topic with a confirmed "
            "subscription. CLI: `aws logs put-metric-filter --log-group-name LOG_GROUP --filter-name "
            f"{a.key} --metric-transformations metricName={a.key},metricNamespace=CISBenchmark,metricValue=1 "
            f"--filter-pattern '{a.pattern}'`, then `aws cloudwatch put-metric-alarm --alarm-name {a.key} "
            f"--metric-name {a.key} --namespace CISBenchmark --statistic Sum --period 300 --threshold 1 "
            "--comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions TOPIC_ARN` "
            "and `aws sns subscribe --topic-arn TOPIC_ARN --protocol email --notification-endpoint ADDRESS`.")


def _trail_stage(scope: Scope, t: Trail, a: Activity) -> tuple[str, dict[str, Any]]:
    """The stage one trail reaches for an activity ("pass" when the whole chain is there)."""
    region, _, group = log_group_of(t.log_group_arn)
    row: dict[str, Any] = {"trail": t.arn, "log_group": group}
    act = trail_activity(scope.inv, t)
    if not act.is_logging or management_events(act.event_selectors, act.advanced_event_selectors) != ["read", "write"]:
        return "not_logging_all_management_events", row
    filters = [f for f in metric_filters(scope.inv, region, group) if not missing_terms(f.pattern, a.required)]
    row["metric_filters"] = [f.name for f in filters]
    if not filters:
        return "no_matching_metric_filter", row
    alarms = [al for al in metric_alarms(scope.inv, region) if al.actions_enabled
              and any(set(al.metrics) & set(f.metrics) for f in filters)]
    row["alarms"] = sorted(al.name for al in alarms)
    if not alarms:
        return "no_alarm_on_metric", row
    for al in alarms:
        for topic in al.topics:
            subs = confirmed_subscriptions(scope.inv, topic)
            if subs:
                row.update(topic=topic, subscriptions=len(subs))
                return "pass", row
    row["topics"] = sorted({tp for al in alarms for tp in al.topics})
    return "no_subscribed_topic", row


def _candidates(scope: Scope) -> tuple[list[Trail], list[str], list[FetchError]]:
    """Multi-region trails delivering to a log group in this account (others' groups cannot be read
    here), the accounts holding the log groups of the other multi-region trails, and trail errors."""
    found: list[Trail] = []
    elsewhere: set[str] = set()
    errors: list[FetchError] = []
    for t in trails(scope.inv):
        if t.error is not None:
            errors.append(t.error)
        elif t.multi_region and t.log_group_arn:
            account = log_group_of(t.log_group_arn)[1]
            if account == scope.account_id:
                found.append(t)
            elif account:
                elsewhere.add(account)
    return found, sorted(elsewhere), errors


def judge(scope: Scope, a: Activity) -> Iterator[Finding]:
    candidates, elsewhere, errors = _candidates(scope)
    rows: list[dict[str, Any]] = []
    best = -1
    for t in candidates:
        try:
            stage, row = _trail_stage(scope, t, a)
        except FetchError as exc:
            errors.append(exc)
            continue
        if stage == "pass":
            yield scope.passed(scope.account_id, f"{a.what} raise alarm {', '.join(row['alarms'])} on trail "
                               f"{t.name}'s log group {row['log_group']}", evidence=row)
            return
        rows.append({"stage": stage, **row})
        best = max(best, STAGES.index(stage))
    if errors:
        raise errors[0]  # a trail or link we could not read might be the one that passes
    if not rows:
        why = "no multi-region trail sends its events to a CloudWatch Logs group in this account"
        if elsewhere:  # e.g. an organization trail: its filters and alarms are judged in that account's scan
            why += f" (only to log groups in account {', '.join(elsewhere)}, whose alarms are judged there)"
        yield scope.failed(scope.account_id, why, evidence={"trails": [], "log_group_accounts": elsewhere})
        return
    text = STAGE_TEXT[STAGES[best]].format(what=a.what)
    yield scope.failed(scope.account_id, f"the best multi-region trail {text}", evidence={"trails": rows})


def _register(a: Activity) -> None:
    meta = CheckMeta(
        id=f"cloudwatch_alarm_{a.key}",
        title=f"Alarms fire on {a.what} (metric filter, alarm and subscribed SNS topic)",
        fail_title=f"No alarm fires on {a.what}",
        service="cloudwatch", aspect="logging_monitoring", severity=a.severity, scope="account",
        frameworks={"cis": [a.cis]}, remediation=_remediation(a), iam_actions=CHAIN_ACTIONS,
        resource_type="AWS::::Account",
        notes=("Passes when one multi-region trail logging all management events delivers to a log group in this "
               "account whose metric filter has every required term, an alarm with actions enabled watches the "
               "filter's metric, and one of its SNS topics has a confirmed subscription. Required terms: "
               + "; ".join(f"{f} {op} {v}".strip() for f, op, v in sorted(a.required)) + "."),
    )

    def check(scope: Scope) -> Iterator[Finding]:
        return judge(scope, a)

    check.__name__ = check.__qualname__ = meta.id
    register(meta)(check)


for _activity in ACTIVITIES:
    _register(_activity)
