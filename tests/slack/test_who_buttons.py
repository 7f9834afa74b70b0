"""Who-owns buttons: a variant button re-asks naming the variant; Re-check runs the guarding checks."""
from __future__ import annotations

import boto3
from moto import mock_aws

from bot.slack.ids import ActionId, WhoValue
from tests.slack.conftest import MEMBER, OUTSIDER, REGION, VERSIONING


def test_a_variant_button_answers_for_that_variant(slack):
    asked = slack.command("who patches the worker node os in eks?").json
    assert asked["text"].startswith("DEPENDS ON THE VARIANT")
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    fargate = next(b for b in buttons if b["text"]["text"] == "Fargate")
    assert fargate["action_id"] == ActionId.who_variant
    r = slack.click(ActionId.who_variant, fargate["value"], user=OUTSIDER)
    assert r.status == 200 and r.body == ""  # acked; the answer follows
    [answer] = slack.fake.wait_for("chat.postEphemeral")
    assert answer["text"].startswith("PROVIDER: Patch and update the worker node OS")
    assert answer["user"] == OUTSIDER


def test_recheck_button_runs_the_guarding_checks_and_reports_to_the_clicker(slack):
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="no-versioning")
        r = slack.click(ActionId.who_recheck, WhoValue(checks=[VERSIONING]).dump(), user=MEMBER)
        assert r.status == 200
        [result] = slack.fake.wait_for("chat.postEphemeral", timeout=20)
    assert f"Scan of {VERSIONING} finished" in result["text"] and "1 fail" in result["text"]
