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
* Topics and questions the matrix must not answer (billing, on-call, how-to trivia...): bot/off_topic.py.
A provider's own word in context (an Azure subscription with roles, a Google project, "kms", "gs://") is data:
data/provider_vocabulary.yml, read by bot/vocabulary.py. A task feature asked on, stated on or stated off:
bot/feature_state.py.
"""
from __future__ import annotations

from typing import Iterable, Sequence

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
    ("onprem",): Model.on_prem, ("selfhosted",): Model.on_prem,
    ("own", "datacenter"): Model.on_prem, ("traditional", "datacenter"): Model.on_prem,
})
# words that only say "the model" after a model word ("in an iaas deployment"): taken out with it
# the three cloud service models by name ("iaas vs paas": a question asked across them)
CLOUD_MODEL_WORDS = frozenset({"iaas", "paas", "saas"})
MODEL_CONTEXT_WORDS = frozenset("""deployment deployments model models environment environments setup world
offering offerings solution solutions context scenario scenarios land""".split())

_MANAGED_THINGS = """database databases db dbs service services kubernetes k8s platform platforms runtime
runtimes sql postgres postgresql mysql redis cache queue queues container containers cluster clusters
offering offerings nosql warehouse functions""".split()
MODEL_HINTS: PhraseIndex = PhraseIndex({
    **{("managed", thing): Model.paas for thing in _MANAGED_THINGS},
    ("fully", "managed"): Model.paas, ("provider", "managed"): Model.paas,
    ("platform", "services"): Model.paas,  # "when we run on azure *platform services*" (Microsoft's word for PaaS)
    # AWS's "abstracted services" (S3, DynamoDB, SQS), which services.yml maps to PaaS
    ("abstracted", "services"): Model.paas, ("abstracted", "service"): Model.paas,
    ("abstracted", "aws", "services"): Model.paas,
    ("vm",): Model.iaas, ("vms",): Model.iaas, ("virtual", "machine"): Model.iaas,
    ("virtual", "machines"): Model.iaas, ("self", "managed"): Model.iaas, ("lift", "and", "shift"): Model.iaas,
    ("bare", "metal"): Model.iaas, ("dedicated", "host"): Model.iaas, ("dedicated", "hosts"): Model.iaas,
    ("selfhosted",): Model.iaas, ("in", "our", "vpc"): Model.iaas, ("in", "our", "vnet"): Model.iaas,
    **{(os_name, word): Model.iaas for os_name in ("windows", "linux")
           for word in ("server", "servers", "box", "boxes")},
    # third-party SaaS products people name when they mean "a SaaS app"
    **{(name,): Model.saas for name in
       "salesforce workday servicenow zendesk dropbox docusign hubspot okta zoom github jira confluence".split()},
})

PROVIDER_WORDS: dict[str, Provider] = {
    "aws": Provider.aws, "amazon": Provider.aws,
    "azure": Provider.azure, "microsoft": Provider.azure, "msft": Provider.azure, "ms": Provider.azure,
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
    # "our vm", "our instances" once the provider is known is its virtual machine service
    word: {Provider.aws: "aws_ec2", Provider.gcp: "gcp_compute_engine", Provider.azure: "azure_vm"}
    for word in ("vm", "vms", "instance", "instances")} | {
    # a bastion host on Azure is Azure Bastion; on AWS and Google it is a VM the customer runs
    word: {Provider.azure: "azure_bastion"} for word in ("bastion", "bastions")} | {
    # Azure's WAF is a feature of Front Door and Application Gateway, not a service of its own
    word: {Provider.aws: "aws_waf", Provider.gcp: "gcp_cloud_armor"} for word in ("waf", "wafs")} | {
    # "kms key rotation in gcp": once the provider is known, its key management service
    word: {Provider.aws: "aws_kms", Provider.gcp: "gcp_cloud_kms", Provider.azure: "azure_key_vault"}
    for word in ("kms",)}
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
    Owner.depends: (
        "How much of it is yours depends on the service model: on IaaS most of the stack above the hypervisor "
        "(guest OS, network rules, data, identities, applications), on PaaS your data, identities, access, "
        "configuration and code, on SaaS mainly your data, users and tenant settings. Name the model or the service "
        "for its split."),
    Owner.customer: (
        "Security *in* the cloud is yours: your data, identities and access, network and firewall "
        "configuration, guest OS patching on IaaS, encryption choices and applications. How much of it "
        "depends on the service model: ask about a specific duty for the per-row answer."),
}
HEADLINES: PhraseIndex = PhraseIndex({
    ("security", "of", "the", "cloud"): Owner.provider, ("security", "in", "the", "cloud"): Owner.customer,
    # ... with the provider's name in it ("security *in* the aws cloud, is that our part?")
    **{("security", "of", "the", p, "cloud"): Owner.provider for p in PROVIDER_WORDS},
    **{("security", "in", "the", p, "cloud"): Owner.customer for p in PROVIDER_WORDS},
    ("infrastructure", "that", "runs"): Owner.provider, ("protects", "the", "infrastructure"): Owner.provider,
    ("protecting", "the", "infrastructure"): Owner.provider, ("protect", "the", "infrastructure"): Owner.provider,
    ("security", "of", "the", "infrastructure"): Owner.provider,
    ("cloud", "infrastructure", "security"): Owner.provider, ("foundation", "services"): Owner.provider,
    ("foundational", "services"): Owner.provider,
    # the customer's workloads secured as a whole: what runs in the cloud (the seed guides' "security in the cloud")
    # ("our own workloads" reads "byo workloads")
    **{(verb, ours, noun): Owner.customer for verb in ("secure", "secures", "securing", "protect", "protects",
                                                      "protecting") for ours in ("our", "byo") for noun in ("workload", "workloads")},
    **{("security", "of", ours, "workloads"): Owner.customer for ours in ("our", "byo")},
    # the seed guides: the customer secures the parts of the cloud it controls (which parts, the model decides)
    **{(noun, "we", "control"): Owner.customer for noun in ("components", "parts", "pieces")},
    # ... and owned as a whole ("who is responsible for our workloads on google cloud")
    **{(*lead, ours, noun): Owner.customer for lead in (("responsible", "for"), ("responsibility", "are"),
                                                        ("who", "owns"), ("responsibility", "is"))
       for ours in ("our", "byo") for noun in ("workload", "workloads")},
    # AWS: "the management, operation and verification of IT controls" is shared, as is security and compliance
    ("it", "controls"): Owner.shared, ("security", "and", "compliance"): Owner.shared,
    ("compliance", "and", "security"): Owner.shared,
})
_OVERVIEW_FILLER = frozenset(stem(w) for w in """shared model srm generally general overall exactly always retain
retained keep kept basically mostly really entirely completely fully all one side sided sides split both between half
either sit sits lie lies fall falls land lands ops devops secops sre infosec party parties now still mean means
as whole entire entirety cover covers covered covering use uses using usage""".split()) | frozenset(  # ("handle" is a stop word)
    stem(w) for w in  # chat around the question ("sorry if dumb q but ...", "thx!")
    """thx thanks ty tia cheers pls plz please sorry dumb silly stupid basic asking friend lol btw fyi asap urgent
    curious wondering quick hey hi hello folks everyone anyone if q qq thing things hand problem problems purely solely
