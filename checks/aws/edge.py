"""Edge checks: CloudFront viewer and origin TLS, logging and WAF; API Gateway stage logging and WAF."""
from __future__ import annotations

from typing import Any, Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.apigateway import Stage, rest_apis, v2_apis
from checks.inventory.cloudfront import Distribution, distributions, logging_configs

CF_ACTIONS = ["cloudfront:ListDistributions", "cloudfront:ListTagsForResource"]
DISTRIBUTION = "AWS::CloudFront::Distribution"
STAGE = "AWS::ApiGateway::Stage"
SECURE_VIEWER = {"https-only", "redirect-to-https"}
DEPRECATED_ORIGIN_PROTOCOLS = ["SSLv3", "TLSv1", "TLSv1.1"]


def _cf_kw(d: Distribution, evidence: dict[str, Any]) -> dict[str, Any]:
    if d.tags_error:
        evidence = {**evidence, "tags_error": d.tags_error}
    return {"arn": d.arn, "tags": d.tags, "evidence": evidence}


def _custom_origins(d: Distribution) -> list[dict[str, Any]]:
    return [o for o in d.origins if o.get("CustomOriginConfig")]


@register(CheckMeta(
    id="cloudfront_distribution_viewer_https", title="CloudFront distributions serve viewers over HTTPS only",
    fail_title="CloudFront distribution serves viewers over plain HTTP", service="cloudfront",
    aspect="encryption_in_transit", severity=Severity.medium, scope="account", frameworks={"fsbp": ["CloudFront.3"]},
    remediation=("Console CloudFront > distribution > Behaviors > each behavior > Edit > Viewer protocol policy: "
                 "Redirect HTTP to HTTPS (or HTTPS only); or `aws cloudfront get-distribution-config --id ID`, set "
                 "`ViewerProtocolPolicy` to `redirect-to-https` in every behavior, then `aws cloudfront "
                 "update-distribution --id ID --if-match ETAG --distribution-config file://config.json`."),
    iam_actions=CF_ACTIONS, resource_type=DISTRIBUTION,
    notes="The default behavior is reported as path \"*\"; every cache behavior must be HTTPS-only or redirect.",
))
def cloudfront_distribution_viewer_https(scope: Scope):
    for d in distributions(scope.inv):
        plain = sorted(p for p, policy in d.viewer_policies.items() if policy not in SECURE_VIEWER)
        kw = _cf_kw(d, {"ViewerProtocolPolicies": d.viewer_policies, "AllowsHttp": plain})
        if plain:
            yield scope.failed(d.id, f"behaviors allowing HTTP: {', '.join(plain)}", **kw)
        else:
            yield scope.passed(d.id, "every behavior requires or redirects to HTTPS", **kw)


@register(CheckMeta(
    id="cloudfront_distribution_origin_traffic_encrypted",
    title="CloudFront distributions reach custom origins over HTTPS",
    fail_title="CloudFront distribution can reach a custom origin over plain HTTP", service="cloudfront",
    aspect="encryption_in_transit", severity=Severity.medium, scope="account", frameworks={"fsbp": ["CloudFront.9"]},
    remediation=("Console CloudFront > distribution > Origins > origin > Edit > Protocol: HTTPS only; or set "
                 "`CustomOriginConfig.OriginProtocolPolicy` to `https-only` in the config from `aws cloudfront "
                 "get-distribution-config --id ID` and apply it with `aws cloudfront update-distribution --id ID "
                 "--if-match ETAG --distribution-config file://config.json`."),
    iam_actions=CF_ACTIONS, resource_type=DISTRIBUTION,
    notes="Fails on http-only origins, and on match-viewer origins while a behavior allows plain HTTP viewers.",
))
def cloudfront_distribution_origin_traffic_encrypted(scope: Scope):
    for d in distributions(scope.inv):
        viewer_http = any(p == "allow-all" for p in d.viewer_policies.values())
        bad = []
        for o in _custom_origins(d):
            policy = o["CustomOriginConfig"].get("OriginProtocolPolicy", "")
            if policy == "http-only" or (policy == "match-viewer" and viewer_http):
                bad.append(f"{o.get('Id')}={policy}")
        kw = _cf_kw(d, {"InsecureOrigins": sorted(bad), "CustomOrigins": len(_custom_origins(d))})
        if bad:
            yield scope.failed(d.id, f"origins reachable over HTTP: {', '.join(sorted(bad))}", **kw)
        else:
            yield scope.passed(d.id, "custom origins are reached over HTTPS" if _custom_origins(d)
                               else "no custom origins", **kw)


