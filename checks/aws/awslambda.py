"""Lambda: supported runtimes, authenticated function URLs, private resource policies, no secrets in env vars.

Runtime deprecation dates are AWS's published "Deprecation date" per runtime identifier
(docs: Lambda runtimes > Supported / Deprecated runtimes, as of late 2025); override or
extend them with the setting ``deprecated_runtimes``. Today comes from the scan clock.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any, Iterator

from checks.aws.access_policy import public_statements
from checks.base import CheckMeta, Finding, Scope, Severity, register
from checks.inventory.awslambda import function_urls, functions, policies

FUNCTION = "AWS::Lambda::Function"
LIST = ["lambda:ListFunctions", "lambda:ListTags"]

DEPRECATION_DATES = {
    "nodejs": "2016-10-31", "nodejs4.3": "2020-03-05", "nodejs4.3-edge": "2020-03-05", "nodejs6.10": "2019-08-12",
    "nodejs8.10": "2020-03-06", "nodejs10.x": "2021-07-30", "nodejs12.x": "2023-03-31",
    "nodejs14.x": "2023-12-04", "nodejs16.x": "2024-06-12", "nodejs18.x": "2025-09-01",
    "nodejs20.x": "2026-04-30", "nodejs22.x": "2027-04-30", "nodejs24.x": "2028-04-30",
    "python2.7": "2021-07-15", "python3.6": "2022-07-18", "python3.7": "2023-12-04", "python3.8": "2024-10-14",
    "python3.9": "2025-12-15", "python3.10": "2026-06-30", "python3.11": "2026-06-30",
    "python3.12": "2028-10-31", "python3.13": "2029-06-30", "python3.14": "2029-06-30",
    "java8": "2024-01-08", "java8.al2": "2026-06-30", "java11": "2026-06-30", "java17": "2026-06-30",
    "java21": "2029-06-30", "java25": "2029-06-30",
    "dotnetcore1.0": "2019-07-30", "dotnetcore2.0": "2019-05-30", "dotnetcore2.1": "2022-01-05",
    "dotnetcore3.1": "2023-04-03", "dotnet5.0": "2022-05-10", "dotnet6": "2024-12-20", "dotnet7": "2024-05-14",
    "dotnet8": "2026-11-10", "dotnet10": "2028-11-14",
    "ruby2.5": "2021-07-30", "ruby2.7": "2023-12-07", "ruby3.2": "2026-03-31", "ruby3.3": "2027-03-31",
    "ruby3.4": "2028-03-31",
    "go1.x": "2024-01-08", "provided": "2024-01-08", "provided.al2": "2026-06-30", "provided.al2023": "2029-06-30",
}
# Names that say "this holds a secret" ...
SECRET_NAME_PATTERNS = [r"PASSWORD", r"PASSWD", r"(^|_)PWD($|_)", r"SECRET", r"TOKEN", r"API_?KEY", r"PRIVATE_?KEY",
                        r"ACCESS_?KEY", r"CREDENTIAL", r"CLIENT_?SECRET", r"AUTH_?KEY", r"CONN(ECTION)?_?STR"]
# ... unless they only point at one (a secret's ARN, name or id: the recommended pattern).
REFERENCE_SUFFIXES = ["_ARN", "_NAME", "_ID", "_PATH", "_PARAM", "_PARAMETER", "_KEY_ID", "_SSM", "_REF", "_URL",
                      "_ENDPOINT"]
SOURCE_KEYS = {"aws:sourceaccount", "aws:sourcearn", "aws:sourceowner"}


@register(CheckMeta(
    id="lambda_function_runtime_supported",
    title="Lambda functions run on a runtime AWS still supports",
    fail_title="Lambda functions on deprecated runtimes",
    service="lambda", aspect="runtime_patching", severity=Severity.high,
    frameworks={"fsbp": ["Lambda.2"]},
    remediation=("Move the function to a supported runtime and test it: console Lambda > function > Code > Runtime "
                 "settings > Edit, or `aws lambda update-function-configuration --function-name NAME "
                 "--runtime python3.13`."),
    iam_actions=LIST, resource_type=FUNCTION,
    settings={"deprecated_runtimes": DEPRECATION_DATES, "warn_days": 0},
    notes="deprecated_runtimes maps runtime identifier -> deprecation date (YYYY-MM-DD); configured entries replace "
          "the whole table. warn_days fails a function that many days before its runtime's date. Container-image "
          "functions have no managed runtime and are not judged.",
))
def lambda_function_runtime_supported(scope: Scope) -> Iterator[Finding]:
    table: dict[str, Any] = scope.setting("deprecated_runtimes")
    warn = timedelta(days=int(scope.setting("warn_days")))
    today = scope.now().date()
    for f in functions(scope.inv):
        if not f.runtime:
            continue
        kw = {"arn": f.arn, "tags": f.tags}
        if f.runtime not in table:
            yield scope.passed(f.name, f"{f.runtime} has no deprecation date", evidence={"Runtime": f.runtime}, **kw)
            continue
        ends = date.fromisoformat(str(table[f.runtime]))
        evidence = {"Runtime": f.runtime, "DeprecationDate": ends.isoformat()}
        if ends <= today:
            yield scope.failed(f.name, f"{f.runtime} was deprecated on {ends}", evidence=evidence, **kw)
        elif ends - warn <= today:
            yield scope.failed(f.name, f"{f.runtime} is deprecated on {ends}, in {(ends - today).days} days",
                               evidence=evidence, **kw)
        else:
            yield scope.passed(f.name, f"{f.runtime} is supported until {ends}", evidence=evidence, **kw)


@register(CheckMeta(
    id="lambda_function_url_auth_required",
    title="Lambda function URLs require IAM authentication",
    fail_title="Lambda function URLs that anyone can call without authentication",
    service="lambda", aspect="application_security", severity=Severity.high,
    remediation=("Set the URL's auth type to AWS_IAM (console Lambda > function > Configuration > Function URL > "
                 "Edit, or `aws lambda update-function-url-config --function-name NAME --auth-type AWS_IAM`), or "
                 "delete an unneeded URL with `aws lambda delete-function-url-config --function-name NAME`."),
    iam_actions=LIST + ["lambda:ListFunctionUrlConfigs"], resource_type=FUNCTION, moto="stubber",
    notes="moto does not emulate lambda:ListFunctionUrlConfigs. Functions without a URL are not judged. "
          "An auth type NONE URL with authentication in the code is still reported: the check cannot see the code.",
))
def lambda_function_url_auth_required(scope: Scope) -> Iterator[Finding]:
    urls = function_urls(scope.inv)
    for f in functions(scope.inv):
        mine = urls.get(f.name, [])
        if not mine:
            continue
        open_ = sorted(u.qualifier for u in mine if u.auth_type == "NONE")
        evidence = {"AuthTypes": {u.qualifier: u.auth_type for u in mine}}
        if open_:
            yield scope.failed(f.name, f"function URL without authentication ({', '.join(open_)})",
                               arn=f.arn, tags=f.tags, evidence=evidence)
        else:
            yield scope.passed(f.name, "function URL requires IAM authentication", arn=f.arn, tags=f.tags,
                               evidence=evidence)


def _unscoped_s3_statements(policy: str) -> list[str]:
    """Sids of statements letting the S3 service invoke without pinning the source account/bucket."""
    doc = json.loads(policy)
    out = []
    for i, s in enumerate(doc.get("Statement", [])):
        principal = s.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        if s.get("Effect") != "Allow" or "s3.amazonaws.com" not in ([services] if isinstance(services, str)
                                                                      else services):
            continue
        keys = {k.lower() for kv in (s.get("Condition") or {}).values() if isinstance(kv, dict) for k in kv}
        if not keys & SOURCE_KEYS:
            out.append(str(s.get("Sid") or f"#{i}"))
    return out


@register(CheckMeta(
    id="lambda_function_policy_not_public",
    title="Lambda function policies do not let everyone invoke the function",
    fail_title="Lambda function policies open to everyone",
    service="lambda", aspect="iam", severity=Severity.critical,
    frameworks={"fsbp": ["Lambda.1"]},
    remediation=("Remove the public statement: console Lambda > function > Configuration > Permissions > "
                 "Resource-based policy statements > Delete, or `aws lambda remove-permission --function-name NAME "
                 "--statement-id SID`; re-add with a source condition (`aws lambda add-permission ... "
                 "--source-account ACCOUNT_ID --source-arn ARN`)."),
    iam_actions=LIST + ["lambda:GetPolicy"], resource_type=FUNCTION,
    notes="Fails on Allow statements for Principal */{AWS:*} without a fixed-value source condition, and (as FSBP "
          "Lambda.1 does) on statements for s3.amazonaws.com without aws:SourceAccount/SourceArn.",
))
def lambda_function_policy_not_public(scope: Scope) -> Iterator[Finding]:
    docs = policies(scope.inv)
    for f in functions(scope.inv):
        policy = docs.get(f.name)
        kw = {"arn": f.arn, "tags": f.tags}
        if not policy:
            yield scope.passed(f.name, "no resource-based policy", evidence={"Policy": False}, **kw)
            continue
        public, s3 = public_statements(policy), _unscoped_s3_statements(policy)
        evidence = {"PublicStatements": public, "UnscopedS3Statements": s3}
        if public:
            yield scope.failed(f.name, f"anyone may invoke it (statements {', '.join(public)})",
                               evidence=evidence, **kw)
        elif s3:
            yield scope.failed(f.name, f"any account's S3 bucket may invoke it (statements {', '.join(s3)})",
                               evidence=evidence, **kw)
        else:
            yield scope.passed(f.name, "policy admits only named principals or pinned sources", evidence=evidence,
                               **kw)


def _secret_like(name: str, patterns: list[str], suffixes: list[str]) -> bool:
    upper = name.upper().replace("-", "_")
    if any(upper.endswith(s) for s in suffixes):
        return False
    return any(re.search(p, upper) for p in patterns)


@register(CheckMeta(
    id="lambda_function_env_no_secrets",
    title="Lambda environment variables hold no secrets",
    fail_title="Lambda functions with secret-looking environment variables",
    service="lambda", aspect="secrets_management", severity=Severity.high,
    remediation=("Keep the secret in Secrets Manager or SSM Parameter Store and pass only its name/ARN "
                 "(e.g. DB_PASSWORD_SECRET_ARN); read it at start-up. Update with `aws lambda "
                 "update-function-configuration --function-name NAME --environment 'Variables={...}'` "
                 "(console Lambda > function > Configuration > Environment variables)."),
    iam_actions=LIST, resource_type=FUNCTION,
    settings={"name_patterns": SECRET_NAME_PATTERNS, "reference_suffixes": REFERENCE_SUFFIXES},
    notes="Judges variable NAMES only (regular expressions on the upper-cased name); values are dropped by the "
          "inventory and never read, printed or stored.",
))
def lambda_function_env_no_secrets(scope: Scope) -> Iterator[Finding]:
    patterns = [str(p) for p in scope.setting("name_patterns")]
    suffixes = [str(s).upper() for s in scope.setting("reference_suffixes")]
    for f in functions(scope.inv):
        suspect = [n for n in f.env_names if _secret_like(n, patterns, suffixes)]
        kw = {"arn": f.arn, "tags": f.tags, "evidence": {"SecretLikeVariables": suspect}}
        if suspect:
            yield scope.failed(f.name, f"environment variables named like secrets: {', '.join(suspect)}", **kw)
        else:
            yield scope.passed(f.name, f"{len(f.env_names)} environment variables, none named like a secret", **kw)
