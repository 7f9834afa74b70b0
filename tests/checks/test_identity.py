"""Identity gaps: password complexity/expiry, two active keys, expired server certificates,
unattached full-admin policies, Access Analyzer (Stubber: moto has no Access Analyzer)."""
import json
from datetime import datetime, timezone

import pytest
from botocore.stub import Stubber

from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

CLASSES = {"uppercase": "RequireUppercaseCharacters", "lowercase": "RequireLowercaseCharacters",
           "symbols": "RequireSymbols", "numbers": "RequireNumbers"}
CLASS_IDS = [f"iam_password_policy_requires_{k}" for k in CLASSES]
EXPIRY = "iam_password_policy_expires_passwords"
STRONG = "iam_password_policy_strong"
TWO_KEYS = "iam_user_single_active_access_key"
CERT = "iam_server_certificate_not_expired"
UNATTACHED = "iam_policy_unattached_no_full_admin"
ATTACHED = "iam_policy_no_full_admin_attached"
ANALYZER = "accessanalyzer_analyzer_enabled"
ADMIN_DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ_DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def _run(aws, ids, *, settings=None, clock=None, factory=None):
    target = Target("t", ACCOUNT_ID, aws, [REGION], client_factory=factory)
    return run(select(ids), [target], max_workers=2, settings=settings, clock=clock)


# -- password policy ----------------------------------------------------------------------
def test_character_classes_pass_when_required_and_fail_when_not(aws):
    aws.client("iam").update_account_password_policy(RequireUppercaseCharacters=True, RequireNumbers=True,
                                                     RequireLowercaseCharacters=False, RequireSymbols=False)
    result = scan(aws, CLASS_IDS)
    got = {f.check_id: f.status for f in result.findings}
    assert got == {"iam_password_policy_requires_uppercase": Status.PASS,
                   "iam_password_policy_requires_numbers": Status.PASS,
                   "iam_password_policy_requires_lowercase": Status.FAIL,
                   "iam_password_policy_requires_symbols": Status.FAIL}
    assert result.summary.api_calls["iam.GetAccountPasswordPolicy"] == 1


def test_no_password_policy_fails_every_item(aws):
    result = scan(aws, CLASS_IDS + [EXPIRY])
    assert {f.status for f in result.findings} == {Status.FAIL} and len(result.findings) == 5


def test_expiry_default_setting_and_override(aws):
    aws.client("iam").update_account_password_policy(MaxPasswordAge=60)
    assert only(scan(aws, [EXPIRY]), EXPIRY, ACCOUNT_ID).status is Status.PASS
    f = only(_run(aws, [EXPIRY], settings={EXPIRY: {"max_age_days": 30}}), EXPIRY, ACCOUNT_ID)
    assert f.status is Status.FAIL and f.evidence == {"MaxPasswordAge": 60, "max_age_days": 30}


def test_strong_policy_length_and_reuse_follow_settings(aws):
    aws.client("iam").update_account_password_policy(MinimumPasswordLength=12, PasswordReusePrevention=5)
    assert only(scan(aws, [STRONG]), STRONG, ACCOUNT_ID).status is Status.FAIL
    loose = {STRONG: {"min_length": 12, "reuse_prevention": 5}}
    assert only(_run(aws, [STRONG], settings=loose), STRONG, ACCOUNT_ID).status is Status.PASS


def test_password_policy_denied_is_an_error_not_a_pass(aws):
    iam = aws.client("iam")
    stub = Stubber(iam)
    stub.add_client_error("get_account_password_policy", service_error_code="AccessDenied",
                          service_message="no", http_status_code=403)
    stub.activate()
    result = _run(aws, CLASS_IDS, factory=lambda s, r: iam)
    assert {(f.status, f.error_code) for f in result.findings} == {(Status.ERROR, "AccessDenied")}


