"""Load balancer checks: listener protocols and TLS policies, WAF, header hygiene, deletion
protection and access logs (ELBv2), plus Classic Load Balancer listeners and logs."""
from __future__ import annotations

from typing import Any, Iterator

from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.elbv2 import LoadBalancer, classic_load_balancers, load_balancers, web_acls

LB_ACTIONS = ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
              "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeTags"]
CLASSIC_ACTIONS = ["elasticloadbalancing:DescribeLoadBalancers",
                   "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeTags"]
LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"
SECURE = {"application": "HTTPS", "network": "TLS"}
# FSBP ELB.17's recommended policies (TLS 1.3 capable; FIPS variants included).
RECOMMENDED_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
]


def _each(scope: Scope, part: str, *types: str) -> Iterator[tuple[LoadBalancer, dict[str, Any], Finding | None]]:
    """(load balancer, finding kwargs, ERROR finding if ``part`` could not be read) for the given types."""
    for lb in load_balancers(scope.inv):
        if lb.type not in types:
            continue
        kw: dict[str, Any] = {"arn": lb.arn, "tags": lb.tags}
        err = lb.errors.get(part)
        yield lb, kw, (scope.errored(lb.name, *err, **kw) if err else None)


def redirects_to_https(actions: tuple[dict[str, Any], ...]) -> bool:
    return any(a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
               for a in actions)


@register(CheckMeta(
    id="elbv2_listener_secure_protocol", title="Load balancer listeners use HTTPS (ALB) or TLS (NLB)",
    fail_title="Load balancer listener accepts unencrypted traffic", service="elbv2",
    aspect="encryption_in_transit", severity=Severity.medium, frameworks={"fsbp": ["ELB.1", "ELB.18"]},
    remediation=("Console EC2 > Load Balancers > load balancer > Listeners: add an HTTPS (ALB) or TLS (NLB) listener "
                 "with a certificate, and change HTTP listeners' default action to a redirect to HTTPS; or `aws elbv2 "
                 "create-listener --load-balancer-arn LB_ARN --protocol HTTPS --port 443 --certificates "
                 "CertificateArn=CERT_ARN --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06 --default-actions "
                 "Type=forward,TargetGroupArn=TG_ARN` and `aws elbv2 modify-listener --listener-arn LISTENER_ARN "
                 "--default-actions 'Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,StatusCode=HTTP_301}'`."),
    iam_actions=LB_ACTIONS, resource_type=LISTENER, settings={"allow_https_redirect": True},
    notes=("Gateway Load Balancer listeners (GENEVE) are not judged. An ALB HTTP listener whose default action "
           "redirects to HTTPS passes while allow_https_redirect is true (FSBP ELB.1); set it false to judge as "
           "ELB.18 does (every ALB listener HTTPS, every NLB listener TLS)."),
))
def elbv2_listener_secure_protocol(scope: Scope):
    allow_redirect = bool(scope.setting("allow_https_redirect"))
    for lb, kw, err in _each(scope, "listeners", "application", "network"):
        if err:
            yield err
            continue
        for li in lb.listeners:
            rid, lkw = f"{lb.name}:{li.port}", {**kw, "arn": li.arn}
            ev = {"Protocol": li.protocol, "LoadBalancerType": lb.type}
            if li.protocol == SECURE[lb.type]:
                yield scope.passed(rid, f"{li.protocol} listener", evidence=ev, **lkw)
            elif li.protocol == "HTTP" and allow_redirect and redirects_to_https(li.default_actions):
                yield scope.passed(rid, "HTTP listener redirects every request to HTTPS",
                                   evidence={**ev, "RedirectsToHttps": True}, **lkw)
            else:
                yield scope.failed(rid, f"{li.protocol} listener carries unencrypted traffic", evidence=ev, **lkw)


