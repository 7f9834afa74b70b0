"""CIS 4.1-4.15 monitoring checks: trail -> log group -> metric filter -> alarm -> subscribed topic."""
import pytest
from botocore.stub import Stubber

from checks.aws.monitoring import ACTIVITIES, filter_terms, missing_terms
from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan

IDS = [f"cloudwatch_alarm_{a.key}" for a in ACTIVITIES]
BY_KEY = {a.key: a for a in ACTIVITIES}
SG = "cloudwatch_alarm_security_group_changes"
ROOT = "cloudwatch_alarm_root_account_usage"
GROUP = "cloudtrail-events"


def _trail(aws, *, multi=True, logging=True, group=GROUP):
    aws.client("s3").create_bucket(Bucket="trail-logs")
    logs = aws.client("logs")
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:*"
    ct = aws.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=multi,
                    CloudWatchLogsLogGroupArn=group_arn,
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/ct-logs")
    if logging:
        ct.start_logging(Name="main")
    ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])


def _topic(aws, *, subscribed=True):
    sns = aws.client("sns")
    arn = sns.create_topic(Name="security-alerts")["TopicArn"]
    if subscribed:
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:inbox")
    return arn


def _monitor(aws, key, topic, *, pattern=None, alarm=True, actions_enabled=True):
    metric = f"{key}_metric"
    aws.client("logs").put_metric_filter(
        logGroupName=GROUP, filterName=key, filterPattern=pattern or BY_KEY[key].pattern,
        metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}])
    if alarm:
        aws.client("cloudwatch").put_metric_alarm(
            AlarmName=f"{key}-alarm", MetricName=metric, Namespace="CISBenchmark", Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic], ActionsEnabled=actions_enabled)


def test_every_activity_passes_with_the_full_chain_and_shares_one_set_of_calls(aws):
    _trail(aws)
    topic = _topic(aws)
    for a in ACTIVITIES:
        _monitor(aws, a.key, topic)

    result = scan(aws, IDS)

    assert {f.check_id: f.status for f in result.findings} == {i: Status.PASS for i in IDS}
    calls = result.summary.api_calls
    assert calls["logs.DescribeMetricFilters"] == 1
    assert calls["cloudwatch.DescribeAlarms"] == 1
    assert calls["sns.ListSubscriptionsByTopic"] == 1
    assert calls["cloudtrail.GetTrailStatus"] == 1
    assert result.summary.duplicate_calls == 0
    f = only(result, SG, ACCOUNT_ID)
    assert f.evidence["alarms"] == ["security_group_changes-alarm"] and f.evidence["topic"] == topic


def test_no_trail_delivering_to_cloudwatch_fails_every_check(aws):
    result = scan(aws, IDS)
    assert {f.status for f in result.findings} == {Status.FAIL}
    assert only(result, SG, ACCOUNT_ID).reason.startswith("no multi-region trail")


@pytest.mark.parametrize("setup, stage", [
    (lambda aws, topic: None, "no_matching_metric_filter"),
    (lambda aws, topic: _monitor(aws, "security_group_changes", topic, alarm=False), "no_alarm_on_metric"),
    (lambda aws, topic: _monitor(aws, "security_group_changes", topic, actions_enabled=False),
     "no_alarm_on_metric"),
    (lambda aws, topic: _monitor(aws, "root_account_usage", topic), "no_matching_metric_filter"),
])
def test_a_broken_link_fails_and_names_the_stage(aws, setup, stage):
    _trail(aws)
    setup(aws, _topic(aws))
    f = only(scan(aws, [SG]), SG, ACCOUNT_ID)
    assert f.status is Status.FAIL
    assert f.evidence["trails"][0]["stage"] == stage


def test_topic_without_confirmed_subscription_fails(aws):
    _trail(aws)
    _monitor(aws, "security_group_changes", _topic(aws, subscribed=False))
    f = only(scan(aws, [SG]), SG, ACCOUNT_ID)
    assert f.status is Status.FAIL and f.evidence["trails"][0]["stage"] == "no_subscribed_topic"


