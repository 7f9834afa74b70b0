"""moto, plus canned answers for the few operations moto does not emulate (and for injected errors).

``scan_with(session, check_ids, canned={...})`` runs checks against moto clients in which
each listed operation (``"ssm.DescribeInstanceInformation"``) is answered from the test
instead of the emulator. A canned answer is a dict (validated against botocore's output
shape, like Stubber does), a callable ``params -> dict | AwsError``, or an :class:`AwsError`.
Every other operation still goes to moto. Botocore's Stubber cannot do this: it answers
every operation of a client or none.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

from checks.registry import select
from checks.runner import RunResult, Target, run
from tests.checks.conftest import ACCOUNT_ID, REGION

Answer = Any  # dict | Callable[[dict], dict] | AwsError


@dataclass(frozen=True)
class AwsError:
    code: str = "AccessDeniedException"
    message: str = "not authorized"
    status: int = 400


DENIED = AwsError()
THROTTLED = AwsError("ThrottlingException", "Rate exceeded", 400)


def _answer(op_model: Any, answer: Answer, params: dict) -> tuple[AWSResponse, dict]:
    if callable(answer):
        answer = answer(params)
    if isinstance(answer, AwsError):
        body = {"Error": {"Code": answer.code, "Message": answer.message},
                "ResponseMetadata": {"HTTPStatusCode": answer.status}}
        return AWSResponse("https://canned", answer.status, {}, None), body
    body = answer
    report = ParamValidator().validate(body, op_model.output_shape)
    if report.has_errors():
        raise AssertionError(f"canned {op_model.name} does not fit botocore's shape:\n{report.generate_report()}")
    return AWSResponse("https://canned", 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}


def attach(client: Any, canned: Mapping[str, Answer]) -> Any:
    """Answer the canned operations of this client's service; the rest go to moto."""
    service = client.meta.service_model.service_name
    for key, answer in canned.items():
        svc, op = key.split(".", 1)
        if svc != service:
            continue
        op_model = client.meta.service_model.operation_model(op)
        sid = client.meta.service_model.service_id.hyphenize()

        def keep_params(params: dict, context: dict, **_: Any) -> None:
            context["canned_params"] = dict(params)

        def handler(context: dict, _answer_=answer, _model=op_model, **_: Any) -> tuple[AWSResponse, dict]:
            return _answer(_model, _answer_, context.get("canned_params", {}))

        client.meta.events.register(f"provide-client-params.{sid}.{op}", keep_params)
        client.meta.events.register(f"before-call.{sid}.{op}", handler)
    return client


def scan_with(session: Any, check_ids: list[str], *, canned: Mapping[str, Answer] | None = None,
              settings: Mapping[str, Mapping[str, Any]] | None = None,
              clock: Callable[[], datetime] | None = None, regions: tuple[str, ...] = (REGION,)) -> RunResult:
    """Run checks on moto with canned operations, configured settings and an optional clock."""

    def factory(service: str, region: str) -> Any:
        return attach(session.client(service, region_name=region), canned or {})

    target = Target("test", ACCOUNT_ID, session, list(regions), client_factory=factory)
    return run(select(check_ids), [target], max_workers=4, settings=settings, clock=clock)
