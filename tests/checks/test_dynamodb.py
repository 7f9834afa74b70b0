from botocore.stub import Stubber

from checks.base import Status
from checks.registry import select
from checks.runner import Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION, only, scan, statuses

CHECK = "dynamodb_table_pitr_enabled"


def make_table(ddb, name, tags=None):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **({"Tags": tags} if tags else {}))


def test_pitr_enabled_passes_and_disabled_fails(aws):
    ddb = aws.client("dynamodb")
    make_table(ddb, "orders", tags=[{"Key": "team", "Value": "shop"}])
    make_table(ddb, "sessions", tags=[{"Key": "team", "Value": "web"}])
    ddb.update_continuous_backups(TableName="orders",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    result = scan(aws, [CHECK])

    assert statuses(result, CHECK) == {"orders": Status.PASS, "sessions": Status.FAIL}
    bad = only(result, CHECK, "sessions")
    assert bad.evidence == {"PointInTimeRecoveryStatus": "DISABLED"}
    assert bad.tags == {"team": "web"}
    assert bad.resource_arn == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/sessions"
    good = only(result, CHECK, "orders")
    assert good.evidence == {"PointInTimeRecoveryStatus": "ENABLED"}
    assert good.tags == {"team": "shop"}
    assert result.summary.api_calls["dynamodb.ListTables"] == 1
    assert result.summary.api_calls["dynamodb.DescribeContinuousBackups"] == 2
    assert result.summary.duplicate_calls == 0


def test_each_region_is_listed_on_its_own(aws):
    make_table(aws.client("dynamodb", region_name="eu-west-1"), "eu-table")

    result = scan(aws, [CHECK], regions=(REGION, "eu-west-1"))

    f = only(result, CHECK, "eu-table")
    assert (f.region, f.status) == ("eu-west-1", Status.FAIL)
    assert f.resource_arn.startswith("arn:aws:dynamodb:eu-west-1:")


def stubbed_run(session, setup):
    real = session.client("dynamodb")
    stub = Stubber(real)
    setup(stub)
    stub.activate()
    target = Target("t", ACCOUNT_ID, session, [REGION], client_factory=lambda s, r: real)
    return run(select([CHECK]), [target])


def test_access_denied_on_list_tables_is_an_error_not_a_pass(aws):
    result = stubbed_run(aws, lambda stub: stub.add_client_error(
        "list_tables", service_error_code="AccessDeniedException", service_message="not allowed",
        http_status_code=400))

    [f] = result.findings
    assert f.status is Status.ERROR
    assert f.error_code == "AccessDeniedException"
    assert result.summary.errors[0].code == "AccessDeniedException"


def test_unreadable_table_is_an_error_for_that_table_and_deleted_table_is_dropped(aws):
    def setup(stub):
        stub.add_response("list_tables", {"TableNames": ["locked", "gone"]})
        stub.add_client_error("describe_continuous_backups", service_error_code="AccessDeniedException",
                              service_message="no", http_status_code=400, expected_params={"TableName": "locked"})
        stub.add_client_error("describe_continuous_backups", service_error_code="TableNotFoundException",
                              service_message="deleted", http_status_code=400, expected_params={"TableName": "gone"})

    result = stubbed_run(aws, setup)

    [f] = result.findings
    assert (f.resource_id, f.status, f.error_code) == ("locked", Status.ERROR, "AccessDeniedException")
    assert f.resource_arn.endswith(":table/locked")