@register(CheckMeta(
    id="elbv2_listener_tls_policy_current", title="HTTPS/TLS listeners use an allowed (current) TLS security policy",
    fail_title="HTTPS/TLS listener uses an outdated TLS security policy", service="elbv2",
    aspect="encryption_in_transit", severity=Severity.medium, frameworks={"fsbp": ["ELB.17"]},
    remediation=("Console EC2 > Load Balancers > load balancer > Listeners > listener > Edit > Security policy: "
                 "ELBSecurityPolicy-TLS13-1-2-2021-06 (or another allowed one), or `aws elbv2 modify-listener "
                 "--listener-arn LISTENER_ARN --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06`."),
    iam_actions=LB_ACTIONS, resource_type=LISTENER, settings={"allowed_policies": RECOMMENDED_POLICIES},
    notes="The default list is FSBP ELB.17's; add a policy name to allowed_policies to accept it.",
))
def elbv2_listener_tls_policy_current(scope: Scope):
    allowed = list(scope.setting("allowed_policies"))
    for lb, kw, err in _each(scope, "listeners", "application", "network"):
        if err:
            yield err
            continue
        for li in lb.listeners:
            if li.protocol not in ("HTTPS", "TLS"):
                continue
            rid, lkw = f"{lb.name}:{li.port}", {**kw, "arn": li.arn}
            ev = {"SslPolicy": li.ssl_policy, "allowed_policies": allowed}
            if li.ssl_policy in allowed:
                yield scope.passed(rid, f"uses {li.ssl_policy}", evidence=ev, **lkw)
            else:
                yield scope.failed(rid, f"uses {li.ssl_policy or 'no policy'}, not an allowed policy", evidence=ev,
                                   **lkw)


@register(CheckMeta(
    id="elbv2_alb_waf_associated", title="Application Load Balancers are protected by an AWS WAF web ACL",
    fail_title="Application Load Balancer has no AWS WAF web ACL", service="elbv2", aspect="ddos_protection",
    severity=Severity.medium, frameworks={},
    remediation=("Console WAF & Shield > Web ACLs > web ACL > Associated AWS resources > Add (the ALB), or "
                 "`aws wafv2 associate-web-acl --web-acl-arn WEB_ACL_ARN --resource-arn LB_ARN`."),
    iam_actions=LB_ACTIONS + ["wafv2:GetWebACLForResource"], resource_type=LB,
    notes=("Security Hub ELB.16 (NIST SP 800-53 standard, not FSBP). Only AWS WAF (v2) is read; WAF Classic "
           "associations are not seen."),
))
def elbv2_alb_waf_associated(scope: Scope):
    acls = web_acls(scope.inv)
    for lb, kw, _ in _each(scope, "", "application"):
        acl = acls.get(lb.arn, "")
        if isinstance(acl, tuple):
            yield scope.errored(lb.name, *acl, **kw)
        elif acl:
            yield scope.passed(lb.name, "a WAF web ACL is associated", evidence={"WebACL": acl}, **kw)
        else:
            yield scope.failed(lb.name, "no WAF web ACL is associated", evidence={"WebACL": None}, **kw)


def _attribute_check(scope: Scope, key: str, types: tuple[str, ...], on: str, off: str) -> Iterator[Finding]:
    for lb, kw, err in _each(scope, "attributes", *types):
        if err:
            yield err
        elif lb.attribute_on(key):
            yield scope.passed(lb.name, on, evidence={key: True}, **kw)
        else:
            yield scope.failed(lb.name, off, evidence={key: False}, **kw)


@register(CheckMeta(
    id="elbv2_alb_drop_invalid_headers_enabled", title="Application Load Balancers drop invalid HTTP header fields",
    fail_title="Application Load Balancer forwards invalid HTTP header fields", service="elbv2",
    aspect="application_security", severity=Severity.medium, frameworks={"fsbp": ["ELB.4"]},
    remediation=("Console EC2 > Load Balancers > ALB > Attributes > Edit > Drop invalid header fields: On, or "
                 "`aws elbv2 modify-load-balancer-attributes --load-balancer-arn LB_ARN --attributes "
                 "Key=routing.http.drop_invalid_header_fields.enabled,Value=true`."),
    iam_actions=LB_ACTIONS, resource_type=LB,
))
def elbv2_alb_drop_invalid_headers_enabled(scope: Scope):
    yield from _attribute_check(scope, "routing.http.drop_invalid_header_fields.enabled", ("application",),
                                "invalid header fields are dropped", "invalid header fields are passed on")


@register(CheckMeta(
    id="elbv2_loadbalancer_deletion_protection_enabled", title="Load balancers have deletion protection enabled",
    fail_title="Load balancer can be deleted without first turning off deletion protection", service="elbv2",
    aspect="backup_dr", severity=Severity.low, frameworks={"fsbp": ["ELB.6"]},
    remediation=("Console EC2 > Load Balancers > load balancer > Attributes > Edit > Deletion protection: On, or "
                 "`aws elbv2 modify-load-balancer-attributes --load-balancer-arn LB_ARN --attributes "
                 "Key=deletion_protection.enabled,Value=true`."),
    iam_actions=LB_ACTIONS, resource_type=LB,
))
def elbv2_loadbalancer_deletion_protection_enabled(scope: Scope):
    yield from _attribute_check(scope, "deletion_protection.enabled", ("application", "network", "gateway"),
                                "deletion protection is on", "deletion protection is off")


