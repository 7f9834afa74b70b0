"""Seeding for bench/compare_prowler.py: one compliant and one non-compliant resource for each
edge, monitoring, identity and data check (wave 2), so both tools judge the same pairs."""
from __future__ import annotations

import json

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
SG_PATTERN = ("{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
              "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
              "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }")


def _load_balancers(session: boto3.session.Session, made: list[str]) -> None:
    ec2, elb = session.client("ec2", region_name=REGION), session.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.88.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.88.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    cert = session.client("acm", region_name=REGION).request_certificate(DomainName="edge.example.com")[
        "CertificateArn"]
    tg = elb.create_target_group(Name="edge-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
    waf = session.client("wafv2", region_name=REGION)
    acl = waf.create_web_acl(Name="edge-acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[],
                             VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
                                               "MetricName": "edge"})["Summary"]["ARN"]
    for name, good in (("edge-alb-good", True), ("edge-alb-bad", False)):
        lb = elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06" if good else "ELBSecurityPolicy-2016-08",
                            DefaultActions=forward)
        if not good:
            elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward)
            continue
        waf.associate_web_acl(WebACLArn=acl, ResourceArn=lb)
        elb.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
            {"Key": "deletion_protection.enabled", "Value": "true"},
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": "acme-shared-reports"}])
    made.append("ALB edge-alb-good (TLS 1.3 policy, WAF, header drop, deletion protection, logs); "
                "edge-alb-bad (HTTP listener, 2016-08 policy, nothing else)")
    clb = session.client("elb", region_name=REGION)
    clb.create_load_balancer(LoadBalancerName="edge-clb-plain", AvailabilityZones=[f"{REGION}a"], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}])
    clb.create_load_balancer(LoadBalancerName="edge-clb-tls", AvailabilityZones=[f"{REGION}a"], Listeners=[
        {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP", "InstancePort": 80,
         "SSLCertificateId": cert}])
    clb.modify_load_balancer_attributes(LoadBalancerName="edge-clb-tls", LoadBalancerAttributes={
        "AccessLog": {"Enabled": True, "S3BucketName": "acme-shared-reports", "EmitInterval": 60}})
    made.append("Classic LBs edge-clb-plain (HTTP, no logs) and edge-clb-tls (HTTPS, logs)")


