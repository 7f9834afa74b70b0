"""Edge checks: ELBv2 / Classic load balancers, CloudFront, API Gateway stages."""
import pytest
from botocore.stub import Stubber

from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

PROTO = "elbv2_listener_secure_protocol"
POLICY = "elbv2_listener_tls_policy_current"
WAF = "elbv2_alb_waf_associated"
HEADERS = "elbv2_alb_drop_invalid_headers_enabled"
DELETION = "elbv2_loadbalancer_deletion_protection_enabled"
ALB_LOGS = "elbv2_alb_access_logging_enabled"
CLB_PROTO = "elb_listener_secure_protocol"
CLB_LOGS = "elb_loadbalancer_access_logging_enabled"
CF_VIEWER = "cloudfront_distribution_viewer_https"
CF_ORIGIN = "cloudfront_distribution_origin_traffic_encrypted"
CF_TLS = "cloudfront_distribution_origin_tls_current"
CF_LOGS = "cloudfront_distribution_logging_enabled"
CF_WAF = "cloudfront_distribution_waf_enabled"
API_LOGS = "apigateway_stage_logging_enabled"
API_WAF = "apigateway_stage_waf_associated"
LB_CHECKS = [PROTO, POLICY, WAF, HEADERS, DELETION, ALB_LOGS]
GOOD_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def _run(aws, ids, *, settings=None, factory=None):
    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=factory)
    return run(select(ids), [target], max_workers=2, settings=settings)