only just so too also everything have has""".split())
# the words for our own side ("us or aws", "which side is *us*")
OUR_WORDS = frozenset({"we", "us", "our", "ours"})
_CUSTOMER_WORDS = OUR_WORDS | {"customer", "customers", "i", "me", "my", "tenant", "tenants"}
_PROVIDER_SIDE = frozenset({"provider", "providers", "csp", "csps", "vendor", "vendors", *PROVIDER_WORDS})
_ASKS_RESPONSIBILITY = frozenset({"responsible", "responsibility", "responsibilities", "own", "owns", "accountable"})


_WHOLE_TOPICS = frozenset(stem(w) for w in ("security", "compliance"))
# "security on google cloud *managed services* overall": the kind of service asked about, not a topic
_KINDS_OF_SERVICE = frozenset(stem(w) for w in """managed service services platform platforms run runs running
deploy deployed host hosted build workload workloads stuff once""".split())  # "... of what we *run* on google cloud",
# "... google's job *once* we're on *managed stuff*?"
# "is security on gcp *shared* or all on *one side*": asks how the whole is split
_ASKS_WHO = _ASKS_RESPONSIBILITY | {"who", "whose", "job", "jobs", "shared", "split", "side", "sided"}


# ("*how much of* the security is ours": a part; "security *config*": the security as set up; "*like* ec2": an example)
_PART_WORDS = frozenset(stem(w) for w in """part parts left still bit bits piece pieces side sides much config configuration
like""".split())


def _side_named(raw: Sequence[str]) -> Owner | None:
    """The side of the split the question names first: the customer ("we", "our", ...) or the provider."""
    side = next((t for t in raw if t in _CUSTOMER_WORDS or t in _PROVIDER_SIDE), None)
    if side is None:
        return None
    return Owner.customer if side in _CUSTOMER_WORDS else Owner.provider


_CONFIGURED = frozenset(stem(w) for w in ("config", "configuration"))


def _tag_question(raw: Sequence[str]) -> bool:
    """The question ends by asking to confirm the side it names ("all the security config is on *us right*?")."""
    return len(raw) >= 2 and raw[-1] == "right" and (raw[-2] in _CUSTOMER_WORDS or raw[-2] in _PROVIDER_SIDE)


def service_side(raw: Sequence[str], content: Iterable[str]) -> Owner | None:
    """For a named service and no duty ("which parts of gke security are google's", "what's left for us on cloud
    run security"): the side asked, for the service's own split."""
    whole = _WHOLE_TOPICS | _SECURING | _RUNNING if AS_A_WHOLE.intersection(raw) else _WHOLE_TOPICS | _SECURING
    words = set(content) - whole - _OVERVIEW_FILLER - _PART_WORDS - _SERVICE_THINGS - _SINCE_MANAGED - _IN_PROD
    if _tag_question(raw):  # "... is on us, *right*?": asks to confirm, not a right
        words.discard(stem("right"))
    if words - _RUNNING:
        return None
    if "who" in raw and "what" in raw and not words - _RUNNING:  # "apigee hybrid: who operates what?": its split
        return Owner.shared
    if words:  # "cloud sql - *running and operating it* in prod, is that *us or google*?": the service as a whole
        return Owner.shared if _both_sides_named(raw) else None
    # (not the security *as configured*: "all the security config on the instances is on us, right?" asks our side)
    configured = bool(_CONFIGURED.intersection(content))
    if not configured and (_both_sides_named(raw) or (whole.intersection(content) and (
            AS_A_WHOLE.intersection(raw) or _ALL_ON.intersection(raw) or _ASKS_WHO.intersection(raw)))):
        # the choice between the sides ("gke standard cluster - who manages it, *google or us*?", "security of an eks
        # cluster as a whole, aws or us?"), or the whole asked ("cloud sql - overall who is responsible for running
        # it", "securing *our* ci pipelines in cloud build, *whose* responsibility": "our" says whose pipelines, not
        # which side): the service's split itself, not the side named first
        return Owner.shared
    return _side_named(raw)


# the thing a service question is about when it asks about the service as such ("security of an eks *cluster*",
# "securing our cloud build *pipelines*", "eventbridge *buses*")
_SERVICE_THINGS = frozenset(stem(w) for w in """cluster clusters instance instances environment environments deployment
deployments database databases account accounts workload workloads whole as pipeline pipelines build builds bus buses
job jobs topic topics setup ci cd estate estates fleet fleets footprint landscape stuff mode modes""".split())
# "we just *moved* to cloud sql - running and operating it *in prod*": where and since when, not a part of the service
_IN_PROD = frozenset(stem(w) for w in "prod production move moved migrated".split())
_SECURING = frozenset({stem("securing"), stem("securely"), stem("safely")})  # "*securing* our cloud build pipelines - google or us?"
# "is it all on google *since* it's *managed*?": why the asker thinks so, not a part of the service
_SINCE_MANAGED = frozenset(stem(w) for w in "since managed because".split())
AS_A_WHOLE = frozenset("whole overall general entire".split())
# "dataflow security - is it *all* on google since it's managed?": whether one side has all of it asks the split
_ALL_ON = frozenset("all entirely fully completely just only solely purely everything".split())  # ("is security on aws *just
# aws's problem* or ours too?")
_RUNNING = frozenset(stem(w) for w in "running operating run operate operates".split())  # the service as a whole, with "overall"


def _both_sides_named(raw: Sequence[str]) -> bool:
    """ "aws *or* us", "google or ours": the question names both sides as the choice."""
    return any(t in _CUSTOMER_WORDS for t in raw) and any(t in _PROVIDER_SIDE for t in raw)


# a regulation or compliance as such ("pci dss on google cloud", "privacy compliance (gdpr etc) for stuff we run")
_REGULATIONS = frozenset(stem(w) for w in """compliance compliant regulation regulations regulatory privacy gdpr pci dss
hipaa sox iso soc fedramp""".split())
COMPLIANCE_OVERVIEW = (
    "Compliance as a whole is shared: the provider certifies its infrastructure and services (SOC, ISO, PCI DSS and "
    "others) and shares the reports and the list of services in scope; you make what you build on it compliant - "
    "which regulations apply, your configuration, data handling, retention and the evidence for your auditors.")


ON_PREM_OVERVIEW = (
    "What runs on premises is yours, whichever cloud it is connected to: the building, hardware, network, operating "
    "systems, identities (such as domain controllers synced to the cloud), applications and data. The cloud side of "
    "the connection follows the usual split.")


def compliance_as_a_whole(raw: Sequence[str], content: Iterable[str]) -> bool:
    """ "pci dss on google cloud, is that google's responsibility or ours?": a regulation (or compliance) as such, no
    duty under it (retention, residency, which controls apply), with the sides set against each other."""
    words = set(content) - PROVIDER_STEMS
    if words & _WORKLOAD_WORDS and _sides_as_the_choice(raw):
        # "pci audit coming up for our eks fargate workloads - is compliance aws's job or ours?": the regulation set
        # between the sides for the workloads as a whole (a duty under it - which controls apply - stays ours)
        words -= _WORKLOAD_WORDS
    # "*who owns* regulatory compliance once we're in *the cloud*": compliance as such asked of the cloud as a whole
    # (no side named) is the whole split; bare ("who owns compliance?") it is the workload's row, and so is a named
    # regulation ("who is responsible for hipaa compliance")
    return bool(words & _REGULATIONS) and words <= _REGULATIONS | _OVERVIEW_FILLER | _COMPLIANCE_CHAT and (
        _both_sides_named(raw) or "whose" in raw
        or ("who" in raw and bool(_ASKS_RESPONSIBILITY.intersection(raw)) and words & _REGULATIONS <= _COMPLIANCE_AS_SUCH
            and bool({"cloud", "clouds"}.intersection(raw))))


_COMPLIANCE_AS_SUCH = frozenset(stem(w) for w in "compliance compliant regulation regulations regulatory".split())


_WORKLOAD_WORDS = frozenset(stem(w) for w in "workload workloads audit audits coming up certified".split())


def _sides_as_the_choice(raw: Sequence[str]) -> bool:
    """The sides are the choice asked ("aws's job *or ours*", "google *or us*"), or the provider is offered as the one
    who carries it all ("google is certified so *it's all on them*?")."""
    for i, t in enumerate(raw):
        if t in {"or", "vs", "versus"}:
            before, after = set(raw[max(0, i - 3):i]), set(raw[i + 1:i + 4])
            if (before & _PROVIDER_SIDE and after & _CUSTOMER_WORDS) or (before & _CUSTOMER_WORDS and after & _PROVIDER_SIDE):
                return True
        if t == "all" and i + 2 < len(raw) and raw[i + 1] == "on" and (raw[i + 2] in _PROVIDER_SIDE or raw[i + 2] == "them"):
            return True
    return False


# the move to the cloud as the time asked about ("is security all on google *once we move there*")
_MOVING_IN = frozenset(stem(w) for w in "once move moves moving moved migrate migrating migrated".split())
# words around compliance as such (the move among them); not "workloads" ("compliance *of our workloads*" is the
# customer's row)
_COMPLIANCE_CHAT = frozenset(stem(w) for w in """stuff cloud clouds public etc run runs running host hosted build deploy
carry carries carried handle handles own owns job responsible responsibility use uses using make makes hook problem
problems provider providers csp csps someone asked ask whether so review reviews quarterly annual yearly""".split()) | _MOVING_IN


_HOW_WE_USE = PhraseIndex((tuple(p.split()), True) for p in (
    "how we use", "how we configure", "how we set up", "the way we use"))


def _how_much_of(raw: Sequence[str]) -> bool:
    """ "how *much of* security is on us": a share of the whole, not a price ("how much is cloud sql")."""
    return any(tuple(raw[i:i + 3]) == ("how", "much", "of") for i in range(len(raw) - 2))


def overview_side(raw: Sequence[str], content: Iterable[str]) -> Owner | None:
    """For a question with no topic ("what is the customer responsible for?"): the side it asks about,
    the first one named (customer, or provider/AWS/Azure/Google), or None. Security (or compliance) as a
    whole ("on google cloud is security overall google's job or ours") is the shared model itself."""
    words = set(content) - PROVIDER_STEMS  # "is security on google cloud *google's* problem or ours"
    if tuple(raw[-2:]) == ("or", "not"):  # "is security on google cloud shared between google and us *or not*"
        words -= {stem("not")}
    how_much = _how_much_of(raw)
    if how_much:
        words -= {stem("much")}
    if words & _WHOLE_TOPICS and words <= _OVERVIEW_FILLER | _WHOLE_TOPICS | _KINDS_OF_SERVICE | _MOVING_IN and (
            _ASKS_WHO.intersection(raw) or _both_sides_named(raw)  # "... overall - is that us or google?"
            or (_ALL_ON.intersection(raw) and _PROVIDER_SIDE.intersection(raw))):  # "is security *fully aws's*?"
        # "how much of the workload security is on us vs the csp": the share asked varies with the model
        if how_much:
            return Owner.depends if not any(t in PROVIDER_WORDS for t in raw) else Owner.shared
        # "security of *how we use* the services": the customer's use of the cloud, its half of the model (not set
        # against the service's own security: "security of the service *vs* how we use it, whose job is *what*")
        ours = _HOW_WE_USE.find(raw) is not None and not {"vs", "versus", "what"} & set(raw)
        return Owner.customer if ours else Owner.shared
    if not words <= _OVERVIEW_FILLER or not _ASKS_RESPONSIBILITY.intersection(raw):
        return None
    if "who" in raw and "what" in raw:  # "who is responsible for what (in aws lambda)": the split itself
        return Owner.shared
    return _side_named(raw)


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
