"""`/srm` end to end: signed slash commands over HTTP; quick answers in the ack, scans via response_url."""
from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from bot.demo.slack_emulator import WORKSPACE_URL
from bot.models import Actor
from tests.factories import finding, run_of
from tests.slack.conftest import ACCOUNT_ID, ADMIN, CHANNEL, DATA, LEAD, MEMBER, OUTSIDER, REGION, VERSIONING


def all_text(payload) -> str:
    """Every string in a payload (text fallback and blocks), for 'is it said anywhere' assertions."""
    return json.dumps(getattr(payload, "body", payload), ensure_ascii=False)


def test_help_and_unknown_input_get_help_never_silence(slack):
    for text in ("help", "", "   "):
        r = slack.command(text)
        assert r.status == 200 and "/srm who owns &lt;topic&gt;" in r.json["text"]
        assert "didn't understand" not in r.body
    r = slack.command("frobnicate the <!channel> please")
    assert r.status == 200
    assert "didn't understand `frobnicate the &lt;!channel&gt; please`" in r.json["text"]
    assert "<!channel>" not in r.body and "/srm check" in r.body
    for bad in ("incidents yesterday", "matrix cloud", "who", "owners of everything"):
        assert "didn't understand" in slack.command(bad).json["text"], bad


def test_who_owns_answers_with_badge_team_mention_and_guarding_checks(slack, services):
    services.incidents.ingest(run_of(finding("logs-bucket", check=VERSIONING, account=ACCOUNT_ID)))
    root = slack.fake.wait_for("chat.postMessage", 2)[0]  # root + first thread reply
    r = slack.command("who owns backups for RDS?")
    assert r.status == 200
    body = r.json
    assert body["text"].startswith("SHARED: Backup, disaster recovery")
    said = all_text(body)
    assert ":handshake: *SHARED*" in said and "<!subteam^S0PLATFORM> (Platform Engineering)" in said
    assert "*Provider does*" in said and "*You do*" in said and "Amazon RDS · PaaS · AWS" in said
    line = next(b for b in body["blocks"] if "Checks guarding this" in b.get("text", {}).get("text", ""))
    lines = line["text"]["text"].splitlines()
    # scoped to the service asked: the failing S3 check does not guard RDS
    assert not any(VERSIONING in ln for ln in lines)
    assert any("rds_instance_backup_retention_7_days" in ln and "not scanned yet" in ln for ln in lines)
    assert line["accessory"]["action_id"] == "who.recheck"
    # an S3 question shows the failing check, its incident thread, the source page and a next step
    s3 = slack.command("who turns on versioning for our s3 buckets?").json
    s3_said = all_text(s3)
    permalink = f"{WORKSPACE_URL}archives/{CHANNEL}/p{root.ts.replace('.', '')}"
    assert VERSIONING in s3_said and "*1 failing*" in s3_said and f"<{permalink}|#1 open>" in s3_said
    assert "docs.aws.amazon.com/AmazonS3" in s3_said and "Next step:" in s3_said and "Fix the 1 failing" in s3_said


def test_who_short_form_depends_breakdown_and_unknown(slack):
    depends = slack.command("who backups").json
    said = all_text(depends)
    assert depends["text"].startswith("DEPENDS ON THE SERVICE MODEL")
    assert "*IaaS: you*" in said and "*PaaS: shared*" in said and "*SaaS: shared*" in said
    unknown = slack.command("who pays the AWS bill?").json
    assert unknown["text"].startswith("NOT IN THE MATRIX") and "subteam" not in all_text(unknown)
    provider = slack.command("who owns physical security of the data centres?").json
    assert provider["text"].startswith("PROVIDER") and "Customer part owned" not in all_text(provider)


def test_user_text_is_escaped_before_it_is_echoed(slack):
    r = slack.command("who owns <!here> backups & <@U0ADMIN> <https://evil.example|click>")
    said = r.json["blocks"][1]["elements"][0]["text"]
    assert said == ("You asked: _who owns &lt;!here&gt; backups &amp; &lt;@U0ADMIN&gt; "
                    "&lt;https://evil.example|click&gt;_")
    assert "<!here>" not in r.body and "<@U0ADMIN>" not in r.body and "<https://evil" not in r.body


def test_matrix_owners_and_incident_lists(slack, services):
    paas = slack.command("matrix paas").json
    assert paas["text"].startswith("Responsibility matrix - PaaS") and "*Guest OS patching and hardening* - " in all_text(paas)
    assert "IaaS: " in all_text(slack.command("matrix").json)
    owners = all_text(slack.command("owners").json)
    assert "*Data &amp; Storage* (`data`)" in owners and "<!subteam^S0PLATFORM>" in owners
    assert "Admins: <@U0ADMIN>" in owners

    services.incidents.ingest(run_of(finding("b1", check=VERSIONING), finding("u1", check="iam_user_console_mfa_enabled")))
    mine = slack.command("incidents mine", user=MEMBER).json
    assert mine["text"] == "Your team's incidents: 1" and VERSIONING not in mine["text"]
    assert "S3 buckets have versioning enabled" in all_text(mine) and "IAM" not in all_text(mine)
    assert "console" in all_text(slack.command("incidents mine", user=DATA).json).lower()
    assert slack.command("incidents", user=OUTSIDER).json["text"] == "Active incidents: 2"
    assert "not in any team" in slack.command("incidents mine", user=OUTSIDER).json["text"]
    assert slack.command("incidents all", user=ADMIN).json["text"] == "All incidents: 2"