@register(CheckMeta(
    id="cloudfront_distribution_origin_tls_current",
    title="CloudFront distributions offer custom origins no deprecated SSL/TLS protocol",
    fail_title="CloudFront distribution offers a custom origin a deprecated SSL/TLS protocol",
    service="cloudfront", aspect="encryption_in_transit", severity=Severity.medium, scope="account",
    frameworks={"fsbp": ["CloudFront.10"]}, settings={"deprecated_protocols": DEPRECATED_ORIGIN_PROTOCOLS},
    remediation=("Console CloudFront > distribution > Origins > origin > Edit > Minimum origin SSL protocol: TLSv1.2; "
                 "or set `CustomOriginConfig.OriginSslProtocols` to `{\"Quantity\":1,\"Items\":[\"TLSv1.2\"]}` "
                 "and apply it with `aws cloudfront update-distribution --id ID --if-match ETAG "
                 "--distribution-config file://config.json`."),
    iam_actions=CF_ACTIONS, resource_type=DISTRIBUTION,
    notes="FSBP CloudFront.10 fails only SSLv3; the default here also fails TLSv1 and TLSv1.1 (both deprecated).",
))
def cloudfront_distribution_origin_tls_current(scope: Scope):
    deprecated = set(scope.setting("deprecated_protocols"))
    for d in distributions(scope.inv):
        bad = sorted(f"{o.get('Id')}:{p}" for o in _custom_origins(d)
                     for p in (o["CustomOriginConfig"].get("OriginSslProtocols") or {}).get("Items") or []
                     if p in deprecated)
        kw = _cf_kw(d, {"DeprecatedOriginProtocols": bad, "deprecated_protocols": sorted(deprecated)})
        if bad:
            yield scope.failed(d.id, f"deprecated origin protocols: {', '.join(bad)}", **kw)
        else:
            yield scope.passed(d.id, "no custom origin allows a deprecated protocol", **kw)


@register(CheckMeta(
    id="cloudfront_distribution_logging_enabled", title="CloudFront distributions have standard logging enabled",
    fail_title="CloudFront distribution has no standard logging", service="cloudfront",
    aspect="logging_monitoring", severity=Severity.medium, scope="account", frameworks={"fsbp": ["CloudFront.5"]},
    remediation=("Console CloudFront > distribution > General > Settings > Edit > Standard logging: On (S3 bucket), "
                 "or set `Logging` to `{\"Enabled\":true,\"IncludeCookies\":false,"
                 "\"Bucket\":\"BUCKET.s3.amazonaws.com\",\"Prefix\":\"cf/\"}` and run `aws cloudfront "
                 "update-distribution --id ID --if-match ETAG --distribution-config file://config.json`."),
    iam_actions=CF_ACTIONS + ["cloudfront:GetDistributionConfig"], resource_type=DISTRIBUTION,
    notes="Judges legacy standard logging (DistributionConfig.Logging); log deliveries set up through CloudWatch "
          "(logging v2) are not seen.",
))
def cloudfront_distribution_logging_enabled(scope: Scope):
    configs = logging_configs(scope.inv)
    for d in distributions(scope.inv):
        cfg = configs.get(d.id, {})
        if isinstance(cfg, tuple):
            yield scope.errored(d.id, *cfg, arn=d.arn, tags=d.tags)
        elif cfg.get("Enabled"):
            yield scope.passed(d.id, f"logs go to {cfg.get('Bucket', '')}",
                               **_cf_kw(d, {"Logging.Enabled": True, "Bucket": cfg.get("Bucket", "")}))
        else:
            yield scope.failed(d.id, "standard logging is off", **_cf_kw(d, {"Logging.Enabled": False}))


@register(CheckMeta(
    id="cloudfront_distribution_waf_enabled", title="CloudFront distributions are protected by an AWS WAF web ACL",
    fail_title="CloudFront distribution has no AWS WAF web ACL", service="cloudfront", aspect="ddos_protection",
    severity=Severity.medium, scope="account", frameworks={"fsbp": ["CloudFront.6"]},
    remediation=("Console CloudFront > distribution > Security > Edit > enable AWS WAF protections, or set "
                 "`WebACLId` to the web ACL ARN and run `aws cloudfront update-distribution --id ID --if-match ETAG "
                 "--distribution-config file://config.json`."),
    iam_actions=CF_ACTIONS, resource_type=DISTRIBUTION,
))
def cloudfront_distribution_waf_enabled(scope: Scope):
    for d in distributions(scope.inv):
        kw = _cf_kw(d, {"WebACLId": d.web_acl_id or None})
        if d.web_acl_id:
            yield scope.passed(d.id, "a WAF web ACL is attached", **kw)
        else:
            yield scope.failed(d.id, "no WAF web ACL is attached", **kw)


def _stages(scope: Scope) -> Iterator[Stage | Finding]:
    """Every stage, or an ERROR finding for an API whose stages could not be read."""
    for api in rest_apis(scope.inv):
        if api.error is not None:
            yield scope.errored(api.name, *api.error, resource_type="AWS::ApiGateway::RestApi")
            continue
        yield from api.stages


