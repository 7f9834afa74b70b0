"""Organizations mode end to end on moto: list, skip, assume, scan, and one ERROR line per account we cannot enter."""
from __future__ import annotations

from types import SimpleNamespace as NS

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bot.cli.scan import summary_line, unreachable_lines
from checks.accounts import resolve_targets
from checks.base import Status
from checks.registry import select
from checks.runner import run

MANAGEMENT = "123456789012"  # moto's default account is the organization's management account
ROLE = "srm-readonly"
CHECKS = ["kms_key_rotation_enabled", "iam_password_policy_strong", "s3_bucket_policy_not_public"]


def refusing_assume_role(account_ids: set[str], code: str = "AccessDenied"):
    """boto3.Session, except sts:AssumeRole into these accounts fails as AWS says it (role missing or denied)."""

    def refuse(params, **_):
        if params["RoleArn"].split(":")[4] in account_ids:
            raise ClientError({"Error": {"Code": code, "Message": f"User is not authorized to perform: "
                                                                  f"sts:AssumeRole on resource: {params['RoleArn']}"}},
                              "AssumeRole")

    def factory(**kw):
        session = boto3.Session(**kw)
        session.events.register("provide-client-params.sts.AssumeRole", refuse)
        return session

    return factory


@pytest.fixture
def org():
    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        client = base.client("organizations")
        client.create_organization(FeatureSet="ALL")
        ids = {name: client.create_account(AccountName=name, Email=f"{name}@example.com")
               ["CreateAccountStatus"]["AccountId"] for name in ("dev", "prod", "no-role", "closed", "sandbox")}
        client.close_account(AccountId=ids["closed"])
        sts = base.client("sts")
        for name in ("dev", "prod"):  # one rotation-less key in each member account we can read
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{ids[name]}:role/{ROLE}", RoleSessionName="seed")["Credentials"]
            boto3.client("kms", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                         aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]).create_key()
        yield ids, {a["Id"]: a["Status"] for a in client.list_accounts()["Accounts"]}


def config(exclude: list[str]) -> NS:
    return NS(accounts=[], organizations=NS(enabled=True, role_name=ROLE, external_id=None, profile=None,
                                            exclude=exclude), regions=["us-east-1"], max_workers=4)


def test_active_accounts_are_scanned_and_suspended_or_excluded_ones_are_not(org):
    ids, statuses = org
    assert statuses[ids["closed"]] != "ACTIVE"
    targets = resolve_targets(config([ids["sandbox"]]))
    assert sorted(t.account_id for t in targets) == sorted([MANAGEMENT, ids["dev"], ids["prod"], ids["no-role"]])
    assert all(t.session is None for t in targets)  # connected per account while its units run, not before

    result = run(select(CHECKS), targets)

    failing = {(f.account_id, f.check_id) for f in result.findings if f.status is Status.FAIL}
    assert {(ids["dev"], "kms_key_rotation_enabled"), (ids["prod"], "kms_key_rotation_enabled")} <= failing
    assert {f.account_id for f in result.findings} == {t.account_id for t in targets}
    assert result.summary.unreachable == {} and result.summary.errors == []


@pytest.mark.parametrize("code", ["AccessDenied", "NoSuchEntity"])
def test_an_account_we_cannot_enter_is_one_error_line_and_the_rest_go_on(org, code):
    ids, _ = org
    targets = resolve_targets(config([ids["sandbox"]]), session_factory=refusing_assume_role({ids["no-role"]}, code))

    result = run(select(CHECKS), targets, max_workers=3)

    theirs = [f for f in result.findings if f.account_id == ids["no-role"]]
    assert {(f.check_id, f.status, f.error_code) for f in theirs} == {(c, Status.ERROR, code) for c in CHECKS}
    arn = f"arn:aws:iam::{ids['no-role']}:role/{ROLE}"
    assert all(arn in f.reason for f in theirs)
    assert [*result.summary.unreachable] == [f"no-role ({ids['no-role']})"]
    [line] = unreachable_lines(result)
    assert line.startswith(f"ERROR account no-role ({ids['no-role']}): {code}: cannot assume {arn}")
    assert "ERROR 3" in summary_line(result, len(targets))
    others = [f for f in result.findings if f.account_id != ids["no-role"]]
    assert others and all(f.status is not Status.ERROR for f in others)
    assert ("kms_key_rotation_enabled", Status.FAIL) in {(f.check_id, f.status) for f in others
                                                         if f.account_id == ids["prod"]}
