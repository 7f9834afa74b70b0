"""What a question says before it is matched to a matrix row (pure word lists and small tests).

* ``MODEL_PHRASES``: words that state a service model ("iaas", "platform as a service", "on prem");
  they are taken out of the question.
* ``MODEL_HINTS``: words that imply a model without naming a service ("managed database" -> paas,
  "our vms" -> iaas, "salesforce" -> saas). They are used only when the question names no model and
  no service, and they stay in the question (they may also be topic words).
* ``PROVIDER_WORDS`` and ``PRODUCT_PROVIDERS``: a provider named outright, or one of its security
  products that are matrix keywords ("guardduty", "key vault") and so imply the provider only.
* ``HEADLINES``, ``overview_side`` and ``OVERVIEWS``: AWS's headline split ("security of the cloud") or
  a question with no topic but a side ("what is AWS responsible for?"), answered as an overview.
* ``out_of_scope``: topics a responsibility matrix must not answer (billing, pricing, hiring,
  support plans, on-call rotas, fines, office IT...), however security-like the rest of the question is;
  ``not_a_duty``: questions that ask no duty at all (physical or household senses, events, personal IT
  requests, news, outage status, tooling snippets, how-to / version / limit trivia without "who/whose").
A provider's own word in context (an Azure subscription with roles, a Google project, "kms", "gs://") is data:
data/provider_vocabulary.yml, read by bot/vocabulary.py. Requests for a command, snippet or steps: bot/how_to.py; a
task feature asked on, stated on or stated off: bot/feature_state.py.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from bot.how_to import asks_for_material
from bot.matrix import Model, Owner, Provider
from bot.textmatch import STOP_WORDS, stem


class PhraseIndex(dict):
    """phrase (a tuple of raw words) -> value, indexed by first word to find phrases in a question fast."""

    def __init__(self, items: dict[tuple[str, ...], object] | Iterable[tuple[tuple[str, ...], object]]):
        super().__init__(items)
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted(self, key=len, reverse=True):
            self.by_first.setdefault(phrase[0], []).append(phrase)

    def occurrences(self, toks: Sequence[str]) -> Iterable[tuple[int, tuple[str, ...]]]:
        """(position, phrase) for each phrase found in toks, left to right, longest first at a position."""
        for i, t in enumerate(toks):
            for phrase in self.by_first.get(t, ()):
                if tuple(toks[i:i + len(phrase)]) == phrase:
                    yield i, phrase

    def find(self, toks: Sequence[str]) -> tuple[str, ...] | None:
        """The first phrase (leftmost, then longest) found in toks, or None."""
        return next((p for _, p in self.occurrences(toks)), None)


MODEL_PHRASES: PhraseIndex = PhraseIndex({
    ("iaas",): Model.iaas, ("infrastructure", "as", "a", "service"): Model.iaas,
    ("paas",): Model.paas, ("platform", "as", "a", "service"): Model.paas,
    ("serverless",): Model.paas, ("faas",): Model.paas, ("function", "as", "a", "service"): Model.paas,
    ("functions", "as", "a", "service"): Model.paas, ("caas",): Model.paas,
    ("container", "as", "a", "service"): Model.paas, ("containers", "as", "a", "service"): Model.paas,
    ("saas",): Model.saas, ("software", "as", "a", "service"): Model.saas,
    ("onprem",): Model.on_prem, ("self", "hosted"): Model.on_prem,
    ("own", "datacenter"): Model.on_prem, ("traditional", "datacenter"): Model.on_prem,
})
# words that only say "the model" after a model word ("in an iaas deployment"): taken out with it
MODEL_CONTEXT_WORDS = frozenset("""deployment deployments model models environment environments setup world
offering offerings solution solutions context scenario scenarios land""".split())

_MANAGED_THINGS = """database databases db dbs service services kubernetes k8s platform platforms runtime
runtimes sql postgres postgresql mysql redis cache queue queues container containers cluster clusters
offering offerings nosql warehouse functions""".split()
MODEL_HINTS: PhraseIndex = PhraseIndex({
    **{("managed", thing): Model.paas for thing in _MANAGED_THINGS},
    ("fully", "managed"): Model.paas, ("provider", "managed"): Model.paas,
    ("vm",): Model.iaas, ("vms",): Model.iaas, ("virtual", "machine"): Model.iaas,
    ("virtual", "machines"): Model.iaas, ("self", "managed"): Model.iaas, ("lift", "and", "shift"): Model.iaas,
    ("bare", "metal"): Model.iaas, ("dedicated", "host"): Model.iaas, ("dedicated", "hosts"): Model.iaas,
    ("self", "hosted"): Model.iaas, **{(os_name, word): Model.iaas for os_name in ("windows", "linux")
                                       for word in ("server", "servers", "box", "boxes")},
    # third-party SaaS products people name when they mean "a SaaS app"
    **{(name,): Model.saas for name in
       "salesforce workday servicenow zendesk dropbox docusign hubspot okta zoom github jira confluence".split()},
})

PROVIDER_WORDS: dict[str, Provider] = {
    "aws": Provider.aws, "amazon": Provider.aws,
    "azure": Provider.azure, "microsoft": Provider.azure, "msft": Provider.azure,
    "gcp": Provider.gcp, "google": Provider.gcp, "gcloud": Provider.gcp,
}
# the same words once stemmed ("azure" -> "azur"), for filtering stemmed keyword tokens
PROVIDER_STEMS = frozenset(PROVIDER_WORDS) | frozenset(stem(w) for w in PROVIDER_WORDS)
_PRODUCTS = {
    Provider.aws: """cloudtrail | cloudwatch | guardduty | security hub | inspector | macie | shield |
        identity center | aws artifact | nitro | re invent | reinvent | parameter store | secrets manager | cloudhsm | control tower |
        systems manager | patch manager | sse kms | sse s3 | sse c""",
    Provider.azure: """defender | sentinel | key vault | intune | log analytics | managed hsm | service trust portal |
        ad connect | hyper v | purview | azure policy""",
    Provider.gcp: """security command center | cloud armor | cloud kms | secret manager | assured workloads |
        cloud audit logs | chronicle | vpc service controls | binary authorization | shielded vm""",
}
# a generic resource word that means one service once the provider is known ("a bucket" on AWS is S3)
GENERIC_RESOURCES: dict[str, dict[Provider, str]] = {
    word: {Provider.aws: "aws_s3", Provider.gcp: "gcp_cloud_storage", Provider.azure: "azure_blob_storage"}
    for word in ("bucket", "buckets")} | {
    # a cache engine named once the provider is known is that provider's managed cache ("redis on azure");
    # a question that names a VM service ("redis on our ec2 boxes") has its service already
    word: {Provider.aws: "aws_elasticache", Provider.gcp: "gcp_memorystore", Provider.azure: "azure_cache_redis"}
    for word in ("redis", "memcached", "valkey")} | {
    word: {Provider.aws: "aws_elb", Provider.gcp: "gcp_load_balancing", Provider.azure: "azure_load_balancer"}
    for word in ("balancer", "balancers")} | {
    word: {Provider.aws: "aws_eks", Provider.gcp: "gcp_gke", Provider.azure: "azure_aks"}
    for word in ("kubernetes",)} | {
    # "our vm" once the provider is known is its virtual machine service
    word: {Provider.aws: "aws_ec2", Provider.gcp: "gcp_compute_engine", Provider.azure: "azure_vm"}
    for word in ("vm", "vms")} | {
    # a bastion host on Azure is Azure Bastion; on AWS and Google it is a VM the customer runs
    word: {Provider.azure: "azure_bastion"} for word in ("bastion", "bastions")} | {
    # Azure's WAF is a feature of Front Door and Application Gateway, not a service of its own
    word: {Provider.aws: "aws_waf", Provider.gcp: "gcp_cloud_armor"} for word in ("waf", "wafs")}
# of those, words that name a managed service whichever provider is meant (a Redis or Kubernetes may be self-run)
MANAGED_RESOURCES = frozenset({"bucket", "buckets", "balancer", "balancers", "waf", "wafs"})
# of those, words for a service that sits in front of another ("the waf in front of our alb"): named beside it
ATTACHED_RESOURCES = frozenset({"waf", "wafs"})
PRODUCT_PROVIDERS: PhraseIndex = PhraseIndex(
    (tuple(name.split()), prov) for prov, names in _PRODUCTS.items() for name in names.split("|"))

# AWS's own headline split, asked about as such: answered as an overview, not as one matrix row.
OVERVIEWS: dict[Owner, str] = {
    Owner.provider: (
        "Security *of* the cloud is the provider's: the data centres, hardware, network, hypervisor and "
        "the software that runs the services. Ask about a specific duty for the per-row answer."),
    Owner.shared: (
        "Security as a whole is shared: the provider secures the cloud itself (data centres, hardware, network, "
        "hypervisor, the services' own software), you secure what you put in it and configure (data, identities "
        "and access, network rules, encryption choices, applications). Where the line falls depends on the "
        "service: ask about one duty for its owner."),
    Owner.customer: (
        "Security *in* the cloud is yours: your data, identities and access, network and firewall "
        "configuration, guest OS patching on IaaS, encryption choices and applications. How much of it "
        "depends on the service model: ask about a specific duty for the per-row answer."),
}
HEADLINES: PhraseIndex = PhraseIndex({
    ("security", "of", "the", "cloud"): Owner.provider, ("security", "in", "the", "cloud"): Owner.customer,
    ("infrastructure", "that", "runs"): Owner.provider, ("protects", "the", "infrastructure"): Owner.provider,
    ("protecting", "the", "infrastructure"): Owner.provider, ("protect", "the", "infrastructure"): Owner.provider,
    ("security", "of", "the", "infrastructure"): Owner.provider,
    ("cloud", "infrastructure", "security"): Owner.provider, ("foundation", "services"): Owner.provider,
    ("foundational", "services"): Owner.provider,
})
_OVERVIEW_FILLER = frozenset(stem(w) for w in """shared model srm generally general overall exactly always retain
retained keep kept basically mostly really entirely completely fully all one side sided sides split both between half
either""".split())
_CUSTOMER_WORDS = frozenset({"customer", "customers", "we", "us", "our", "i", "me", "my", "tenant", "tenants"})
_PROVIDER_SIDE = frozenset({"provider", "providers", "csp", "csps", "vendor", "vendors", *PROVIDER_WORDS})
_ASKS_RESPONSIBILITY = frozenset({"responsible", "responsibility", "responsibilities", "own", "owns", "accountable"})


_WHOLE_TOPICS = frozenset(stem(w) for w in ("security", "compliance"))
# "is security on gcp *shared* or all on *one side*": asks how the whole is split
_ASKS_WHO = _ASKS_RESPONSIBILITY | {"who", "whose", "job", "jobs", "shared", "split", "side", "sided"}


def overview_side(raw: Sequence[str], content: Iterable[str]) -> Owner | None:
    """For a question with no topic ("what is the customer responsible for?"): the side it asks about,
    the first one named (customer, or provider/AWS/Azure/Google), or None. Security (or compliance) as a
    whole ("on google cloud is security overall google's job or ours") is the shared model itself."""
    words = set(content)
    if words & _WHOLE_TOPICS and words <= _OVERVIEW_FILLER | _WHOLE_TOPICS and _ASKS_WHO.intersection(raw):
        return Owner.shared
    if not words <= _OVERVIEW_FILLER or not _ASKS_RESPONSIBILITY.intersection(raw):
        return None
    if "who" in raw and "what" in raw:  # "who is responsible for what (in aws lambda)": the split itself
        return Owner.shared
    side = next((t for t in raw if t in _CUSTOMER_WORDS or t in _PROVIDER_SIDE), None)
    if side is None:
        return None
    return Owner.customer if side in _CUSTOMER_WORDS else Owner.provider


# single words (compared after stemming, on the words left once services and models are taken out)
_OUT_OF_SCOPE_WORDS = frozenset(stem(w) for w in """
bill billing invoice invoices pricing price prices cost costs pay pays paid payment refund
discount discounts budget budgets salary salaries lunch coffee parking holiday holidays vacation hiring
recruit recruiter recruiting candidate candidates interview interviews headcount payroll expense
expenses reimburse reimbursement tax taxes capital weather stock stocks ceo founder wrote invented resize
rename license licensing spend spending finops rightsizing rightsize cheapest cheaper expensive afford
quota quotas savings wifi printer printers standup calendar birthday pto exam exams
practitioner lawsuit lawsuits lawyer lawyers attorney penalty penalties fined procurement purchase
purchasing negotiate negotiates negotiating negotiation contract contracts tam
reinvent conference summit webinar keynote okr okrs dpo ciso recommend reimbursed reimbursing fee fees
charges charged paying billed cheap pricey tco roi
quiz quizzes trivia offsite offsites timezone timezones paged paging pager
""".split())
# phrases (compared on the raw words of the whole question), one per "|" or line
_OUT_OF_SCOPE_PHRASES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in re.split(r"[|\n]", """
on call|oncall|on duty|support plan|support plans|support case|support cases|support ticket|support tickets
enterprise support|business support|developer support|premium support|premier support|unified support
free tier|savings plan|savings plans|reserved instance|reserved instances|committed use|account manager
account managers|sales rep|re invent|legal advice|who won|sla credit|sla credits|service credit|service credits
data protection officer|how much money|certification should|certification to|certifications should
in the office|at the office|study for|prep for|per month|per hour|per year|per gb|per user|per request|per vcpu
time zone|time zones|what s the sla|what is the sla|whats the sla|what sla|which sla|next outage|when is the next
""") if p.strip())


_PAY = frozenset("pay pays paid paying buy buys buying bought".split())
_PAY_STEMS = frozenset(stem(w) for w in _PAY)
_BUY = frozenset("buy buys buying bought".split())
_NEGATIONS = frozenset("t not never without nt no".split())
# the provider offered as the one who already does it ("..., or is google already *doing it*")
_ALTERNATIVE_DOER = re.compile(r"\bor (is|does|do|will|would) (\w+ ){0,2}(doing|do|handling|handle|handles|protecting|"
                               r"protect|mitigating|mitigate|covering it|providing|provide)\b")


def not_a_purchase(raw: Sequence[str]) -> bool:
    """A word of paying or buying that asks no purchase: negated ("*without paying* for ddos network protection, does
    azure still do anything") or set against the provider doing it already ("do we have to buy something for basic
    ddos protection, or is google already doing it")."""
    at = [i for i, t in enumerate(raw) if t in _PAY]
    if all(i and raw[i - 1] in _NEGATIONS for i in at):
        return True
    # buying a product or plan, not paying a bill ("do we have to pay for egress or does aws do it")
    return (all(raw[i] in _BUY for i in at) and bool(_ALTERNATIVE_DOER.search(" ".join(raw)))
            and any(w in PROVIDER_WORDS for w in raw))


_BOUGHT_THINGS = frozenset("product products app apps tool tools software service services saas platform".split())


def _raw_word_out_of_scope(toks: Sequence[str], i: int) -> bool:
    """Words whose stem is ambiguous: "fines" (not "fine-grained"), "orders" (not "in order to"),
    "hire" (not "a new hire", who is onboarded)."""
    t, prev = toks[i], toks[i - 1] if i else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if t == "fine":
        return not nxt.startswith(("grain", "tun")) and prev not in {
            "is", "s", "it", "be", "are", "that", "all", "seems", "looks", "work", "works"}
    if t == "hire":
        return prev not in {"new", "a"}
    if t in {"buy", "buys", "buying", "bought"}:  # "a saas product we buy" names the thing asked about, not a purchase
        if prev in {"t", "not", "never", "without", "nt"}:  # "we didn't buy a ddos plan: are we still covered"
            return False
        if prev in {"we", "i"} and i >= 2 and toks[i - 2] in _BOUGHT_THINGS:
            return False
        # "if we buy *a saas product*, who patches ...": the product bought is what is asked about, with a who-word
        bought = [t for t in toks[i + 1:i + 4] if t not in {"a", "an", "the", "some", "new"}][:2]
        return not (bought and bought[-1] in _BOUGHT_THINGS and {"who", "whose"} & set(toks))
    return t in {"fines", "orders", "ordering", "ordered"}


# --- questions that are not about a duty at all (whatever cloud words they carry) -----------------------------
# a physical, household or clothing sense of a word ("patch the hole in the *wall*", "iron-on patches for *hoodies*")
_PHYSICAL_THINGS = frozenset("""wall walls kitchen kitchens ceiling ceilings roof roofs floor floors carpet carpets
doorway fridge toilet toilets bathroom couch sofa furniture paint painting drywall plaster
hoodie hoodies shirt shirts tshirt tshirts jacket jackets sweater sweaters jeans trousers pants socks sock jersey
jerseys sticker stickers mug mugs tyre tyres tire tires bike bikes car cars garden lawn
iron
typo typos readme spelling grammar""".split())  # and the editing sense ("patch the typo in the readme")
# events, people and internal logistics, not duties ("who's presenting the demo", "the jira board for X")
_EVENT_WORDS = frozenset("""presenting presenter presenters presentation presentations demo demos demoing keynote
keynotes announcement announcements announced newsletter podcast meetup meetups hackathon lunchandlearn""".split())
_NOT_A_DUTY_PHRASES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in re.split(r"[|\n]", """
what s new|whats new|what is new|what s changed|whats changed|release notes|is there an outage|is there any outage
any outage|outage right now|down right now|is it down|status page|reset my|unlock my|add me|give me|grant me|send me
my password|my laptop|my account|review my|my pr|my pull request|help me
slack channel|jira board|jira ticket|jira project|confluence page|wiki page
terraform module|terraform modules|terraform example|helm chart|helm charts|cloudformation template|bicep template
difference between|differences between|any tips|tips for|tips on
code sample|code snippet|sample code|driver version|sdk version|client library version|has feature|which feature
patch notes|patch note
meeting invite|meeting invites|calendar invite|calendar invites|meeting notes|the meeting|standup|offsite
""") if p.strip())
# how-to, version and limit trivia: out of scope unless the question also asks whose job it is
_HOW_TO = PhraseIndex((tuple(p.split()), True) for p in (
    "how to", "how do i", "how do you", "how can i", "how should i", "steps to", "tutorial for", "guide for",
    # history and personal sign-in, not duties ("when did aws launch kms", "which tenant should i log into")
    "when did", "when was", "when were", "log into", "log in to", "sign into",
    # dates ("which day patch tuesday falls on")
    "which day", "what day", "which date", "what date", "falls on"))
