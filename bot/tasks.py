"""The task catalogue: who does what for one task of one named service (schema + loading, pure).

One YAML file per service, ``data/tasks/<provider>/<service_slug>.yml`` (schema fixed in
docs/matrix.md, "Adding a service and its tasks"). A task belongs to one aspect row of
``data/matrix.yml``; its owner may differ by a variant of the service (ECS launch type, EKS node
mode, RDS vs Aurora). :func:`load_tasks` checks each file on its own; :func:`catalogue_problems`
checks the catalogue against the matrix, the services and the check registry (``srm validate``).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from bot.datafiles import DataFileError, collector_paused, read_yaml_files, validation_problems
from bot.matrix import DATA_DIR, Matrix, Provider, ServiceCatalog

TASKS_DIR = DATA_DIR / "tasks"
BASELINES_FILE = "security_baselines.yml"  # beside the provider folders in TASKS_DIR
TaskOwner = Literal["provider", "customer", "shared"]
_ID = r"^[a-z0-9_]+$"
_CCM = re.compile(r"^[A-Z]{3}-\d{2}$")  # CSA CCM v4 control ids look like "TVM-09"


def _lowercase_phrases(v: list[str]) -> list[str]:
    bad = [k for k in v if k != k.lower() or not k.strip()]
    if bad:
        raise ValueError(f"keywords must be lowercase phrases: {bad}")
    return v


class TaskSource(BaseModel, extra="forbid"):
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")


class Variant(BaseModel, extra="forbid"):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    # optional: services.yml ids that mean this variant when a question names them (aws_aurora -> aurora)
    services: list[str] = Field(default_factory=list)


class Task(BaseModel, extra="forbid"):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=3)
    aspect: str
    owner: TaskOwner
    owner_by_variant: dict[str, TaskOwner] = Field(default_factory=dict)
    provider_does: str = ""
    customer_does: str = ""
    keywords: list[str] = Field(min_length=1)
    source: str
    checks: list[str] = Field(default_factory=list)
    ccm: str = ""
    disagreement: str = ""
    # made from a security baseline's rating (Baselines), not written for the service: it answers only when one of
    # its keywords is in the question, never as the nearest task by loose words
    _from_baseline: bool = PrivateAttr(default=False)

    @property
    def from_baseline(self) -> bool:
        return self._from_baseline

    @field_validator("keywords")
    @classmethod
    def _keywords_lowercase(cls, v: list[str]) -> list[str]:
        return _lowercase_phrases(v)

    @field_validator("ccm")
    @classmethod
    def _ccm_shape(cls, v: str) -> str:
        if v and not _CCM.match(v):
            raise ValueError(f"ccm {v!r} must look like a CCM v4 control id such as TVM-09")
        return v

    @model_validator(mode="after")
    def _split_is_said(self) -> "Task":
        if self.disagreement and self.owner != "shared":
            raise ValueError("a task with a disagreement must be owned 'shared' (give both views)")
        for owner, where in [(self.owner, "owner"), *((o, f"owner_by_variant.{v}")
                                                      for v, o in self.owner_by_variant.items())]:
            if owner == "shared" and not (self.provider_does and self.customer_does):
                raise ValueError(f"{where} is shared: say provider_does and customer_does")
        return self

    def owner_for(self, variant: str | None) -> str:
        return self.owner_by_variant.get(variant, self.owner) if variant else self.owner

    def variant_owners(self, variants: Iterable["Variant"]) -> dict[str, str]:
        """variant id -> owner, for every variant of the service (the task's owner where not overridden)."""
        return {v.id: self.owner_by_variant.get(v.id, self.owner) for v in variants}


class ServiceTasks(BaseModel, extra="forbid"):
    service: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    sources: dict[str, TaskSource] = Field(min_length=1)
    variants: list[Variant] = Field(default_factory=list)
    tasks: list[Task] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "ServiceTasks":
        problems = []
        variant_ids = [v.id for v in self.variants]
        if len(set(variant_ids)) != len(variant_ids):
            problems.append("variants: duplicate variant id")
        seen: set[str] = set()
        for i, t in enumerate(self.tasks):
            where = f"tasks[{i}] ({t.id})"
            if t.id in seen:
                problems.append(f"{where}: duplicate task id")
            seen.add(t.id)
            for v in t.owner_by_variant:
                if v not in variant_ids:
                    problems.append(f"{where}.owner_by_variant: unknown variant {v!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def source_of(self, task: Task, matrix: Matrix | None = None) -> TaskSource | None:
        if task.source in self.sources:
            return self.sources[task.source]
        if matrix is not None and task.source in matrix.sources:
            s = matrix.sources[task.source]
            return TaskSource(title=s.title, url=s.url)
        return None

    def variant(self, variant_id: str) -> Variant:
        return next(v for v in self.variants if v.id == variant_id)


class TaskCatalog(BaseModel):
    """Every service's tasks, by service id. ``files`` keeps where each came from (for messages)."""

    by_service: dict[str, ServiceTasks] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)  # service id -> file path relative to the root
    folders: dict[str, str] = Field(default_factory=dict)  # service id -> provider folder name

    def tasks(self) -> Iterable[tuple[ServiceTasks, Task]]:
        for st in self.by_service.values():
            for t in st.tasks:
                yield st, t

    def variant_parents(self) -> dict[str, list[tuple[str, str]]]:
        """services.yml id named in a variant's ``services`` -> [(parent service id, variant id)]."""
        out: dict[str, list[tuple[str, str]]] = {}
        for st in self.by_service.values():
            for v in st.variants:
                for sid in v.services:
                    out.setdefault(sid, []).append((st.service, v.id))
        return out


class BaselineFeature(BaseModel, extra="forbid"):
    """One feature a provider's per-service security baseline rates for every service (e.g. "Data at Rest
    Encryption Using CMK"): the task it becomes, in our words, whoever configures it for a given service."""

    id: str = Field(pattern=_ID)
    baseline: str = Field(min_length=3)  # the feature's name in the baseline, for readers and `srm validate`
    title: str = Field(min_length=3)
    aspect: str
    keywords: list[str] = Field(min_length=1)
    provider_does: str = Field(min_length=3)  # the provider's part when the baseline gives it the provider
    offered: str = Field(min_length=3)  # the provider's part when the customer configures it or both do
    customer_does: str = Field(min_length=3)

    @field_validator("keywords")
    @classmethod
    def _keywords_lowercase(cls, v: list[str]) -> list[str]:
        return _lowercase_phrases(v)


class BaselineService(BaseModel, extra="forbid"):
    page: str = Field(pattern=r"^[a-z0-9-]+$")  # the baseline page's slug
    name: str = Field(min_length=3)  # the service as the page names it
    owners: dict[str, TaskOwner] = Field(min_length=1)  # feature id -> who configures it, as the page rates it


class Baselines(BaseModel, extra="forbid"):
    """``data/tasks/security_baselines.yml``: a provider's per-service security baselines. Each rated feature
    becomes a task of that service (id ``baseline_<feature>``) unless the service's own file already has a task
    of that id; the service's own tasks come first, so a hand-written task wins a tie."""

    provider: str
    source_title: str = Field(min_length=3)  # "{name}" is the service's name on the page
    source_url: str = Field(pattern=r"^https?://\S+\{page\}\S*$")
    features: list[BaselineFeature] = Field(min_length=1)
    services: dict[str, BaselineService] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_features(self) -> "Baselines":
        ids = [f.id for f in self.features]
        problems = ["features: duplicate feature id"] if len(set(ids)) != len(ids) else []
        try:
            self.source_title.format(name="x")
            self.source_url.format(page="x")
        except (KeyError, IndexError, ValueError):
            problems.append("source_title / source_url: only {name} and {page} may stand in braces")
        for sid, svc in self.services.items():
            problems += [f"services.{sid}.owners: unknown feature {fid!r}" for fid in svc.owners if fid not in ids]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def tasks_for(self, service_id: str) -> tuple[str, TaskSource, list[Task]]:
        """(source key, the service's baseline page, one task per feature the page rates)."""
        svc = self.services[service_id]
        source = TaskSource(title=self.source_title.format(name=svc.name), url=self.source_url.format(page=svc.page))
        tasks = []
        for f in self.features:
            owner = svc.owners.get(f.id)
            if owner is None:
                continue
            task = Task(
                id=f"baseline_{f.id}", title=f.title, aspect=f.aspect, owner=owner, keywords=f.keywords,
                provider_does=f.provider_does if owner == "provider" else f.offered,
                customer_does="" if owner == "provider" else f.customer_does, source="security_baseline")
            task._from_baseline = True
            tasks.append(task)
        return "security_baseline", source, tasks


def _add_baselines(catalog: TaskCatalog, data: Any, problems: list[str]) -> None:
    """Add the tasks of ``security_baselines.yml`` (its parsed data, read with the service files) to the catalogue."""
    try:
        if isinstance(data, DataFileError):
            raise data
        baselines = Baselines.model_validate(data)
    except DataFileError as exc:
        problems += [f"{BASELINES_FILE}: {p}" for p in exc.problems]
        return
    except ValidationError as exc:
        problems += [f"{BASELINES_FILE}: {p}" for p in validation_problems(data, exc)]
        return
    for sid in baselines.services:
        key, source, tasks = baselines.tasks_for(sid)
        st = catalog.by_service.get(sid)
        if st is None:
            catalog.by_service[sid] = ServiceTasks(service=sid, sources={key: source}, tasks=tasks)
            catalog.files[sid] = BASELINES_FILE
            catalog.folders[sid] = baselines.provider
            continue
        own = {t.id for t in st.tasks}
        if key in st.sources and st.sources[key].url != source.url:
            problems.append(f"{catalog.files[sid]}: sources.{key} is the name the baseline's page is cited by; "
                            f"rename that source")
            continue
        st.sources[key] = source
        st.tasks.extend(t for t in tasks if t.id not in own)


def _load_file(data: Any, rel: str) -> ServiceTasks:
    if isinstance(data, DataFileError):
        raise DataFileError(rel, data.problems)
    if not isinstance(data, dict):
        raise DataFileError(rel, ["file is empty" if data is None else "expected a mapping with service and tasks"])
    try:
        return ServiceTasks.model_validate(data)
    except ValidationError as exc:
        raise DataFileError(rel, validation_problems(data, exc)) from None


def load_tasks(root: Path | str = TASKS_DIR) -> TaskCatalog:
    """Every ``<provider>/*.yml`` under root. Raises one DataFileError naming each broken file and entry."""
    with collector_paused():
        return _load_tasks(Path(root))


def _load_tasks(root: Path) -> TaskCatalog:
    catalog = TaskCatalog()
    problems: list[str] = []
    if not root.is_dir():
        return catalog
    paths = sorted(root.glob("*/*.yml"))
    baselines = root / BASELINES_FILE
    parsed = read_yaml_files(root, [*paths, baselines] if baselines.is_file() else paths)  # one read, one cache
    for path in paths:
        rel = str(path.relative_to(root))
        try:
            st = _load_file(parsed[rel], rel)
        except DataFileError as exc:
            problems += [f"{rel}: {p}" for p in exc.problems]
            continue
        if st.service in catalog.by_service:
            problems.append(f"{rel}: service {st.service!r} already has tasks in {catalog.files[st.service]}")
            continue
        catalog.by_service[st.service] = st
        catalog.files[st.service] = rel
        catalog.folders[st.service] = path.parent.name
    if BASELINES_FILE in parsed:
        _add_baselines(catalog, parsed[BASELINES_FILE], problems)
    if problems:
        raise DataFileError(root, problems)
    return catalog


def catalogue_problems(catalog: TaskCatalog, matrix: Matrix, services: ServiceCatalog,
                       registry: dict[str, Any]) -> list[str]:
    """Cross-file rules: folder = provider, known service / aspect / source, provider-matched registered checks."""
    known = {s.id: s for s in services.services}
    aspects = set(matrix.ids)
    problems: list[str] = []
    for sid, st in catalog.by_service.items():
        rel, folder = catalog.files[sid], catalog.folders[sid]
        if folder not in {p.value for p in Provider}:
            problems.append(f"{rel}: folder {folder!r} is not a provider (aws, azure, gcp)")
        svc = known.get(sid)
        if svc is None:
            problems.append(f"{rel}: service: unknown service {sid!r} (add it to services.yml)")
        elif svc.provider.value != folder:
            problems.append(f"{rel}: service: {sid} is a {svc.provider.value} service, not {folder}")
        for j, v in enumerate(st.variants):
            for other in v.services:
                if other not in known:
                    problems.append(f"{rel}: variants[{j}] ({v.id}).services: unknown service {other!r}")
        for i, t in enumerate(st.tasks):
            where = f"{rel}: tasks[{i}] ({t.id})"
            if t.aspect not in aspects:
                problems.append(f"{where}.aspect: unknown aspect {t.aspect!r}")
            if st.source_of(t, matrix) is None:
                problems.append(f"{where}.source: unknown source {t.source!r} (not in this file's sources)")
            for cid in t.checks:
                check = registry.get(cid)
                if check is None:
                    problems.append(f"{where}.checks: unknown check {cid!r}")
                    continue
                check_provider = getattr(check.meta, "provider", "aws")
                if check_provider != folder:
                    problems.append(f"{where}.checks: {cid} is a {check_provider} check; "
                                    f"a {folder} task lists only {folder} checks")
    for a in matrix.aspects:  # a row's own service per provider: a known service of that provider, with tasks
        for prov, sid in a.row_services.items():
            where = f"matrix.yml: aspects ({a.id}).row_services.{prov.value}"
            row_svc = known.get(sid)
            if row_svc is None:
                problems.append(f"{where}: unknown service {sid!r}")
            elif row_svc.provider is not prov:
                problems.append(f"{where}: {sid} is a {row_svc.provider.value} service, not {prov.value}")
            elif sid not in catalog.by_service:
                problems.append(f"{where}: {sid} has no task catalogue")
    return problems


def load_checked_tasks(root: Path | str, matrix: Matrix | None, services: ServiceCatalog | None,
                       registry: dict[str, Any]) -> TaskCatalog:
    """`srm validate` and `srm doctor`: load every file, then apply the cross-file rules (when the matrix and
    services loaded). One DataFileError lists every problem, each naming its file and entry."""
    root = Path(root)
    if not root.is_dir():
        raise DataFileError(root, ["folder not found (SRM_TASKS)"])
    catalog = load_tasks(root)
    if matrix is not None and services is not None:
        bad = catalogue_problems(catalog, matrix, services, registry)
        if bad:
            raise DataFileError(root, bad)
    return catalog
