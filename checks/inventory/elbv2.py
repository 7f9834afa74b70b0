"""Load balancer inventory: ELBv2 (application, network, gateway) and Classic load balancers.

ELBv2: one paginated ``describe_load_balancers`` per (account, region), then per load
balancer ``describe_listeners`` and ``describe_load_balancer_attributes``, and tags in
batches of 20 (``describe_tags``). A per-load-balancer call AWS refuses is kept on the
record (``errors[<part>]``) so only the checks needing that part report ERROR for it.
The WAF association (wafv2 ``get_web_acl_for_resource``) is read only for application
load balancers and only when a check asks for it.

Classic: ``describe_load_balancers`` (listeners included), then per load balancer
``describe_load_balancer_attributes``; tags in batches of 20.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of, paginate

TAG_BATCH = 20


@dataclass(frozen=True)
class Listener:
    arn: str
    port: int
    protocol: str  # HTTP | HTTPS | TCP | TLS | UDP | TCP_UDP | GENEVE
    ssl_policy: str
    default_actions: tuple[dict[str, Any], ...]


@dataclass
class LoadBalancer:
    name: str
    arn: str
    type: str  # application | network | gateway
    scheme: str
    listeners: list[Listener] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # "listeners" | "attributes" -> (code, msg)

    def attribute_on(self, key: str) -> bool:
        """A boolean attribute (absent means false, as AWS defaults these)."""
        return str(self.attributes.get(key, "false")).lower() == "true"


def _guarded(lb: LoadBalancer | ClassicLoadBalancer, part: str, fn: Any) -> Any:
    try:
        return fn()
    except ClientError as exc:
        lb.errors[part] = error_code_of(exc)
        return None


def _tag_batches(client: Any, arns_or_names: list[str], key: str, id_field: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for i in range(0, len(arns_or_names), TAG_BATCH):
        resp = client.describe_tags(**{key: arns_or_names[i:i + TAG_BATCH]})
        for d in resp.get("TagDescriptions", []):
            out[d.get(id_field, "")] = tags_of(d.get("Tags"))
    return out


def load_balancers(inv: Inventory) -> list[LoadBalancer]:
    """Every ELBv2 load balancer in this region with its listeners, attributes and tags."""

    def fetch() -> list[LoadBalancer]:
        elb = inv.client("elbv2")
        out = []
        for raw in paginate(elb, "describe_load_balancers", "LoadBalancers"):
            lb = LoadBalancer(raw["LoadBalancerName"], raw["LoadBalancerArn"], raw.get("Type", "application"),
                              raw.get("Scheme", ""))
            listeners = _guarded(lb, "listeners", lambda: paginate(
                elb, "describe_listeners", "Listeners", LoadBalancerArn=lb.arn))
            lb.listeners = sorted((Listener(x["ListenerArn"], int(x.get("Port") or 0), x.get("Protocol", ""),
                                            x.get("SslPolicy") or "", tuple(x.get("DefaultActions") or []))
                                   for x in listeners or []), key=lambda x: x.port)
            attrs = _guarded(lb, "attributes", lambda: elb.describe_load_balancer_attributes(
                LoadBalancerArn=lb.arn).get("Attributes", []))
            lb.attributes = {a["Key"]: str(a.get("Value", "")) for a in attrs or []}
            out.append(lb)
        tags = _tag_batches(elb, [lb.arn for lb in out], "ResourceArns", "ResourceArn") if out else {}
        for lb in out:
            lb.tags = tags.get(lb.arn, {})
        return sorted(out, key=lambda lb: lb.name)

    return inv.memo("elbv2.load_balancers", fetch)


def web_acls(inv: Inventory) -> dict[str, str | tuple[str, str]]:
    """ALB ARN -> associated WAF (v2) web ACL ARN, "" when none, or (code, message) if refused."""

    def fetch() -> dict[str, str | tuple[str, str]]:
        waf = inv.client("wafv2")
        out: dict[str, str | tuple[str, str]] = {}
        for lb in load_balancers(inv):
            if lb.type != "application":
                continue
            try:
                acl = waf.get_web_acl_for_resource(ResourceArn=lb.arn).get("WebACL") or {}
                out[lb.arn] = acl.get("ARN", "")
            except ClientError as exc:
                out[lb.arn] = error_code_of(exc)
        return out

    return inv.memo("elbv2.web_acls", fetch)


@dataclass
class ClassicLoadBalancer:
    name: str
    arn: str
    listeners: list[dict[str, Any]] = field(default_factory=list)  # Protocol, LoadBalancerPort, ...
    access_log: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)


def classic_load_balancers(inv: Inventory) -> list[ClassicLoadBalancer]:
    """Every Classic Load Balancer in this region with its listeners, access-log flag and tags."""

    def fetch() -> list[ClassicLoadBalancer]:
        elb = inv.client("elb")
        out = []
        for raw in paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions"):
            name = raw["LoadBalancerName"]
            lb = ClassicLoadBalancer(name, inv.arn("elasticloadbalancing", f"loadbalancer/{name}"),
                                     [d.get("Listener", {}) for d in raw.get("ListenerDescriptions", [])])
            attrs = _guarded(lb, "attributes", lambda: elb.describe_load_balancer_attributes(
                LoadBalancerName=name).get("LoadBalancerAttributes", {}))
            lb.access_log = bool(((attrs or {}).get("AccessLog") or {}).get("Enabled"))
            out.append(lb)
        tags = _tag_batches(elb, [lb.name for lb in out], "LoadBalancerNames", "LoadBalancerName") if out else {}
        for lb in out:
            lb.tags = tags.get(lb.name, {})
        return sorted(out, key=lambda lb: lb.name)

    return inv.memo("elbv2.classic_load_balancers", fetch)
