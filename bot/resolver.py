"""Answer "who owns X?" from the matrix and the task catalogue (pure; no I/O after construction).

Pipeline for one question (word lists in bot/scope.py, matching in bot/textmatch.py; names found by the
``NameFinding`` mixin in bot/name_finding.py, matrix rows matched by ``RowMatching`` in bot/row_match.py, the
question's duty frame read in bot/duty.py):
1. AWS's headline split ("security of the cloud") is answered as an overview;
2. service-model words (iaas, platform as a service, on-prem, ...) are found and set aside;
3. named services (aliases from services.yml, typo-tolerant) give provider and model; a service
   feature ("security groups") gives them too but stays in the question as its topic;
4. provider words (aws, amazon, azure, microsoft, gcp, google, or their security products) are set aside;
   with none, a provider's own term names it (data/provider_vocabulary.yml: "owner on the prod *subscription*" is
   Azure's, "*cmek*" Google's, "*kms* keys" AWS's), unless the question names another provider's service;
   a name two providers share goes to the one whose tasks the words match;
5. with no model yet, words that imply one ("managed database", "our vms", "salesforce") give it;
6. what is left is matched against each row's title and keywords: a keyword
   matches when every one of its topic tokens is in the question (any order,
   small typos allowed). The longest, most specific keyword wins.
7. when the question names a service with a task catalogue (data/tasks/, bot/task_match.py), the
   service's task keywords are matched too; a task that matches is the answer (its owner for the
   variant named, or per-variant owners and a question when the variant decides), unless a longer
   row keyword says the question is about something else. The answer is built in bot/compose.py.
8. a named service with no row or task match answers the one task its other words clearly point at.
A service implied only by a resource word ("tenants' *vms*") does not pull a question about the provider's own layer
(hardware, hypervisor) into its tasks; a split row asked "for google's infrastructure" is the provider's half; a
variant the question denies ("not on autopilot") is not the one asked (of two, the other one is).
No keyword fully matched, an out-of-scope topic (billing, pricing, on-call, ...: bot/off_topic.py), a request for a
command, snippet or steps with no whose-frame (bot/how_to.py), or a question whose frame asks no
duty (bot/duty.py: "who's taking *notes* at the bigquery retro", "what port does azure sql listen on") gives
``unknown`` with did-you-mean suggestions: never a confident answer for a topic
the matrix does not cover. When the model is not known and the row's owner
differs by model, the answer is ``depends`` with the per-model breakdown.
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from bot.answer import Alternative, Answer, GuardStatus, ModelOwner, SourceRef, TaskRef, VariantOwner
from bot.compose import Composer
from bot.datafiles import cache_dir, collector_paused
from bot.duty import (
    DutyFrame,
    asked_duty,
    asks_to_choose,
    asks_to_set,
    catalogue_words,
    compliance_purpose,
    placed_after,
    spell_out,
    stated_with,
    wants_short_form,
    who_asks,
)
from bot.feature_state import rides_out_a_zone
from bot.matrix import Matrix, Model, Owner, Provider, Service, ServiceCatalog
from bot.name_finding import NameFinding
from bot.off_topic import (
    ASKS_OUR_SIDE,
    PAYMENT_WORDS,
    asks_a_duty,
    installed_by_us,
    logistics,
    names_customer_assets,
    names_provider_layer,
    names_what_the_service_runs_on,
    out_of_scope,
    vendor_words,
)
from bot.owners import Owners
from bot.row_match import RowMatching
from bot.scope import (
    ATTACHED_RESOURCES,
    COMPLIANCE_OVERVIEW,
    GENERIC_RESOURCES,
    HEADLINES,
    MANAGED_RESOURCES,
    MODEL_HINTS,
    ON_PREM_OVERVIEW,
    OUR_WORDS,
    OVERVIEWS,
    PRODUCT_PROVIDERS,
    PROVIDER_WORDS,
    PhraseIndex,
    compliance_as_a_whole,
    overview_side,
    service_side,
)
from bot.task_match import TaskIndex, TaskMatch
from bot.tasks import TaskCatalog, load_tasks
from bot.textmatch import (
    STOP_WORDS,
    asking_part,
    content_tokens,
    raw_tokens,
    remembered_normal_forms,
    sentence_tokens,
    several_sentences,
    stem,
    who_clause,
    without_chat,
)
from bot.vocabulary import ProviderVocabulary, load_vocabulary, plain_words

__all__ = ["Alternative", "Answer", "GuardStatus", "ModelOwner", "Resolver", "SourceRef", "TaskRef", "VariantOwner",
           "default_resolver"]

_OF_THE_CLOUD, _IN_THE_CLOUD = ("of", "the", "cloud"), ("in", "the", "cloud")
_LAYER_ITSELF = frozenset({"itself", "themselves"})  # "the platform *itself*": names the layer, not a topic


def _contrast_side(toks: Sequence[str]) -> Owner | None:
    """Both halves of the headline named ("security 'of' the cloud vs 'in' the cloud - *which side is us*"): the side
    the words after them ask about; None when only one half is named or the rest names no side."""
    spans = [i for i in range(len(toks) - 2) if tuple(toks[i:i + 3]) in (_OF_THE_CLOUD, _IN_THE_CLOUD)]
    halves = {tuple(toks[i:i + 3]) for i in spans}
    if len(halves) < 2:
        return None
    after = list(toks[max(spans) + 3:])
    ask = next((k for k, t in enumerate(after) if t in ("who", "whose", "which")), 0)
    rest = set(after[ask:])  # "... on aws - *who owns the 'in' part*": the words that ask, not where it runs
    if rest & {"part", "half", "bit"}:  # the half itself named
        if "in" in rest and "of" not in rest:
            return Owner.customer
        if "of" in rest and "in" not in rest:
            return Owner.provider
    ours, theirs = bool(rest & OUR_WORDS), bool(rest & PROVIDER_WORDS.keys())
    if ours != theirs:
        return Owner.customer if ours else Owner.provider
    return None


class Resolver(NameFinding, RowMatching):
    def __init__(self, matrix: Matrix, services: ServiceCatalog, owners: Owners | None = None,
                 tasks: TaskCatalog | None = None, vocabulary: ProviderVocabulary | None = None):
        self.matrix = matrix
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self.services = {s.id: s for s in services.services}
        self.owners = owners
        self._aspects = {a.id: a for a in matrix.aspects}
        with collector_paused(), remembered_normal_forms(cache_dir()):
            self._index_rows(matrix)
            self._index_names(services)
            # provider terms that hold another provider's service name ("global external *alb*" is Google's)
            self._foreign_name_terms = frozenset(
                words for term in self.vocabulary.terms for words in map(tuple, map(plain_words, term.phrases))
                if any((s := self._aliases.get(words[a:b])) is not None and s.provider is not term.provider
                       for a in range(len(words)) for b in range(a + 1, len(words) + 1)))
            self.tasks = TaskIndex(tasks if tasks is not None else load_tasks(), services, matrix)
            self.compose = Composer(matrix, self.tasks, owners)
            rows = [t for a in matrix.aspects for t in [a.title, *a.keywords]]
            self.duty = DutyFrame(catalogue_words(rows, (t for _, task in self.tasks.catalog.tasks()
                                                         for t in [task.title, *task.keywords]),
                                                  (" ".join(toks) for toks in self._aliases)), catalogue_words(rows))

    # -- tasks ---------------------------------------------------------------------
    def _find_task(self, toks: list[str], svc: Service | None, used: list[bool] | None = None
                   ) -> tuple[str | None, str | None, TaskMatch | None]:
        """(catalogue service, variant, task match) for a question that names a service with a catalogue.
        A word taken as part of a service name ("big *query*") does not stand for a verb form of it in a
        keyword ("who *queried* the table"). A short form ("ha", "dr") is read as written first: only when
        that finds no task is it spelled out ("no *ha* yet, who sets it up" is the high availability set-up,
        "*ha failover*, who does it" stays the failover)."""
        cat_sid, variant = self.tasks.catalogue_for(svc.id if svc else None, toks)
        if cat_sid is None:
            return None, None, None
        left = _moved_from(toks)  # "moving our ecs services *from ec2* to fargate": the variant left is not the one run
        kept = [t if k not in left else "" for k, t in enumerate(toks)] if left else toks
        variant = self.tasks.denied_variant(cat_sid, self.tasks.variant_in(cat_sid, kept) or variant, toks)
        found = self._task_in(cat_sid, toks, used)
        if found is None and wants_short_form(toks):
            long_toks, long_used = spell_out(toks, used)
            found = self._task_in(cat_sid, long_toks, long_used)
        named = self.tasks.variants_in(cat_sid, kept) if found is not None and found.task.owner_by_variant else []
        if found is not None and len(named) > 1 and variant not in found.task.owner_by_variant:
            # "aks *standard* cluster with node os upgrade *channel set to none*": of the variants named, the one the
            # task's owner turns on
            variant = next((v for v in named if v in found.task.owner_by_variant), variant)
        return cat_sid, variant, found

    def _task_in(self, cat_sid: str, toks: list[str], used: list[bool] | None) -> TaskMatch | None:
        left = _moved_off(toks)  # what the team moved off names no task ("we just moved off *on-prem exchange*")
        raw = [t for k, t in enumerate(toks) if t not in STOP_WORDS and t not in PROVIDER_WORDS and k not in left]
        vocab = self.tasks.keywords(cat_sid)[1]
        matched = self._matched(vocab, [stem(t) for t in raw], raw)
        word = asked_duty(toks, self.duty)
        asked = stem(word) if word else None
        # a participle placing the thing on another service ("*attached* to cloudfront") says where it sits
        state = frozenset(stem(w) for i, w in placed_after(toks).items() if w.endswith("ed")
                          and toks[i] in self._alias_by_first)
        done = frozenset(stem(w) for w in stated_with(toks))
        if not any(used or ()):
            return self.tasks.best(cat_sid, matched, written=toks, asked=asked, state=state, done=done)
        free_raw = [t for t, u in zip(toks, used or ()) if not u and t in raw]
        free = self._matched(vocab, [stem(t) for t in free_raw], free_raw)
        return self.tasks.best(cat_sid, matched, free, written=toks, asked=asked, state=state, done=done)

    def _typo_fixes(self, found: TaskMatch, cat_sid: str, toks: list[str]) -> dict[str, str]:
        """{typed word: the found keyword's word} for the question's words that matched a keyword word only as a typo
        ("automaticaly" -> "automatically"); only words that stem to themselves, so that re-stemming keeps them."""
        vocab = self.tasks.keywords(cat_sid)[1]
        missing = set(found.keyword.tokens) - {stem(t) for t in toks}
        fixes = {}
        for t in toks if missing else ():
            hit = vocab.matches(stem(t)) & missing
            if len(hit) == 1 and stem(next(iter(hit))) == next(iter(hit)):
                fixes[t] = next(iter(hit))
        return fixes

    def _asks_of_itself(self, focus: list[str], svc: Service | None) -> bool:
        """ "... as hybrid nodes next sprint. Who keeps the OS on those nodes patched": the sentence that asks names a
        duty of its own thing (a row, or a task of the service), so it is answered whatever the context around it says
        (a sprint, the holidays)."""
        asked = self.duty.asked(focus)
        clause = asked is not None and asked[0] is not None and not asked[1]  # "who *makes sure* there's a ..."
        ours = ASKS_OUR_SIDE.find(focus) is not None  # "does msk bump the client libs ... or is that *on our side*?"
        # "is point-in-time recovery just there *by default*?": whether the provider has it on asks whose it is
        by_default = _BY_DEFAULT.find(focus) is not None
        if not (self.duty.asks_of_a_thing(focus) or _sides_named(focus) or clause or ours or by_default):
            return False
        words = [t for t in focus if t not in STOP_WORDS]
        return bool(self._score_aspects([stem(t) for t in words], words)) or (
            svc is not None and self._find_task(focus, svc, [False] * len(focus))[2] is not None)

    def _agreed_task(self, toks: list[str], used: list[bool], scores: dict[str, tuple[float, str]]
                     ) -> tuple[TaskMatch, str] | None:
        """(task, names) for a resource word no provider was named with ("*bucket* versioning"): when the providers'
        services for it that have a task the words match all give it one owner on every variant, that owner holds
        whichever provider is meant."""
        # "*self managed* k8s clusters" are not a managed service's
        cues = _MANAGED_CUES & {t for k, t in enumerate(toks) if not (t == "managed" and toks[k - 1:k] == ["self"])}
        word = next((t for t in toks if t in MANAGED_RESOURCES or (t in GENERIC_RESOURCES and cues)), None)
        if word is None:
            return None
        hits = []
        for sid in GENERIC_RESOURCES[word].values():
            found = self._find_task(toks, self.services[sid], used)[2]
            if found is not None:
                owners = {found.task.owner, *found.task.variant_owners(found.service.variants).values()}
                hits.append((found, owners))
        # one provider's task is enough when its keyword is specific ("bucket versioning") and no other disagrees
        if not hits or len(set().union(*(o for _, o in hits))) != 1 or (
                len(hits) == 1 and len(hits[0][0].keyword.tokens) < 2):
            return None
        # the providers may file the task under different rows: the one the question's words match stands for all
        first = next((h for h, _ in hits if h.task.aspect in scores), hits[0][0])
        return first, " / ".join(self.services[h.service.service].name for h, _ in hits)

    # -- answer --------------------------------------------------------------------
    def who_owns(self, question: str, provider: str | Provider | None = None,
                 service_model: str | Model | None = None) -> Answer:
        bare = without_chat(question)
        if bare != question and bare.strip():
            # "sorry if this was asked before: ...", "following up on yesterday's thread - ...", "... (need this for the
            # audit)": chat around the question, and a purpose told in a closing aside, ask nothing of their own
            return self.who_owns(bare, provider, service_model).model_copy(update={"question": question})
        with_etc = _EXAMPLES.search(question)
        examples = with_etc or _BRACKETED_LIST.search(question)
        if examples is not None:
            # "azure sql db - network security *(firewall rules, private endpoints etc)*, microsoft's or ours?": the
            # examples say what the row means (one is enough before "etc": "*(fw rules etc)*"); when the words around
            # them name a row and no one task, the row answers
            items = [i for i in _ITEM_SPLIT.split(examples.group().strip("() ")) if i.strip(" .")]
            bare = question[:examples.start()] + " " + question[examples.end():]
            whole: Answer | None = self._who_owns(bare, provider, service_model)
            if with_etc is None and not self._duties_of_the_row(whole, items, provider, service_model):
                whole = None  # a bracketed list without "etc" that is not examples of the row
            elif len(items) == 1 and whole.aspect is not None:  # one example: a duty of the row, not a product ("rds etc")
                alone = self._who_owns(items[0], provider, service_model)
                whole = whole if alone.aspect == whole.aspect and alone.service is None else None
            if whole is not None and whole.aspect is not None and whole.task is None and whole.owner is not Owner.unknown:
                return whole.model_copy(update={"question": question})
        answer = self._who_owns(question, provider, service_model)
        ask = _ALL_OF_THEM.search(question)
        if ask is not None and answer.owner in (Owner.shared, Owner.depends):
            answer = self._listed_duties(question, ask.start(), answer) or answer
        if (answer.owner in (Owner.customer, Owner.shared) or (answer.owner is Owner.unknown and answer.service)) and (
                rides_out_a_zone(raw_tokens(question))):
            return self.compose.zone_ridden_out(answer)
        return answer

    def _listed_duties(self, question: str, ask_at: int, whole: Answer) -> Answer | None:
        """A list of duties asked of together ("aws in general: guest os updates, our app software and security group
        config - whose job is *all that*", the asking words at ``ask_at``): when each one, asked of the same provider and
        model, has the same side, that side answers for the list; a split whole stays split when they differ."""
        parts = [p for p in _ASK_CUT.split(question[:ask_at]) if p.strip()]
        if not parts:
            return None
        listed = parts[0].split(":", 1)[-1]  # "aws in general: ..." names where, not an item
        items = [i.strip(" .") for i in _LIST_SPLIT.split(listed) if i.strip(" .")]
        if len(items) < 2:
            return None
        model = whole.service_model if whole.service_model_stated else None
        said = [self._who_owns(i, whole.provider, model) for i in items]
        sides = {a.owner for a in said}
        if len(sides) != 1 or not sides <= {Owner.customer, Owner.provider} or any(a.aspect is None for a in said):
            return None
        side = "yours" if sides == {Owner.customer} else "the provider's"
        each = "; ".join(f"{i} ({a.topic})" for i, a in zip(items, said))
        return said[0].model_copy(update={"question": question, "task": None, "explanation": f"Each of these is {side}: {each}."})

    def _duties_of_the_row(self, whole: Answer, items: list[str], provider: str | Provider | None,
                           service_model: str | Model | None) -> bool:
        """The items of a list in brackets without "etc" are different duties (tasks or rows, one a task at least) of
        the service the rest of the question names, one of their tasks the row it answers ("azure sql db network
        security *(firewall rules, private access)* - is that all microsoft?"): examples of the row as well; not a
        list naming one task's parts or a product's editions ("(classic/extended)")."""
        if len(items) < 2 or whole.service is None or whole.task is not None:
            return False
        name = self.services[whole.service].name
        said = [self._who_owns(f"{name} {i.strip(' .')}", provider, service_model) for i in items]
        duties = {a.task.id if a.task else a.aspect for a in said}  # each item a duty of its own
        return (None not in duties and len(duties) == len(items) and any(a.task for a in said)
                and whole.aspect in {a.aspect for a in said if a.task})

    def _who_owns(self, question: str, provider: str | Provider | None = None,
                  service_model: str | Model | None = None) -> Answer:
        toks = raw_tokens(question)
        headline = self._headline(toks)
        if headline:  # "api gateway - config and it controls, whose responsibility": a service names its provider
            named_svc = None if provider else self._take_service(list(toks), [False] * len(toks),
                                                                 written=" ".join(question.lower().split()))
            # (a provider named outright outranks a service name several stacks use: "workloads on *google cloud* -
            # app code, images, data, *iam policies*")
            stack = provider or next((PROVIDER_WORDS[t] for t in toks if t in PROVIDER_WORDS), None) or (
                named_svc and named_svc.provider)
            owner = _contrast_side(toks) or HEADLINES[headline]
            if owner is Owner.customer and stack is None:
                # "is security in the cloud ours or the vendor's? no particular service": AWS's phrase for the
                # customer's side; asked of no provider, the customer's part varies with the service model
                owner = Owner.depends
            return self._overview(question, toks, owner, stack)
        # what runs on premises is not the cloud service of that name ("moving our vdi from *on-prem rds* to avd"),
        # unless the product runs on premises itself ("our *on-prem gke on vmware* clusters"), nor is what a move
        # leaves ("moving most workloads from *vms* to azure paas services")
        left = _moved_from(toks)
        # ... nor is a cloud the team tells about ("*on eks we had to roll the node amis ourselves*. on gke ...")
        told, asked_cloud = (frozenset(), None) if provider else self._told_of_another_cloud(question, toks)
        on_prem = {k for k, _ in self._on_prem_names.occurrences(toks)}
        used = [k in left or k in told or (k > 0 and toks[k - 1] == "onprem" and k not in on_prem) for k in range(len(toks))]
        model = Model(service_model) if service_model else self._take_models(toks, used)
        model_stated = model is not None
        named = Provider(provider) if provider else asked_cloud or next(
            (PROVIDER_WORDS[t] for t, u in zip(toks, used) if t in PROVIDER_WORDS and not u), None)
        if named is None:  # "cloud kms" names Google even without the word "google"
            product = PRODUCT_PROVIDERS.find(toks)
            # ... unless the product's words are part of a longer service name ("artifact registry" is Google's)
            named = (PRODUCT_PROVIDERS[product] if product
                     and not self._inside_alias(toks, product, PRODUCT_PROVIDERS[product]) else None)
        # a provider's own term ("iam roles on our *projects*", "*kms* keys", "*gs://*"): data/provider_vocabulary.yml
        term = self.vocabulary.find(question)
        written = " ".join(question.lower().split())
        if named is None:  # services of two providers named: the one most of them belong to (outranks a term)
            # (not a name inside a provider's own term: "behind a *global external alb*" is Google's load balancer)
            named = self._most_named_provider(toks, written, self._inside_terms(question, toks, used))
        hint = term if named is None or (term is not None and term.provider is asked_cloud) else None
        if hint is not None:
            named = hint.provider
        svc = self._take_service(toks, used, prefer=named, written=written)
        if svc is None and named is not None and not provider:
            # "arc-enabled servers running in *aws*": a service that reaches other clouds, named beside one of them
            taken = list(used)
            reaching = self._take_service(toks, taken, written=written)
            if reaching is not None and named in reaching.reaches:
                svc, named, used[:] = reaching, reaching.provider, taken
        vendor = vendor_words(toks) if svc is None and named is not None and hint is None else frozenset()
        if vendor:
            # "rds for sql server: who patches the *microsoft sql* engine": a service named outright outranks a
            # provider word that only says whose software it is (of the stack another provider word names:
            # "managed *microsoft ad* - ... is that something *aws* does for us")
            taken = list(used)
            cloud = next((PROVIDER_WORDS[t] for k, t in enumerate(toks) if t in PROVIDER_WORDS and k not in vendor), None)
            svc = self._take_service(toks, taken, prefer=cloud, written=written, cands=[frozenset({t}) for t in toks])
            svc, used[:] = (svc, taken) if svc is not None and taken != used else (None, used)
        via_term = False  # the service is a provider term's, not named
        if svc is None and hint is not None:  # a service the question names outranks a provider's term
            before = list(used)
            svc = self._take_service(toks, used, written=written)
            if svc is not None and svc.provider is not hint.provider:
                # "external passthrough *network lb*" is Google's term, not AWS's NLB (also when another of the
                # provider's terms comes first: "advanced network ddos protection for ... passthrough *nlbs*"); a
                # service named by one plain word after a term naming a service ("*fabric* region goes down - who
                # rebuilds the capacity, *workspaces* ...") is the term's service's own thing
                if any(self._term_spans(t, svc) for t in self.vocabulary.terms_of(question, hint.provider)) or (
                        hint.service and _one_word_after(hint.phrases, toks, before, used,
                                                         self.services[hint.service].aliases)):
                    svc = self.services.get(hint.service) if hint.service else None
                    via_term = True
                else:
                    hint = named = None
        # a second service named ("entra groups for aks access"): its tasks answer when the first's do not
        taken = list(used)
        other = (self._take_service(toks, taken, prefer=named or svc.provider, written=written)  # (a name two
                 if svc else None)  # stacks share is read in the first service's: "nat gateway on our aks subnet")
        if other is not None and svc is not None and _asked_the_same(toks, used, taken):
            # "s3 encrypts new objects by default now, *is ebs the same?*": the second service is the one asked
            svc, other = other, None  # (the first is only what it is compared with)
            used[:] = [t and not u for u, t in zip(used, taken)]
        if other is not None and svc is not None and other.provider is not svc.provider:
            other = None  # "cloud nat - do we run our own *nat gateway* vms": the first name's stack is asked about
        if other is not None and svc is not None and self.tasks.names_in_variant(svc.id, other.id, toks):
            other = None  # "ecs services run on *ec2 container instances*": a variant of the first, not a second service
        said_provider = self._take_provider(toks, used)
        if said_provider is None and svc is None:
            product = PRODUCT_PROVIDERS.find(toks)
            said_provider = PRODUCT_PROVIDERS[product] if product else None
        if said_provider is None and svc is None and hint is not None:  # "owner on the prod subscription" is Azure's
            said_provider = hint.provider
            svc = self.services.get(hint.service) if hint.service else None
            via_term = True
        prov = Provider(provider) if provider else None
        prov_stated = prov is not None or said_provider is not None or svc is not None
        prov = prov or (svc.provider if svc else None) or said_provider
        implied = svc is None and prov is not None
        if implied:  # "serverless functions", "a bucket" once the provider is known name its service of that kind
            svc = self._take_kind(toks, used, prov)
        if implied and svc is None:
            in_product = set(PRODUCT_PROVIDERS.find(toks) or ())  # ... but not inside a product's name ("shielded vm")
            # ... nor a quoted category ("the 'x' bucket", "whose bucket is it")
            quoted = _BUCKET_AS_CATEGORY.search(question) is not None
            svc = None if quoted else next((self.services[GENERIC_RESOURCES[t][prov]] for t, u in zip(toks, used)
                                            if t in GENERIC_RESOURCES and prov in GENERIC_RESOURCES[t]
                                            and t not in in_product and not u), None)
        if svc is None and term is not None and term.service and prov is term.provider:
            svc = self.services[term.service]  # "snapshot schedules for our *pds*" once Google is named
            via_term = True
        if svc is not None and via_term:  # "the backend *vms* behind our passthrough network lb": the vms are asked
            svc = self._subject_before_place(toks, svc)
        elif svc is not None and not implied:  # "azure *vms* next to our app services": the vms are asked
            svc = self._subject_beside(toks, svc)
        # two terms of the provider ("advanced network ddos" for the vms behind our "passthrough network lb"): the
        # second term's service is weighed against the first's
        by_term = (self.vocabulary.services_named(question, svc)
                   if via_term and svc is not None and other is None else None)
        other = self.services[by_term] if by_term else other
        if svc is not None and other is None:  # "waf rules in front of our alb": the provider's WAF is named too
            other = next((self.services[GENERIC_RESOURCES[t][svc.provider]] for t in toks
                          if t in ATTACHED_RESOURCES and svc.provider in GENERIC_RESOURCES[t]
                          and GENERIC_RESOURCES[t][svc.provider] != svc.id), None)
        if svc and (model is None or (model is Model.on_prem and svc.model is Model.iaas and "selfhosted" in toks
                                      and "onprem" not in toks)):
            model = svc.model  # "self-hosted postgres *on ec2*": hosted by us on that service, not on premises
        if model is None:
            implied = MODEL_HINTS.find(toks)
            model = MODEL_HINTS[implied] if implied else None
            model_stated = model is not None
        # "eks security in general - *since the control plane is managed* is it all aws?": why the asker thinks so,
        # not the part asked about
        why_managed = _reason_it_is_managed(toks)
        for k in why_managed:
            used[k] = True
        raw = [t for t, u in zip(toks, used) if not u and t not in STOP_WORDS]
        content = [stem(t) for t in raw]
        base = dict(question=question, provider=prov, provider_stated=prov_stated,
                    service=svc.id if svc else None, service_name=svc.name if svc else None,
                    service_model=model, service_model_stated=model_stated or svc is not None)

        # a purpose after the duty asked ("who pauses our pools at night *so we stop paying*") is no topic of its own
        cut = self.duty.purpose_at(toks)
        asker = who_asks(toks)  # "our *ciso asks*: ..." names who asks, not a topic (nor an out-of-scope one)
        main = [stem(t) for k, (t, u) in enumerate(zip(toks[:cut], used[:cut]))
                if not u and t not in STOP_WORDS and k not in asker]
        clause = who_clause(question)  # "who patches the control plane? thx": the sentence that asks is the question
        asking = asking_part(question)  # the words that ask, without context, purpose or aside around them
        if asking is not None:
            asking_asker = who_asks(asking)
            asking = [t for k, t in enumerate(asking) if k not in asking_asker]
        # the sentence that asks, when the message has others ("... tomorrow. who sets up rbac on gke"), without a
        # purpose or aside after it ("(asking for a friend)")
        focus = asking if several_sentences(question) else None
        # a payment told as context ("on prem we *paid* our isp for scrubbing. for cloudfront is basic ddos protection
        # something we switch on?") does not make the question asked a price question
        paid_before = focus is not None and not PAYMENT_WORDS.intersection(focus)
        off_topic = (focus is not None and (
            out_of_scope(focus, [stem(t) for t in focus if t not in STOP_WORDS]) or self.duty.asks_no_duty(focus))) or (
            out_of_scope([t for k, t in enumerate(toks[:cut]) if k not in asker
                          and not (paid_before and t in PAYMENT_WORDS)],
                         [t for t in main if not (paid_before and t in PAYMENT_WORDS)])
            and not (focus and self._asks_of_itself(focus, svc))) or (
            self.duty.asks_no_duty(toks) and (clause is None or self.duty.asks_no_duty(clause))) or (
            logistics(toks[min(cut, _end_of(focus, toks)):]))  # "who owns the soc2 weekly? *need to move the invite*":
        # what the asker goes on to need after the question says what the question is about
        scores = {} if off_topic else self._score_aspects(content, raw)
        reason = compliance_purpose(toks)
        if scores and reason:  # "turn on audit trails *for compliance reports*": the duty, not why it is done
            kept = [t for k, (t, u) in enumerate(zip(toks, used)) if not u and t not in STOP_WORDS and k not in reason]
            scores = self._score_aspects([stem(t) for t in kept], kept) or scores
        if not scores and svc and not off_topic:
            # the service name may itself be the topic ("who owns azure ad?"): score with it put back
            back = [t for t, u in zip(toks, used) if (not u or t not in PROVIDER_WORDS) and t not in STOP_WORDS]
            scores = self._score_aspects([stem(t) for t in back], back)
        for phrase, aspect_id, text in [] if off_topic else self._literal:
            if phrase in self._literal_index(toks, len(phrase)) and aspect_id not in scores:
                scores[aspect_id] = (3.0 * len(phrase), text)
        if asking is not None and scores:  # "we had an incident last week. who sets up rbac on gke": the words that
            # ask decide the row, by their own weights ("after the *region outage* mgmt asks: is dr / *resiliency* for
            # our app all on microsoft?"); the others only break ties among the rows they name
            # (a team's name is a side, not a topic: "data centre access controls: cloud vendor or *our security
            # team*")
            words = [t for k, t in enumerate(asking) if t not in STOP_WORDS and asking[k + 1:k + 2] != ["team"]
                     and t not in _SIDE_NOUNS]  # ("vendor's *problem* or ours")
            asked_rows = self._score_aspects([stem(t) for t in words], words)
            if asked_rows:  # the rows they name; when they name a row only through a service name, that row
                # ... unless they point back at the thing named before ("the servers and network gear under google
                # cloud - anything *there* for us to patch?"): then the context's rows stand
                scores = {k: (asked_rows[k][0] + 0.001 * v[0], asked_rows[k][1]) for k, v in scores.items()
                          if k in asked_rows} or (scores if _REFERS_BACK.intersection(words) else asked_rows)
            elif (focus is not None and (self.duty.names_its_object(focus) or (
                    not asks_a_duty(focus) and not _BACK_POINTERS.intersection(focus)))) or (
                    focus is None and self.duty.asked(asking) is None and words and not _doing_asked(asking)
                    and not set(words) <= _POINTERS | _FEATURE_STATE):
                # "... the postmortem is tomorrow. who owns the friday sprint review invite", "anyone know a good
                # ramen place - need to know for the audit", "... postmortem is tomorrow. is cosmos cheaper than sql db
                # for 50gb" (no duty asked, nothing pointed back at): the words that ask name their own thing and no row of
                # ours, so the rows of the context or purpose around them do not answer it
                scores = {}
        scores = self._object_decides(scores, toks)
        if not off_topic and (compliance_as_a_whole(toks, main) or (asking is not None and compliance_as_a_whole(
                asking, [stem(t) for t in asking if t not in STOP_WORDS]))):  # (the words that ask, without context
            # or a closing aside: "context: new team here. compliance in the cloud - provider or customer?")
            # "pci dss on google cloud, is that google's responsibility or ours?": the provider certifies its part,
            # the customer makes its own workload compliant
            return self._overview(question, toks, Owner.shared, provider, COMPLIANCE_OVERVIEW)
        cat_sid, variant, found = (None, None, None) if off_topic else self._find_task(toks, svc, used)
        if found is not None and why_managed and not set(found.keyword.tokens) <= {
                stem(t) for k, t in enumerate(toks) if k not in why_managed}:  # a task named only in the reason given
            cat_sid, variant, found = self._find_task([t for k, t in enumerate(toks) if k not in why_managed], svc,
                                                      [u for k, u in enumerate(used) if k not in why_managed])
        # (a word typed with a typo is the keyword's word it matched, wherever the checks below look for the keyword's
        # words: "are our albs protected *automaticaly* now" holds "protected automatically" in one sentence)
        fixes = self._typo_fixes(found, cat_sid, toks) if found is not None and cat_sid and asking is not None else {}
        said = _respelled(asking or [], fixes)
        if (found is not None and cat_sid and asking is not None
                and not set(found.keyword.tokens) <= {stem(t) for t in said}):
            sents = [_respelled(s, fixes) for s in sentence_tokens(question)]
            # the task the words that ask name outranks one only the rest of the message names: set against what
            # comes before ("the agent auto-updates I think, *but* who installs the windows os updates in our
            # images"), or in a row the asking words name ("azure sql db - who installs the sql engine / windows
            # patches, do we need a maintenance window job?")
            asked_task = self._task_in(cat_sid, asking, None)
            if _after_but(toks, asking):
                found = asked_task or found
            elif (asked_task is not None and several_sentences(question)
                  and _pieced_from_three(found.keyword.tokens, sents)):
                # "... our public hosted *zone* ... who rotates the key-*signing* *key*. ... ksk *rotation* ...?": a
                # keyword no two sentences hold is no match, however heavy
                found = asked_task
            elif (asked_task is not None and several_sentences(question)
                  and asked_task.keyword.weight >= 0.6 * found.keyword.weight
                  and (_names_own_object(found.keyword.tokens, asked_task.keyword.tokens,
                                         stem(asked_duty(asking, self.duty) or ""))
                       and not set(found.keyword.tokens) <= {stem(t) for t in _without(_respelled(toks, fixes), said)}
                       or _scattered(found.keyword.tokens, sents)
                       or _context_only(found.keyword.tokens, asked_task.keyword.tokens, said,
                                        self.tasks.name_tokens(cat_sid))
                       or _one_word_outside(found.keyword.tokens, asked_task.keyword.tokens, said))):
                # "bumped the eks *control plane* to the next minor. the worker nodes are still on the old kubelet -
                # who *upgrades* those?": a keyword pieced together from the context and the asking words is
                # weaker than a task the asking words name on their own; so is one whose words no one sentence holds
                # ("our *dnssec* setup ... the *key* signing key rolled ... is ksk *rotation* ...": the ksk rotation)
                found = asked_task
            elif (asked_task is not None and scores and found.task.aspect not in scores
                  and asked_task.task.aspect in scores):
                found = asked_task
        # (or why: "who moves them onto the latest subminor image *so they pick up the security fixes*")
        when = _when_clause(toks) or _compared_clause(toks) or (range(cut, len(toks)) if cut < len(toks) else None)
        leading = None if when else _leading_when(question, toks)
        said_when = when or leading or range(0)
        in_clause = set(found.keyword.tokens) & {stem(toks[k]) for k in said_when} if found is not None else set()
        if in_clause and leading and variant and cat_sid:
            # a leading clause that only names the variant the task's keyword is written for ("after we bump the k8s
            # version *on eks auto mode*, do we still upgrade coredns") says which variant, not when
            in_clause -= self.tasks.variant_words(cat_sid, variant) | _WHEN_STEMS
        if found is not None and cat_sid and in_clause:
            # "who updates kubelet/ami on the worker nodes *after a control plane upgrade*", "bigquery - *after the
            # time travel window runs out,* is the fail-safe copy ours to set up": the clause says when, the words
            # outside it name the task (one at the start: a task of the row the question asks)
            before = self._task_in(cat_sid, [t for k, t in enumerate(toks) if k not in said_when], None)
            if before is not None and (when or not scores or before.task.aspect in scores):
                found = before if before.task.id != found.task.id else found
        if (found is not None and cat_sid and found.task.aspect == _RUNTIME_PATCHING and _names_compiled_language(toks)
                and found.task.owner_for(variant) != "customer" and _COMPILED not in found.task.keywords):
            # "java cloud functions on automatic updates - is keeping that runtime patched 100% google?": the language
            # fixes of compiled code need a rebuild, which the runtime updates do not do
            found = self.tasks.task_with_keyword(cat_sid, _COMPILED) or found
        if (implied and not via_term and svc is not None and self._provider_layer(scores, prov)
                and not (found is not None and self._outweighs_rows(found, scores))):
            # "who secures the hardware, boot chain and hypervisor isolating tenants' *vms*": the provider's own layer
            # is asked, not the task of the service a resource word implies (unless the task's keyword says more than
            # the row's: "is *spreading the vms over availability sets* / zones on us")
            cat_sid, variant, found = None, None, None
        top = max(scores.items(), key=_by_score) if scores else None
        if (other is None and svc is not None and found is None and not off_topic and top
                and not (cat_sid and self.tasks.tasks_in_aspect(cat_sid, top[0]))):
            # the named service has no task of the row asked, but a term of its provider for another of its services
            # ("event hubs *resource logs*": Azure Monitor's diagnostic settings) names the second one
            term_sid = self.vocabulary.services_named(question, svc)
            other = self.services[term_sid] if term_sid else None
        if other is not None and not off_topic:  # the second service's task wins when its keyword is heavier
            second = self._find_task(toks, other, used)
            # (the same catalogue as the task found already: that one was weighed against the words that ask)
            if second[2] is not None and second[0] != cat_sid and (
                    found is None or second[2].keyword.weight > found.keyword.weight
                    or _asked_not_told(second[2], found, asking, self.tasks.name_tokens(other.id))):
                cat_sid, variant, found = second
                base.update(service=other.id, service_name=other.name, provider=other.provider)
                if not model_stated:
                    base["service_model"] = other.model
        # a provider task whose customer half is only setting or choosing its parameters ("sets the window and
        # retention", "chooses which managed groups to use") sends "who sets / adds ..." to the customer's task beside it
        if (found is not None and cat_sid and found.task.owner_for(variant) == "provider"
                and (not found.task.customer_does or found.task.customer_does.startswith(_SETTING_ONLY))
                and not _ALWAYS_ON.search(found.task.provider_does) and asks_to_set(toks, self.duty)):
            # (a thing the provider keeps always on has no switch of ours: "who has to enable admin activity logging")
            choice = self.tasks.customer_choice(cat_sid, found.task, variant, content)
            found = choice or found
        if (found is not None and _RELIABILITY in scores and found.task.owner_for(variant) != "shared"
                and scores[_RELIABILITY][0] >= 0.5 * max(v[0] for v in scores.values())
                and not self._heading_asks_otherwise(question, _RELIABILITY)
                and not self._names_whole_resilience(found)):
            # "resiliency of our postgres servers (zone/region outages) - whose responsibility": reliability as a whole
            # is asked, the outages only say what it is about, so no one task of the service answers (unless the task is
            # the service's resilience as a whole, shared itself); a heading before the words that ask ("alb resilience
            # - if a load balancer node fails, aws's problem or ours?") only says what the question is about
            found = None
        if cat_sid and not off_topic and asks_the_whole(toks) and (found is not None or scores):
            # "keeping dataproc clusters *patched* against cves *overall* - google's or ours?": patching as a whole
            split = self.compose.duty_split(base, cat_sid, content, variant)
            if split is not None:
                return split
        if found and self._task_wins(found, scores):
            return self.compose.task_answer(base, found.service, found.task, variant)
        agreed = self._agreed_task(toks, used, scores) if svc is None and prov is None and not off_topic else None
        if agreed is not None and (not scores or agreed[0].task.aspect in scores):  # the row's words decide
            return self.compose.task_answer(dict(base, service_name=agreed[1]), agreed[0].service, agreed[0].task, None)
        if cat_sid and top and (found is None or found.task.aspect != top[0]):
            # no task keyword matched whole: the question's aspect and its other words narrow the service's tasks
            words = self._matched(self.tasks.keywords(cat_sid)[1], content, raw)
            near = self.tasks.closest_in_aspect(cat_sid, top[0], words, content_tokens(raw_tokens(top[1][1])),
                                                also=self._aspects[top[0]].task_rows)
            if near is None and variant is not None:  # "front door *wildcard* - who handles the cert?": the one task
                # of the row whose owner the variant named decides
                near = self.tasks.decided_by_variant(cat_sid, top[0], variant)
            if near is not None:
                return self.compose.task_answer(base, near.service, near.task, variant)
        asked_words = [t for t in asking or () if t not in STOP_WORDS and t not in PROVIDER_WORDS]
        sides_only = set(asked_words) <= _POINTERS
        if asking is not None and not scores and not off_topic and found is None and not sides_only:  # "new team
            # here. is gcp security overall google's job or ours": the overview is asked by the words that ask
            # (unless they only name the sides: "s2s vpn ... highly available end to end. *us or msft?*" asks about
            # what the sentence before names)
            side = overview_side(asking, [stem(t) for t in asked_words]) or overview_side(toks, content)
        else:
            side = overview_side(toks, main) if not scores and not off_topic and found is None else None
        if side is None and svc is None and not scores and not off_topic and found is None and names_provider_layer(toks):
            # "who is accountable for the security of *the google cloud services themselves*": security as a whole
            # of the provider's own layer is the provider's half of the model
            bare = [t for t in toks if t not in _LAYER_ITSELF]
            whole = overview_side(bare, content_tokens(bare))
            if whole in (Owner.shared, Owner.depends) or (whole is None and asks_a_duty(toks)):
                side = Owner.provider  # (also where no aspect is named: "who secures *the software that runs aws
                # cloud services*")
        if side is None and cat_sid and not scores and not off_topic and found is None:
            side = service_side(toks, content)
            if side is None and asking is not None and not sides_only:  # "apigee hybrid: who operates what? is the
                # whole thing ..."
                names = self.tasks.name_tokens(cat_sid) | self.tasks.variant_words(cat_sid)
                kept = [t for t in asked_words if stem(t) not in names]
                side = service_side(asking, [stem(t) for t in kept])
        if side and cat_sid:  # "what is aws responsible for with rds": the service's own split
            return self.compose.service_overview(base, cat_sid, side)
        if side and svc is None:  # "what is AWS responsible for?": no topic, only a side of the split
            return self._overview(question, toks, side, provider)
        if not scores and cat_sid and not off_topic and asks_a_duty(toks):
            # the service is named but no row or task keyword matched whole: its task the other words point at
            near = self.tasks.closest_task(cat_sid, set(content) - _moves_onto_variant(toks, variant))
            if near is not None:
                return self.compose.task_answer(base, near.service, near.task, variant)
        if (not scores and svc is None and model is Model.on_prem and model_stated and not off_topic
                and _ON_PREM_ASKS.intersection(toks)):
            # "the on-prem bits connected to our azure tenant (dcs, servers), whose responsibility", "our on prem vpn
            # box is a single point of failure - is redundancy there on us or azure": what runs on premises is the
            # customer's, whichever cloud it is connected to
            return self._overview(question, toks, Owner.customer, prov, ON_PREM_OVERVIEW)
        if not scores and svc is not None and not off_topic and content and set(content) <= _CONFIGURES:
            # "who configures rds": the service's settings, the configuration row (the providers' per-service pages:
            # configuring the service to meet your own requirements is the customer's)
            scores = {_CONFIGURATION: (1.0, "configure")}
        if not scores:
            alts = self._suggest(content)
            hint = ", ".join(f"*{a.title}*" for a in alts) or "a topic such as *OS patching*, *MFA* or *backups*"
            subject = f" for {svc.name}" if svc else ""
            return Answer(**base, owner=Owner.unknown, alternatives=alts,
                          explanation=f"The responsibility matrix does not cover that{subject}. Did you mean {hint}?",
                          next_step="Ask again naming one duty (e.g. patching, backups, MFA) and the service.")
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
        top_id, (top_score, top_text) = ranked[0]
        choice_row = self._aspects[top_id].choice_row
        if (choice_row is not None and svc is None and asks_to_choose(toks, self.duty)
                and (choice_row in scores or names_customer_assets(toks))):
            # "who sets up availability zones and multi-region for our workloads": both rows are named; the zones are
            # the provider's, choosing to use them is the customer's row (also with only the zones named, when they
            # are set up for our own apps: "setting up availability zones for our apps in aws - on us?")
            choice_score = scores.get(choice_row, (top_score, top_text))
            ranked = [(choice_row, choice_score), *[kv for kv in ranked if kv[0] != choice_row]]
            top_id = choice_row
        alts = [Alternative(aspect=a, title=self._titles[a], score=round(s / top_score, 2))
                for a, (s, _) in ranked[1:4] if s >= 0.75 * top_score]
        answer = self.compose.aspect_answer(self._aspects[top_id], base, model, prov, alts, cat_sid, variant, top_text)
        row_sid = self._aspects[top_id].row_services.get(prov) if prov is not None and svc is None else None
        if row_sid is not None and answer.owner in (Owner.shared, Owner.depends) and not model_stated:
            # "our soc wants a page when a ddos attack starts - is that alerting on us or azure": the provider's own
            # service for the row has the task its words name outright
            row_svc = self.services[row_sid]
            cat, row_variant, hit = self._find_task(toks, row_svc, used)
            if hit is not None and cat is not None and len(hit.keyword.tokens) >= 2:
                return self.compose.task_answer(dict(base, service=row_svc.id, service_name=row_svc.name),
                                                hit.service, hit.task, row_variant)
        # "for google's infra": the provider's half of a split row, or of a row the provider classifies as the
        # customer's ("encryption in transit on aws's own backbone")
        split = answer.owner in (Owner.shared, Owner.depends) or (answer.assumption and answer.owner is Owner.customer)
        ours_may_decide = answer.owner in (Owner.shared, Owner.depends) and svc is None
        if ours_may_decide and installed_by_us(toks):
            # "on aws generally, who looks after the apps and software *we install ourselves*": what the customer
            # installs is its own to look after on every model (the provider patches only what it runs for us), also
            # where it is installed is named ("app software we install *on top of aws infra*")
            return self.compose.half(answer, self._aspects[top_id], model, prov, Owner.customer)
        if svc is None and (split or (answer.owner is Owner.customer and "providermanaged" not in toks
                                      and not names_customer_assets(toks))) and names_provider_layer(toks):
            # (also a row that is the customer's: "evidence *the aws infrastructure itself* is audited" is the
            # provider's own compliance, not the workload's; not "data classification for what we keep in aws
            # managed services", which are the customer's things in the provider's services)
            return self.compose.half(answer, self._aspects[top_id], model, prov, Owner.provider)
        if svc is not None and split and answer.task is None and names_what_the_service_runs_on(toks):
            # "aws lambda - who secures the network infrastructure *the service runs on*": the provider's layer
            return self.compose.half(answer, self._aspects[top_id], model, prov, Owner.provider)
        if ours_may_decide and names_customer_assets(toks):
            aspect = self._aspects[top_id]
            if aspect.halves_by_asset:  # "incident response for our own apps and data": the customer's half
                return self.compose.half(answer, aspect, model, prov, Owner.customer)
            if answer.owner is Owner.depends and model is None:
                # "securing the os, packages and apps *we deploy ourselves*", "ddos defense for *the stuff we run*":
                # what we deploy or run is on IaaS or PaaS (only a SaaS vendor's own app would move the row), so where
                # those two cells agree, that is the answer
                owners = {aspect.cell(m, prov).owner for m in (Model.iaas, Model.paas)}
                if owners == {Owner.customer}:
                    return self.compose.half(answer, aspect, model, prov, Owner.customer)
                if len(owners) == 1:
                    return self.compose.aspect_answer(aspect, base, Model.iaas, prov, alts, cat_sid, variant, top_text)
        return answer

    def _inside_terms(self, question: str, toks: list[str], used: list[bool]) -> list[bool]:
        """``used``, with the words of the provider terms the question uses that hold another provider's service name
        ("global external *alb*" is Google's) marked as read."""
        inside = list(used)
        for phrase, _term in self.vocabulary.phrases_used(question):
            if phrase not in self._foreign_name_terms:
                continue
            for i in range(len(toks) - len(phrase) + 1):
                if tuple(toks[i:i + len(phrase)]) == phrase:
                    inside[i:i + len(phrase)] = [True] * len(phrase)
        return inside

    def _subject_before_place(self, toks: list[str], svc: Service) -> Service:
        """The provider's service for a resource word asked about before the words that place it on ``svc``
        ("who patches the backend *vms* behind our passthrough network lb"), else ``svc``."""
        placed = placed_after(toks)
        return self._resource_before(toks, min(placed), svc) if placed else svc

    def _subject_beside(self, toks: list[str], svc: Service) -> Service:
        """The provider's service for a resource word asked about before "next to / beside / alongside" and the
        service named after it ("a few azure *vms* next to our app services"), else ``svc``."""
        at = next((i for i, t in enumerate(toks) if t in _BESIDE or (t == "next" and toks[i + 1:i + 2] == ["to"])), None)
        return self._resource_before(toks, at, svc) if at is not None else svc

    def _resource_before(self, toks: list[str], end: int, svc: Service) -> Service:
        """``svc``'s provider's service for the first generic resource word before ``end`` ("vms"), else ``svc``."""
        return next((self.services[GENERIC_RESOURCES[t][svc.provider]] for t in toks[:end]
                     if t in GENERIC_RESOURCES and svc.provider in GENERIC_RESOURCES[t]), svc)

    def _heading_asks_otherwise(self, question: str, aspect: str) -> bool:
        """The question opens with a short heading (up to three words before a dash or colon) and the words after it
        name rows, but not ``aspect`` ("alb resilience - if a load balancer node fails ..."): ``aspect``, scored from
        the heading, only says what the question is about."""
        m = _HEADING.match(question)
        if m is None:
            return False
        words = [t for t in raw_tokens(m.group(1)) if t not in STOP_WORDS]
        rows = self._score_aspects([stem(t) for t in words], words)
        return bool(rows) and aspect not in rows

    @staticmethod
    def _task_wins(found: TaskMatch, scores: dict[str, tuple[float, str]]) -> bool:
        """A task of the named service beats the aspect rows unless a longer row keyword says something else."""
        if not scores or found.task.aspect in scores:
            return True
        return len(found.keyword.tokens) >= _top_row_words(scores)

    @staticmethod
    def _outweighs_rows(found: TaskMatch, scores: dict[str, tuple[float, str]]) -> bool:
        """The task's keyword has more words than the top row's keyword."""
        return len(found.keyword.tokens) > _top_row_words(scores)

    def _names_whole_resilience(self, found: TaskMatch) -> bool:
        """The task's keyword is the service's own name with a word for its resilience as a whole ("nat gateway
        resilience"): the task is that service's reliability, whoever owns it."""
        toks = found.keyword.tokens
        return bool(self.tasks.name_tokens(found.service.service).intersection(toks)) and any(
            t.startswith(_WHOLE_RESILIENCE) for t in toks)

    def _overview(self, question: str, toks: list[str], owner: Owner, provider: str | Provider | None,
                  explanation: str | None = None) -> Answer:
        prov = Provider(provider) if provider else next((PROVIDER_WORDS[t] for t in toks if t in PROVIDER_WORDS), None)
        return Answer(question=question, owner=owner, explanation=explanation or OVERVIEWS[owner], provider=prov,
                      provider_stated=prov is not None, alternatives=self._suggest(content_tokens(toks)),
                      next_step='Ask about one duty (e.g. "who patches the OS on EC2?") for the per-task answer.')


# words that ask whose the on-premises thing is (narrower than off_topic's _ASKS_WHOSE, which takes "job": "our
# on-prem batch job failed" tells, it does not ask; wider by "us"/"ours": "... is redundancy there on us or azure")
_ON_PREM_ASKS = frozenset("who whose whom responsible responsibility accountable us ours".split())
# nouns for a service's resilience as a whole (stem prefixes; not "redundant", which names a zone-redundant SKU)
_WHOLE_RESILIENCE = ("resilienc", "redundanc")
_BESIDE = frozenset({"beside", "alongside"})  # (and "next to"): where the thing asked about sits, not the thing


# words that make a cache engine, Kubernetes or a VM a provider's offering ("redis *standard tier*", "*spot* vms"),
# not one the customer runs on its own VMs
_MANAGED_CUES = frozenset("tier tiers sku managed spot preemptible".split())


def _top_row_words(scores: dict[str, tuple[float, str]]) -> int:
    """How many content words the best-scoring row's keyword has."""
    return len(content_tokens(raw_tokens(max(scores.values())[1])))


def _by_score(item: tuple[str, tuple[float, str]]) -> tuple[float, str]:
    return item[1][0], item[0]


# a list of examples ending in "etc", in brackets or between dashes: "(firewall rules, private endpoints etc)"
_EXAMPLES = re.compile(r"\([^()]*\betc\b\.?[^()]*\)|(?<=\s[-\u2013\u2014]\s)[^()\-\u2013\u2014?]*\betc\b\.?(?=\s[-\u2013\u2014]\s)",
                       re.IGNORECASE)
_ITEM_SPLIT = re.compile(r",|/|\band\b|\betc\b", re.IGNORECASE)
# a list of duties asked of together ("guest os updates, our app software and security group config - whose job is *all
# that*"), the asking clause cut off at a dash or question mark, and the items split at commas, "and", "/" and "+"
_ALL_OF_THEM = re.compile(r"\b(?:all (?:of )?(?:that|this|those|these)|each of (?:them|these|those))\b", re.IGNORECASE)
_ASK_CUT = re.compile(r"\s[-\u2013\u2014]\s|\?")
_LIST_SPLIT = re.compile(r",|/|\+|\band\b", re.IGNORECASE)
_BRACKETED_LIST = re.compile(r"\([^()]*,[^()]*\)")  # a list in brackets, with at least one comma
# what a side is called in an asking clause of sides ("the vendor's *problem* or ours", "*their call* or ours")
_SIDE_NOUNS = frozenset("problem problems issue issues headache call concern thing lookout".split())
# the row of reliability as a whole (its parts - zones, backups, DR - are rows of their own)
_RELIABILITY = "reliability"
# a short heading before a dash or colon ("*alb resilience -* if a load balancer node fails, whose problem?")
_HEADING = re.compile(r"^\s*(?:[^\s:?\u2013\u2014-]+\s+){0,2}[^\s:?\u2013\u2014-]+\s*(?:\s[-\u2013\u2014]+|:)\s+(.+)$", re.DOTALL)


def _names_own_object(found: tuple[str, ...], asked: tuple[str, ...], verb: str) -> bool:
    """The asking words' keyword names a thing of its own (more than the verb asked) that the context's keyword does
    not have ("*worker nodes*" against "control plane", "*ksk* rotation" against "dnssec key rotation"; not "renew"
    against "imported certificate renew")."""
    own = set(asked) - {verb}
    return bool(own) and not own & set(found)


_WHEN = frozenset("after once following".split())
_WHEN_STEMS = frozenset(stem(w) for w in _WHEN)


_LOOK = frozenset("look looks looking looked".split())


def _when_clause(toks: list[str]) -> range | None:
    """Positions of a clause that says when, after the words that ask ("who updates the nodes *after a control plane
    upgrade*"): from "after" / "once" / "following" (with at least two words between it and the who) to the end."""
    at = next((k for k, t in enumerate(toks) if t in {"who", "whose"}), None)
    if at is None:
        return None
    start = next((k for k in range(at + 3, len(toks)) if toks[k] in _WHEN
                  and not (toks[k] == "after" and toks[k - 1] in _LOOK)), None)  # (not "who *looks after* the standby")
    return range(start, len(toks)) if start is not None else None


def _context_only(found: tuple[str, ...], asked: tuple[str, ...], asking: list[str], names: frozenset[str]) -> bool:
    """Besides the service's name, none of the found keyword's words is in the words that ask, and the asking words'
    keyword has one of its own ("we renewed the *cert* in key vault. do we have to *push* the new one to the app
    gateway?")."""
    said = {stem(t) for t in asking}
    return not (set(found) - names) & said and bool(set(asked) - names)


def _compared_clause(toks: list[str]) -> range | None:
    """Positions of a closing comparison ("is patching the guest os on us or does aws do it *like for the hosts*?"):
    from "like"/"unlike" (after at least four words) to the end, when it compares ("like for/with the ...")."""
    start = next((k for k in range(4, len(toks) - 1) if toks[k] in {"like", "unlike"}
                  and toks[k + 1] in {"for", "with", "on", "the"}), None)
    return range(start, len(toks)) if start is not None else None


# a clause at the start saying when, up to its comma ("bigquery - *after the time travel window runs out,* is ..."; not
# a "following up on ..." greeting)
_LEADING_WHEN = re.compile(r"^(?:[^-,.?:]{1,40}?\s[-\u2013\u2014:]\s+)?((?:after|once|following(?!\s+up\b))\s[^,.?:;]{3,80}),\s*\S")


def _leading_when(question: str, toks: list[str]) -> range | None:
    """Positions of a clause saying when at the start of the question, if one is there and ends with a comma."""
    m = _LEADING_WHEN.match(question.lower())
    if m is None:
        return None
    start = len(raw_tokens(question[:m.start(1)]))
    words = raw_tokens(m.group(1))
    if _asks_within(words):  # "after a k8s version bump on eks auto mode *do we still have to upgrade* coredns, kube-proxy
        return None  # and ...": the comma is in the asking clause's list, the when-clause ended before it
    n = len(words)
    return range(start, start + n) if 0 < n < len(toks) - start and toks[start] in _WHEN else None


_ASKING_AUX = frozenset("do does did should must can will would".split())


def _asks_within(words: Sequence[str]) -> bool:
    """The words hold the question's own asking words ("who", "do we", "does aws")."""
    return bool({"who", "whose"}.intersection(words)) or any(
        w in _ASKING_AUX and (words[k + 1] in {"we", "i", "you", "they"} or words[k + 1] in PROVIDER_WORDS)
        for k, w in enumerate(words[:-1]))


# a provider task's customer half that only sets its parameters ("Sets the window", "Chooses ...")
_SETTING_ONLY = ("Sets ", "Chooses ")
_CONFIGURATION = "configuration_management"
_CONFIGURES = frozenset(stem(w) for w in "configure configures configuring configured configuration config settings".split())
_ALWAYS_ON = re.compile(r"\b(?:cannot|can't|can not)\s+be\s+(?:turned\s+off|disabled|switched\s+off)|\balways[\s-]+on\b", re.I)
_RUNTIME_PATCHING = "runtime_patching"
_COMPILED = "compiled languages"  # the keyword of a service's task for language fixes that need a rebuild
_LANGUAGES = frozenset("java golang kotlin scala".split())
_GO_THINGS = frozenset("""service services app apps function functions code binary binaries lambda lambdas stdlib toolchain
compiler modules module runtime runtimes""".split())


def _names_compiled_language(toks: Sequence[str]) -> bool:
    """The question says the code is in a compiled language ("java cloud functions", "a *go service*", "*go cloud
    functions*", "written in go")."""
    return any(t in _LANGUAGES or (t == "go" and (k + 1 < len(toks) and toks[k + 1] in _GO_THINGS
                                                 or toks[k + 1:k + 3] in (["cloud", "functions"], ["cloud", "function"],
                                                                          ["cloud", "run"])
                                                 or k and toks[k - 1] in ("in", "is")))
               for k, t in enumerate(toks))


_WHOLE_DUTY = PhraseIndex((tuple(p.split()), True) for p in (
    "overall", "end to end", "e2e", "as a whole", "all of it", "holistically", "top to bottom", "all that", "all of that",
    "both of us"))


def asks_the_whole(toks: Sequence[str]) -> bool:
    """The question asks a duty as a whole ("node os patching *overall*", "worker vm patching *end to end*", "google
    handles *all of it* right?"); bot/compose.py ``duty_split`` answers it for patching."""
    return _WHOLE_DUTY.find(toks) is not None


def _one_word_outside(found: tuple[str, ...], asked: tuple[str, ...], asking: list[str]) -> bool:
    """The found keyword takes one word from outside the words that ask ("build service *account*" with "(prod
    *account*)" after the question), the asking words' keyword is as long and names something of its own, and the
    asking words do not point back at the context."""
    said = {stem(t) for t in asking}
    return (len([t for t in found if t not in said]) == 1 and len(asked) >= len(found) and bool(set(asked) - set(found))
            and not _BACK_POINTERS.intersection(asking))  # "who rotates *those* keys" takes the context's word


_BY_DEFAULT = PhraseIndex([(("by", "default"), True), (("default", "on"), True)])
# a category named after a quoted label ("the *'customer specific' bucket*"): no storage bucket
_BUCKET_AS_CATEGORY = re.compile(r"['\"\u2018\u2019\u201c\u201d]\s+(?:bucket|buckets)\b|\bwhose\s+bucket\b", re.IGNORECASE)
_MOVING = frozenset("moving migrating moved migrated switching switched".split())
_LEAVING = (_MOVING - {"switching", "switched"}) | {"got", "came"}  # "we *moved off* ec2", "we *got off* m365"


_MOVE_VERBS = _MOVING | frozenset("move moves switch switches migrate migrates".split())


def _moves_onto_variant(toks: Sequence[str], variant: str | None) -> set[str]:
    """The (stemmed) move verbs of "if we *move* our ecs tasks *to* fargate": with a variant named, a move onto it
    only says which variant is asked about, not a duty ("who *moves* a pinned service up" keeps its verb)."""
    if variant is None:
        return set()
    return {stem(t) for k, t in enumerate(toks) if t in _MOVE_VERBS and (k == 0 or toks[k - 1] != "who")
            and "to" in toks[k + 1:k + 6]}


_DATA_NOUNS = frozenset("""content contents data file files site sites mail mails email emails message messages object
objects document documents doc docs folder folders record records row rows table tables item items mailbox mailboxes
chat chats backup backups""".split())


def _reason_it_is_managed(toks: Sequence[str]) -> range:
    """The positions of a reason given for thinking the provider does it: "since / because <a part> is (fully)
    managed" (the part named is the asker's reason, not what is asked)."""
    for k, t in enumerate(toks):
        if t in _BECAUSE:
            for j in range(k + 2, min(len(toks), k + 8)):
                if toks[j] == "managed" and toks[j - 1] in _IS_WORDS:
                    return range(k, j + 1)
    return range(0)


_BECAUSE = frozenset({"since", "because", "as"})
_IS_WORDS = frozenset({"is", "are", "s", "fully", "all", "being"})


def _moved_off(toks: Sequence[str]) -> range:
    """Positions of what the team says it moved off ("we moved off *ec2*"), else empty."""
    off = next((k for k in range(len(toks) - 1) if toks[k] in _LEAVING and toks[k + 1] == "off"), None)
    if off is None:
        return range(0)
    end = next((k for k in range(off + 2, min(off + 6, len(toks))) if toks[k] in {"to", "onto", "and", "now"}),
               min(off + 4, len(toks)))
    return range(off + 2, end)


def _doing_asked(asking: Sequence[str]) -> bool:
    """The words that ask are whose doing something is ("...: *is working out which controls we need on us or on
    google*"): a duty named by its verb, asked of the sides, though no who-frame asks it."""
    return (len(asking) > 2 and asking[0] in _IS_ARE and asking[1].endswith("ing") and asking[1] not in STOP_WORDS
            and asks_a_duty(asking))


_IS_ARE = frozenset("is are was".split())


def _moved_from(toks: Sequence[str]) -> range:
    """Positions of what a move leaves: "moving ... *from vms* to paas" (between "from" and "to"), "*m365* is gone,
    we're on workspace now", "we moved off *ec2*"; or what the message opens by saying is not used ("no *autopatch*,
    just intune update rings")."""
    if toks[:1] in (["no"], ["without"]):
        just = next((k for k in range(2, min(6, len(toks))) if toks[k] in {"just", "only"}), None)
        if just is not None:
            return range(1, just)
    gone = next((k for k in range(1, min(4, len(toks) - 1)) if toks[k] in {"is", "are"} and toks[k + 1] == "gone"), None)
    if gone is not None and toks[gone - 1] not in _DATA_NOUNS:  # (what is gone opens the message; "sharepoint
        # *content is gone*" is data lost, not a service left)
        return range(0, gone)
    off = _moved_off(toks)
    if off:
        return off
    at = next((k for k, t in enumerate(toks) if t in _MOVING), None)
    if at is None:
        return range(0)
    start = next((k for k in range(at + 1, min(at + 6, len(toks))) if toks[k] == "from"), None)
    if start is None:  # "moving *our s3 buckets* over to blob": what is moved over to another service
        end = next((k for k in range(at + 2, min(at + 7, len(toks))) if toks[k] in {"over", "across"}
                    and toks[k + 1:k + 2] == ["to"]), None)
        return range(at + 1, end) if end is not None else range(0)
    end = next((k for k in range(start + 1, min(start + 6, len(toks))) if toks[k] == "to"), None)
    return range(start + 1, end) if end is not None else range(0)


def _one_word_after(phrases: Sequence[str], toks: Sequence[str], before: Sequence[bool], after: Sequence[bool],
                    own: Sequence[str]) -> bool:
    """The service just taken is named by one word (the positions newly used) that the term's service also names
    its things with (``own``: its aliases, "fabric *workspaces*"), written after one of the term's phrases."""
    taken = [k for k in range(len(toks)) if after[k] and not before[k]]
    if len(taken) != 1 or not any(toks[taken[0]] in raw_tokens(a) for a in own):
        return False
    firsts = [k for p in phrases for words in [raw_tokens(p)] for k in range(len(toks) - len(words) + 1)
              if words and list(toks[k:k + len(words)]) == words]
    return bool(firsts) and min(firsts) < taken[0]


def _asked_the_same(toks: Sequence[str], used: Sequence[bool], taken: Sequence[bool]) -> bool:
    """The second service named (the positions ``taken`` adds to ``used``) is asked in a comparison with the first:
    "is *ebs* the same?", "what about *ebs*?"."""
    at = [k for k in range(len(toks)) if taken[k] and not used[k]]
    if not at:
        return False
    first, last = at[0], at[-1]
    return (first > 0 and toks[first - 1] in {"is", "are"} and toks[last + 1:last + 3] == ["the", "same"]) or (
        toks[max(0, first - 2):first] in (["what", "about"], ["how", "about"]))


def _pieced_from_three(keyword: tuple[str, ...], sentences: list[list[str]]) -> bool:
    """No two sentences of the message hold all of the keyword's words between them."""
    held = [{stem(t) for t in sentence} for sentence in sentences]
    words = set(keyword)
    return len(held) >= 3 and not any(words <= a | b for a, b in itertools.combinations(held, 2))


def _scattered(keyword: tuple[str, ...], sentences: list[list[str]]) -> bool:
    """No sentence holds more than half of the keyword's words: it was pieced together from across the message."""
    words = set(keyword)
    return all(2 * len(words & {stem(t) for t in part}) <= len(words) for part in sentences)


def _respelled(words: list[str], fixes: dict[str, str]) -> list[str]:
    return [fixes.get(t, t) for t in words] if fixes else words


def _without(toks: list[str], part: list[str]) -> list[str]:
    """The message's words other than those of one part of it (the context around the words that ask)."""
    left = Counter(part)
    out = []
    for t in toks:
        if left[t]:
            left[t] -= 1
        else:
            out.append(t)
    return out


# words in the asking sentence that point back at the thing the context names
_REFERS_BACK = frozenset("there those these them".split())
# a sentence that asks no duty but points back at the one before ("how does aws split *that*?") still asks about it
_BACK_POINTERS = _REFERS_BACK | frozenset("it that this".split())
# words asking whether the thing named before is on ("encryption at rest on gcp: do we need to *switch something* on
# or is it there *by default*")
_FEATURE_STATE = frozenset("""switch turn enable something default defaults automatic automatically""".split())
# words that only point back at what was said before ("is *that* on us", "whose is *it*"), or name the sides ("...:
# aws's, ours, or both?")
_POINTERS = frozenset("""it that this those these them one ones thing things stuff part side on us we ours our or anything
their provider vendor aws amazon azure microsoft google gcp ms msft s both theirs neither job jobs split shared""".split())


def _after_but(toks: Sequence[str], asking: Sequence[str]) -> bool:
    """The words that ask follow a "but" ("the agent auto-updates I think, *but who* installs the os updates")."""
    n = len(asking)
    return any(toks[i - 1] == "but" and list(toks[i:i + n]) == list(asking) for i in range(1, len(toks) - n + 1))


def _asked_not_told(second: TaskMatch, found: TaskMatch, asking: list[str] | None, names: frozenset[str]) -> bool:
    """The words that ask name the second service and its task, and the first's task only the context does ("an s3
    *bucket policy* got changed. *does cloudtrail keep a record of who did it*?")."""
    if asking is None:
        return False
    said = {stem(t) for t in asking}
    return bool(names & said) and set(second.keyword.tokens) <= said and not set(found.keyword.tokens) <= said


def _end_of(focus: list[str] | None, toks: list[str]) -> int:
    """Where the words that ask end in the message, when they open it (else the message's end)."""
    return len(focus) if focus and toks[:len(focus)] == focus else len(toks)


def _sides_named(toks: Sequence[str]) -> bool:
    """ "does google set retention on the topics *or do we*": the sentence names both sides as the choice."""
    return any(t in PROVIDER_WORDS for t in toks) and any(t in {"we", "us", "ours"} for t in toks)


@lru_cache(maxsize=1)
def default_resolver() -> Resolver:
    from bot.config import Settings
    from bot.matrix import load_matrix, load_services
    from bot.owners import load_owners

    s = Settings()
    with collector_paused():  # one pause over every data file, as build_services loads them
        matrix = load_matrix(s.srm_matrix)
        return Resolver(matrix, load_services(s.srm_services), load_owners(s.srm_owners, aspect_ids=matrix.ids),
                        load_tasks(s.srm_tasks))