_TRIVIA_NOUNS = frozenset("limit limits version versions size sizes number quota quotas".split())
_TRIVIA_ASKS = frozenset("what whats which default max maximum latest current newest there".split())
_HOW_MANY = PhraseIndex({("how", "many"): True})
# words that ask whose job something is: with them, "how many days of backups do we keep, who sets that" is a duty
_ASKS_WHOSE = frozenset("who whose whom responsible responsibility responsibilities accountable job duty".split())
_DUTY_CUES = frozenset("""who whose whom responsible responsibility responsibilities accountable owner owns own
us we our ours job duty problem fault automatic automatically builtin built""".split())


# the provider's own layer named as the place of the duty ("vulnerability management for *google's infrastructure*",
# "incident response for the *underlying infrastructure*")
_LAYER_WORDS = frozenset("infrastructure platform hardware datacenter datacenters hosts backbone".split())
_OWNER_WORDS = frozenset({"underlying", "provider", "providers", "its", "their", *PROVIDER_WORDS})


def names_provider_layer(raw: Sequence[str]) -> bool:
    """The question places the duty on the provider's own infrastructure, platform or hardware."""
    for i, t in enumerate(raw):
        if t in _LAYER_WORDS and i:
            prev = raw[i - 2] if raw[i - 1] == "s" and i >= 2 else raw[i - 1]
            if prev in _OWNER_WORDS and not (prev in {"its", "their"} and "our" in raw[max(0, i - 4):i]):
                return True
    return False


