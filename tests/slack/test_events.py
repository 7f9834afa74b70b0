"""Mentions, DMs and App Home end to end, including Slack's retried deliveries."""
from __future__ import annotations

from bot.demo.slack_emulator import BOT_USER_ID
from tests.factories import finding, run_of
from tests.slack.conftest import ASK_CHANNEL, MEMBER, OUTSIDER, VERSIONING


def mention(text: str, ts: str = "1711111111.000100", **extra) -> dict:
    return {"type": "app_mention", "user": MEMBER, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
            "channel": ASK_CHANNEL, "event_ts": ts, **extra}


def test_a_mention_is_answered_in_its_thread(slack):
    r = slack.event(mention("who owns backups for RDS?"))
    assert r.status == 200
    [answer] = slack.fake.wait_for("chat.postMessage")
    assert answer["channel"] == ASK_CHANNEL and answer["thread_ts"] == "1711111111.000100"
    assert answer["text"].startswith("SHARED: Backup, disaster recovery")
    assert "<!subteam^S0PLATFORM>" in str(answer["blocks"])


def test_a_mention_inside_a_thread_answers_in_that_thread_and_free_text_is_a_question(slack):
    slack.event(mention("does AWS patch the guest OS on EC2?", ts="1711111111.000300",
                        thread_ts="1711111111.000200"))
    [answer] = slack.fake.wait_for("chat.postMessage")
    assert answer["thread_ts"] == "1711111111.000200" and answer["text"].startswith("CUSTOMER")


def test_a_retried_delivery_never_answers_twice(slack):
    event = mention("who owns MFA?")
    assert slack.event(event, event_id="Ev0RETRY01").status == 200
    slack.fake.wait_for("chat.postMessage")
    assert slack.event(event, event_id="Ev0RETRY01", retry=1).status == 200
    assert slack.event(event, event_id="Ev0RETRY01", retry=2).status == 200
    # a different event for the same message (e.g. mention + DM of one message) is the same question
    assert slack.event(event, event_id="Ev0OTHER01").status == 200
    slack.event(mention("help", ts="1711111111.000900"), event_id="Ev0MARKER1")
    slack.fake.wait_for("chat.postMessage", 2)
    slack.settle()
    posts = slack.fake.calls_of("chat.postMessage")
    assert [p["thread_ts"] for p in posts] == ["1711111111.000100", "1711111111.000900"]


def test_direct_messages_are_answered_and_bot_or_edited_messages_ignored(slack):
    dm = {"type": "message", "channel_type": "im", "channel": "D0DIRECT", "user": MEMBER,
          "text": "who rotates KMS keys?", "ts": "1711111112.000100"}
    slack.event({**dm, "bot_id": "B0OTHER", "ts": "1711111112.000001"})
    slack.event({**dm, "subtype": "message_changed", "ts": "1711111112.000002"})
    slack.event(dm)
    [answer] = slack.fake.wait_for("chat.postMessage")
    assert answer["channel"] == "D0DIRECT" and answer["thread_ts"] == "1711111112.000100"
    assert answer["text"].startswith("CUSTOMER: Rotate KMS keys")  # bare "kms" is AWS KMS (data/provider_vocabulary.yml)
    slack.settle()
    assert len(slack.fake.calls_of("chat.postMessage")) == 1


def test_slow_commands_in_a_mention_say_they_are_working_first(slack):
    slack.event(mention("check nosuchservice"))
    working, result = slack.fake.wait_for("chat.postMessage", 2)
    assert "Looking that up" in working["text"] and "no check for service 'nosuchservice'" in result["text"]


def test_app_home_shows_posture_and_the_viewers_team_incidents(slack):
    slack.services.incidents.ingest(run_of(finding("b1", check=VERSIONING), finding("u1", check="iam_user_console_mfa_enabled")))
    slack.fake.wait_for("chat.postMessage", 4)
    slack.event({"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME", "tab": "home",
                 "event_ts": "1711111113.000100"})
    [pub] = slack.fake.wait_for("views.publish")
    assert pub["user_id"] == MEMBER and pub["view"]["type"] == "home"
    home = str(pub["view"]["blocks"])
    assert "*2 active incident(s)* (2 open)" in home and "Open incidents for Platform Engineering" in home
    assert "S3 buckets have versioning enabled" in home and "console" not in home.lower()
    slack.event({"type": "app_home_opened", "user": OUTSIDER, "channel": "D0HOME2", "tab": "home",
                 "event_ts": "1711111113.000200"})
    second = slack.fake.wait_for("views.publish", 2)[1]
    assert second["user_id"] == OUTSIDER and "not in any team" in str(second["view"]["blocks"])
    slack.event({"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME", "tab": "messages",
                 "event_ts": "1711111113.000300"})
    slack.settle()
    assert len(slack.fake.calls_of("views.publish")) == 2
