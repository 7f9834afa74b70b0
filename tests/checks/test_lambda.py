"""Lambda checks on moto (function URL listing, which moto lacks, from canned answers)."""
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time

from checks.aws.awslambda import REFERENCE_SUFFIXES, SECRET_NAME_PATTERNS, _secret_like
from checks.base import Status
from tests.checks.canned import DENIED, THROTTLED, AwsError, scan_with
from tests.checks.conftest import ACCOUNT_ID, REGION, only, statuses

RUNTIME, URL, POLICY, ENV = ("lambda_function_runtime_supported", "lambda_function_url_auth_required",
                             "lambda_function_policy_not_public", "lambda_function_env_no_secrets")
P, F, E = Status.PASS, Status.FAIL, Status.ERROR


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


@pytest.fixture
def lam(aws):
    role = aws.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    client = aws.client("lambda")

    def make(name: str, runtime: str = "python3.13", env: dict | None = None, tags: dict | None = None) -> str:
        client.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler="app.handler",
                               Code={"ZipFile": _zip()}, Environment={"Variables": env or {}}, Tags=tags or {})
        return name

    client.make = make
    return client


@freeze_time("2026-12-03")
def test_deprecated_runtimes_fail_by_the_clock_and_the_table_is_a_setting(aws, lam):
    old, current, soon = lam.make("old", "python3.8"), lam.make("current", "python3.13"), lam.make("soon", "dotnet8")
    result = scan_with(aws, [RUNTIME])
    assert statuses(result, RUNTIME) == {old: F, current: P, soon: F}  # dotnet8: deprecated 2026-11-10
    assert only(result, RUNTIME, old).evidence == {"Runtime": "python3.8", "DeprecationDate": "2024-10-14"}

    custom = {RUNTIME: {"deprecated_runtimes": {"python3.13": "2026-12-31"}, "warn_days": 60}}
    early = scan_with(aws, [RUNTIME], settings=custom)
    assert statuses(early, RUNTIME) == {old: P, current: F, soon: P}  # the configured table replaces the default
    assert "in 28 days" in only(early, RUNTIME, current).reason


def test_the_same_function_passes_before_its_runtime_date(aws, lam):
    fn = lam.make("fn", "nodejs20.x")
    with freeze_time(datetime(2026, 4, 29, tzinfo=timezone.utc)):
        assert statuses(scan_with(aws, [RUNTIME]), RUNTIME) == {fn: P}
    with freeze_time(datetime(2026, 4, 30, tzinfo=timezone.utc)):
        assert statuses(scan_with(aws, [RUNTIME]), RUNTIME) == {fn: F}


def test_secret_like_variable_names_fail_values_are_never_kept(aws, lam):
    leaky = lam.make("leaky", env={"DB_PASSWORD": "hunter2-value", "STRIPE_API_KEY": "sk_live_x", "STAGE": "prod"})
    tidy = lam.make("tidy", env={"DB_PASSWORD_SECRET_ARN": "arn:aws:secretsmanager:x", "TOKEN_URL": "https://t",
                                 "LOG_LEVEL": "info"}, tags={"team": "api"})
    result = scan_with(aws, [ENV])

    assert statuses(result, ENV) == {leaky: F, tidy: P}
    assert only(result, ENV, leaky).evidence == {"SecretLikeVariables": ["DB_PASSWORD", "STRIPE_API_KEY"]}
    assert only(result, ENV, tidy).tags == {"team": "api"}
    dumped = result.model_dump_json()
    assert "hunter2" not in dumped and "sk_live" not in dumped

    narrow = scan_with(aws, [ENV], settings={ENV: {"name_patterns": ["PASSWORD"], "reference_suffixes": []}})
    assert statuses(narrow, ENV) == {leaky: F, tidy: F}
    assert only(narrow, ENV, leaky).evidence == {"SecretLikeVariables": ["DB_PASSWORD"]}