@register(CheckMeta(
    id="apigateway_stage_logging_enabled", title="API Gateway REST API stages log execution at ERROR or INFO level",
    fail_title="API Gateway REST API stage does not log execution", service="apigateway",
    aspect="logging_monitoring", severity=Severity.medium, frameworks={"fsbp": ["APIGateway.1"]},
    settings={"logging_levels": ["ERROR", "INFO"]},
    remediation=("Console API Gateway > API > Stages > stage > Logs and tracing > Edit > CloudWatch logs: Errors only "
                 "or Errors and info logs (the account needs a CloudWatch Logs role), or `aws apigateway update-stage "
                 "--rest-api-id API_ID --stage-name STAGE --patch-operations "
                 "op=replace,path=/*/*/logging/loglevel,value=ERROR`."),
    iam_actions=["apigateway:GET"], resource_type=STAGE,
    notes=("Every method must log: the stage-wide \"*/*\" setting and any per-method override must use an allowed "
           "level. WebSocket (API Gateway v2) stages are not covered."),
))
def apigateway_stage_logging_enabled(scope: Scope):
    allowed = list(scope.setting("logging_levels"))
    for s in _stages(scope):
        if isinstance(s, Finding):
            yield s
            continue
        levels = {path: str(m.get("loggingLevel") or "OFF") for path, m in s.method_settings.items()}
        bad = sorted(p for p, lvl in levels.items() if lvl not in allowed)
        if "*/*" not in levels:
            bad = ["*/*", *bad]
        kw = dict(arn=s.arn, tags=s.tags, evidence={"LoggingLevels": levels, "allowed": allowed,
                                                    "AccessLogs": bool(s.access_log_destination)})
        if bad:
            yield scope.failed(s.resource_id, f"execution logging is off or below the allowed levels for: "
                               f"{', '.join(bad)}", **kw)
        else:
            yield scope.passed(s.resource_id, f"every method logs at {', '.join(sorted(set(levels.values())))}", **kw)


@register(CheckMeta(
    id="apigateway_stage_waf_associated", title="API Gateway REST API stages are protected by an AWS WAF web ACL",
    fail_title="API Gateway REST API stage has no AWS WAF web ACL", service="apigateway", aspect="ddos_protection",
    severity=Severity.medium, frameworks={"fsbp": ["APIGateway.4"]},
    remediation=("Console WAF & Shield > Web ACLs > web ACL > Associated AWS resources > Add (the API stage), or "
                 "`aws wafv2 associate-web-acl --web-acl-arn WEB_ACL_ARN --resource-arn "
                 "arn:aws:apigateway:REGION::/restapis/API_ID/stages/STAGE`."),
    iam_actions=["apigateway:GET"], resource_type=STAGE,
))
def apigateway_stage_waf_associated(scope: Scope):
    for s in _stages(scope):
        if isinstance(s, Finding):
            yield s
            continue
        kw = dict(arn=s.arn, tags=s.tags, evidence={"webAclArn": s.web_acl_arn or None})
        if s.web_acl_arn:
            yield scope.passed(s.resource_id, "a WAF web ACL is associated", **kw)
        else:
            yield scope.failed(s.resource_id, "no WAF web ACL is associated", **kw)


@register(CheckMeta(
    id="apigateway_v2_stage_access_logging_enabled",
    title="HTTP and WebSocket API (API Gateway v2) stages write access logs",
    fail_title="HTTP or WebSocket API stage writes no access logs", service="apigateway",
    aspect="logging_monitoring", severity=Severity.medium, frameworks={"fsbp": ["APIGateway.9"]},
    remediation=("Console API Gateway > API > Monitor > Logging > stage > Edit > Access logging: on, with a "
                 "CloudWatch Logs group ARN and a log format; or `aws apigatewayv2 update-stage --api-id API_ID "
                 "--stage-name STAGE --access-log-settings "
                 "DestinationArn=LOG_GROUP_ARN,Format='$context.requestId $context.status'`."),
    iam_actions=["apigateway:GET"], resource_type="AWS::ApiGatewayV2::Stage",
))
def apigateway_v2_stage_access_logging_enabled(scope: Scope):
    for api in v2_apis(scope.inv):
        if api.error is not None:
            yield scope.errored(api.name, *api.error, resource_type="AWS::ApiGatewayV2::Api")
            continue
        for s in api.stages:
            kw = dict(arn=s.arn, tags=s.tags, evidence={"AccessLogDestination": s.access_log_destination or None,
                                                        "ProtocolType": s.protocol})
            if s.access_log_destination:
                yield scope.passed(s.resource_id, f"access logs go to {s.access_log_destination}", **kw)
            else:
                yield scope.failed(s.resource_id, "access logging is off", **kw)
