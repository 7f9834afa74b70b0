"""Block Kit builders: JSON snapshots, Slack's limits, a text fallback on every message, escaping.

Snapshots live in tests/slack/snapshots/; regenerate after an intended change with
SNAPSHOT_UPDATE=1 .venv/bin/python -m pytest tests/slack/test_blocks.py
"""
from __future__ import annotations

import inspect
import json
import os
import re
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matrix import Matrix, Model, Owner, Provider
from bot.models import Event, EventKind, Incident, IncidentResource, IncidentState, IncidentView
from bot.notify.text import visible
from bot.owners import Owners, Team
from bot.resolver import Alternative, Answer, ModelOwner
from bot.slack import blocks, blocks_home, blocks_incident
from bot.slack.status import CheckStatus, IncidentRow, Posture
from checks.base import Finding, Severity, Status

SNAPSHOTS = Path(__file__).parent / "snapshots"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
TEAM = Team(id="platform", name="Platform Engineering", members=["U0PLAT1"], leads=["U0LEAD"],
            escalation="U0ESC", usergroup="S0PLATFORM")
PLAIN_TEAM = Team(id="data", name="Data & Storage", members=["U0DATA1", "U0DATA2"], escalation="U0DESC")
URL = "https://srm-test.slack.com/archives/C0INC/p1700000000000001"


def incident(**over: Any) -> Incident:
    return Incident(**{"id": 7, "account_id": "123456789012", "check_id": "s3_bucket_versioning_enabled",
                       "title": "S3 buckets have versioning enabled", "aspect": "backup_dr",
                       "severity": Severity.medium, "team_id": "platform", "state": IncidentState.open,
                       "opened_at": T0, "updated_at": T0, **over})


def view(**over: Any) -> IncidentView:
    res = [IncidentResource(finding=Finding(
        check_id="s3_bucket_versioning_enabled", account_id="123456789012", region=r, resource_type="AWS::S3::Bucket",
        resource_id=f"bucket-{i}", status=Status.FAIL, reason="versioning is Suspended <!here>",
        evidence={"versioning": "Suspended"}), excepted_until=T0 if i == 2 else None)
        for i, r in enumerate(["us-east-1", "eu-west-1", "us-east-1"])]
    return IncidentView(incident=incident(**over), team=TEAM, resources=res,
                        remediation="Enable versioning: aws s3api put-bucket-versioning ...")


def event(kind: EventKind, **over: Any) -> Event:
    return Event(**{"id": 3, "incident_id": 7, "at": T0, "kind": kind, "actor": "U0PLAT1", **over})


ANSWER = Answer(question="who owns backups for RDS? <!channel>", owner=Owner.shared, aspect="backup_dr",
                aspect_title="Backup & DR", service_model=Model.paas, service_model_stated=True,
                provider=Provider.aws, provider_stated=True, service="aws_rds", service_name="Amazon RDS",
                explanation="Managed backups exist. Provider: runs backups. You: set retention.",
                provider_does="runs backups", customer_does="set retention", team="platform",
                team_name="Platform Engineering", checks=["rds_instance_backup_retention_7_days", "nope_check_x"])
DEPENDS = Answer(question="who owns backups?", owner=Owner.depends, aspect="backup_dr", aspect_title="Backup & DR",
                 explanation="It depends on the service model.", team="platform",
                 breakdown={"iaas": ModelOwner(owner="customer", summary="Yours."),
                            "paas": ModelOwner(owner="shared", summary="Split."),
                            "saas": ModelOwner(owner="shared", summary="Mostly theirs.")},
                 alternatives=[Alternative(aspect="data_protection", title="Data protection", score=0.8)])
