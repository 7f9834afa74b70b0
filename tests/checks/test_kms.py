from botocore.stub import Stubber

from checks.base import Status
from tests.checks.conftest import only, scan, statuses

CHECK = "kms_key_rotation_enabled"


def test_rotation_enabled_passes_and_disabled_fails(aws):
    kms = aws.client("kms")
    rotated = kms.create_key(Description="rotated")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    stale = kms.create_key(Description="stale", Tags=[{"TagKey": "team", "TagValue": "platform"}])["KeyMetadata"]["KeyId"]

    result = scan(aws, [CHECK])

    assert statuses(result, CHECK) == {rotated: Status.PASS, stale: Status.FAIL}
    f = only(result, CHECK, stale)
    assert f.evidence["KeyRotationEnabled"] is False
    assert f.tags == {"team": "platform"}
    assert f.resource_arn.startswith("arn:aws:kms:us-east-1:")


def test_asymmetric_keys_are_not_judged(aws):
    aws.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    assert statuses(scan(aws, [CHECK]), CHECK) == {}


def test_access_denied_is_an_error_not_a_pass(aws):
    real = aws.client("kms")
    stub = Stubber(real)
    stub.add_client_error("list_keys", service_error_code="AccessDeniedException",
                          service_message="not allowed", http_status_code=400)
    stub.activate()
    from checks.registry import select
    from checks.runner import Target, run

    target = Target("t", "123456789012", aws, ["us-east-1"], client_factory=lambda s, r: real)
    result = run(select([CHECK]), [target])
    [f] = result.findings
    assert f.status is Status.ERROR
    assert f.error_code == "AccessDeniedException"
    assert result.summary.errors[0].code == "AccessDeniedException"
