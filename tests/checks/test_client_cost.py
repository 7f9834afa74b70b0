"""The per-process caches of checks/inventory/client_cost.py rely on botocore behaving as pinned here."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import botocore.hooks
import botocore.session
from botocore.config import Config
from moto import mock_aws

from checks.inventory.client_cost import HTTP_SESSIONS
from checks.inventory.core import INVENTORY_SERVICES, RETRY_CONFIG, new_session, warm_models


def _clients(service: str, regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> list:
    return [new_session().client(service, region_name=r, config=RETRY_CONFIG) for r in regions]


def test_clients_of_one_service_share_their_class_and_model_but_not_their_region_or_handlers() -> None:
    a, b = _clients("ec2")
    assert type(a) is type(b)
    assert a.meta.service_model is b.meta.service_model
    assert (a.meta.region_name, b.meta.region_name) == ("us-east-1", "eu-west-1")
    assert a.meta.events is not b.meta.events
    seen: list[str] = []
    a.meta.events.register("before-call.ec2.DescribeVpcs", lambda **_: seen.append("a"))
    with mock_aws():
        a.describe_vpcs()
        b.describe_vpcs()
    assert seen == ["a"]  # a handler registered on one client never fires for another


def test_event_aliasers_with_the_default_table_share_one_cache_and_still_translate() -> None:
    (a,), (b,) = _clients("sts", ("us-east-1",)), _clients("sts", ("us-east-1",))
    assert a.meta.events._alias_name_cache is b.meta.events._alias_name_cache
    assert a.meta.events._alias_event_name("before-call.autoscaling-plans.X") == "before-call.auto-scaling-plans.X"
    own = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter(), {"foo": "bar"})
    assert own._alias_name_cache is not a.meta.events._alias_name_cache  # another table: its own cache
    assert own._alias_event_name("x.foo.y") == "x.bar.y"
    assert copy.copy(a.meta.events)._alias_name_cache is a.meta.events._alias_name_cache


def test_cached_clients_answer_like_any_client() -> None:
    with mock_aws():
        for s3 in _clients("s3", ("us-east-1",)) * 2:
            s3.create_bucket(Bucket="pinned-bucket")
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["pinned-bucket"]


def test_clients_share_one_http_session_per_process_and_closing_one_leaves_the_others_working() -> None:
    a, b = _clients("ec2")
    (c,) = _clients("s3", ("us-east-1",))
    assert a._endpoint.http_session is b._endpoint.http_session is c._endpoint.http_session
    a.close()  # boto3's close() closes the endpoint's HTTP session: a shared one stays open
    assert b._endpoint.http_session._manager.pools is not None
    with mock_aws():
        c.create_bucket(Bucket="still-works")
        assert [x["Name"] for x in c.list_buckets()["Buckets"]] == ["still-works"]


def test_other_http_settings_get_their_own_session_and_a_forked_child_starts_without_the_parents() -> None:
    (a,) = _clients("sts", ("us-east-1",))
    other = new_session().client("sts", region_name="us-east-1", config=RETRY_CONFIG.merge(Config(read_timeout=7)))
    assert other._endpoint.http_session is not a._endpoint.http_session
    assert HTTP_SESSIONS.sessions
    HTTP_SESSIONS.forget()  # what os.register_at_fork runs in a child
    try:
        assert HTTP_SESSIONS.sessions == {}
        (fresh,) = _clients("sts", ("us-east-1",))
        assert fresh._endpoint.http_session is not a._endpoint.http_session
    finally:
        HTTP_SESSIONS.forget()


def test_inventory_services_names_every_service_a_fetcher_asks_for() -> None:
    """warm_models parses these before a large scan freezes its heap or forks workers: a service missing
    here is parsed later, outside the frozen heap (slower collections), never wrong."""
    root = Path(__file__).resolve().parents[2] / "checks"
    asked = {m for f in root.rglob("*.py") for m in re.findall(r"""inv\.client\(["']([a-z0-9-]+)["']""", f.read_text())}
    assert asked and asked <= set(INVENTORY_SERVICES), sorted(asked - set(INVENTORY_SERVICES))


def test_warming_the_models_twice_makes_no_clients_the_second_time(monkeypatch) -> None:
    warm_models(("sts", "kms"))
    made: list[str] = []
    real = botocore.session.Session.create_client
    monkeypatch.setattr(botocore.session.Session, "create_client",
                        lambda self, name, *a, **k: made.append(name) or real(self, name, *a, **k))
    warm_models(("sts", "kms"))
    assert made == []
    warm_models(("sts", "athena"))  # a service no fetcher reads: never warmed by another test in this process
    assert made == ["athena"]
