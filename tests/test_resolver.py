"""The who-owns resolver against our own question set and the matrix's own words."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.datafiles import DataFileError, duplicate_key_problems
from bot.feature_state import asks_opt_in
from bot.matrix import Model, Owner, load_matrix, load_services
from bot.owners import load_owners
from bot.resolver import Resolver
from bot.task_match import TaskIndex
from bot.tasks import ServiceTasks, TaskCatalog
from bot.vocabulary import check_services, load_vocabulary

# who_owns_cases.yml plus the blind sets (who_owns_blind*.yml), each written from the public pages
CASE_FILES = sorted((Path(__file__).parent / "data").glob("who_owns_*.yml"))
CASES = [dict(case, file=f.stem) for f in CASE_FILES for case in yaml.safe_load(f.read_text())["cases"]]
MATRIX = load_matrix()
RESOLVER = Resolver(MATRIX, load_services(), load_owners(aspect_ids=MATRIX.ids))


def test_case_file_is_big_enough_and_sourced():
    assert {f.stem for f in CASE_FILES} >= {"who_owns_cases", "who_owns_blind2", "who_owns_blind3"}
    assert len(CASES) >= 80
    assert all(c.get("source") for c in CASES), "every case traces to a public source"
    assert sum(1 for c in CASES if c["expect"]["owner"] == "unknown") >= 10


# a case with ``known_miss`` (one line why) is expected to fail; strict, so that a later fix is noticed
CASE_PARAMS = [pytest.param(c, id=f"{c['file'][9:]}:{c['q'][:60]}",
                            marks=[pytest.mark.xfail(strict=True, reason=c["known_miss"])] if c.get("known_miss") else [])
               for c in CASES]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_question(case):
    answer = RESOLVER.who_owns(case["q"], provider=case.get("provider"))
    exp = case["expect"]
    got = {"owner": answer.owner.value, "aspect": answer.aspect,
           "service_model": answer.service_model.value if answer.service_model else None,
           "service": answer.service, "provider": answer.provider.value if answer.provider else None}
    want = {k: exp.get(k) for k in ("owner", "aspect", "service_model", "service", "provider") if k in exp}
    assert {k: got[k] for k in want} == want, answer.explanation


@pytest.mark.parametrize("aspect", MATRIX.aspects, ids=[a.id for a in MATRIX.aspects])
def test_every_row_reachable_by_title_and_each_keyword(aspect):
    for phrase in [aspect.title, *aspect.keywords]:
        answer = RESOLVER.who_owns(f"who owns {phrase}?")
        assert answer.aspect == aspect.id, f"{phrase!r} -> {answer.aspect}"
        assert answer.owner is not Owner.unknown


def test_unknown_never_carries_an_owner_or_aspect():
    for q in ["who pays the AWS bill?", "what is the capital of france", "who brings coffee",
              "who owns the office parking lot", "asdf qwerty"]:
        a = RESOLVER.who_owns(q)
        assert a.owner is Owner.unknown and a.aspect is None and a.team is None, q


def test_unknown_offers_did_you_mean():
    a = RESOLVER.who_owns("who owns the encrypton stuff for billing")
    assert a.owner is Owner.unknown
    a = RESOLVER.who_owns("who owns firewal confguration stuf")
    assert a.owner is not Owner.unknown or a.alternatives


def test_depends_gives_per_model_breakdown_not_a_guess():
    a = RESOLVER.who_owns("who patches the operating system?")
    assert a.owner is Owner.depends
    assert set(a.breakdown) == {"iaas", "paas", "saas"}
    assert a.service_model is None
    assert a.breakdown["iaas"].owner == "customer"


def test_service_implies_model_and_provider():
    a = RESOLVER.who_owns("who patches the OS on our EC2 boxes?")
    assert (a.owner, a.aspect, a.service, a.service_model, a.provider.value) == (
        Owner.customer, "guest_os", "aws_ec2", Model.iaas, "aws")
    assert a.service_model_stated and a.provider_stated


def test_explicit_model_word_wins_and_is_marked_stated():
    a = RESOLVER.who_owns("in saas, who patches the os?")
    assert a.service_model is Model.saas and a.service_model_stated
    assert a.owner is Owner.provider
    assert a.team is None  # no internal team owns a provider-side duty


def test_customer_answer_names_internal_team():
    a = RESOLVER.who_owns("who patches the OS on EC2?")
    assert a.team and a.team_name


def test_json_contract_keys():
    c = RESOLVER.who_owns("who owns mfa?").contract()
    assert list(c)[:8] == ["owner", "aspect", "service_model", "provider", "service", "explanation",
                          "team", "alternatives"]


def test_out_of_scope_wins_over_security_words():
    for q in ["what are the gdpr fines for a data breach", "who is on call tonight for security incidents",
              "how much is aws shield advanced per month", "which aws support plan covers guardduty",
              "who pays for cloudtrail log storage", "which aws certification should I take"]:
        a = RESOLVER.who_owns(q)
        assert a.owner is Owner.unknown and a.aspect is None and a.team is None, q
        assert "Did you mean" in a.explanation
    for q in ["who owns fine grained access control", "who provisions accounts for new hires",
              "how much of the os patching is on us in paas"]:
        assert RESOLVER.who_owns(q).owner is not Owner.unknown, q


def test_model_hints_without_a_service():
    a = RESOLVER.who_owns("who patches the os on our vms")
    assert (a.owner, a.service_model, a.service) == (Owner.customer, Model.iaas, None)
    a = RESOLVER.who_owns("for a managed database who patches the db engine")
    assert (a.owner, a.aspect, a.service_model) == (Owner.shared, "runtime_patching", Model.paas)


def test_typos_in_service_and_provider_names():
    assert RESOLVER.who_owns("aurroa backups").service == "aws_aurora"       # swapped letters
    assert RESOLVER.who_owns("lamda runtime updates").service == "aws_lambda"  # dropped letter
    assert RESOLVER.who_owns("azrue sql tde").service == "azure_sql_database"
    assert RESOLVER.who_owns("who owns entry to the datacenter").service is None  # a word, not "entra"
    assert RESOLVER.who_owns("who manages dlp in workspace").service != "aws_workspaces"  # not a plural typo


def test_no_topic_but_a_side_is_an_overview():
    a = RESOLVER.who_owns("what is aws responsible for?")
    assert (a.owner, a.aspect, a.provider.value) == (Owner.provider, None, "aws")
    assert RESOLVER.who_owns("what is the customer responsible for?").owner is Owner.customer
    assert RESOLVER.who_owns("who owns it?").owner is Owner.unknown


# --- provider vocabulary (data/provider_vocabulary.yml) ------------------------------------------------------
VOCABULARY = load_vocabulary()


def test_vocabulary_services_exist_and_belong_to_the_terms_provider():
    check_services(VOCABULARY, load_services())
    assert len(VOCABULARY.terms) >= 10


@pytest.mark.parametrize("term", VOCABULARY.terms, ids=[t.phrases[0] for t in VOCABULARY.terms])
def test_each_vocabulary_term_names_its_provider(term):
    for phrase in term.phrases:
        context = f"{term.context[0]} " if term.context else ""
        a = RESOLVER.who_owns(f"who is responsible for the {context}{phrase} settings")
        assert a.provider is term.provider, (phrase, a.provider)
        if term.service:
            assert a.service == term.service, (phrase, a.service)


def test_vocabulary_term_needs_its_context_and_yields_to_a_named_service():
    assert VOCABULARY.find("who can scp files onto the box") is None  # secure copy, not a service control policy
    # "subscription" is Azure's next to roles, but an SNS or Pub/Sub subscription names its own service
    assert RESOLVER.who_owns("who grants owner on the prod subscription").provider.value == "azure"
    assert RESOLVER.who_owns("who secures the sns subscription endpoints").service == "aws_sns"
    assert RESOLVER.who_owns("who manages access to the pub/sub subscription").service == "gcp_pubsub"
    # a provider named outright wins over the term
    assert RESOLVER.who_owns("who rotates kms keys on google cloud").provider.value == "gcp"
    # a word the term lists under `unless` stops it: EKS's own private endpoint is not Azure's
    assert VOCABULARY.find("who sets up the private endpoint for our storage account").provider.value == "azure"
    assert VOCABULARY.find("eks private endpoint on - who creates the dns records") is None


def test_vocabulary_term_names_its_service_once_its_provider_is_named():
    a = RESOLVER.who_owns("do we set up snapshot schedules for our pds or does google")
    assert (a.provider.value, a.service) == ("gcp", "gcp_persistent_disk")


def test_security_as_a_whole_is_the_shared_model():
    for q, prov in [("on google cloud is security overall google's job or ours", "gcp"),
                    ("for azure, whose job is security in general, microsoft's or ours", "azure"),
                    ("who is responsible for security?", None)]:
        a = RESOLVER.who_owns(q)
        assert (a.owner, a.aspect) == (Owner.shared, None), q
        assert (a.provider.value if a.provider else None) == prov
    assert RESOLVER.who_owns("what is aws responsible for?").owner is Owner.provider


def test_a_region_outage_for_our_app_is_workload_resilience_not_the_region_itself():
    a = RESOLVER.who_owns("if a whole aws region goes down whose job is it that our app keeps running elsewhere")
    assert (a.owner, a.aspect) == (Owner.customer, "backup_dr")
    assert RESOLVER.who_owns("who keeps the aws region itself up during an outage").owner is Owner.provider


def test_a_bucket_with_no_provider_takes_the_owner_the_providers_agree_on():
    a = RESOLVER.who_owns("bucket versioning, do we have to switch it on ourselves")
    assert (a.owner, a.provider, a.service) == (Owner.customer, None, None)
    # a redis may run on our own VM: no agreement is read into it
    assert RESOLVER.who_owns("who patches redis").owner is Owner.depends


def test_negated_purchase_is_not_a_purchase_question():
    a = RESOLVER.who_owns("we didn't buy any ddos plan, is azure still protecting our public ips at the infra level")
    assert a.owner is not Owner.unknown and a.aspect == "ddos_protection"
    assert RESOLVER.who_owns("should we buy ddos protection").owner is Owner.unknown


def test_data_files_write_no_key_twice():
    data = Path(__file__).parent.parent / "data"
    problems = {str(p): duplicate_key_problems(p) for p in [*data.glob("*.yml"), *data.glob("tasks/*/*.yml")]}
    assert {p: found for p, found in problems.items() if found} == {}


def test_who_turns_on_a_feature_asks_the_customer_half_of_a_split_task():
    a = RESOLVER.who_owns("who enables automatic minor version upgrade on rds")
    assert (a.owner, a.task.id) == (Owner.customer, "aws_rds.auto_minor_upgrade_applied")
    # a default asks something else: no opt-in reading
    assert not asks_opt_in(["is", "scanning", "enabled", "by", "default"], "Turns on scanning.")
    assert asks_opt_in(["who", "turns", "on", "scanning"], "Turns on scanning.")


def test_a_feature_said_to_be_on_asks_the_work_the_provider_does_once_it_is_on():
    a = RESOLVER.who_owns("zone redundant ha is on for our postgres flex server, if the primary zone dies who fails it over")
    assert (a.owner, a.service) == (Owner.provider, "azure_postgresql")
    # the verb asked is the customer's side of the task: no change
    a = RESOLVER.who_owns("pitr is enabled on our dynamodb table, who restores it after a bad deploy")
    assert a.owner is Owner.customer


def test_a_keyword_whose_topic_is_a_stop_word_matches_only_as_written():
    s3 = ServiceTasks.model_validate({
        "service": "aws_s3", "sources": {"p": {"title": "S3 page", "url": "https://docs.aws.amazon.com/s3"}},
        "tasks": [{"id": "ownership", "title": "Set object ownership to bucket owner enforced", "aspect": "iam",
                   "owner": "provider", "provider_does": "Creates buckets with ACLs off.", "customer_does": "",
                   "keywords": ["object ownership"], "source": "p"}]})
    index = TaskIndex(TaskCatalog(by_service={"aws_s3": s3}), load_services(), MATRIX)
    assert index.best("aws_s3", {"object"}, written=["tagging", "s3", "objects"]) is None
    assert index.best("aws_s3", {"object"}, written=["object", "ownership"]).task.id == "ownership"


# -- the duty frame (bot/duty.py), the verb asked, short forms, provider terms over aliases --------------------------
@pytest.mark.parametrize("q", [
    "who's taking notes at the bigquery migration retro",   # the object is no thing of the catalogue
    "can someone patch me into the sev2 bridge for the rds outage",  # a duty verb done to a person
    "what port does azure sql database listen on",         # a fact, no word about whose job
    "how long does it take to spin up a new gke cluster",
    "who has the spare yubikey for testing entra mfa",     # a thing someone holds, not a right
])
def test_a_question_that_asks_no_duty_gets_no_owner(q):
    assert RESOLVER.who_owns(q).owner is Owner.unknown


@pytest.mark.parametrize("q", [
    "who patches the kernal on our lightsail box",        # a typo of a catalogue word is still one
    "who is responsible for knowing which of our datasets hold pii",  # a gerund, then its object
    "rds db ran out of disk space, who should have caught that",      # "should have" is an auxiliary
    "what do we need to do for s3 encryption",           # a what-question about our side
])
def test_a_question_that_asks_a_duty_is_not_turned_away(q):
    assert RESOLVER.who_owns(q).owner is not Owner.unknown


def test_the_verb_asked_outranks_a_participle_placing_the_thing():
    a = RESOLVER.who_owns("acm cert we requested with dns validation, attached to cloudfront - do we need to renew it")
    assert (a.service, a.task.id if a.task else None, a.owner) == ("aws_acm", "aws_acm.managed_renewal", Owner.provider)


def test_ha_is_spelled_out_only_where_it_is_the_thing_wanted():
    setup = RESOLVER.who_owns("cloud sql instance has no ha right now, whose job is it to set that up")
    failover = RESOLVER.who_owns("cloud sql ha failover, who does it")
    assert setup.task is not None and setup.task.id == "gcp_cloud_sql.high_availability"
    assert failover.task is not None and failover.task.id == "gcp_cloud_sql.automatic_failover"


def test_a_provider_term_spanning_an_alias_names_its_provider():
    a = RESOLVER.who_owns("regional internal application lb, who scales the envoy proxies")
    assert a.provider is not None and a.provider.value == "gcp" and a.service == "gcp_load_balancing"
    vms = RESOLVER.who_owns("who patches the backend vms behind our external passthrough network lb")
    assert (vms.service, vms.owner) == ("gcp_compute_engine", Owner.customer)


@pytest.mark.parametrize("q", [
    "who do we ask to rotate the kms keys",       # "who do we ...": a person asked to act
    "what team owns vpc flow logs",               # a what-question about an owner
    "which side patches the hypervisor",
    "what does google do for gke node security",  # the provider as the one who acts
])
def test_a_what_or_who_question_about_an_owner_gets_one(q):
    assert RESOLVER.who_owns(q).owner is not Owner.unknown


# --- round 6: requests for material, the provider's own layer, feature states, names ------------------------
@pytest.mark.parametrize("q, out_of_scope", [
    ("aws cli command to turn on versioning for an s3 bucket?", True),
    ("gcloud flag to enable automatic storage increase on a cloud sql instance", True),   # a feature's name, not a duty
    ("terraform for an s3 bucket policy that denies http", True),
    ("enable mfa on the root user - how", True),
    ("can we get a higher lambda concurrency limit", True),
    ("when does the rds maintenance window start by default", True),                     # a time asked "by default"
    ("who should i ask for access to the prod aws account", True),                        # a person is wanted
    ("dynamodb ttl - us or aws?", False),                                                 # no who-word, still a duty
    ("cli access keys rotation, us or aws?", False),
])
def test_requests_for_material_and_persons_are_out_of_scope(q, out_of_scope):
    assert (RESOLVER.who_owns(q).owner is Owner.unknown) is out_of_scope, q


def test_security_as_a_whole_split_or_one_side_is_the_shared_overview():
    a = RESOLVER.who_owns("is security on gcp one sided or a split")
    assert (a.owner, a.provider.value if a.provider else None, a.aspect) == (Owner.shared, "gcp", None)


def test_the_provider_own_layer_is_not_pulled_into_one_service_task():
    a = RESOLVER.who_owns("on google cloud who secures the server hardware, boot chain and the hypervisor isolating "
                          "tenants' vms")
    assert (a.owner, a.task) == (Owner.provider, None)
    vuln = RESOLVER.who_owns("who does vulnerability management for google's infrastructure")
    assert vuln.owner is Owner.provider


def test_a_feature_never_turned_on_leaves_the_duty_with_the_customer():
    a = RESOLVER.who_owns("who has to patch windows on our azure vms? we never turned on automatic guest patching")
    assert a.owner is Owner.customer
    on = RESOLVER.who_owns("rds minor version patches on autopilot once auto minor upgrade is on?")
    assert on.owner is Owner.provider


@pytest.mark.parametrize("q, service", [
    ("anyone know the on-demand price per tb for big querry", "gcp_bigquery"),          # a letter typed twice
    ("cost of big quary storage", "gcp_bigquery"),                                      # one letter off, beside "big"
    ("who renews certs in certificate manager on gcp", "gcp_certificate_manager"),      # a name two providers use
    ("rds for sql server - who patches the microsoft sql engine", "aws_rds"),           # the maker of the software
    ("who sets up mfa for workspaces users", "aws_workspaces"),                         # a plural that is a name
    ("we have a cloud sql instance, who should set it up for ha", "gcp_cloud_sql"),
])
def test_names_inside_and_around_product_names(q, service):
    assert RESOLVER.who_owns(q).service == service, q


def test_a_service_overview_lists_its_tasks_by_owner():
    a = RESOLVER.who_owns("what's aws responsible for with rds")
    assert a.owner is Owner.provider and a.service == "aws_rds" and "You:" in a.explanation


def test_a_denied_variant_of_two_means_the_other():
    a = RESOLVER.who_owns("we're not on autopilot, who patches the gke nodes")
    assert a.variant == "standard" and a.owner is Owner.shared


@pytest.mark.parametrize("q", [
    "what steps does aws take to secure the hypervisor",      # "steps", but the provider's part is asked
    "show me what google does for gke node patching",
    "example of what azure handles for sql database backups",
])
def test_a_request_about_what_the_provider_does_is_a_duty_question(q):
    assert RESOLVER.who_owns(q).owner is not Owner.unknown, q


def test_a_side_of_a_named_service_as_a_whole_lists_its_tasks():
    a = RESOLVER.who_owns("which parts of gke security are google's")
    assert (a.owner, a.service) == (Owner.provider, "gcp_gke")
    assert RESOLVER.who_owns("what's left for us on cloud run security").owner is Owner.customer


@pytest.mark.parametrize("q, service", [
    ("who patches the runtime of serverless functions on azure?", "azure_functions"),
    ("who turns on versioning for gcp object storage?", "gcp_cloud_storage"),    # a kind named with the provider
    ("who patches the hosts under serverless containers on aws?", "aws_fargate"),  # a model word starts it
    ("who applies minor patches to managed postgres on azure?", "azure_postgresql"),
    ("who encrypts object storage by default?", None),                            # no provider named: no service
    ("basic l3/l4 ddos protection for cloudfront and route53, do we need to set anything up?", "aws_cloudfront"),
])
def test_a_kind_of_service_named_with_its_provider_is_its_service(q, service):
    assert RESOLVER.who_owns(q).service == service, q


def test_a_kind_given_to_two_services_of_one_provider_is_refused(tmp_path):
    data = yaml.safe_load(Path("data/services.yml").read_text())
    data["services"][0]["kinds"] = ["object storage"]  # aws_s3's already
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(DataFileError) as exc:
        load_services(path)
    assert "services[9] (aws_s3): kind 'object storage' is already aws_ec2's for aws" in exc.value.render()


@pytest.mark.parametrize("q, service, owner", [
    # a service that reaches other clouds, named beside one of them: the other cloud is where it reaches
    ("arc-enabled servers running in aws - who patches the os", "azure_arc", Owner.customer),
    ("gke attached clusters on aws - who patches the node os", "gcp_gke_attached_clusters", Owner.customer),
    ("defender for cloud connected to our aws accounts - who enables the plans", "azure_defender_for_cloud",
     Owner.customer),
    # ... while a service that does not reach there stays unread beside that provider
    ("cloud run services running in aws - who patches the runtime", None, None),
])
def test_a_service_that_reaches_other_clouds_is_read_beside_them(q, service, owner):
    a = RESOLVER.who_owns(q)
    assert a.service == service, q
    if owner is not None:
        assert a.owner is owner, q


def test_a_service_reaching_its_own_provider_is_refused(tmp_path):
    data = yaml.safe_load(Path("data/services.yml").read_text())
    arc = next(s for s in data["services"] if s["id"] == "azure_arc")
    arc["reaches"] = ["aws", "azure"]
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(DataFileError) as exc:
        load_services(path)
    assert "(azure_arc): reaches lists its own provider 'azure'" in exc.value.render()


@pytest.mark.parametrize("q, owner, aspect", [
    ("when google retires a failed disk that held our data, who destroys it?", Owner.provider, "host_hardware"),
    ("on azure, whose bucket is patching the host os?", Owner.provider, "provider_host_os"),  # an idiom, not storage
    ("tagging which of our records are confidential on azure - our homework?", Owner.customer, "data_protection"),
    ("azure paas: who responds to security incidents in the platform itself?", Owner.provider, "incident_response"),
    ("after the big outage last week: resiliency on aws overall, whose job?", Owner.shared, "reliability"),
    ("who gets the iso audits done for google's data centers?", Owner.provider, "infrastructure_compliance"),
    ("our pentesters found a vuln in a google cloud service itself, who fixes it?", Owner.provider,
     "vulnerability_testing"),
    ("does aws pentest the apps we host on ec2 for us?", Owner.customer, "vulnerability_testing"),
])
def test_reading_rules_of_the_session_of_09_36(q, owner, aspect):
    a = RESOLVER.who_owns(q)
    assert (a.owner, a.aspect) == (owner, aspect), q