def test_public_and_unscoped_s3_invoke_permissions_fail(aws, lam):
    for name in ("private", "public", "scoped", "s3-any", "s3-pinned", "partner"):
        lam.make(name)
    lam.add_permission(FunctionName="public", StatementId="open", Action="lambda:InvokeFunction", Principal="*")
    lam.add_permission(FunctionName="scoped", StatementId="org", Action="lambda:InvokeFunction", Principal="*",
                       PrincipalOrgID="o-abc123def4")
    lam.add_permission(FunctionName="s3-any", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::some-bucket")
    lam.add_permission(FunctionName="s3-pinned", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceAccount=ACCOUNT_ID)
    lam.add_permission(FunctionName="partner", StatementId="p", Action="lambda:InvokeFunction",
                       Principal="210987654321")

    result = scan_with(aws, [POLICY])

    # SourceArn pins the bucket; PrincipalOrgID pins the callers; a named account is not "everyone"
    assert statuses(result, POLICY) == {"private": P, "public": F, "scoped": P, "s3-any": P, "s3-pinned": P,
                                        "partner": P}
    assert only(result, POLICY, "public").evidence["PublicStatements"] == ["open"]


def test_s3_permission_without_any_source_condition_fails(aws, lam):
    lam.make("bare")
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "s3", "Effect": "Allow",
              "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "*"}]}
    canned = {"lambda.GetPolicy": {"Policy": json.dumps(policy), "RevisionId": "1"}}
    result = scan_with(aws, [POLICY], canned=canned)
    assert statuses(result, POLICY) == {"bare": F}
    assert only(result, POLICY, "bare").evidence["UnscopedS3Statements"] == ["s3"]


def test_function_urls_without_auth_fail(aws, lam):
    for name in ("open", "iam", "none"):
        lam.make(name)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function"

    def urls(p):
        name = p["FunctionName"]
        kinds = {"open": [("", "AWS_IAM"), (":live", "NONE")], "iam": [("", "AWS_IAM")], "none": []}[name]
        return {"FunctionUrlConfigs": [
            {"FunctionUrl": f"https://{name}{i}.lambda-url.{REGION}.on.aws/", "FunctionArn": f"{arn}:{name}{q}",
             "CreationTime": "2026-01-01T00:00:00Z", "LastModifiedTime": "2026-01-01T00:00:00Z", "AuthType": auth}
            for i, (q, auth) in enumerate(kinds)]}

    result = scan_with(aws, [URL], canned={"lambda.ListFunctionUrlConfigs": urls})
    assert statuses(result, URL) == {"open": F, "iam": P}  # no URL: nothing to judge
    assert only(result, URL, "open").evidence == {"AuthTypes": {"$LATEST": "AWS_IAM", "live": "NONE"}}


@pytest.mark.parametrize("error", [DENIED, THROTTLED])
def test_listing_errors_are_errors_for_every_lambda_check(aws, lam, error):
    lam.make("fn")
    result = scan_with(aws, [RUNTIME, URL, POLICY, ENV], canned={"lambda.ListFunctions": error})
    assert {(f.check_id, f.status, f.error_code) for f in result.findings} == {
        (c, E, error.code) for c in (RUNTIME, URL, POLICY, ENV)}


def test_policy_read_denied_is_an_error_but_no_policy_is_a_pass(aws, lam):
    lam.make("fn")
    assert statuses(scan_with(aws, [POLICY]), POLICY) == {"fn": P}  # moto: ResourceNotFoundException
    result = scan_with(aws, [POLICY, ENV], canned={"lambda.GetPolicy": AwsError("AccessDeniedException")})
    assert {(f.check_id, f.status) for f in result.findings} == {(POLICY, E), (ENV, P)}


@pytest.mark.parametrize("name, flagged", [
    ("DB_PASSWORD", True), ("db-pwd", True), ("PWD", True), ("SLACK_BOT_TOKEN", True), ("GITHUB_API_KEY", True),
    ("apiKey", True), ("CLIENT_SECRET", True), ("PRIVATE_KEY", True),
    ("DB_PASSWORD_SECRET_ARN", False), ("API_KEY_PARAMETER", False), ("TOKEN_URL", False), ("SECRET_NAME", False),
    ("PWDX", False), ("STAGE", False), ("LOG_LEVEL", False),
])
def test_secret_name_heuristic(name, flagged):
    assert _secret_like(name, SECRET_NAME_PATTERNS, REFERENCE_SUFFIXES) is flagged
