"""manifest.yml and what the app registers agree (and each subscribed thing is really handled)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.actions import ACTIONS
from bot.slack.ids import ActionId, CallbackId, action_id
from tests.slack.conftest import MEMBER

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
# what each registered thing needs from the bot token
SCOPES_FOR_EVENT = {"app_mention": {"app_mentions:read"}, "message.im": {"im:history"}, "app_home_opened": set()}
# posting/updating/ephemeral; slash commands; finding the bot's own post after an unknown outcome (metadata)
BASE_SCOPES = {"chat:write", "commands", "channels:history", "groups:history"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_has_the_shape_slack_expects(manifest):
    assert set(manifest) <= {"_metadata", "display_information", "features", "oauth_config", "settings"}
    assert manifest["display_information"]["name"] and len(manifest["display_information"]["description"]) <= 140
    assert manifest["features"]["bot_user"]["display_name"]
    for cmd in manifest["features"]["slash_commands"]:
        assert set(cmd) <= {"command", "url", "description", "usage_hint", "should_escape"}
        assert cmd["command"].startswith("/") and len(cmd["description"]) <= 100
        assert len(cmd.get("usage_hint", "")) <= 1000
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"],
             manifest["settings"]["interactivity"]["request_url"]]
    assert all(u.startswith("https://") and u.endswith("/slack/events") for u in urls)


def test_manifest_lists_exactly_what_the_app_registers(slack, manifest):
    reg = slack.app.srm.registered
    assert sorted(c["command"] for c in manifest["features"]["slash_commands"]) == sorted(reg.commands) == ["/srm"]
    assert sorted(manifest["settings"]["event_subscriptions"]["bot_events"]) == sorted(reg.events)
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(reg.actions or reg.views)
    # one listener per registry action on the root, the backlog summary's button and the who-owns answer's
    # buttons (Re-check, variant)
    assert sorted(reg.actions) == sorted([*(action_id(a) for a in ACTIONS if a.on_root), "backlog.promote",
                                          ActionId.who_recheck, ActionId.who_variant])
    assert reg.views == [CallbackId.accept_risk.value]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is ("app_home_opened" in reg.events)
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is ("message.im" in reg.events)
    needed = BASE_SCOPES.union(*(SCOPES_FOR_EVENT[e] for e in reg.events))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed  # least privilege: nothing more


def test_every_subscribed_event_and_command_is_handled(slack, manifest):
    """Bolt answers 404 for a request no listener takes; every subscription must get 200."""
    samples = {
        "app_mention": {"type": "app_mention", "user": MEMBER, "text": "<@U0SRMBOT> help", "ts": "1.1",
                        "channel": "C1"},
        "message.im": {"type": "message", "channel_type": "im", "user": MEMBER, "text": "help", "ts": "1.2",
                       "channel": "D1"},
        "app_home_opened": {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"},
    }
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert slack.event(samples[name]).status == 200, name
    for cmd in manifest["features"]["slash_commands"]:
        assert slack.command("help").status == 200, cmd["command"]
    unsubscribed = {"type": "message", "channel_type": "channel", "user": MEMBER, "text": "hi", "ts": "1.3",
                    "channel": "C1"}
    assert slack.event(unsubscribed).status == 404  # not in the manifest, not handled
