"""API-call audit for the edge, monitoring, identity and data families: no (operation, params) pair
is sent twice in a run, and every operation's call count grows linearly with the resources."""
import json

import boto3
from moto import mock_aws

from checks.aws.monitoring import ACTIVITIES
from checks.registry import load_all
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION

MODULES = {"checks.aws.elbv2", "checks.aws.edge", "checks.aws.monitoring", "checks.aws.identity",
           "checks.aws.data", "checks.aws.databases"}
ADMIN_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _family_checks():
    return [c for c in load_all().values() if c.fn.__module__ in MODULES and c.meta.moto == "supported"]


def _seed(session, n):
    """n of every resource kind the families read, plus one monitored trail with n filters and alarms
    (on n topics nobody subscribed to, so the chain is walked to its end)."""
    ec2, elb, s3 = session.client("ec2"), session.client("elbv2"), session.client("s3")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    s3.create_bucket(Bucket="trail-logs")
    logs, cw, sns = session.client("logs"), session.client("cloudwatch"), session.client("sns")
    logs.create_log_group(logGroupName="trail")
    session.client("cloudtrail").create_trail(
        Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:trail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/ct")
    session.client("cloudtrail").start_logging(Name="main")
    session.client("cloudtrail").put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])
    watched = next(a for a in ACTIVITIES if a.key == "security_group_changes").pattern
    for i in range(n):
        lb = elb.create_load_balancer(Name=f"lb{i}", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        session.client("cloudfront").create_distribution(DistributionConfig={
            "CallerReference": f"d{i}", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "o.example.com", "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})
        apigw = session.client("apigateway")
        api = apigw.create_rest_api(name=f"api{i}")["id"]
        root = apigw.get_resources(restApiId=api)["items"][0]["id"]
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        apigw.create_deployment(restApiId=api, stageName="prod")
        http_api = session.client("apigatewayv2").create_api(Name=f"http{i}", ProtocolType="HTTP")["ApiId"]
        session.client("apigatewayv2").create_stage(ApiId=http_api, StageName="live")
        topic = sns.create_topic(Name=f"t{i}")["TopicArn"]
        session.client("sqs").create_queue(QueueName=f"q{i}")
        session.client("opensearch").create_domain(DomainName=f"os{i}")
        rds = session.client("rds")
        rds.create_db_instance(DBInstanceIdentifier=f"db{i}", Engine="postgres", DBInstanceClass="db.t3.micro",
                               AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password123")
        rds.create_db_cluster(DBClusterIdentifier=f"cl{i}", Engine="aurora-postgresql", MasterUsername="admin1",
                              MasterUserPassword="password123")
        session.client("dynamodb").create_table(
            TableName=f"tb{i}", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        s3.create_bucket(Bucket=f"bucket-{i}")
        iam = session.client("iam")
        iam.create_user(UserName=f"u{i}")
        iam.create_access_key(UserName=f"u{i}")
        iam.create_policy(PolicyName=f"p{i}", PolicyDocument=ADMIN_DOC)
        iam.upload_server_certificate(ServerCertificateName=f"c{i}", CertificateBody="b", PrivateKey="k")
        logs.put_metric_filter(logGroupName="trail", filterName=f"f{i}", filterPattern=watched,
                               metricTransformations=[{"metricName": f"m{i}", "metricNamespace": "N",
                                                       "metricValue": "1"}])
        cw.put_metric_alarm(AlarmName=f"a{i}", MetricName=f"m{i}", Namespace="N", Statistic="Sum", Period=300,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                            AlarmActions=[topic])


def _calls(n):
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        _seed(session, n)
        result = run(_family_checks(), [Target("t", ACCOUNT_ID, session, [REGION])], max_workers=4)
    return result


def test_no_repeated_call_and_calls_grow_linearly():
    results = {n: _calls(n) for n in (1, 2, 3)}
    for r in results.values():
        assert r.summary.duplicate_calls == 0
        assert not [f for f in r.findings if f.status.value == "ERROR"], "the audit runs on a readable account"
    c1, c2, c3 = (results[n].summary.api_calls for n in (1, 2, 3))
    assert set(c1) == set(c2) == set(c3)
    for op in c1:
        step = c2[op] - c1[op]
        assert step >= 0 and c3[op] - c2[op] == step, f"{op}: {c1[op]}, {c2[op]}, {c3[op]} is not linear"
    per_unit = sum(c2.values()) - sum(c1.values())
    assert per_unit <= 30, f"{per_unit} calls per added unit of resources: a few per resource, not per check"
