"""Lambda inventory: functions (runtime, environment variable NAMES, tags), policies and function URLs.

ListFunctions returns environment variable values too; they are dropped here, at the
source, so no value ever reaches a check, a finding or the database. Policies and URL
configurations are separate fetchers (one call per function each), made only when a
check asks for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from checks.inventory.core import Inventory, call_or_none, paginate

NOT_FOUND = "ResourceNotFoundException"


@dataclass
class LambdaFunction:
    name: str
    arn: str
    runtime: str  # "" for container-image functions
    package_type: str  # Zip | Image
    env_names: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class FunctionUrl:
    url: str
    auth_type: str  # AWS_IAM | NONE
    qualifier: str  # "$LATEST" or an alias name


def functions(inv: Inventory) -> list[LambdaFunction]:
    """Every function in this region, with the names (never the values) of its environment variables."""

    def fetch() -> list[LambdaFunction]:
        lam = inv.client("lambda")
        out = []
        for f in paginate(lam, "list_functions", "Functions"):
            variables = (f.get("Environment") or {}).get("Variables") or {}
            out.append(LambdaFunction(
                name=f["FunctionName"], arn=f["FunctionArn"], runtime=f.get("Runtime", ""),
                package_type=f.get("PackageType", "Zip"), env_names=sorted(variables),
                tags=dict(lam.list_tags(Resource=f["FunctionArn"]).get("Tags") or {})))
        return out

    return inv.memo("lambda.functions", fetch)


def policies(inv: Inventory) -> dict[str, str | None]:
    """Function name -> resource-based policy JSON (None: the function has no policy)."""

    def fetch() -> dict[str, str | None]:
        lam = inv.client("lambda")
        out: dict[str, str | None] = {}
        for f in functions(inv):
            got = call_or_none(partial(lam.get_policy, FunctionName=f.name), NOT_FOUND)
            out[f.name] = (got or {}).get("Policy") or None
        return out

    return inv.memo("lambda.policies", fetch)


def function_urls(inv: Inventory) -> dict[str, list[FunctionUrl]]:
    """Function name -> its function URLs ($LATEST and aliases)."""

    def fetch() -> dict[str, list[FunctionUrl]]:
        lam = inv.client("lambda")
        out: dict[str, list[FunctionUrl]] = {}
        for f in functions(inv):
            configs = paginate(lam, "list_function_url_configs", "FunctionUrlConfigs", FunctionName=f.name)
            out[f.name] = [FunctionUrl(c.get("FunctionUrl", ""), c.get("AuthType", ""),
                                       c.get("FunctionArn", "").removeprefix(f.arn).lstrip(":") or "$LATEST")
                           for c in configs]
        return out

    return inv.memo("lambda.function_urls", fetch)
