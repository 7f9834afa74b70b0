"""Turn a matched aspect row or task into an :class:`Answer` (pure; used by bot/resolver.py).

* A task answer gives that task's owner on that service (and variant). When the service's variants
  give the task different owners and the question names none, the answer is ``depends`` with the
  per-variant owners and asks which one (``shared`` when the task itself is shared: the variants only move the line).
* An aspect answer gives the row's cell for the model; with no model, the common owner, the named
  provider's own classification of the whole aspect (stated as an assumption), or ``depends``.
* Guarding checks are scoped: a task lists its own; an aspect answer about a service lists only the
  row's checks that guard a task of that service; an Azure or Google question lists none of AWS's.
"""
from __future__ import annotations

from bot.answer import Alternative, Answer, ModelOwner, SourceRef, TaskOwner, TaskRef, VariantOwner
from bot.feature_state import asks_if_on_by_default, asks_opt_in, asks_to_start, asks_who_opts_in, states_off, states_on
from bot.matrix import CLOUD_MODELS, Aspect, Matrix, Model, Owner, Provider, ProviderView
from bot.owners import Owners
from bot.scope import CLOUD_MODEL_WORDS, PROVIDER_WORDS
from bot.task_match import TaskIndex
from bot.tasks import ServiceTasks, Task
from bot.textmatch import raw_tokens

PROVIDER_NAME = {Provider.aws: "AWS", Provider.azure: "Microsoft", Provider.gcp: "Google"}
CHECKS_PROVIDER = Provider.aws  # every registered check reads AWS
_SOURCE_PREFIX = {Provider.aws: "aws_", Provider.azure: "azure_", Provider.gcp: "gcp_"}
_GENERAL_PAGE = {Provider.aws: "aws_srm", Provider.azure: "azure_srm", Provider.gcp: "gcp_shared_fate"}


