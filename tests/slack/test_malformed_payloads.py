"""Malformed interactivity payloads (issue 13, item 4): every one gets a 400 or a 200 with "stale", one
log line, never a traceback, and nothing changes in the store."""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from bot.slack.ids import ActionId, BlockId, CallbackId, action_id
from tests.slack.conftest import ADMIN, CHANNEL, MEMBER, TEAM_ID
from tests.slack.test_actions import open_incident

BAD_VALUES = ['{"incident_id": "abc", "action": "acknowledge"}', '{"incident_id": -1, "action": "acknowledge"}',
              '{"incident_id": 99999999999999999999999, "action": "acknowledge"}',
              '{"incident_id": "1; DROP TABLE incidents; --", "action": "acknowledge"}', "not json at all", "[]",
              '{"incident_id": 1.5, "action": "acknowledge"}', "", '{"incident_id": 424242, "action": "acknowledge"}']


def state(slack) -> tuple:
    store = slack.services.store
    return ([(i.id, i.state, len(store.events(i.id))) for i in store.incidents()], len(store.outbox()))


def no_traceback(caplog) -> None:
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


def raw_payload(slack, payload: str):
    return slack.signed(urlencode({"payload": payload}))


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_a_malformed_button_value_is_stale_not_a_crash(slack, caplog, bad):
    caplog.set_level(logging.WARNING)
    inc_id, ts = open_incident(slack)
    before = state(slack)
    reply = slack.click(action_id("acknowledge"), bad, user=MEMBER, message_ts=ts)
    assert reply.status == 200
    [told] = slack.fake.wait_for("chat.postEphemeral")
    assert "stale" in told["text"] or "no incident" in told["text"]
    slack.settle(0.2)
    assert state(slack) == before
    no_traceback(caplog)


@pytest.mark.parametrize("payload", [
    "[1, 2, 3]", '"a string"', "{not json", "null",
    json.dumps({"type": "block_actions", "actions": [{"action_id": "incident.acknowledge", "value": "{}"}]}),
    json.dumps({"type": "block_actions", "user": "U0PLAT1", "actions": []}),
    json.dumps({"type": "view_submission", "view": {"callback_id": "incident.accept_risk"}}),
    json.dumps({"user": {"id": "U0PLAT1"}}),
    json.dumps({"type": "view_submission", "user": {"id": "U0ADMIN"}, "view": {"callback_id": "incident.accept_risk"}}),
    json.dumps({"type": "block_actions", "user": {"id": "U0PLAT1"}, "actions": "acknowledge"}),
    json.dumps({"type": "block_actions", "user": {"id": "U0PLAT1"}, "actions": [{"value": "x"}]}),
])
def test_a_payload_that_is_not_an_object_with_a_user_is_a_400_with_one_line(slack, caplog, payload):
    caplog.set_level(logging.WARNING)
    open_incident(slack)
    before = state(slack)
    reply = raw_payload(slack, payload)
    assert reply.status == 400
    lines = [r for r in caplog.records if "malformed interactivity payload" in r.getMessage()]
    assert len(lines) == 1
    assert state(slack) == before
    no_traceback(caplog)


@pytest.mark.parametrize("metadata", ["", "not json", "[]", '{"incident_id": "x", "action": "accept_risk"}',
                                      '{"incident_id": 1, "action": "acknowledge"}', "1 OR 1=1"])
def test_a_view_submission_with_bad_private_metadata_is_a_stale_form(slack, caplog, metadata):
    caplog.set_level(logging.WARNING)
    open_incident(slack)
    before = state(slack)
    day = (date.today() + timedelta(days=30)).isoformat()
    values = {BlockId.justification: {ActionId.justification: {"type": "plain_text_input", "value": "x" * 20}},
              BlockId.expiry: {ActionId.expiry: {"type": "datepicker", "selected_date": day}}}
    view = {"type": "modal", "callback_id": CallbackId.accept_risk.value, "private_metadata": metadata}
    reply = slack.submit_view(view, values, user=ADMIN)
    assert reply.status == 200 and reply.json["response_action"] == "errors"
    assert "stale" in json.dumps(reply.json["errors"])
    assert len([r for r in caplog.records if "malformed accept_risk submission" in r.getMessage()]) == 1
    slack.settle(0.2)
    assert state(slack) == before
    no_traceback(caplog)


def test_a_view_submission_without_state_is_a_stale_form(slack, caplog):
    inc_id, _ = open_incident(slack)
    reply = slack.interaction({
        "type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": ADMIN}, "api_app_id": "A0SRM",
        "view": {"id": "V1", "type": "modal", "callback_id": CallbackId.accept_risk.value,
                 "private_metadata": json.dumps({"incident_id": inc_id, "action": "accept_risk"})}})
    assert reply.status == 200 and reply.json["response_action"] == "errors"
    no_traceback(caplog)
    assert CHANNEL  # the incident channel saw nothing new
    assert not slack.fake.calls_of("chat.postMessage")