# -- ELBv2 -----------------------------------------------------------------------------------
def _network(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    return vpc, subnets


def _waf(aws, scope="REGIONAL"):
    return aws.client("wafv2").create_web_acl(
        Name="edge-acl", Scope=scope, DefaultAction={"Allow": {}}, Rules=[],
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"},
    )["Summary"]["ARN"]


@pytest.fixture
def lbs(aws):
    """'good' ALB passes every check; 'bad' ALB and 'net' NLB fail them."""
    vpc, subnets = _network(aws)
    elb = aws.client("elbv2")
    cert = aws.client("acm").request_certificate(DomainName="example.com")["CertificateArn"]
    tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                         "StatusCode": "HTTP_301"}}]
    arns = {}
    for name, kind in (("good", "application"), ("bad", "application"), ("net", "network")):
        created = elb.create_load_balancer(Name=name, Subnets=subnets, Type=kind, Tags=[{"Key": "team", "Value": name}])
        arns[name] = created["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=arns["good"], Protocol="HTTPS", Port=443, SslPolicy=GOOD_POLICY,
                        Certificates=[{"CertificateArn": cert}], DefaultActions=forward)
    elb.create_listener(LoadBalancerArn=arns["good"], Protocol="HTTP", Port=80, DefaultActions=redirect)
    elb.create_listener(LoadBalancerArn=arns["bad"], Protocol="HTTP", Port=80, DefaultActions=forward)
    elb.create_listener(LoadBalancerArn=arns["bad"], Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-2016-08",
                        Certificates=[{"CertificateArn": cert}], DefaultActions=forward)
    net_tg = elb.create_target_group(Name="ntg", Protocol="TCP", Port=80, VpcId=vpc)["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=arns["net"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": net_tg["TargetGroupArn"]}])
    elb.modify_load_balancer_attributes(LoadBalancerArn=arns["good"], Attributes=[
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": "logs"}])
    aws.client("wafv2").associate_web_acl(WebACLArn=_waf(aws), ResourceArn=arns["good"])
    return aws


def test_listener_protocols(lbs):
    result = scan(lbs, [PROTO])
    assert statuses(result, PROTO) == {"good:443": Status.PASS, "good:80": Status.PASS, "bad:80": Status.FAIL,
                                       "bad:443": Status.PASS, "net:80": Status.FAIL}
    assert only(result, PROTO, "good:80").evidence["RedirectsToHttps"] is True
    assert only(result, PROTO, "bad:80").tags == {"team": "bad"}


def test_redirect_setting_off_judges_as_elb18(lbs):
    result = _run(lbs, [PROTO], settings={PROTO: {"allow_https_redirect": False}})
    assert only(result, PROTO, "good:80").status is Status.FAIL


def test_tls_policy_default_and_override(lbs):
    result = scan(lbs, [POLICY])
    assert statuses(result, POLICY) == {"good:443": Status.PASS, "bad:443": Status.FAIL}
    widened = {POLICY: {"allowed_policies": [GOOD_POLICY, "ELBSecurityPolicy-2016-08"]}}
    assert statuses(_run(lbs, [POLICY], settings=widened), POLICY) == {"good:443": Status.PASS,
                                                                       "bad:443": Status.PASS}


@pytest.mark.parametrize("check_id, expected", [
    (WAF, {"good": Status.PASS, "bad": Status.FAIL}),
    (HEADERS, {"good": Status.PASS, "bad": Status.FAIL}),
    (ALB_LOGS, {"good": Status.PASS, "bad": Status.FAIL}),
    (DELETION, {"good": Status.PASS, "bad": Status.FAIL, "net": Status.FAIL}),
])
def test_load_balancer_attribute_and_waf_checks(lbs, check_id, expected):
    assert statuses(scan(lbs, [check_id]), check_id) == expected


def test_load_balancer_checks_share_one_listing(lbs):
    result = scan(lbs, LB_CHECKS)
    calls = result.summary.api_calls
    assert calls["elbv2.DescribeLoadBalancers"] == 1
    assert calls["elbv2.DescribeListeners"] == 3
    assert calls["elbv2.DescribeLoadBalancerAttributes"] == 3
    assert calls["elbv2.DescribeTags"] == 1
    assert calls["wafv2.GetWebACLForResource"] == 2  # ALBs only
    assert result.summary.duplicate_calls == 0


def test_refused_attributes_error_that_load_balancer_only(aws):
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/locked/1"

    def fill(stub):
        stub.add_response("describe_load_balancers", {"LoadBalancers": [
            {"LoadBalancerName": "locked", "LoadBalancerArn": arn, "Type": "application"}]})
        stub.add_response("describe_listeners", {"Listeners": [
            {"ListenerArn": arn + "/l", "Port": 443, "Protocol": "HTTPS", "SslPolicy": GOOD_POLICY}]})
        stub.add_client_error("describe_load_balancer_attributes", service_error_code="AccessDenied",
                              service_message="no", http_status_code=403)
        stub.add_response("describe_tags", {"TagDescriptions": []})

    client = aws.client("elbv2", region_name=REGION)
    stub = Stubber(client)
    fill(stub)
    stub.activate()
    result = _run(aws, [HEADERS, PROTO], factory=lambda s, r: client)
    assert (only(result, HEADERS, "locked").status, only(result, HEADERS, "locked").error_code) == (
        Status.ERROR, "AccessDenied")
    assert only(result, PROTO, "locked:443").status is Status.PASS


# -- Classic ---------------------------------------------------------------------------------
def test_classic_listeners_and_access_logs(aws):
    elb = aws.client("elb")
    for name, proto in (("plain", "HTTP"), ("tls", "SSL")):
        elb.create_load_balancer(LoadBalancerName=name, AvailabilityZones=[f"{REGION}a"], Listeners=[
            {"Protocol": proto, "LoadBalancerPort": 443, "InstanceProtocol": "TCP", "InstancePort": 80,
             **({"SSLCertificateId": f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/x"} if proto == "SSL" else {})}])
    elb.modify_load_balancer_attributes(LoadBalancerName="tls", LoadBalancerAttributes={
        "AccessLog": {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 60}})
    result = scan(aws, [CLB_PROTO, CLB_LOGS])
    assert statuses(result, CLB_PROTO) == {"plain": Status.FAIL, "tls": Status.PASS}
    assert statuses(result, CLB_LOGS) == {"plain": Status.FAIL, "tls": Status.PASS}


# -- CloudFront --------------------------------------------------------------------------------
def _distribution(aws, ref, *, viewer="redirect-to-https", origin_policy="https-only", protocols=("TLSv1.2",),
                  logging=False, waf=""):
    config = {
        "CallerReference": ref, "Comment": ref, "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "app", "DomainName": "app.example.com",
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": origin_policy,
                                   "OriginSslProtocols": {"Quantity": len(protocols), "Items": list(protocols)}}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": viewer,
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "Logging": {"Enabled": logging, "IncludeCookies": False, "Bucket": "logs.s3.amazonaws.com" if logging else "",
                    "Prefix": ""},
        "WebACLId": waf,
    }
    return aws.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def test_cloudfront_good_and_bad_distribution(aws):
    acl = _waf(aws, scope="CLOUDFRONT")
    good = _distribution(aws, "good", logging=True, waf=acl)
    bad = _distribution(aws, "bad", viewer="allow-all", origin_policy="match-viewer", protocols=("TLSv1", "TLSv1.2"))
    result = scan(aws, [CF_VIEWER, CF_ORIGIN, CF_TLS, CF_LOGS, CF_WAF])
    for check_id in (CF_VIEWER, CF_ORIGIN, CF_TLS, CF_LOGS, CF_WAF):
        assert statuses(result, check_id) == {good: Status.PASS, bad: Status.FAIL}, check_id
    assert only(result, CF_TLS, bad).evidence["DeprecatedOriginProtocols"] == ["app:TLSv1"]
    assert result.summary.api_calls["cloudfront.ListDistributions"] == 1
    assert result.summary.api_calls["cloudfront.GetDistributionConfig"] == 2
    assert result.summary.duplicate_calls == 0


def test_cloudfront_http_only_origin_fails_and_protocol_setting_narrows(aws):
    dist = _distribution(aws, "legacy", origin_policy="http-only", protocols=("TLSv1.1", "TLSv1.2"))
    assert only(scan(aws, [CF_ORIGIN]), CF_ORIGIN, dist).status is Status.FAIL
    assert only(scan(aws, [CF_TLS]), CF_TLS, dist).status is Status.FAIL
    fsbp_only = {CF_TLS: {"deprecated_protocols": ["SSLv3"]}}
    assert only(_run(aws, [CF_TLS], settings=fsbp_only), CF_TLS, dist).status is Status.PASS


def test_cloudfront_listing_denied_is_an_error(aws):
    client = aws.client("cloudfront", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_client_error("list_distributions", service_error_code="AccessDenied", service_message="no",
                          http_status_code=403)
    stub.activate()
    result = _run(aws, [CF_VIEWER, CF_LOGS], factory=lambda s, r: client)
    assert {(f.status, f.error_code) for f in result.findings} == {(Status.ERROR, "AccessDenied")}
    assert len(result.findings) == 2


# -- API Gateway ---------------------------------------------------------------------------------
def _api(aws, name):
    apigw = aws.client("apigateway")
    api = apigw.create_rest_api(name=name)["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="prod")
    return api


def test_api_stage_logging_and_waf(aws):
    apigw = aws.client("apigateway")
    good = _api(aws, "good")
    _api(aws, "bad")
    apigw.update_stage(restApiId=good, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
    stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/{good}/stages/prod"
    aws.client("wafv2").associate_web_acl(WebACLArn=_waf(aws), ResourceArn=stage_arn)
    result = scan(aws, [API_LOGS, API_WAF])
    for check_id in (API_LOGS, API_WAF):
        assert statuses(result, check_id) == {"good/prod": Status.PASS, "bad/prod": Status.FAIL}, check_id
    assert only(result, API_LOGS, "good/prod").resource_arn == stage_arn
    assert result.summary.api_calls["apigateway.GetStages"] == 2


def test_api_logging_levels_setting(aws):
    api = _api(aws, "svc")
    aws.client("apigateway").update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}])
    result = _run(aws, [API_LOGS], settings={API_LOGS: {"logging_levels": ["INFO"]}})
    assert only(result, API_LOGS, "svc/prod").status is Status.FAIL


def test_api_stages_denied_is_an_error_for_that_api(aws):
    client = aws.client("apigateway", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("get_rest_apis", {"items": [{"id": "a1", "name": "locked"}]})
    stub.add_client_error("get_stages", service_error_code="AccessDeniedException", service_message="no",
                          http_status_code=403)
    stub.activate()
    f = only(_run(aws, [API_WAF], factory=lambda s, r: client), API_WAF, "locked")
    assert (f.status, f.error_code) == (Status.ERROR, "AccessDeniedException")


def test_v2_stage_access_logging(aws):
    v2 = aws.client("apigatewayv2")
    http = v2.create_api(Name="http-api", ProtocolType="HTTP")["ApiId"]
    ws = v2.create_api(Name="ws-api", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:api-access"
    v2.create_stage(ApiId=http, StageName="live",
                    AccessLogSettings={"DestinationArn": group, "Format": "$context.requestId"})
    v2.create_stage(ApiId=ws["ApiId"], StageName="dev")
    check = "apigateway_v2_stage_access_logging_enabled"
    result = scan(aws, [check])
    assert statuses(result, check) == {"http-api/live": Status.PASS, "ws-api/dev": Status.FAIL}
    assert only(result, check, "http-api/live").resource_arn == \
        f"arn:aws:apigateway:{REGION}::/apis/{http}/stages/live"
