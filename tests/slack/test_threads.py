"""One incident, one thread: every later event is a reply under the root, and the root is
rewritten in place (chat.update) to the incident's current state. Driven the way production
drives it (scans through ``Incidents.ingest``, the minute sweep), recorded by the fake Slack."""
from __future__ import annotations

from datetime import timedelta

from bot.models import IncidentState
from tests.factories import finding, run_of
from tests.slack.conftest import ADMIN, CHANNEL, ESC, VERSIONING


def scan(slack, *resources: str, status: str = "FAIL", evidence: dict | None = None):
    return slack.services.incidents.ingest(run_of(*(finding(r, status, check=VERSIONING, evidence=evidence)
                                                    for r in resources)))


def open_thread(slack, *resources: str):
    """Open the incident; return (root call, first thread reply)."""
    scan(slack, *resources)
    root, details = slack.fake.wait_for("chat.postMessage", 2)
    slack.fake.reset()
    return root, details


def failing_field(update) -> str:
    section = next(b for b in update["blocks"] if b["type"] == "section" and "fields" in b)
    return next(f["text"] for f in section["fields"] if f["text"].startswith("*Failing*"))


def test_first_reply_has_owners_resources_evidence_and_remediation(slack):
    scan(slack, "bucket-a", "bucket-b", evidence={"versioning": "Suspended <!here>"})
    root, details = slack.fake.wait_for("chat.postMessage", 2)
    assert root["channel"] == CHANNEL and "thread_ts" not in root.body
    assert details["thread_ts"] == root.ts and details["channel"] == CHANNEL
    blocks = [b["text"]["text"] for b in details["blocks"] if b["type"] == "section"]
    assert blocks[0].startswith("<!subteam^S0PLATFORM> this one is yours (Platform Engineering)")
    assert "*2 resource(s) failing*" in blocks[0]
    [a] = [b for b in blocks if "bucket-a" in b]
    assert '{"versioning": "Suspended &lt;!here&gt;"}' in a and "bucket-a is FAIL" in a  # evidence, escaped
    assert any(b.startswith(":wrench: *Remediation*") for b in blocks)
    assert details["text"] and "<!here>" not in str(details.body)


def test_a_new_failing_resource_is_a_thread_reply_and_the_root_count_is_updated(slack):
    root, _ = open_thread(slack, "bucket-a")
    scan(slack, "bucket-a", "bucket-b")
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert (reply["channel"], reply["thread_ts"]) == (CHANNEL, root.ts)
    assert "now failing: `bucket-b`" in reply["text"]
    [update] = slack.fake.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == (CHANNEL, root.ts)
    assert failing_field(update) == "*Failing*\n2 resource(s)" and "2 failing resource(s)" in update["text"]

    slack.fake.reset()  # changed evidence on a resource already failing is news too
    scan(slack, "bucket-a", "bucket-b", evidence={"versioning": "Suspended"})
    replies = slack.fake.wait_for("chat.postMessage")
    assert [r["thread_ts"] for r in replies] == [root.ts]
    assert "evidence changed: `bucket-a`, `bucket-b`" in replies[0]["text"]
    assert slack.fake.wait_for("chat.update")[0]["ts"] == root.ts


def test_escalation_is_a_thread_reply_naming_the_escalation_contacts_and_updates_the_root(slack):
    root, _ = open_thread(slack, "bucket-a")
    incidents = slack.services.incidents
    inc = slack.services.store.incidents()[0]
    assert inc.next_escalation_at == inc.opened_at + incidents.sla(inc.severity)

    incidents.sweep(inc.next_escalation_at - timedelta(seconds=1))  # not yet
    assert slack.fake.calls_of("chat.postMessage") == [] and slack.fake.calls_of("chat.update") == []

    incidents.sweep(inc.next_escalation_at + timedelta(seconds=1))
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == root.ts and reply["channel"] == CHANNEL
    assert f"Escalated (level 1) to <@{ESC}>" in reply["text"] and ADMIN not in reply["text"]
    [update] = slack.fake.wait_for("chat.update")
    assert update["ts"] == root.ts and "Open (escalated, level 1)" in str(update["blocks"])

    level1 = slack.services.store.incident(inc.id)
    incidents.sweep(level1.next_escalation_at + timedelta(seconds=1))
    second = slack.fake.wait_for("chat.postMessage", 2)[1]
    assert second["thread_ts"] == root.ts and f"Escalated (level 2) to <@{ESC}> <@{ADMIN}>" in second["text"]
    assert "Open (escalated, level 2)" in str(slack.fake.wait_for("chat.update", 2)[1]["blocks"])

    incidents.sweep(level1.next_escalation_at + timedelta(days=30))  # the last level: nothing more, ever
    assert len(slack.fake.calls_of("chat.postMessage")) == 2


def test_resolution_is_a_thread_reply_and_the_root_loses_its_buttons(slack):
    root, _ = open_thread(slack, "bucket-a", "bucket-b")
    scan(slack, "bucket-a", "bucket-b", status="PASS")
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == root.ts and "Resolved: every resource passes" in reply["text"]
    [update] = slack.fake.wait_for("chat.update")
    assert update["ts"] == root.ts and "Resolved" in str(update["blocks"])
    assert [b for b in update["blocks"] if b["type"] == "actions"] == []
    assert "resolved, 0 failing resource(s)" in update["text"]
    assert slack.services.store.incidents()[0].state is IncidentState.resolved


def test_the_end_of_a_snooze_is_a_thread_reply(slack):
    root, _ = open_thread(slack, "bucket-a")
    inc = slack.services.store.incidents()[0]
    until = slack.services.clock.now() + timedelta(hours=1)
    slack.services.store.update_incident(inc.id, snoozed_until=until)
    slack.services.incidents.sweep(until + timedelta(seconds=1))
    [reply] = slack.fake.wait_for("chat.postMessage")
    assert reply["thread_ts"] == root.ts and "Snooze ended" in reply["text"]
    assert slack.fake.wait_for("chat.update")[0]["ts"] == root.ts


def test_every_post_in_an_incidents_life_lands_in_one_thread_once(slack):
    root, _ = open_thread(slack, "bucket-a")
    scan(slack, "bucket-a", "bucket-b")
    scan(slack, "bucket-a", "bucket-b")  # the same scan again: nothing new
    scan(slack, "bucket-a", "bucket-b", status="PASS")
    slack.settle(0.2)
    posts = slack.fake.calls_of("chat.postMessage")
    assert [p["thread_ts"] for p in posts] == [root.ts, root.ts]
    assert ["now failing" in posts[0]["text"], "Resolved" in posts[1]["text"]] == [True, True]
    assert {u["ts"] for u in slack.fake.calls_of("chat.update")} == {root.ts}
