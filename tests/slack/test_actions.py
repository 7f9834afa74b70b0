"""Incident buttons end to end: signed block_actions / view_submission over HTTP, Slack calls recorded."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import boto3
from moto import mock_aws

from bot.incidents import ScanOutcome
from bot.models import IncidentState
from bot.slack.ids import ActionId, ActionValue, BlockId, action_id
from tests.factories import finding, run_of
from tests.slack.conftest import ADMIN, CHANNEL, LEAD, MEMBER, OUTSIDER, REGION, VERSIONING, eventually


def open_incident(slack, *resources: str) -> tuple[int, str]:
    """An incident on VERSIONING with these failing buckets; returns (id, root ts)."""
    slack.services.incidents.ingest(run_of(*(finding(r, check=VERSIONING) for r in resources or ("bucket-a",))))
    root = slack.fake.wait_for("chat.postMessage", 2)[0]
    inc = slack.services.store.incidents()[-1]
    assert slack.services.store.conversation(inc.id, "slack").thread == root.ts
    slack.fake.reset()
    return inc.id, root.ts


def value(incident_id: int, action: str, hours: int | None = None) -> str:
    return ActionValue(incident_id=incident_id, action=action, hours=hours).dump()


def actions_of(call) -> list[str]:
    return [e["action_id"] for b in call["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_acknowledge_replies_in_thread_and_updates_the_root(slack):
    inc_id, ts = open_incident(slack)
    r = slack.click(action_id("acknowledge"), value(inc_id, "acknowledge"), user=MEMBER, message_ts=ts)
    assert r.status == 200 and r.body == ""
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == ts and reply["channel"] == CHANNEL
    assert f"Acknowledged by <@{MEMBER}>" in reply["text"]
    [update] = slack.fake.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == (CHANNEL, ts)
    assert f"Acknowledged by <@{MEMBER}>" in str(update["blocks"])
    assert actions_of(update) == ["incident.snooze", "incident.reassign", "incident.accept_risk", "incident.recheck"]
    assert slack.services.store.incident(inc_id).state is IncidentState.acknowledged


def test_a_refused_click_gets_an_ephemeral_explanation_and_changes_nothing(slack):
    inc_id, ts = open_incident(slack)
    slack.click(action_id("acknowledge"), value(inc_id, "acknowledge"), user=OUTSIDER, message_ts=ts)
    [eph] = slack.fake.wait_for("chat.postEphemeral")
    assert eph["user"] == OUTSIDER and eph["channel"] == CHANNEL
    assert "only members of Platform Engineering or admins can acknowledge" in eph["text"]
    slack.settle()
    assert slack.fake.calls_of("chat.postMessage") == [] and slack.fake.calls_of("chat.update") == []
    events = slack.services.incidents.timeline(inc_id)
    assert events[-1].allowed is False and events[-1].actor == OUTSIDER  # refused attempts are audited


def test_authorization_comes_from_the_clicker_not_the_value(slack):
    inc_id, ts = open_incident(slack)
    # a value naming someone else is rejected outright (extra fields are forbidden)
    forged = value(inc_id, "acknowledge")[:-1] + f', "actor": "{ADMIN}"}}'
    slack.click(action_id("acknowledge"), forged, user=OUTSIDER, message_ts=ts)
    # a value for another action does not act either
    slack.click(action_id("acknowledge"), value(inc_id, "snooze", 1), user=MEMBER, message_ts=ts)
    told = slack.fake.wait_for("chat.postEphemeral", 2)  # parsed by one validating function: no traceback
    assert all("stale or malformed" in c["text"] for c in told)
    assert not slack.fake.calls_of("response_url")
    assert slack.services.store.incident(inc_id).state is IncidentState.open
    assert slack.services.incidents.timeline(inc_id)[-1].kind.value == "opened"


def test_snooze_choices_post_and_update_and_an_unlisted_length_is_refused(slack):
    inc_id, ts = open_incident(slack)
    slack.click(action_id("snooze"), value(inc_id, "snooze", 24), user=LEAD, message_ts=ts, select=True)
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == ts and f"Snoozed by <@{LEAD}> until" in reply["text"]
    [update] = slack.fake.wait_for("chat.update")
    assert "snoozed until" in str(update["blocks"])
    snoozed = slack.services.store.incident(inc_id).snoozed_until
    assert snoozed is not None
    slack.click(action_id("snooze"), value(inc_id, "snooze", 5), user=LEAD, message_ts=ts, select=True)
    [eph] = slack.fake.wait_for("chat.postEphemeral")
    assert "5 h is not one of the snooze choices" in eph["text"]
    assert slack.services.store.incident(inc_id).snoozed_until == snoozed


def test_root_offers_the_configured_snooze_choices(slack):
    slack.services.incidents.ingest(run_of(finding("bucket-a", check=VERSIONING)))
    root = slack.fake.wait_for("chat.postMessage", 2)[0]
    select = next(e for b in root["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == action_id("snooze"))
    assert [o["text"]["text"] for o in select["options"]] == ["Snooze 1 hour", "Snooze 1 day", "Snooze 1 week"]
    assert [ActionValue.parse(o["value"]).hours for o in select["options"]] == [1, 24, 168]


def test_accept_risk_opens_a_modal_for_admins_and_the_submission_accepts(slack):
    inc_id, ts = open_incident(slack, "bucket-a", "bucket-b")
    slack.click(action_id("accept_risk"), value(inc_id, "accept_risk"), user=MEMBER, message_ts=ts)
    [eph] = slack.fake.wait_for("chat.postEphemeral")
    assert "only admins can accept risk" in eph["text"] and slack.fake.calls_of("views.open") == []

    slack.click(action_id("accept_risk"), value(inc_id, "accept_risk"), user=ADMIN, message_ts=ts)
    [opened] = slack.fake.wait_for("views.open")
    view = opened["view"]
    assert opened["trigger_id"].endswith(".2.trigger") and view["callback_id"] == "incident.accept_risk"
    assert ActionValue.parse(view["private_metadata"]).incident_id == inc_id

    def values(text: str, day: date) -> dict:
        return {BlockId.justification: {ActionId.justification: {"type": "plain_text_input", "value": text}},
                BlockId.expiry: {ActionId.expiry: {"type": "datepicker", "selected_date": day.isoformat()}}}

    today = date.today()
    bad = slack.submit_view(view, values("meh", today - timedelta(days=1)), user=ADMIN)
    assert bad.status == 200 and bad.json["response_action"] == "errors"
    assert set(bad.json["errors"]) == {BlockId.justification, BlockId.expiry}

    good = slack.submit_view(view, values("public website assets <!channel>", today + timedelta(days=30)), user=ADMIN)
    assert good.status == 200 and good.body == ""
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == ts and f"Risk accepted by <@{ADMIN}>" in reply["text"]
    assert "&lt;!channel&gt;" in reply["text"] and "<!channel>" not in str(reply.body)
    slack.fake.wait_for("chat.update")
    inc = slack.services.store.incident(inc_id)
    assert inc.state is IncidentState.risk_accepted
    assert len(slack.services.store.active_exceptions(inc.account_id, VERSIONING, slack.services.clock.now())) == 2


def test_recheck_scans_now_and_reports_the_result_in_the_thread(slack):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="fix-me")
        slack.command(f"check {VERSIONING}")
        root, _details = slack.fake.wait_for("chat.postMessage", 2, timeout=20)
        inc = slack.services.store.incidents()[0]
        s3.put_bucket_versioning(Bucket="fix-me", VersioningConfiguration={"Status": "Enabled"})
        slack.fake.reset()
        slack.click(action_id("recheck"), value(inc.id, "recheck"), user=OUTSIDER, message_ts=root.ts)
        [reply] = slack.fake.wait_for("chat.postMessage", 1, timeout=20)
        eventually(lambda: "rechecked" in [e.kind.value for e in slack.services.incidents.timeline(inc.id)])
    slack.settle()
    assert [c["text"] for c in slack.fake.calls_of("chat.postMessage")] == [reply["text"]]  # ONE reply, not two
    assert reply["thread_ts"] == root.ts and "Resolved: every resource passes" in reply["text"]
    assert slack.services.incidents.timeline(inc.id)[-1].actor == OUTSIDER  # the re-check is still audited
    update = slack.fake.wait_for("chat.update")[-1]
    assert update["ts"] == root.ts and actions_of(update) == [] and "Resolved" in str(update["blocks"])
    assert slack.services.store.incident(inc.id).state is IncidentState.resolved


def test_a_recheck_that_still_fails_says_so_in_the_thread_and_updates_the_root(slack):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="still-bad")
        slack.command(f"check {VERSIONING}")
        root, _details = slack.fake.wait_for("chat.postMessage", 2, timeout=20)
        inc = slack.services.store.incidents()[0]
        slack.fake.reset()
        r = slack.click(action_id("recheck"), value(inc.id, "recheck"), user=MEMBER, message_ts=root.ts)
        assert r.status == 200 and r.body == ""  # acked before the scan
        [started] = slack.fake.wait_for("chat.postEphemeral")
        [reply] = slack.fake.wait_for("chat.postMessage", timeout=20)
    assert started["user"] == MEMBER and "Re-checking `s3_bucket_versioning_enabled`" in started["text"]
    assert (reply["channel"], reply["thread_ts"]) == (CHANNEL, root.ts)
    assert f"Re-check by <@{MEMBER}>: still 1 resource(s) failing: `still-bad`" in reply["text"]
    [update] = slack.fake.wait_for("chat.update")
    assert update["ts"] == root.ts and actions_of(update)[0] == "incident.acknowledge"
    event = slack.services.incidents.timeline(inc.id)[-1]  # in the audit trail like any other event
    assert (event.kind.value, event.actor, event.data) == ("rechecked", MEMBER, {"failing": ["still-bad"]})
    slack.settle()
    assert len(slack.fake.calls_of("chat.postMessage")) == 1


def held_scan(gate: threading.Event, calls: list):  # noqa: ANN201
    """A stand-in for Services.scan that records its arguments and waits for ``gate``."""
    def scan(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(kwargs)
        assert gate.wait(10)
        return run_of(), ScanOutcome(run_id=1)
    return scan


def test_clicks_and_slow_commands_are_acked_while_their_work_is_still_held(slack):
    """The HTTP answer goes back before the scan even starts to finish: the scan here waits on a gate."""
    inc_id, ts = open_incident(slack, "bucket-a")
    gate, calls = threading.Event(), []
    slack.services.scan = held_scan(gate, calls)  # this Services instance only
    r = slack.click(action_id("recheck"), value(inc_id, "recheck"), user=MEMBER, message_ts=ts)
    assert r.status == 200 and r.body == ""
    cmd = slack.command(f"check {VERSIONING}")
    assert cmd.status == 200 and "Running 1 check(s)" in cmd.json["text"]
    eventually(lambda: len(calls) == 2)
    assert not gate.is_set() and slack.fake.calls_of("chat.postMessage") == []  # both answered, work held
    gate.set()
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == ts and "still 1 resource(s) failing: `bucket-a`" in reply["text"]
    [report] = slack.fake.wait_for("response_url")
    assert report["text"].startswith(f"Scan of {VERSIONING} finished")
    account = slack.services.store.incident(inc_id).account_id
    assert sorted(map(str, calls)) == sorted([str({"account": account, "asked": True}), str({"asked": True, "keep_findings": False})])


def test_a_second_recheck_while_one_runs_is_told_so_and_scans_nothing(slack):
    inc_id, ts = open_incident(slack, "bucket-a")
    gate, calls = threading.Event(), []
    slack.services.scan = held_scan(gate, calls)
    slack.click(action_id("recheck"), value(inc_id, "recheck"), user=MEMBER, message_ts=ts)
    eventually(lambda: len(calls) == 1)
    slack.click(action_id("recheck"), value(inc_id, "recheck"), user=OUTSIDER, message_ts=ts)
    eventually(lambda: any(c["user"] == OUTSIDER for c in slack.fake.calls_of("chat.postEphemeral")))
    told = [c for c in slack.fake.calls_of("chat.postEphemeral") if c["user"] == OUTSIDER]
    assert "already running" in told[0]["text"] and f"#{inc_id}" in told[0]["text"]
    gate.set()
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == ts and f"Re-check by <@{MEMBER}>" in reply["text"]
    assert len(calls) == 1
    slack.settle(1.0)  # the first re-check has finished (its reply is out; the guard is released right after)
    slack.click(action_id("recheck"), value(inc_id, "recheck"), user=OUTSIDER, message_ts=ts)
    eventually(lambda: len(calls) == 2)  # once done, the next click scans again


def test_scans_people_ask_for_are_bounded_and_the_rest_are_told_to_wait(slack, monkeypatch):
    """Commands and re-checks cannot pile up behind the scan lock and starve the listener threads."""
    from bot.scans import ResumableScan
    from bot.services import SCANS_ASKED_AT_ONCE

    gate, started = threading.Event(), []

    def held_run(self, checks, targets, **kw):  # noqa: ANN001, ANN202 - the real Services.scan, a slow AWS
        started.append(1)
        assert gate.wait(10)
        return run_of(), ScanOutcome(run_id=1)

    monkeypatch.setattr(ResumableScan, "run", held_run)
    with mock_aws():
        for _ in range(SCANS_ASKED_AT_ONCE):
            assert slack.command(f"check {VERSIONING}").status == 200
        eventually(lambda: len(started) == 1)  # one runs, the other waits on the scan lock
        busy = slack.command(f"check {VERSIONING}")
        assert busy.status == 200
        [told] = slack.fake.wait_for("response_url")
        assert "could not start" in told["text"] and "already running or waiting" in told["text"]
        gate.set()
        slack.fake.wait_for("response_url", 1 + SCANS_ASKED_AT_ONCE)
    assert len(started) == SCANS_ASKED_AT_ONCE


def test_reassign_is_a_select_of_the_other_teams_and_moves_the_incident(slack):
    inc_id, ts = open_incident(slack)
    slack.click(action_id("reassign"), ActionValue(incident_id=inc_id, action="reassign", param="data").dump(),
                user=MEMBER, message_ts=ts, select=True)
    eventually(lambda: slack.services.store.incident(inc_id).team_id == "data")
    reply = slack.fake.wait_for("chat.postMessage")[0]
    assert reply["thread_ts"] == ts and "Reassigned by <@U0PLAT1> from Platform Engineering to Data & Storage" \
        in reply["text"].replace("&amp;", "&")
    root = slack.fake.wait_for("chat.update")[-1]
    [menu] = [e for b in root["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == action_id("reassign")]
    assert sorted(o["text"]["text"] for o in menu["options"]) == ["Platform Engineering", "Security"]
