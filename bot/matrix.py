"""The responsibility matrix: schema, loading and validation.

``data/matrix.yml`` holds one row per security aspect, with a cell per service
model (``on_prem``, ``iaas``, ``paas``, ``saas``) and optional per-provider
overrides. ``data/services.yml`` maps named cloud services to a provider and a
service model. The resolver that answers questions lives in ``bot/resolver.py``
and is re-exported here as :func:`who_owns`.
"""
from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from bot.datafiles import load_yaml_model

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MATRIX_PATH = DATA_DIR / "matrix.yml"
SERVICES_PATH = DATA_DIR / "services.yml"


class Owner(StrEnum):
    provider = "provider"
    customer = "customer"
    shared = "shared"
    depends = "depends"  # answers only: differs by service model and the model was not stated
    unknown = "unknown"  # answers only: the matrix does not cover the question


class Model(StrEnum):
    on_prem = "on_prem"
    iaas = "iaas"
    paas = "paas"
    saas = "saas"


class Provider(StrEnum):
    aws = "aws"
    azure = "azure"
    gcp = "gcp"


CLOUD_MODELS = (Model.iaas, Model.paas, Model.saas)


class Cell(BaseModel, extra="forbid"):
    owner: Literal["provider", "customer", "shared"]
    summary: str = Field(min_length=10)
    provider_does: str | None = None
    customer_does: str | None = None
    # (a provider's override only) the row keywords it is about, empty: all ("network security" on Google's PaaS is
    # Google's by its own course, while the firewall rules of the same row stay the customer's)
    keywords: list[str] = Field(default_factory=list)
    source: str | None = None

    @model_validator(mode="after")
    def _shared_says_who_does_what(self) -> "Cell":
        if self.owner == "shared" and not (self.provider_does and self.customer_does):
            raise ValueError("a shared cell must say provider_does and customer_does")
        return self


class Source(BaseModel, extra="forbid"):
    title: str
    url: str


class ProviderView(BaseModel, extra="forbid"):
    """One provider's own classification of a whole aspect ("AWS lists patch management as a shared control").

    Used instead of ``depends`` when a question names that provider but no service or model."""

    owner: Literal["provider", "customer", "shared"]
    summary: str = Field(min_length=10)
    provider_does: str | None = None
    customer_does: str | None = None
    source: str
    # the row keywords the classification is about (empty: all); "guest os" is the customer's even where
    # AWS calls patch management as a whole a shared control
    keywords: list[str] = Field(default_factory=list)


class Aspect(BaseModel, extra="forbid"):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    category: Literal["infrastructure", "platform", "identity", "data", "network", "application",
                      "operations", "governance", "people", "endpoint"]
    keywords: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    cells: dict[Model, Cell]
    overrides: dict[Provider, dict[Model, Cell]] = Field(default_factory=dict)
    checks: list[str] = Field(default_factory=list)
    notes: str = ""
    # one view, or several each for its own keywords ("patch management": shared; "guest os": the customer's)
    provider_view: dict[Provider, ProviderView | list[ProviderView]] = Field(default_factory=dict)
    # the general guides' own classification ("implementing and managing encryption is the customer's"): used instead
    # of ``depends`` when the question names no provider, service or model
    general_view: ProviderView | None = None
    # the customer's row for choosing or setting up what this row's provider runs ("who sets up availability zones":
    # the zones are the provider's, using them for a workload is backup_dr)
    choice_row: str | None = None
    # rows under which the services' task catalogues file this row's duties ("who scales lambda": Lambda's scaling
    # task is an infrastructure_availability task); searched too when the question names a service
    task_rows: list[str] = Field(default_factory=list)
    # a row whose split cells split by whose things are meant: the provider's infrastructure is the provider's, the
    # customer's own apps, data and accounts are the customer's ("incident response for our own apps and data")
    halves_by_asset: bool = False
    # the provider's own service for this row ("ddos on azure" is Azure DDoS Protection's): a question that names the
    # provider and no service, which the row splits, is answered by that service's task its words name
    row_services: dict[Provider, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _all_models_present(self) -> "Aspect":
        missing = [m.value for m in Model if m not in self.cells]
        if missing:
            raise ValueError(f"cells missing for: {', '.join(missing)}")
        return self

    def view_for(self, prov: Provider, matched: str | None) -> ProviderView | None:
        """The provider's own classification for the row keyword the question matched (a view with no keywords
        covers them all)."""
        views = self.provider_view.get(prov)
        found = views if isinstance(views, list) else [views] if views is not None else []
        return next((v for v in found if not v.keywords or matched in v.keywords), None)

    def cell(self, model: Model, provider: Provider | None = None, matched: str | None = None) -> Cell:
        """The model's cell, or the named provider's own for it (one kept to its keywords only when one of them is
        the row keyword the question matched)."""
        own = self.overrides.get(provider, {}).get(model) if provider else None
        if own is not None and (not own.keywords or matched in own.keywords):
            return own
        return self.cells[model]


class Matrix(BaseModel, extra="forbid"):
    version: int
    sources: dict[str, Source]
    aspects: list[Aspect]

    @model_validator(mode="after")
    def _consistent(self) -> "Matrix":
        seen: set[str] = set()
        for i, a in enumerate(self.aspects):
            if a.id in seen:
                raise ValueError(f"aspects[{i}] ({a.id}): duplicate aspect id")
            seen.add(a.id)
            for s in a.sources:
                if s not in self.sources:
                    raise ValueError(f"aspects[{i}] ({a.id}).sources: unknown source {s!r}")
        for i, a in enumerate(self.aspects):
            if a.choice_row is not None and a.choice_row not in seen:
                raise ValueError(f"aspects[{i}] ({a.id}).choice_row: unknown aspect {a.choice_row!r}")
            for row in a.task_rows:
                if row not in seen:
                    raise ValueError(f"aspects[{i}] ({a.id}).task_rows: unknown aspect {row!r}")
            for prov, views in a.provider_view.items():
                for view in views if isinstance(views, list) else [views]:
                    if view.source not in self.sources:
                        raise ValueError(f"aspects[{i}] ({a.id}).provider_view.{prov.value}.source: "
                                         f"unknown source {view.source!r}")
            for prov, cells in a.overrides.items():
                for model, own in cells.items():
                    where = f"aspects[{i}] ({a.id}).overrides.{prov.value}.{model.value}"
                    if own.source is not None and own.source not in self.sources:
                        raise ValueError(f"{where}.source: unknown source {own.source!r}")
                    if set(own.keywords) - set(a.keywords):
                        raise ValueError(f"{where}.keywords: not keywords of the row: "
                                         f"{sorted(set(own.keywords) - set(a.keywords))}")
            if a.general_view is not None and a.general_view.source not in self.sources:
                raise ValueError(f"aspects[{i}] ({a.id}).general_view.source: unknown source {a.general_view.source!r}")
        return self

    def aspect(self, aspect_id: str) -> Aspect:
        for a in self.aspects:
            if a.id == aspect_id:
                return a
        raise KeyError(aspect_id)

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.aspects]