def _cloudfront_and_api(session: boto3.session.Session, made: list[str]) -> None:
    cf = session.client("cloudfront", region_name=REGION)
    for ref, good in (("edge-cf-good", True), ("edge-cf-bad", False)):
        cf.create_distribution(DistributionConfig={
            "CallerReference": ref, "Comment": ref, "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "app", "DomainName": "app.example.com", "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only" if good else "http-only",
                "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2" if good else "SSLv3"]}}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "app",
                                     "ViewerProtocolPolicy": "redirect-to-https" if good else "allow-all",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
            "Logging": {"Enabled": good, "IncludeCookies": False,
                        "Bucket": "acme-shared-reports.s3.amazonaws.com" if good else "", "Prefix": ""}})
    made.append("CloudFront edge-cf-good (redirect-to-https, https-only TLSv1.2 origin, logging); edge-cf-bad")
    apigw = session.client("apigateway", region_name=REGION)
    waf = session.client("wafv2", region_name=REGION)
    acl = waf.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
    for name, good in (("edge-api-good", True), ("edge-api-bad", False)):
        api = apigw.create_rest_api(name=name)["id"]
        root = apigw.get_resources(restApiId=api)["items"][0]["id"]
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        apigw.create_deployment(restApiId=api, stageName=name)  # stage names key both tools' findings
        if good:
            apigw.update_stage(restApiId=api, stageName=name, patchOperations=[
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
            stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/{name}"
            waf.associate_web_acl(WebACLArn=acl, ResourceArn=stage_arn)
    made.append("REST API stages edge-api-good (INFO logging, WAF) and edge-api-bad")


def _monitoring_identity_data(session: boto3.session.Session, made: list[str]) -> None:
    def c(service: str):
        return session.client(service, region_name=REGION)

    logs = c("logs")
    logs.create_log_group(logGroupName="edge-trail-events")
    ct = c("cloudtrail")
    ct.create_trail(Name="edge-trail-cw", S3BucketName="acme-shared-reports", IsMultiRegionTrail=True,
                    CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:edge-trail-events:*",
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ct-logs")
    ct.put_event_selectors(TrailName="edge-trail-cw", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])
    ct.start_logging(Name="edge-trail-cw")
    topic = c("sns").create_topic(Name="edge-alarms")["TopicArn"]
    c("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:edge-inbox")
    logs.put_metric_filter(logGroupName="edge-trail-events", filterName="sg-changes", filterPattern=SG_PATTERN,
                           metricTransformations=[{"metricName": "sg_changes", "metricNamespace": "CISBenchmark",
                                                   "metricValue": "1"}])
    c("cloudwatch").put_metric_alarm(
        AlarmName="sg-changes", MetricName="sg_changes", Namespace="CISBenchmark", Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic])
    made.append("trail edge-trail-cw -> log group with a security-group-changes filter, alarm, subscribed topic")
    iam = c("iam")
    iam.create_user(UserName="edge-two-keys")
    for _ in range(2):
        iam.create_access_key(UserName="edge-two-keys")
    iam.create_policy(PolicyName="edge-unattached-admin", PolicyDocument=ADMIN)
    iam.upload_server_certificate(ServerCertificateName="edge-old-cert", CertificateBody="b", PrivateKey="k")
    made.append("IAM: user with two active keys, unattached admin policy, a (moto: expired) server certificate")
    s3 = c("s3")
    s3.create_bucket(Bucket="edge-public-write")
    s3.put_bucket_acl(Bucket="edge-public-write", GrantWrite='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    s3.create_bucket(Bucket="edge-policy-write")
    s3.put_bucket_policy(Bucket="edge-policy-write", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::edge-policy-write/*"}]}))
    made.append("S3: edge-public-write (ACL WRITE to AllUsers), edge-policy-write (public PutObject policy)")
    c("sns").create_topic(Name="edge-sealed", Attributes={"KmsMasterKeyId": "alias/aws/sns"})
    c("sqs").create_queue(QueueName="edge-plain", Attributes={"SqsManagedSseEnabled": "false"})
    c("sqs").create_queue(QueueName="edge-sse", Attributes={"SqsManagedSseEnabled": "true"})
    search = c("opensearch")
    search.create_domain(DomainName="edge-search-good", EncryptionAtRestOptions={"Enabled": True},
                         NodeToNodeEncryptionOptions={"Enabled": True}, DomainEndpointOptions={
                             "EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"})
    search.create_domain(DomainName="edge-search-bad")
    rds = c("rds")
    rds.create_db_instance(DBInstanceIdentifier="edge-db-guarded", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20,
                           DeletionProtection=True, EnableIAMDatabaseAuthentication=True)
    for name, good in (("edge-cluster-guarded", True), ("edge-cluster-loose", False)):
        rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", MasterUsername="admin",
                              MasterUserPassword="password123", DeletionProtection=good,
                              EnableIAMDatabaseAuthentication=good)
    ddb = c("dynamodb")
    for name, good in (("edge-table-guarded", True), ("edge-table-loose", False)):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=good,
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    made.append("SNS/SQS/OpenSearch/RDS/Aurora/DynamoDB: one guarded and one loose resource each")


def seed_edge_data(session: boto3.session.Session) -> list[str]:
    """Seed the wave-2 pairs; returns one line per group of resources made."""
    made: list[str] = []
    _load_balancers(session, made)
    _cloudfront_and_api(session, made)
    _monitoring_identity_data(session, made)
    return made