def test_single_region_or_stopped_trail_does_not_count(aws):
    _trail(aws, multi=False)
    _monitor(aws, "security_group_changes", _topic(aws))
    assert only(scan(aws, [SG]), SG, ACCOUNT_ID).status is Status.FAIL


def test_stopped_trail_fails_at_the_first_stage(aws):
    _trail(aws, logging=False)
    _monitor(aws, "security_group_changes", _topic(aws))
    f = only(scan(aws, [SG]), SG, ACCOUNT_ID)
    assert f.evidence["trails"][0]["stage"] == "not_logging_all_management_events"


def test_patterns_are_judged_by_terms_not_text(aws):
    _trail(aws)
    reordered = ('{($.eventName=DeleteSecurityGroup)||($.eventName="CreateSecurityGroup")||'
                 '($.eventName = RevokeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress)||'
                 '($.eventName=AuthorizeSecurityGroupEgress)||($.eventName=AuthorizeSecurityGroupIngress)||'
                 '($.eventName=ModifySecurityGroupRules)}')
    _monitor(aws, "security_group_changes", _topic(aws), pattern=reordered)
    assert only(scan(aws, [SG]), SG, ACCOUNT_ID).status is Status.PASS


def test_term_parser_normalises_and_spots_missing_terms():
    assert filter_terms('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy  NOT   EXISTS }') == {
        ("userIdentity.type", "=", "Root"), ("userIdentity.invokedBy", "NOT EXISTS", "")}
    assert filter_terms('{ ($.errorCode = "*UnauthorizedOperation") }') == {
        ("errorCode", "=", "UnauthorizedOperation")}
    partial = '{ ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }'
    assert len(missing_terms(partial, BY_KEY["security_group_changes"].required)) == 4
    # a negated term is not the term itself
    assert missing_terms('{ $.eventName != ConsoleLogin && $.errorMessage = "Failed authentication" }',
                         BY_KEY["console_auth_failures"].required) == [("eventName", "=", "ConsoleLogin")]
    # optional noise filters are not required
    assert missing_terms('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
                         BY_KEY["unauthorized_api_calls"].required) == []


def test_denied_metric_filter_listing_is_an_error_not_a_pass(aws):
    _trail(aws)
    stubbed = aws.client("logs", region_name=REGION)
    stub = Stubber(stubbed)
    stub.add_client_error("describe_metric_filters", service_error_code="AccessDeniedException",
                          service_message="no", http_status_code=400)
    stub.activate()
    real = {}

    def factory(svc, region):
        return stubbed if svc == "logs" else real.setdefault((svc, region), aws.client(svc, region_name=region))

    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=factory)
    result = run(select([SG, ROOT]), [target])
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (SG, Status.ERROR, "AccessDeniedException"), (ROOT, Status.ERROR, "AccessDeniedException")}
    assert result.summary.api_calls["logs.DescribeMetricFilters"] == 1  # the failure is memoised


def test_organization_trail_delivering_to_another_account_fails_here_and_says_where(aws):
    arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"
    stubbed = aws.client("cloudtrail", region_name=REGION)
    stub = Stubber(stubbed)
    stub.add_response("list_trails", {"Trails": [{"TrailARN": arn, "Name": "org", "HomeRegion": REGION}]})
    stub.add_response("get_trail", {"Trail": {
        "Name": "org", "TrailARN": arn, "IsMultiRegionTrail": True, "IsOrganizationTrail": True,
        "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:999999999999:log-group:org-trail:*"}})
    stub.activate()
    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=lambda s, r: stubbed)
    f = only(run(select([SG]), [target]), SG, ACCOUNT_ID)
    assert f.status is Status.FAIL
    assert f.evidence == {"trails": [], "log_group_accounts": ["999999999999"]}
    assert "999999999999" in f.reason