class Service(BaseModel, extra="forbid"):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    provider: Provider
    model: Model
    aliases: list[str] = Field(default_factory=list)
    # parts of the service people name on their own ("security groups" -> VPC); weaker than an alias:
    # used only when the question names no service itself
    features: list[str] = Field(default_factory=list)
    # what people call the kind of service ("serverless functions", "object storage"): read as this service only
    # when the question names its provider and no service ("serverless functions on aws" is Lambda); one service
    # of a provider per kind
    kinds: list[str] = Field(default_factory=list)
    # other providers' clouds the service runs on or connects to (Azure Arc onto AWS and Google machines, GKE attached
    # clusters onto EKS and AKS, Cross-Cloud Interconnect to AWS and Azure): one of them named in the question is where
    # the service reaches, not whose service is asked ("arc-enabled servers *running in aws*")
    reaches: list[Provider] = Field(default_factory=list)
    # runs at the customer's site though its model is not on_prem (GKE on VMware, Outposts): "on-prem X" names it,
    # where before another name it says the thing is not the cloud service ("from *on-prem rds* to avd")
    on_premises: bool = False
    note: str = ""


class ServiceCatalog(BaseModel, extra="forbid"):
    version: int
    services: list[Service]

    @model_validator(mode="after")
    def _unique(self) -> "ServiceCatalog":
        seen: set[str] = set()
        for i, s in enumerate(self.services):
            if s.id in seen:
                raise ValueError(f"services[{i}] ({s.id}): duplicate service id")
            seen.add(s.id)
        kinds: dict[tuple[str, str], str] = {}
        for i, s in enumerate(self.services):
            for kind in s.kinds:
                key = (s.provider.value, " ".join(kind.lower().split()))
                if key in kinds:
                    raise ValueError(f"services[{i}] ({s.id}): kind {kind!r} is already {kinds[key]}'s for {key[0]}")
                kinds[key] = s.id
            if s.provider in s.reaches:
                raise ValueError(f"services[{i}] ({s.id}): reaches lists its own provider {s.provider.value!r}")
        return self


def load_matrix(path: Path | str = MATRIX_PATH) -> Matrix:
    return load_yaml_model(Path(path), Matrix, cached=True)


def load_services(path: Path | str = SERVICES_PATH) -> ServiceCatalog:
    return load_yaml_model(Path(path), ServiceCatalog, cached=True)


def check_ids_problem(matrix: Matrix, path: Path | str) -> None:
    """Raise DataFileError unless every check id a row lists is registered and guards that row."""
    from bot.datafiles import DataFileError
    from checks.registry import load_all

    registry = load_all()
    bad = []
    for i, aspect in enumerate(matrix.aspects):
        for cid in aspect.checks:
            if cid not in registry:
                bad.append(f"aspects[{i}] ({aspect.id}).checks: unknown check {cid!r}")
            elif registry[cid].meta.aspect != aspect.id:
                bad.append(f"aspects[{i}] ({aspect.id}).checks: {cid} guards {registry[cid].meta.aspect!r}")
    if bad:
        raise DataFileError(path, bad)