class Composer:
    def __init__(self, matrix: Matrix, tasks: TaskIndex, owners: Owners | None):
        self.matrix = matrix
        self.tasks = tasks
        self.owners = owners

    def _team(self, aspect: str, owner: Owner) -> dict:
        team = self.owners.team_for_aspect(aspect) if self.owners else None
        if team is None or owner in (Owner.provider, Owner.unknown):
            return {}
        return {"team": team.id, "team_name": team.name}

    def _sources(self, ids: list[str], prov: Provider | None, cat_sid: str | None = None,
                 aspect: str | None = None) -> list[SourceRef]:
        """The named service's own pages for this aspect first, then the row's sources for the provider asked
        (its general shared-responsibility page when the row cites none of that provider's)."""
        out: list[SourceRef] = []
        st = self.tasks.catalog.by_service.get(cat_sid) if cat_sid else None
        if st is not None and aspect:
            for task in self.tasks.tasks_in_aspect(st.service, aspect):
                page = st.source_of(task, self.matrix)
                if page and all(s.url != page.url for s in out):
                    out.append(SourceRef(title=page.title, url=page.url))
        if prov is not None and not any(i.startswith(_SOURCE_PREFIX[prov]) for i in ids):
            ids = [*ids, _GENERAL_PAGE[prov]]
        for sid in ids:
            src = self.matrix.sources.get(sid)
            if src is None or not src.url.startswith("http"):
                continue
            if prov is not None and any(sid.startswith(p) for other, p in _SOURCE_PREFIX.items() if other is not prov):
                continue  # an Azure question does not cite AWS's page
            if all(s.url != src.url for s in out):
                out.append(SourceRef(title=src.title, url=src.url))
        return out

    # -- tasks ---------------------------------------------------------------------
    def task_answer(self, base: dict, st: ServiceTasks, task: Task, variant: str | None) -> Answer:
        src = st.source_of(task, self.matrix)
        aspect = self.matrix.aspect(task.aspect)
        common = dict(base, aspect=aspect.id, aspect_title=aspect.title, checks=list(task.checks),
                      sources=[SourceRef(title=src.title, url=src.url)] if src else [],
                      task=TaskRef(id=f"{st.service}.{task.id}", title=task.title))
        prov: Provider | None = base.get("provider")
        prov_name = PROVIDER_NAME[prov] if prov else "The provider"
        subject = base.get("service_name") or st.service
        asked = raw_tokens(base.get("question", ""))
        owners = task.variant_owners(st.variants)
        # who *turns on* a feature, or who acts once it *is on*: may give every variant one owner
        settled = {_adjusted(Owner(o), asked, task)[0] for o in owners.values()}
        if variant is None and len(set(owners.values())) > 1 and len(settled) > 1:
            variants = [VariantOwner(id=v.id, name=v.name, owner=owners[v.id]) for v in st.variants]
            parts = "; ".join(f"{v.name}: {v.owner}" for v in variants)
            names = ", ".join(v.name for v in variants)
            if task.owner == "shared" and "shared" in owners.values():
                # split as the page says ("agent nodes are a shared responsibility"): the variants only move the line,
                # so the headline stays shared and the buttons still ask which one
                return Answer(**common, owner=Owner.shared, variants=variants, provider_does=task.provider_does or None,
                              customer_does=task.customer_does or None, **self._team(aspect.id, Owner.shared),
                              explanation=(f"{task.title} is split on {subject}; where the line falls depends on how "
                                           f"you run it ({parts}). Provider: {task.provider_does} "
                                           f"You: {task.customer_does}"),
                              next_step=f"Say which one you use ({names}) for the exact split.")
            return Answer(**common, owner=Owner.depends, variants=variants, provider_does=task.provider_does or None,
                          customer_does=task.customer_does or None, **self._team(aspect.id, Owner.depends),
                          explanation=(f"{task.title} on {subject} depends on how you run it ({parts}). "
                                       "Which one do you use?"),
                          next_step=f"Say which one you use ({names}) for one owner.")
        lead = f"For {st.variant(variant).name}: " if variant else ""
        if variant is None and len(set(owners.values())) > 1:
            owner, said = next(iter(settled)), ""
            lead = "Whichever way you run it: " if owner is not Owner.shared else ""
        else:
            owner, said = _adjusted(Owner(task.owner_for(variant)), asked, task)
            if owner is Owner.provider and task.owner == "shared" and _asks_if_partly_ours(asked):
                # "managed updates on - fully aws's job now, or still partly ours?": the variant moves most of the
                # work to the provider, but the task as the page states it stays split
                owner, said = Owner.shared, "Mostly the provider's with this setting, but not entirely: "
        lead += said
        if owner is Owner.provider:
            text = f"{lead}{prov_name} does this on {subject}: {task.provider_does}"
            if task.customer_does:
                text += f" You: {task.customer_does}"
        elif owner is Owner.customer:
            text = f"{lead}This is yours on {subject}: {task.customer_does}"
            if task.provider_does:
                text += f" ({prov_name}: {task.provider_does})"
        else:
            text = (f"{lead}{task.title} is split on {subject}. "
                    f"Provider: {task.provider_does} You: {task.customer_does}")
        if task.disagreement:
            text += f" Sources differ: {task.disagreement}"
        answer = Answer(**common, owner=owner, explanation=text, variant=variant,
                        provider_does=task.provider_does or None, customer_does=task.customer_does or None,
                        **self._team(aspect.id, owner))
        answer.next_step = self._next_step(answer, src.title if src else None)
        return answer

    def service_overview(self, base: dict, cat_sid: str, side: Owner) -> Answer:
        """ "what is aws responsible for with rds", "who does what on cloud run": the service's tasks by owner."""
        st = self.tasks.catalog.by_service[cat_sid]
        parts = _titles_by_owner([(t.owner, t) for t in st.tasks], base.get("provider"), 6)
        subject = base.get("service_name") or cat_sid
        return Answer(**base, owner=side, explanation=f"On {subject}, {parts}",
                      next_step=f'Ask about one duty (e.g. "who patches {subject}?") for its owner and sources.')

    def duty_split(self, base: dict, cat_sid: str, words: list[str], variant: str | None) -> Answer | None:
        """ "dataflow worker vm patching *end to end*", "gke node os patching *overall*": the service's patching tasks
        the question's words name, when they do not all have one owner - patching as a whole is split between them
        (None otherwise)."""
        tasks = self.tasks.patching_tasks(cat_sid, words)
        owners = {t.owner_for(variant) for t in tasks}
        if len(owners) < 2 and owners != {"shared"}:
            return None
        aspect = self.matrix.aspect(tasks[0].aspect)
        st = self.tasks.catalog.by_service[cat_sid]
        parts = _titles_by_owner([(t.owner_for(variant), t) for t in tasks], base.get("provider"), 5)
        subject = base.get("service_name") or cat_sid
        src = st.source_of(tasks[0], self.matrix)
        answer = Answer(**dict(base, aspect=aspect.id, aspect_title=aspect.title,
                               sources=[SourceRef(title=src.title, url=src.url)] if src else [],
                               service_tasks=[TaskOwner(id=f"{cat_sid}.{t.id}", title=t.title,
                                                        owner=t.owner_for(variant)) for t in tasks]),
                        owner=Owner.shared, **self._team(aspect.id, Owner.shared),
                        explanation=f"As a whole this is split on {subject}: {parts}")
        return self._with_next_step(answer)

    # -- aspect rows ---------------------------------------------------------------
    def _scoped_checks(self, aspect: Aspect, prov: Provider | None, service: str | None,
                       cat_sid: str | None) -> list[str]:
        if prov not in (None, CHECKS_PROVIDER):
            return []
        if service is None:
            return list(aspect.checks)
        guarding = set(self.tasks.checks_of(cat_sid))
        return [c for c in aspect.checks if c in guarding]

    def aspect_answer(self, aspect: Aspect, base: dict, model: Model | None, prov: Provider | None,
                      alts: list[Alternative], cat_sid: str | None = None, variant: str | None = None,
                      matched: str | None = None) -> Answer:
        common = dict(base, aspect=aspect.id, aspect_title=aspect.title, alternatives=alts, variant=variant,
                      checks=self._scoped_checks(aspect, prov, base.get("service"), cat_sid),
                      sources=self._sources(aspect.sources, prov, cat_sid, aspect.id),
                      service_tasks=[TaskOwner(id=f"{cat_sid}.{t.id}", title=t.title, owner=t.owner_for(variant))
                                     for t in self.tasks.tasks_in_aspect(cat_sid, aspect.id)] if cat_sid else [])
        if model is not None:
            cell = aspect.cell(model, prov, matched)
            if cell.source is not None:  # the provider's own page for its override first
                page = self.matrix.sources[cell.source]
                common["sources"] = [SourceRef(title=page.title, url=page.url),
                                     *(s for s in common["sources"] if s.url != page.url)]
            answer = self._cell_answer(common, aspect, Owner(cell.owner), cell.summary, cell.provider_does,
                                       cell.customer_does)
            return self._with_next_step(answer)
        cells = {m: aspect.cell(m, prov, matched) for m in CLOUD_MODELS}
        owners = {c.owner for c in cells.values()}
        view = aspect.view_for(prov, matched) if prov and base.get("provider_stated") else None
        if (len(owners) == 1 and prov is not None and view is not None and view.keywords
                and view.owner != cells[Model.iaas].owner):
            # a part of a row that is one side's on every model which the named provider gives the other side for
            # its own keywords ("who approves the access requests" of Google's Access Approval)
            return self._classified(common, aspect, view, f"{PROVIDER_NAME[prov]}'s own classification",
                                    "name a service for its exact split.")
        if len(owners) == 1:
            cell = cells[Model.iaas]
            common["service_model"] = None
            summary = cell.summary + ("" if cell.owner == "shared" else " This holds for IaaS, PaaS and SaaS alike.")
            answer = self._cell_answer(common, aspect, Owner(cell.owner), summary, cell.provider_does,
                                       cell.customer_does)
            return self._with_next_step(answer)
        if view is not None and prov is not None:
            return self._classified(common, aspect, view, f"{PROVIDER_NAME[prov]}'s own classification",
                                    "name a service for its exact split.")
        # (not when the question names two service models: "... we haven't picked *iaas vs paas* yet" asks the split)
        general = (aspect.general_view if prov is None and not base.get("service")
                   and len(CLOUD_MODEL_WORDS.intersection(raw_tokens(base.get("question", "")))) < 2 else None)
        if general is not None and (not general.keywords or matched in general.keywords):
            return self._classified(common, aspect, general, "the general guides",
                                    "name a provider, service or model for its exact split.")
        breakdown = {m.value: ModelOwner(owner=c.owner, summary=c.summary) for m, c in cells.items()}
        parts = "; ".join(f"{m.value.upper()}: {c.owner}" for m, c in cells.items())
        return Answer(**common, owner=Owner.depends, breakdown=breakdown, **self._team(aspect.id, Owner.depends),
                      explanation=(f"It depends on the service model ({parts}). Name the service "
                                   "(e.g. EC2, RDS, Microsoft 365) or say IaaS, PaaS or SaaS for one answer."),
                      next_step="Name the service (e.g. EC2, RDS, Microsoft 365) or say IaaS, PaaS or SaaS.")

    def _classified(self, common: dict, aspect: Aspect, view: ProviderView, whose: str, then: str) -> Answer:
        """A whole aspect answered from a provider's or the general guides' own classification, saying so."""
        src = self.matrix.sources[view.source]
        answer = self._cell_answer(common, aspect, Owner(view.owner), view.summary, view.provider_does,
                                   view.customer_does)
        answer.assumption = f"Following {whose} ({src.title}); {then}"
        answer.explanation += f" ({answer.assumption})"
        return self._with_next_step(answer)

    def half(self, answer: Answer, aspect: Aspect, model: Model | None, prov: Provider | None, owner: Owner) -> Answer:
        """One side's half of a split or model-dependent row: the provider's when the question places the duty on the
        provider's own layer ("vulnerability management for google's infrastructure"), the customer's when a row split
        by whose things are meant is asked of the customer's own apps, data or accounts ("incident response for our
        own apps and data")."""
        cell = aspect.cell(model or Model.iaas, prov)
        ours = owner is Owner.customer
        does = (answer.customer_does or cell.customer_does if ours
                else answer.provider_does or cell.provider_does) or cell.summary
        return answer.model_copy(update={
            "owner": owner, "breakdown": {}, ("customer_does" if ours else "provider_does"): does,
            **(self._team(aspect.id, owner) if ours else {"team": None, "team_name": None}),
            "explanation": (f"For your own apps, data and accounts this is yours: {does}" if ours
                            else f"On the provider's own infrastructure this is the provider's: {does}"),
            "next_step": self._next_step(answer.model_copy(update={"owner": owner}), None)})

    def zone_ridden_out(self, answer: Answer) -> Answer:
        """A zone failing under a resource whose zone redundancy is already on, asked whether we must act: the
        platform's own failover inside the region ("storage account on zrs - during a zone outage is there anything we
        must do"); choosing that redundancy, and recovering into another region, stay the customer's."""
        provider_does = ("Keeps the resource serving from its other zones, or fails it over inside the region, on its "
                         "own: that is what the zone-redundant (or regional HA) setting you chose promises.")
        customer_does = ("Choosing zone redundancy was yours; failing over to another region and testing recovery "
                         "stay yours.")
        answer = answer.model_copy(update={
            "owner": Owner.provider, "breakdown": {}, "provider_does": provider_does, "customer_does": customer_does,
            "team": None, "team_name": None, "variants": [], "task": None,
            "explanation": f"With zone redundancy already on, nothing is yours to do for a zone outage: {provider_does} "
                           f"{customer_does}"})
        return answer.model_copy(update={"next_step": self._next_step(answer, None)})

    def _cell_answer(self, common: dict, aspect: Aspect, owner: Owner, summary: str, provider_does: str | None,
                     customer_does: str | None) -> Answer:
        explanation = summary
        if (owner is Owner.shared and customer_does and not common.get("provider") and not common.get("service")
                and asks_opt_in(raw_tokens(common.get("question", "")), customer_does)):
            # "(in the cloud) whose job is it to *enable* the logging": the general guides' answer - the customer's
            # half of the row starts with turning it on (a provider's own service answers from its own tasks)
            owner, explanation = Owner.customer, f"Turning it on is yours. {summary} You: {customer_does}"
        elif owner is Owner.shared:
            explanation = f"{summary} Provider: {provider_does} You: {customer_does}"
        return Answer(**common, owner=owner, explanation=explanation, provider_does=provider_does,
                      customer_does=customer_does, **self._team(aspect.id, owner))

    def _with_next_step(self, answer: Answer) -> Answer:
        answer.next_step = self._next_step(answer, answer.sources[0].title if answer.sources else None)
        return answer

    @staticmethod
    def _next_step(answer: Answer, source_title: str | None) -> str:
        if answer.owner is Owner.provider:
            where = f" ({source_title})" if source_title else ""
            return f"Nothing for you to run; keep the provider's page{where} as your evidence."
        if answer.checks:
            first = answer.checks[0]
            return f"Run the guarding check: `srm scan --check {first}` (or `/srm check {first}`)."
        who = answer.team_name or "the owning team"
        what = answer.customer_does or "the customer part"
        return f"Confirm that {who} does this: {what}"


