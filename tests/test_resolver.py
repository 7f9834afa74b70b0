"""The who-owns resolver against our own question set and the matrix's own words."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.matrix import Model, Owner, load_matrix, load_services
from bot.owners import load_owners
from bot.resolver import Resolver

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