# -- access keys, certificates, policies ---------------------------------------------------
def test_two_active_keys_fail_one_passes(aws):
    iam = aws.client("iam")
    for name, keys in (("two", 2), ("one", 1), ("none", 0)):
        iam.create_user(UserName=name)
        for _ in range(keys):
            iam.create_access_key(UserName=name)
    result = scan(aws, [TWO_KEYS])
    assert statuses(result, TWO_KEYS) == {"two": Status.FAIL, "one": Status.PASS, "none": Status.PASS}
    assert only(result, TWO_KEYS, "two").evidence == {"active_keys": ["access_key_1", "access_key_2"]}


def test_second_key_inactive_passes(aws):
    iam = aws.client("iam")
    iam.create_user(UserName="rotating")
    iam.create_access_key(UserName="rotating")
    old = iam.create_access_key(UserName="rotating")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="rotating", AccessKeyId=old, Status="Inactive")
    assert only(scan(aws, [TWO_KEYS]), TWO_KEYS, "rotating").status is Status.PASS


def _cert(aws, name):
    aws.client("iam").upload_server_certificate(ServerCertificateName=name, CertificateBody="body",
                                                PrivateKey="key")


def test_server_certificate_judged_against_the_scan_clock(aws):
    _cert(aws, "web")  # moto reports every server certificate as expiring on 2012-05-08
    assert only(scan(aws, [CERT]), CERT, "web").status is Status.FAIL
    before = _run(aws, [CERT], clock=lambda: datetime(2012, 1, 1, tzinfo=timezone.utc))
    f = only(before, CERT, "web")
    assert f.status is Status.PASS and f.reason == "valid for 128 more days"


def test_unattached_admin_policy_fails_and_attached_ones_are_left_to_the_cis_check(aws):
    iam = aws.client("iam")
    iam.create_policy(PolicyName="spare-admin", PolicyDocument=ADMIN_DOC)
    iam.create_policy(PolicyName="reader", PolicyDocument=READ_DOC)
    used = iam.create_policy(PolicyName="used-admin", PolicyDocument=ADMIN_DOC)["Policy"]["Arn"]
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName="ops", PolicyArn=used)

    result = scan(aws, [UNATTACHED, ATTACHED])

    assert statuses(result, UNATTACHED) == {"spare-admin": Status.FAIL, "reader": Status.PASS}
    assert statuses(result, ATTACHED) == {"used-admin": Status.FAIL}
    assert result.summary.api_calls["iam.ListPolicies"] == 1
    assert result.summary.api_calls["iam.GetPolicyVersion"] == 3
    assert result.summary.duplicate_calls == 0


# -- Access Analyzer (Stubber) ---------------------------------------------------------------
def _analyzer_run(aws, fill):
    client = aws.client("accessanalyzer", region_name=REGION)
    stub = Stubber(client)
    fill(stub)
    stub.activate()
    result = _run(aws, [ANALYZER], factory=lambda s, r: client)
    stub.assert_no_pending_responses()
    return result


def _analyzer(name, kind, status):
    return {"name": name, "arn": f"arn:aws:access-analyzer:{REGION}:{ACCOUNT_ID}:analyzer/{name}", "type": kind,
            "status": status, "createdAt": datetime(2024, 1, 1)}


@pytest.mark.parametrize("found, expected", [
    ([_analyzer("org", "ORGANIZATION", "ACTIVE")], Status.PASS),
    ([_analyzer("unused", "ACCOUNT_UNUSED_ACCESS", "ACTIVE"), _analyzer("off", "ACCOUNT", "DISABLED")],
     Status.FAIL),
    ([], Status.FAIL),
])
def test_access_analyzer_active_external_access_analyzer(aws, found, expected):
    result = _analyzer_run(aws, lambda stub: stub.add_response("list_analyzers", {"analyzers": found}))
    assert only(result, ANALYZER, REGION).status is expected


def test_access_analyzer_throttled_is_an_error(aws):
    result = _analyzer_run(aws, lambda stub: stub.add_client_error(
        "list_analyzers", service_error_code="ThrottlingException", service_message="slow", http_status_code=429))
    f = only(result, ANALYZER, REGION)
    assert (f.status, f.error_code) == (Status.ERROR, "ThrottlingException")