STATUSES = [
    CheckStatus(check_id="rds_instance_backup_retention_7_days", title="RDS keeps backups", failing=2,
                incidents=[IncidentRow(id=7, title="RDS keeps backups", severity=Severity.medium,
                                       state=IncidentState.open, account_id="123456789012",
                                       check_id="rds_instance_backup_retention_7_days", team_name="Platform",
                                       failing=2, url=URL)]),
    CheckStatus(check_id="s3_bucket_versioning_enabled", title="S3 versioning", passing=4),
    CheckStatus(check_id="dynamodb_table_pitr_enabled", title="DynamoDB PITR"),
    CheckStatus(check_id="nope_check_x", title="nope_check_x", known=False),
]
ROWS = [IncidentRow(id=7, title="S3 buckets have versioning enabled", severity=Severity.critical,
                    state=IncidentState.acknowledged, account_id="123456789012", check_id="x_y_z",
                    team_name="Platform", failing=3, url=URL, snoozed_until=T0),
        IncidentRow(id=9, title="Old <thing>", severity=Severity.low, state=IncidentState.resolved,
                    account_id="210987654321", check_id="a_b_c", team_name="Data & Storage")]
MATRIX = Matrix.model_validate({"version": 1, "sources": {"s": {"title": "t", "url": "https://x"}}, "aspects": [
    {"id": "backup_dr", "title": "Backup & DR", "category": "operations", "keywords": ["backup"], "sources": ["s"],
     "cells": {m: {"owner": o, "summary": f"{o} does it here."} for m, o in
               (("on_prem", "customer"), ("iaas", "customer"), ("paas", "customer"), ("saas", "provider"))}}]})
OWNERS = Owners(admins=["U0ADMIN"], default_team="platform", teams=[TEAM, PLAIN_TEAM],
                aspects={"backup_dr": "platform", "data_protection": "data"})
RUN = SimpleNamespace(summary=SimpleNamespace(
    duration_s=1.25, checks_run=3, scopes=2, findings={"PASS": 5, "FAIL": 2, "ERROR": 1},
    errors=[SimpleNamespace(check_id="s3_bucket_versioning_enabled", account_id="123456789012", region="global",
                            code="AccessDenied")]))
OUTCOME = SimpleNamespace(events=[event(EventKind.opened), event(EventKind.updated), event(EventKind.opened)])
EVENT_DATA = {
    EventKind.opened: {"failing": ["a", "b"]}, EventKind.updated: {"new": ["c"], "recovered": ["a"]},
    EventKind.snooze: {"until": "2024-05-02T12:00:00+00:00"},
    EventKind.accept_risk: {"expires_at": "2024-06-01", "resources": ["a"], "justification": "ok <!channel> & co"},
    EventKind.exception_expired: {"resource_id": "a"}, EventKind.escalated: {"level": 2, "to": ["U0ESC", "U0ADMIN"]},
    EventKind.rechecked: {"failing": ["bucket-1", "bucket-<2>"]},
}