@register(CheckMeta(
    id="elbv2_alb_access_logging_enabled", title="Application Load Balancers write access logs",
    fail_title="Application Load Balancer writes no access logs", service="elbv2", aspect="logging_monitoring",
    severity=Severity.medium, frameworks={"fsbp": ["ELB.5"]},
    remediation=("Console EC2 > Load Balancers > ALB > Attributes > Edit > Monitoring > Access logs: On, with an S3 "
                 "location, or `aws elbv2 modify-load-balancer-attributes --load-balancer-arn LB_ARN --attributes "
                 "Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=BUCKET`."),
    iam_actions=LB_ACTIONS, resource_type=LB,
    notes="Network Load Balancers log only TLS requests and are not judged here.",
))
def elbv2_alb_access_logging_enabled(scope: Scope):
    yield from _attribute_check(scope, "access_logs.s3.enabled", ("application",),
                                "access logs are written to S3", "access logging is off")


@register(CheckMeta(
    id="elb_listener_secure_protocol", title="Classic Load Balancer listeners use HTTPS or SSL",
    fail_title="Classic Load Balancer listener accepts unencrypted traffic", service="elb",
    aspect="encryption_in_transit", severity=Severity.medium, frameworks={"fsbp": ["ELB.3"]},
    remediation=("Console EC2 > Load Balancers > classic load balancer > Listeners > Edit: protocol HTTPS or SSL "
                 "with a certificate, or `aws elb create-load-balancer-listeners --load-balancer-name NAME "
                 "--listeners Protocol=HTTPS,LoadBalancerPort=443,InstanceProtocol=HTTP,InstancePort=80,"
                 "SSLCertificateId=CERT_ARN` then `aws elb delete-load-balancer-listeners --load-balancer-name NAME "
                 "--load-balancer-ports 80`."),
    iam_actions=CLASSIC_ACTIONS, resource_type=CLASSIC,
))
def elb_listener_secure_protocol(scope: Scope):
    for lb in classic_load_balancers(scope.inv):
        plain = sorted(f"{li.get('Protocol')}:{li.get('LoadBalancerPort')}" for li in lb.listeners
                       if str(li.get("Protocol", "")).upper() not in ("HTTPS", "SSL"))
        kw = dict(arn=lb.arn, tags=lb.tags, evidence={"UnencryptedListeners": plain})
        if plain:
            yield scope.failed(lb.name, f"unencrypted listeners: {', '.join(plain)}", **kw)
        else:
            yield scope.passed(lb.name, "every listener is HTTPS or SSL", **kw)


@register(CheckMeta(
    id="elb_loadbalancer_access_logging_enabled", title="Classic Load Balancers write access logs",
    fail_title="Classic Load Balancer writes no access logs", service="elb", aspect="logging_monitoring",
    severity=Severity.medium, frameworks={"fsbp": ["ELB.5"]},
    remediation=("Console EC2 > Load Balancers > classic load balancer > Attributes > Edit > Access logs: Enable, "
                 "or `aws elb modify-load-balancer-attributes --load-balancer-name NAME --load-balancer-attributes "
                 "'{\"AccessLog\":{\"Enabled\":true,\"S3BucketName\":\"BUCKET\",\"EmitInterval\":60}}'`."),
    iam_actions=CLASSIC_ACTIONS, resource_type=CLASSIC,
))
def elb_loadbalancer_access_logging_enabled(scope: Scope):
    for lb in classic_load_balancers(scope.inv):
        kw: dict[str, Any] = {"arn": lb.arn, "tags": lb.tags}
        if "attributes" in lb.errors:
            yield scope.errored(lb.name, *lb.errors["attributes"], **kw)
        elif lb.access_log:
            yield scope.passed(lb.name, "access logs are written to S3", evidence={"AccessLog.Enabled": True}, **kw)
        else:
            yield scope.failed(lb.name, "access logging is off", evidence={"AccessLog.Enabled": False}, **kw)