def _titles_by_owner(owned: list[tuple[str, Task]], prov: Provider | None, limit: int) -> str:
    """ "AWS: a; b. You: c. Split: d." - task titles grouped by owner (the first ``limit`` of each)."""
    by_owner: dict[str, list[str]] = {}
    for owner, task in owned:
        by_owner.setdefault(owner, []).append(task.title.lower())
    prov_name = PROVIDER_NAME[prov] if prov else "The provider"
    return " ".join(f"{label}: {'; '.join(by_owner[o][:limit])}." for o, label in
                    (("provider", prov_name), ("customer", "You"), ("shared", "Split")) if by_owner.get(o))


def _adjusted(owner: Owner, asked: list[str], task: Task) -> tuple[Owner, str]:
    """The owner of the half of a split task the question asks about, and what to say of it."""
    if owner is not Owner.shared and task.provider_does and task.customer_does and _asks_who_does_what(asked):
        # "auto-upgrade off, node os cves now - *who does what*?": the split itself, both sides having a part
        return Owner.shared, "Both sides have a part: "
    if owner is Owner.shared and asks_opt_in(asked, task.customer_does) and "shared" not in asked:
        # "who turns on image scanning" (not "is enabling them *shared* or all on us": the split is asked)
        return Owner.customer, "Turning it on is yours. "
    if owner is Owner.provider and task.customer_does and asks_who_opts_in(asked, task.customer_does):
        # "who turns on the service-managed failover": the provider fails over once it is on; turning it on is yours
        return Owner.customer, "Turning it on is yours. "
    if owner is Owner.provider and task.customer_does and asks_if_on_by_default(asked, task.customer_does):
        # "is automatic failover on by default or do we have to enable it": it is off until the customer turns it on
        return Owner.customer, "It is not on by default; turning it on is yours. "
    if owner is Owner.shared and asks_to_start(asked, task.customer_does):
        return Owner.customer, "Starting it is yours. "  # "who kicks off the cluster upgrade"
    if owner is not Owner.provider and task.provider_does and states_on(asked, task.provider_does, task.customer_does):
        return Owner.provider, "With it on: "  # "zone redundant ha is on: who fails it over"
    if owner is not Owner.customer and task.customer_does and states_off(asked, task.customer_does):
        return Owner.customer, "With it off, nothing happens on its own: "  # "we never turned on guest patching"
    return owner, ""


def _asks_who_does_what(asked: list[str]) -> bool:
    """"who does what", "who *exactly* does what"."""
    words = [t for t in asked if t not in {"exactly", "actually", "really", "then", "now"}]
    return any(words[i] == "who" and words[i + 1] in {"does", "do"} and words[i + 2] == "what"
               for i in range(len(words) - 2))


_PARTLY = frozenset("partly partially part split".split())
_WHOLLY = frozenset("fully entirely completely still".split())


_THEIRS = frozenset({"provider", "providers", "their", "theirs", "them", *PROVIDER_WORDS})


def _asks_if_partly_ours(asked: list[str]) -> bool:
    """The question asks whether part of the work is still ours ("fully aws's job now, or *still partly ours*", "do
    we still own *part* of it"), or whether all of it is the provider's ("is os patching then *fully aws's* job?")."""
    partly = bool(_PARTLY.intersection(asked)) and bool(_WHOLLY.intersection(asked))
    return partly or any(t in _WHOLLY - {"still"} and asked[k + 1:k + 2] and asked[k + 1] in _THEIRS
                         for k, t in enumerate(asked))
