"""API Gateway inventory: REST API stages and HTTP/WebSocket (v2) API stages, once per (account, region).

REST: one paginated ``get_rest_apis``, then ``get_stages`` per API (stages carry their
method settings, access-log settings, web ACL and tags). v2: one paginated ``get_apis``,
then a paginated ``get_stages`` per API. A refused ``get_stages`` is kept on the API so
only its stages' checks report ERROR.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from checks.inventory.core import Inventory, error_code_of, paginate


@dataclass
class Stage:
    api_id: str
    api_name: str
    name: str
    arn: str
    method_settings: dict[str, dict[str, Any]]  # "*/*" and per-method overrides
    access_log_destination: str
    web_acl_arn: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def resource_id(self) -> str:
        return f"{self.api_name}/{self.name}"


@dataclass
class RestApi:
    id: str
    name: str
    stages: list[Stage] = field(default_factory=list)
    error: tuple[str, str] | None = None


def rest_apis(inv: Inventory) -> list[RestApi]:
    """Every REST API in this region with its stages."""

    def fetch() -> list[RestApi]:
        client = inv.client("apigateway")
        out = []
        for raw in paginate(client, "get_rest_apis", "items"):
            api = RestApi(raw["id"], raw.get("name") or raw["id"])
            try:
                stages = client.get_stages(restApiId=api.id).get("item", [])
            except ClientError as exc:
                api.error = error_code_of(exc)
                stages = []
            for s in stages:
                arn = f"arn:{inv.partition}:apigateway:{inv.region}::/restapis/{api.id}/stages/{s['stageName']}"
                api.stages.append(Stage(api.id, api.name, s["stageName"], arn, dict(s.get("methodSettings") or {}),
                                        (s.get("accessLogSettings") or {}).get("destinationArn", ""),
                                        s.get("webAclArn") or "", dict(s.get("tags") or {})))
            out.append(api)
        return sorted(out, key=lambda a: a.name)

    return inv.memo("apigateway.rest_apis", fetch)


@dataclass
class V2Stage:
    api_id: str
    api_name: str
    protocol: str  # HTTP | WEBSOCKET
    name: str
    arn: str
    access_log_destination: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def resource_id(self) -> str:
        return f"{self.api_name}/{self.name}"


@dataclass
class V2Api:
    id: str
    name: str
    protocol: str
    stages: list[V2Stage] = field(default_factory=list)
    error: tuple[str, str] | None = None


def v2_apis(inv: Inventory) -> list[V2Api]:
    """Every HTTP and WebSocket API (API Gateway v2) in this region with its stages."""

    def fetch() -> list[V2Api]:
        client = inv.client("apigatewayv2")
        out = []
        for raw in paginate(client, "get_apis", "Items"):
            api = V2Api(raw["ApiId"], raw.get("Name") or raw["ApiId"], raw.get("ProtocolType", ""))
            try:
                stages = paginate(client, "get_stages", "Items", ApiId=api.id)
            except ClientError as exc:
                api.error = error_code_of(exc)
                stages = []
            for s in stages:
                arn = f"arn:{inv.partition}:apigateway:{inv.region}::/apis/{api.id}/stages/{s['StageName']}"
                api.stages.append(V2Stage(api.id, api.name, api.protocol, s["StageName"], arn,
                                          (s.get("AccessLogSettings") or {}).get("DestinationArn", ""),
                                          dict(s.get("Tags") or {})))
            out.append(api)
        return sorted(out, key=lambda a: a.name)

    return inv.memo("apigateway.v2_apis", fetch)
