"""Posting to Slack when Slack pushes back: 429 with Retry-After, 5xx, and posts that still fail.

Nothing is posted twice and nothing is lost: the WebClient retries, and what still
fails stays in the incident outbox until a later delivery (sweep, scan or click).
"""
from __future__ import annotations

from bot.models import OutboxKind
from bot.slack.app import make_client
from bot.slack.ids import ActionValue, action_id
from bot.slack.notifier import SlackNotifier
from tests.factories import finding, run_of
from tests.slack.conftest import CHANNEL, MEMBER, VERSIONING, eventually


def ingest(slack, *resources: str):
    return slack.services.incidents.ingest(run_of(*(finding(r, check=VERSIONING) for r in resources)))


def test_a_429_is_retried_after_retry_after_and_posted_once(slack):
    slack.fake.fail("chat.postMessage", times=1, status=429, retry_after=0)
    ingest(slack, "a")
    root, details = slack.fake.wait_for("chat.postMessage", 2)
    assert [c.status for c in slack.fake.attempts_of("chat.postMessage")] == [429, 200, 200]
    assert details["thread_ts"] == root.ts
    assert slack.services.store.pending_outbox() == []


def test_5xx_is_retried_with_backoff_and_posted_once(slack):
    slack.fake.fail("chat.postMessage", times=2, status=500)
    ingest(slack, "a")
    slack.fake.wait_for("chat.postMessage", 2)
    assert [c.status for c in slack.fake.attempts_of("chat.postMessage")] == [500, 500, 200, 200]


def test_a_post_that_still_fails_is_kept_and_sent_by_the_next_delivery(slack):
    slack.fake.fail("chat.postMessage", times=10, status=503)
    out = ingest(slack, "a")
    assert out.delivered == 0 and slack.fake.calls_of("chat.postMessage") == []
    [pending] = slack.services.store.pending_outbox()
    assert pending.kind is OutboxKind.open and pending.attempts == 1 and "SlackApiError" in pending.last_error
    assert len(slack.fake.attempts_of("chat.postMessage")) == 3  # the first try and 2 retries
    slack.fake.reset()  # Slack is back
    assert slack.services.incidents.deliver() == 1
    root, details = slack.fake.calls_of("chat.postMessage")
    assert details["thread_ts"] == root.ts and slack.services.store.pending_outbox() == []


def test_no_post_is_lost_after_a_429_the_next_click_delivers_it(slack):
    ingest(slack, "a")
    root = slack.fake.wait_for("chat.postMessage", 2)[0]
    inc_id = slack.services.store.incidents()[0].id
    slack.fake.reset()
    slack.fake.fail("chat.postMessage", times=3, status=429, retry_after=0)  # more than the client retries (2)
    ingest(slack, "a", "b")  # a new failing resource: a thread reply + a root update
    assert [o.kind for o in slack.services.store.pending_outbox()] == [OutboxKind.post, OutboxKind.refresh]
    slack.fake.reset()
    slack.click(action_id("acknowledge"), ActionValue(incident_id=inc_id, action="acknowledge").dump(),
                user=MEMBER, message_ts=root.ts)
    replies = slack.fake.wait_for("chat.postMessage", 2)
    assert [r["thread_ts"] for r in replies] == [root.ts, root.ts]
    assert "now failing: `b`" in replies[0]["text"] and "Acknowledged by" in replies[1]["text"]  # in order
    slack.fake.wait_for("chat.update")
    eventually(lambda: slack.services.store.pending_outbox() == [])


def test_when_the_first_thread_reply_fails_the_root_is_not_posted_again(slack):
    slack.fake.fail("chat.postMessage", times=10, status=500, skip=1)  # root ok, details fail
    ingest(slack, "a")
    [root] = slack.fake.calls_of("chat.postMessage")
    # the conversation is not complete yet
    assert slack.services.store.conversation(slack.services.store.incidents()[0].id, "slack") is None
    slack.fake.reset()
    slack.services.incidents.deliver()
    [details] = slack.fake.calls_of("chat.postMessage")
    assert details["thread_ts"] == root.ts and "<!subteam^S0PLATFORM>" in str(details["blocks"])
    assert slack.services.store.conversation(slack.services.store.incidents()[0].id, "slack").thread == root.ts


def test_a_repeated_key_never_posts_twice(slack, services, fake):
    """A crash between posting and marking the outbox delivered repeats the call with the same key."""
    ingest(slack, "a")
    fake.wait_for("chat.postMessage", 2)
    inc = services.store.incidents()[0]
    view = services.incidents.view(inc)
    notifier = SlackNotifier(make_client(services.settings), services.store, owners=services.owners,
                             config=services.config.incidents)
    ref = notifier.open(view, key=f"slack:incident:{inc.id}:open")
    assert ref == slack.services.store.conversation(inc.id, "slack")
    event = services.incidents.timeline(inc.id)[0]
    notifier.post(ref, view, event, key="event:99:post")
    notifier.post(ref, view, event, key="event:99:post")
    assert len(fake.calls_of("chat.postMessage")) == 3  # root, details, one post
    assert services.store.sent_message("event:99:post").thread == fake.calls_of("chat.postMessage")[2].ts


def test_the_root_goes_to_the_configured_incident_channel(slack):
    ingest(slack, "a")
    root = slack.fake.wait_for("chat.postMessage")[0]
    assert root["channel"] == CHANNEL


# -- answers to people: kept in memory and retried (bot/slack/delivery.py) ------------------
def test_a_mention_answer_refused_past_the_clients_retries_is_kept_and_posted_later_once(slack):
    from tests.slack.test_events import mention

    slack.fake.fail("chat.postMessage", times=3, status=429, retry_after=0)  # the client tries 3 times
    assert slack.event(mention("who owns MFA?"), event_id="Ev0KEPT001").status == 200
    [answer] = slack.fake.wait_for("chat.postMessage")  # the retry thread, 50 ms later
    assert [c.status for c in slack.fake.attempts_of("chat.postMessage")] == [429, 429, 429, 200]
    assert answer["thread_ts"] == "1711111111.000100" and answer["text"].startswith("CUSTOMER")
    assert slack.event(mention("who owns MFA?"), event_id="Ev0KEPT001", retry=1).status == 200  # Slack's retry
    slack.settle()
    assert len(slack.fake.calls_of("chat.postMessage")) == 1 and slack.app.srm.pending.waiting == []
    assert slack.app.srm.pending.delivered_late == 1


def test_a_scan_result_for_a_response_url_that_fails_is_kept_and_sent_later(slack):
    slack.fake.fail("response_url", times=4, status=503)  # 3 tries now, then 1 more later
    r = slack.command("check nosuchthing")
    assert r.status == 200 and r.json["text"]
    [report] = slack.fake.wait_for("response_url")
    assert [c.status for c in slack.fake.attempts_of("response_url")] == [503, 503, 503, 503, 200]
    assert "no check for service 'nosuchthing'" in report["text"] and report["response_type"] == "ephemeral"
    slack.settle(0.2)
    assert len(slack.fake.calls_of("response_url")) == 1


def test_a_permanent_refusal_is_not_retried(slack):
    from tests.slack.test_events import mention

    slack.fake.fail("chat.postMessage", times=5, error="channel_not_found")
    slack.event(mention("who owns MFA?"))
    eventually(lambda: len(slack.fake.attempts_of("chat.postMessage")) == 1)
    slack.settle(0.3)
    [refused] = slack.fake.attempts_of("chat.postMessage")
    assert refused.response == {"ok": False, "error": "channel_not_found"}
    assert slack.app.srm.pending.waiting == [] and slack.fake.calls_of("chat.postMessage") == []