def asks_a_duty(raw: Sequence[str]) -> bool:
    """The question has a word about whose job something is ("who", "us", "built in", ...)."""
    return bool(_DUTY_CUES.intersection(raw))


def not_a_duty(raw: Sequence[str]) -> bool:
    """True when the question does not ask who is responsible for a duty: a physical or household sense, an
    event or logistics question, a personal IT request, news, an outage status, tooling snippets, or how-to,
    version and limit trivia with no word about whose job it is."""
    if _PHYSICAL_THINGS.intersection(raw) or _EVENT_WORDS.intersection(raw):
        return True
    if _NOT_A_DUTY_PHRASES.find(raw) is not None:
        return True
    if _ASKS_WHOSE.intersection(raw):
        return False
    if _HOW_MANY.find(raw) is not None or asks_for_material(raw):  # "how many vcpus", "cli syntax to enable ttl"
        return True
    if _DUTY_CUES.intersection(raw):
        return False
    if _HOW_TO.find(raw) is not None:
        return True
    return any(t in _TRIVIA_NOUNS and _TRIVIA_ASKS.intersection(raw[max(0, i - 6):i]) for i, t in enumerate(raw))


def out_of_scope(raw: Sequence[str], content: Iterable[str]) -> bool:
    """True when the question is about a topic the matrix does not cover (see module doc)."""
    words = _OUT_OF_SCOPE_WORDS.intersection(content)
    if words and words <= _PAY_STEMS and not_a_purchase(raw):
        words = set()
    if words or not_a_duty(raw):
        return True
    if any(_raw_word_out_of_scope(raw, i) for i in range(len(raw)) if not (raw[i] in _PAY and not_a_purchase(raw))):
        return True
    if _OUT_OF_SCOPE_PHRASES.find(raw) is not None:
        return True
    return any(_asks_a_price(raw, i) for i in range(len(raw) - 2))


