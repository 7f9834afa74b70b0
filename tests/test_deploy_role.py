"""The scanner role as code: the templates carry exactly `srm iam-policy`, pass cfn-lint, and deploy
on moto's CloudFormation into a member account that srm-bot then scans through the created role."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml
from cfnlint.api import lint_file
from click.testing import CliRunner
from moto import mock_aws

from bot.cli import main
from checks.policy import least_privilege_policy, securityhub_write_policy
from checks.registry import load_all

ROOT = Path(__file__).resolve().parent.parent
CFN = ROOT / "deploy" / "cloudformation"
ROLE_TEMPLATE = CFN / "srm-readonly-role.yml"
STACKSET_TEMPLATE = CFN / "srm-readonly-role-stackset.yml"
TF = ROOT / "deploy" / "terraform" / "srm-readonly-role"
MEMBER = "111111111111"
BOT_ROLE = "arn:aws:iam::123456789012:role/srm-bot"
EXTERNAL_ID = "srm-test-external-id"
REGION = "us-east-1"
KMS = "kms_key_rotation_enabled"


def readonly_policy() -> dict:
    return least_privilege_policy(load_all().values())


def template(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# -- the policy in every artefact is `srm iam-policy` ---------------------------------------------
def test_cloudformation_policy_is_srm_iam_policy():
    resources = template(ROLE_TEMPLATE)["Resources"]
    assert resources["ReadOnlyPolicy"]["Properties"]["PolicyDocument"] == readonly_policy()
    assert resources["SecurityHubPolicy"]["Properties"]["PolicyDocument"] == securityhub_write_policy()
    assert resources["SecurityHubPolicy"]["Condition"] == "PushEnabled"  # opt-in only


def test_stackset_deploys_the_same_role_template():
    stackset = template(STACKSET_TEMPLATE)["Resources"]["ScannerRoleStackSet"]["Properties"]
    assert yaml.safe_load(stackset["TemplateBody"]) == template(ROLE_TEMPLATE)
    assert stackset["PermissionModel"] == "SERVICE_MANAGED" and stackset["AutoDeployment"]["Enabled"] is True


def test_terraform_policies_are_srm_iam_policy():
    assert json.loads((TF / "readonly-policy.json").read_text()) == readonly_policy()
    assert json.loads((TF / "securityhub-policy.json").read_text()) == securityhub_write_policy()
    main_tf = (TF / "main.tf").read_text()
    assert 'file("${path.module}/readonly-policy.json")' in main_tf and '"sts:ExternalId"' in main_tf


def test_generated_files_are_up_to_date():
    """Fails when a check's IAM actions change and deploy/render.py was not re-run."""
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "render.py"), "--check"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_the_policy_fits_one_managed_policy():
    size = len(json.dumps(readonly_policy(), separators=(",", ":")))
    assert size <= 6144, f"{size} characters: split the read-only policy into several managed policies"


def test_srm_iam_policy_with_securityhub_prints_both_policies():
    out = json.loads(CliRunner().invoke(main, ["iam-policy", "--with-securityhub"]).stdout)
    assert out == {"srm-bot-readonly": readonly_policy(), "srm-bot-securityhub": securityhub_write_policy()}


@pytest.mark.parametrize("path", [ROLE_TEMPLATE, STACKSET_TEMPLATE], ids=lambda p: p.name)
def test_cfn_lint_passes(path):
    matches = lint_file(path)
    assert not matches, "\n".join(str(m) for m in matches)


# -- deploy on moto, then scan through the role -------------------------------------------------
@pytest.fixture
def member_session():
    """Credentials in a second account (moto gives AssumeRole credentials in the role's account)."""
    with mock_aws():
        creds = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{MEMBER}:role/bootstrap", RoleSessionName="deploy")["Credentials"]
        yield boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=REGION)


def deploy(session: boto3.Session, push: bool = False) -> str:
    cfn = session.client("cloudformation")
    params = {"TrustedPrincipalArn": BOT_ROLE, "ExternalId": EXTERNAL_ID, "EnableSecurityHubPush": str(push).lower()}
    cfn.create_stack(StackName="srm-readonly-role", TemplateBody=ROLE_TEMPLATE.read_text(),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
                     Capabilities=["CAPABILITY_NAMED_IAM"])
    stack = cfn.describe_stacks(StackName="srm-readonly-role")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["RoleArn"]


def attached_documents(session: boto3.Session, role_name: str) -> dict[str, dict]:
    iam = session.client("iam")
    out = {}
    for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
        doc = iam.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        out[p["PolicyName"]] = json.loads(doc) if isinstance(doc, str) else doc
    return out


def test_deployed_role_has_the_policy_and_the_external_id_trust(member_session):
    arn = deploy(member_session)
    assert arn == f"arn:aws:iam::{MEMBER}:role/srm-bot-readonly"
    assert attached_documents(member_session, "srm-bot-readonly") == {"srm-bot-readonly-policy": readonly_policy()}
    trust = member_session.client("iam").get_role(RoleName="srm-bot-readonly")["Role"]["AssumeRolePolicyDocument"]
    [statement] = (json.loads(trust) if isinstance(trust, str) else trust)["Statement"]
    assert statement["Principal"] == {"AWS": BOT_ROLE}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}


def test_securityhub_policy_is_attached_only_when_asked(member_session):
    deploy(member_session, push=True)
    docs = attached_documents(member_session, "srm-bot-readonly")
    assert docs == {"srm-bot-readonly-policy": readonly_policy(), "srm-bot-readonly-securityhub":
                    securityhub_write_policy()}


def test_srm_scans_the_member_account_through_the_deployed_role(member_session, tmp_path, monkeypatch):
    role_arn = deploy(member_session)
    key = member_session.client("kms").create_key(Description="stale, in the member account")["KeyMetadata"]["KeyId"]
    cfg = tmp_path / "srm.yml"
    cfg.write_text(yaml.safe_dump({"aws": {"regions": [REGION], "accounts": [
        {"name": "member", "assume_role_arn": role_arn, "external_id": EXTERNAL_ID}]}}))
    monkeypatch.setenv("SRM_CONFIG", str(cfg))
    result = CliRunner().invoke(main, ["check", KMS, "--format", "json", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    assert [(f["account_id"], f["resource_id"], f["status"]) for f in findings] == [(MEMBER, key, "FAIL")]