def test_check_acks_at_once_then_reports_via_response_url_and_opens_the_incident_thread(slack, services):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="no-versioning")
        t0 = time.perf_counter()
        r = slack.command(f"check {VERSIONING}")
        assert time.perf_counter() - t0 < 1.0
        assert r.status == 200 and "Running 1 check(s)" in r.json["text"]
        [report] = slack.fake.wait_for("response_url", 1, timeout=20)
    assert report["_url"].startswith("/respond/cmd")
    assert "1 fail" in report["text"] and report["response_type"] == "ephemeral"
    root, details = slack.fake.wait_for("chat.postMessage", 2)
    assert root["channel"] == CHANNEL and "thread_ts" not in root.body
    assert "S3 buckets have versioning enabled" in root["text"] and "open" in root["text"]
    actions = [b for b in root["blocks"] if b["type"] == "actions"][0]
    assert [e["action_id"] for e in actions["elements"]] == [
        "incident.acknowledge", "incident.snooze", "incident.reassign", "incident.accept_risk", "incident.recheck"]
    assert details["thread_ts"] == root.ts and details["channel"] == CHANNEL
    assert services.store.conversation(services.store.incidents()[0].id, "slack").thread == root.ts
    said = all_text(details)
    assert "<!subteam^S0PLATFORM>" in said and "no-versioning" in said and "Remediation" in said


def test_check_with_an_unknown_target_says_so(slack):
    r = slack.command("check nosuchthing")
    assert r.status == 200
    [report] = slack.fake.wait_for("response_url", 1)
    assert "no check for service 'nosuchthing'" in report["text"]
    assert slack.fake.calls_of("chat.postMessage") == []


def test_digest_answers_via_response_url(slack):
    r = slack.command("digest")
    assert r.status == 200 and r.json["text"]
    [report] = slack.fake.wait_for("response_url", 1, timeout=20)
    assert report["text"]  # the digest, or "not available yet" until bot.digest exists


@pytest.mark.parametrize("tamper", ["forged", "stale", "missing", "other-body"])
def test_forged_or_stale_requests_get_401_and_do_nothing(slack, tamper):
    from urllib.parse import urlencode

    from bot.demo.slack_emulator import signed_headers
    from tests.slack.conftest import SECRET

    body = urlencode({"command": "/srm", "text": "help", "user_id": MEMBER, "team_id": "T0TEST",
                      "channel_id": "C1", "response_url": slack.fake.response_url()})
    headers = signed_headers(SECRET, body)
    if tamper == "forged":
        headers = signed_headers("not-the-secret", body)
    elif tamper == "stale":
        headers = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    elif tamper == "missing":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif tamper == "other-body":
        body = body.replace("help", "check+all")
    r = slack.send(body, headers)
    assert r.status == 401
    slack.settle(0.2)
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


def guarding_lines(payload) -> list[str]:
    block = next(b for b in payload["blocks"] if "Checks guarding this" in b.get("text", {}).get("text", ""))
    return block["text"]["text"].splitlines()[1:]


def test_who_owns_links_only_active_incidents_of_the_guarding_checks(slack, services):
    services.incidents.ingest(run_of(finding("b1", check=VERSIONING, account=ACCOUNT_ID),
                                     finding("b2", check=VERSIONING, account="210987654321")))
    roots = [c for c in slack.fake.wait_for("chat.postMessage", 4) if "thread_ts" not in c.body]
    links = {f"<{WORKSPACE_URL}archives/{CHANNEL}/p{r.ts.replace('.', '')}|#{n} open>" for n, r in enumerate(roots, 1)}
    [line] = [ln for ln in guarding_lines(slack.command("who owns backups for s3?").json) if VERSIONING in ln]
    assert "*2 failing*" in line and all(link in line for link in links)  # both accounts' threads

    services.incidents.acknowledge(1, Actor(id=MEMBER))
    services.incidents.ingest(run_of(finding("b2", "PASS", check=VERSIONING, account="210987654321")))
    [line] = [ln for ln in guarding_lines(slack.command("who owns backups for s3?").json) if VERSIONING in ln]
    assert "*1 failing*" in line and "#1 acknowledged>" in line and "#2" not in line  # resolved: no link

    services.incidents.ingest(run_of(finding("b1", "PASS", check=VERSIONING, account=ACCOUNT_ID)))
    [line] = [ln for ln in guarding_lines(slack.command("who owns backups for s3?").json) if VERSIONING in ln]
    assert line.startswith(":large_green_circle:") and "2 passing" in line and "#" not in line


def test_incidents_mine_follows_team_membership_including_leads_and_skips_resolved(slack, services):
    services.incidents.ingest(run_of(finding("b1", check=VERSIONING), finding("b2", check=VERSIONING, account="2"),
                                     finding("u1", check="iam_user_console_mfa_enabled")))
    services.incidents.ingest(run_of(finding("b2", "PASS", check=VERSIONING, account="2")))
    ours = {i.account_id: i.id for i in services.store.incidents() if i.check_id == VERSIONING}
    for user in (MEMBER, LEAD):
        mine = slack.command("incidents mine", user=user).json
        assert mine["text"] == "Your team's incidents: 1", user
        said = all_text(mine)
        assert "Teams: Platform Engineering" in said
        assert f"#{ours[finding('x').account_id]} S3 buckets have versioning enabled" in said
        assert f"#{ours['2']} " not in said and "console" not in said.lower()
    everything = all_text(slack.command("incidents all", user=LEAD).json)
    assert f"#{ours['2']} S3 buckets have versioning enabled" in everything and "resolved" in everything
    assert slack.command("incidents open", user=LEAD).json["text"] == "Active incidents: 2"