# every message builder, with representative inputs (name -> payload)
MESSAGES: dict[str, Callable[[], dict[str, Any]]] = {
    "help": lambda: blocks.help_message(),
    "help_unknown": lambda: blocks.help_message("frob <@U0ADMIN>"),
    "notice": lambda: blocks.notice("The digest is not available yet."),
    "who_owns_shared": lambda: blocks.who_owns_message(ANSWER, TEAM, STATUSES),
    "who_owns_depends": lambda: blocks.who_owns_message(DEPENDS, PLAIN_TEAM, []),
    "matrix_all": lambda: blocks.matrix_message(MATRIX),
    "matrix_saas": lambda: blocks.matrix_message(MATRIX, Model.saas),
    "owners": lambda: blocks.owners_message(OWNERS, {"backup_dr": "Backup & DR"}),
    "scan_started": lambda: blocks.scan_started(3, "s3"),
    "scan_result": lambda: blocks.scan_result(RUN, OUTCOME, "s3"),
    "incident_root_open": lambda: blocks_incident.incident_root(view(escalation_level=1), now=T0),
    "incident_root_acknowledged": lambda: blocks_incident.incident_root(
        view(state=IncidentState.acknowledged, acknowledged_by="U0PLAT1",
             snoozed_until=datetime(2024, 5, 2, 12, tzinfo=timezone.utc)), now=T0, tz="Europe/Paris"),
    "incident_root_resolved": lambda: blocks_incident.incident_root(
        view(state=IncidentState.resolved, resolved_at=T0), now=T0),
    "incident_details": lambda: blocks_incident.incident_details(view()),
    "critical_notice": lambda: blocks_incident.critical_notice(view(), "C0PLATFORM"),
    "incident_event_ack": lambda: blocks_incident.incident_event(event(EventKind.acknowledge), view()),
    "refusal": lambda: blocks_incident.refusal("only admins can accept risk", 7),
    "recheck_started": lambda: blocks_incident.recheck_started(incident(), "U0X"),
    "incidents_list": lambda: blocks_incident.incidents_list(ROWS, "open"),
    "incidents_empty": lambda: blocks_incident.incidents_list([], "mine", teams=["Platform"]),
    "incidents_no_team": lambda: blocks_incident.incidents_list([], "mine", teams=[]),
}
MESSAGES.update({f"event_{k.value}": (lambda k=k: blocks_incident.incident_event(
    event(k, data=EVENT_DATA.get(k, {}), reason="because <b>"), view())) for k in EventKind})
MESSAGES["backlog_summary"] = lambda: __import__("bot.slack.blocks_backlog", fromlist=["x"]).backlog_message(
    _sample_backlog())
VIEWS: dict[str, Callable[[], dict[str, Any]]] = {
    "accept_risk_modal": lambda: blocks_incident.accept_risk_modal(view(), today=date(2024, 5, 1)),
    "home": lambda: blocks_home.home_view(
        Posture(active=2, by_severity={"critical": 1, "low": 1}, by_state={"open": 2}, failing_checks=2,
                failing_resources=5, accounts=1, last_scan_at=T0, last_scan_checks=41), ["Platform"], ROWS),
    "home_no_team": lambda: blocks_home.home_view(Posture(), [], []),
    "home_with_backlog": lambda: blocks_home.home_view(Posture(), ["Platform"], [], backlogs=[_sample_backlog()]),
}


def snapshot(name: str, payload: dict[str, Any]) -> None:
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with SNAPSHOT_UPDATE=1"
    assert json.loads(path.read_text()) == payload, f"{name} changed: review, then SNAPSHOT_UPDATE=1"


def check_limits(blocks_: list[dict[str, Any]], max_blocks: int = 50) -> None:
    """The Block Kit limits we rely on staying under."""
    assert 0 < len(blocks_) <= max_blocks
    for b in blocks_:
        if b["type"] == "section":
            assert "text" in b or "fields" in b
            assert len(b.get("text", {}).get("text", "")) <= 3000
            assert len(b.get("fields", [])) <= 10 and all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and len(b["text"]["text"]) <= 150
        if b["type"] == "context":
            assert 0 < len(b["elements"]) <= 10
        if b["type"] == "actions":
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids)) <= 25
            for e in b["elements"]:
                values = [e.get("value", "")] + [o["value"] for o in e.get("options", [])]
                assert all(len(v) <= 150 for v in values)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_message_snapshots(name):
    payload = MESSAGES[name]()
    check_limits(payload["blocks"])
    snapshot(name, payload)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_snapshots(name):
    payload = VIEWS[name]()
    assert payload["type"] in ("modal", "home")
    check_limits(payload["blocks"], 100)
    snapshot(name, payload)


def test_every_message_builder_is_covered_and_has_a_text_fallback():
    builders = {f"{m.__name__}.{n}" for m in (blocks, blocks_incident, blocks_home)
                for n, fn in inspect.getmembers(m, inspect.isfunction)
                if fn.__module__ == m.__name__ and inspect.signature(fn).return_annotation == "Payload"}
    for name, make in MESSAGES.items():
        payload = make()
        assert isinstance(payload["text"], str) and payload["text"].strip(), name
        assert set(payload) == {"text", "blocks"}, name
    covered = {f"{c.__module__}.{c.__name__}" for c in _builders_named_in(MESSAGES)}
    covered.add("bot.slack.blocks.message")  # the primitive every builder returns through
    assert builders <= covered, f"builders without a sample: {sorted(builders - covered)}"


