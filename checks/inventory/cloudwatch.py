"""Monitoring inventory: the CIS 4.x chain trail -> log group -> metric filters -> alarms -> topics.

Every link is fetched once per run and shared by all the monitoring checks:

- metric filters once per (region, log group) that a multi-region trail delivers to;
- metric alarms once per region that holds such a log group (one paginated DescribeAlarms);
- subscriptions once per SNS topic an alarm notifies (ListSubscriptionsByTopic, in the
  topic's own region).

So fifteen checks cost one listing of each, linear in log groups, alarms and topics.
"""
from __future__ import annotations

from dataclasses import dataclass

from checks.inventory.core import Inventory, paginate


@dataclass(frozen=True)
class MetricFilter:
    name: str
    log_group: str
    pattern: str
    metrics: tuple[tuple[str, str], ...]  # (namespace, metric name) it publishes


@dataclass(frozen=True)
class MetricAlarm:
    name: str
    arn: str
    metrics: tuple[tuple[str, str], ...]  # (namespace, metric name) it watches
    actions_enabled: bool
    alarm_actions: tuple[str, ...]

    @property
    def topics(self) -> list[str]:
        return [a for a in self.alarm_actions if a.split(":")[2:3] == ["sns"]]


def log_group_of(arn: str) -> tuple[str, str, str]:
    """(region, account, log group name) from a CloudWatchLogsLogGroupArn (the ':*' suffix dropped)."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return "", "", ""
    return parts[3], parts[4], parts[6]


def metric_filters(inv: Inventory, region: str, log_group: str) -> list[MetricFilter]:
    """The metric filters on one log group (one paginated DescribeMetricFilters)."""

    def fetch() -> list[MetricFilter]:
        logs = inv.client("logs", region=region)
        out = []
        for f in paginate(logs, "describe_metric_filters", "metricFilters", logGroupName=log_group):
            metrics = tuple((m.get("metricNamespace", ""), m.get("metricName", ""))
                            for m in f.get("metricTransformations") or [])
            out.append(MetricFilter(f.get("filterName", ""), log_group, f.get("filterPattern") or "", metrics))
        return sorted(out, key=lambda f: f.name)

    return inv.memo(f"cloudwatch.metric_filters.{region}.{log_group}", fetch)


def _watched(alarm: dict) -> tuple[tuple[str, str], ...]:
    """Metrics an alarm watches: its own MetricName, or the metrics of a metric-math query."""
    if alarm.get("MetricName"):
        return ((alarm.get("Namespace", ""), alarm["MetricName"]),)
    out = []
    for q in alarm.get("Metrics") or []:
        m = (q.get("MetricStat") or {}).get("Metric") or {}
        if m.get("MetricName"):
            out.append((m.get("Namespace", ""), m["MetricName"]))
    return tuple(out)


def metric_alarms(inv: Inventory, region: str) -> list[MetricAlarm]:
    """Every metric alarm in a region (one paginated DescribeAlarms)."""

    def fetch() -> list[MetricAlarm]:
        cw = inv.client("cloudwatch", region=region)
        raw = paginate(cw, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])
        return [MetricAlarm(a.get("AlarmName", ""), a.get("AlarmArn", ""), _watched(a),
                            bool(a.get("ActionsEnabled", True)), tuple(a.get("AlarmActions") or []))
                for a in raw]

    return inv.memo(f"cloudwatch.metric_alarms.{region}", fetch)


def confirmed_subscriptions(inv: Inventory, topic_arn: str) -> list[str]:
    """Subscription ARNs of a topic that are confirmed (a pending one is not an ARN yet)."""

    def fetch() -> list[str]:
        region = topic_arn.split(":")[3]
        sns = inv.client("sns", region=region)
        subs = paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic_arn)
        return sorted(s["SubscriptionArn"] for s in subs
                      if str(s.get("SubscriptionArn", "")).startswith("arn:"))

    return inv.memo(f"cloudwatch.topic_subscriptions.{topic_arn}", fetch)