_VERBS_OF_AMOUNT = frozenset({"is", "are", "does", "do", "did", "would", "will"})


def _asks_a_price(toks: Sequence[str], i: int) -> bool:
    """ "how much is/does/would ..." asks a price or an amount, unless it asks how much is *on us* or
    *of* a duty."""
    if tuple(toks[i:i + 2]) != ("how", "much"):
        return False
    # "how much is ...", or "how much storage/space do we get": one or two words of what, then the verb
    at = next((k for k in range(i + 2, min(i + 5, len(toks))) if toks[k] in _VERBS_OF_AMOUNT), None)
    if at is None or (at > i + 2 and _ASKS_WHOSE.intersection(toks)):  # "how much downtime ..., who handles it"
        return False
    return not {"on", "of", "ours", "theirs", "responsible", "responsibility"}.intersection(toks[at + 1:at + 5])


# Product, database and engine names: a question word that is one of these is meant as written, so it
# is never read as a typo of a keyword word ("redis" is not "redid", "mongo" is not "among").
PRODUCT_NAMES = frozenset("""
postgres postgresql mysql mariadb oracle mongodb mongo redis valkey memcached cassandra kafka elasticsearch
opensearch sqlserver mssql db2 sap hana spark hadoop hive presto trino kubernetes k8s docker containerd
nginx apache tomcat iis wordpress jenkins terraform ansible windows linux ubuntu debian rhel centos
bottlerocket graphql grpc ldap kerberos radius saml oidc oauth scim okta codebuild codepipeline codecommit codedeploy
codeartifact github gitlab bitbucket
""".split())
# Words too broad to be a keyword on their own (compared stemmed).
_BROAD = frozenset(stem(w) for w in """security secure manage management service services protection data key keys
access log logs logging network networking user users account accounts policy policies rule rules config
configuration monitor monitoring update updates patch patching backup backups encrypt encryption control controls
identity identities secret secrets certificate certificates setting settings resource resources permission
permissions role roles app apps application applications storage compute database databases instance instances
cluster clusters server servers""".split())


def degenerate(raw: Sequence[str], toks: Sequence[str], *, bare_ok: bool = False) -> bool:
    """A keyword that is (or shrinks, once provider names are set aside, to) one broad word: "aws config"
    -> "config", "azure policy" -> "policy". It would match far too many questions. ``bare_ok``: a keyword
    written as that one word on purpose (a matrix row's "backups") is kept."""
    if len(toks) != 1 or toks[0] not in _BROAD:
        return False
    return not bare_ok or len([t for t in raw if t not in STOP_WORDS]) > 1