def _builders_named_in(samples: dict[str, Callable]) -> set[Callable]:
    names = " ".join(inspect.getsource(f) for f in samples.values())
    return {fn for m in (blocks, blocks_incident, blocks_home) for n, fn in inspect.getmembers(m, inspect.isfunction)
            if f".{n}(" in names and fn.__module__ == m.__name__}


def test_a_message_without_fallback_text_cannot_be_built():
    with pytest.raises(ValueError):
        blocks.message("  ", [blocks.section("x")])


CONTROL = re.compile(r"<(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|!subteam\^S[A-Z0-9]+|https://[^|<>]+\|[^<>]+)>")


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def test_the_only_angle_brackets_are_mentions_and_links_we_made():
    """Sample inputs carry <!channel>, <!here>, <@U..>, <b>, <thing>: none may survive unescaped."""
    for name, make in {**MESSAGES, **VIEWS}.items():
        for text in strings(make()):
            leftover = CONTROL.sub("", text)
            assert "<" not in leftover and ">" not in leftover, (name, text)


@given(st.text(max_size=80))
def test_escape_leaves_no_angle_brackets_and_is_reversible(text):
    out = blocks.escape(text)
    assert "<" not in out and ">" not in out
    # reversible up to the hidden characters, which are shown as [U+XXXX] (bot.notify.text.visible)
    assert out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == visible(text)
    answer = ANSWER.model_copy(update={"question": text})
    asked = blocks.who_owns_message(answer, None, [])["blocks"][1]["elements"][0]["text"]
    assert "<" not in asked and ">" not in asked


def test_every_remediation_renders_its_code_and_policies_verbatim():
    """A copied policy must be the policy: nothing in a command, a JSON document or a wildcard is formatted away."""
    from bot.demo.mrkdwn import parse
    from bot.slack.blocks_incident import remediation_text
    from checks.registry import load_all

    for check in load_all().values():
        text = check.meta.remediation
        spans = parse(remediation_text(text))
        shown = "".join(s.text for s in spans)
        formatted = [s for s in spans if s.styles - {"code", "pre"}]
        assert not formatted, (check.meta.id, formatted)  # no bold/italic/strike eaten out of the text
        for code in re.findall(r"`([^`]+)`", text):
            assert code in shown, (check.meta.id, code)
        assert "".join(shown.split()) == "".join(text.replace("`", "").split()), check.meta.id


def test_every_message_and_view_passes_slack_sdk_block_validation_and_limits():
    """The builders keep dicts; slack_sdk's block models check every block against Slack's limits."""
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    for name, make in MESSAGES.items():
        payload = make()
        blocks = payload["blocks"]
        assert 0 < len(blocks) <= 50 and len(payload["text"]) <= 40_000, name
        for block in blocks:
            model = Block.parse(block)
            assert model is not None, (name, block.get("type"))
            model.validate_json()  # raises SlackObjectFormationError past a limit
    for name, make in VIEWS.items():
        View(**make()).validate_json()


def _sample_backlog():
    from bot.incidents import Backlog, BacklogLine
    from bot.owners import Team
    from checks.base import Severity

    lines = [BacklogLine(incident_id=i, account_id="111122223333", check_id=f"s3_bucket_check_{i}",
                         title=f"S3 buckets <without> thing {i} & *more*", severity=list(Severity)[i % 4],
                         failing=40 + i, worst=[f"bucket-{i}-{j}" for j in range(3)]) for i in range(30)]
    return Backlog(team=Team(id="platform", name="Platform <Eng>", escalation="U0ESC"), lines=lines)
