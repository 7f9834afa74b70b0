"""`srm demo` end to end: moto_server, the Slack emulator and the real `srm serve` subprocess,
driven through signed HTTP; assertions on what the app sent to Slack. Plus the renderers."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from bot.demo import world
from bot.demo.mrkdwn import mrkdwn_html, mrkdwn_rich, parse
from bot.demo.slack_emulator import BOT_USER_ID, Call
from bot.demo.transcript import Transcript, html_page
from bot.models import IncidentState
from bot.store import Store


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from bot.demo.scenario import run

    out = tmp_path_factory.mktemp("demo")
    screen = io.StringIO()
    result = run(out, Console(file=screen, width=110, color_system=None))
    return result, out, screen.getvalue()


def said(call: Call) -> str:
    return json.dumps(call.body, ensure_ascii=False)


def test_three_who_owns_answers_provider_customer_shared(demo):
    result, _, _ = demo
    calls = result.slack.calls
    [ack] = [c for c in calls if c.method == "command.ack" and "who owns" in said(c)]
    assert ack["user"] == world.PRIYA and ack["text"].startswith("PROVIDER")
    asked = {c["ts"]: c["user"] for c in calls if c.method == "user.message"}
    answers = [c for c in calls if c.method == "chat.postMessage" and c.get("thread_ts") in asked]
    assert [a["text"].split(":")[0] for a in answers] == ["CUSTOMER", "SHARED"]
    assert all(a["channel"] == world.ASK for a in answers)
    assert f"<!subteam^{world.PLATFORM_ONCALL}>" in said(answers[0])  # the team that owns the customer part


def test_first_contact_is_a_backlog_per_team_and_only_drift_or_critical_opens_threads(demo):
    result, out, _ = demo
    posts = result.slack.calls_of("chat.postMessage")
    roots = [c for c in posts if c["channel"] == world.INCIDENTS and not c.get("thread_ts")]
    summaries = [c for c in roots if c["text"].startswith("Backlog for")]
    teams = [s["text"].split(":")[0] for s in summaries]
    assert summaries and len(teams) == len(set(teams))  # one summary per team
    assert all(any(b["type"] == "actions" for b in s["blocks"]) for s in summaries)  # the "open threads" menu
    threads = [c for c in roots if c not in summaries]
    store = Store(out / "demo.db")
    try:
        opened = [i for i in store.incidents() if i.state is not IncidentState.backlog]
        backlog = store.incidents(states=[IncidentState.backlog])
    finally:
        store.close()
    critical = [i for i in opened if i.severity.value == "critical"]
    assert len(threads) == len(critical) + 1  # the critical ones at once, then the SSH drift
    assert len(backlog) >= 8 and len(roots) <= len(teams) + len(critical) + 1
    for root in threads:
        details = [c for c in posts if c.get("thread_ts") == root.ts]
        assert details and details[0]["channel"] == world.INCIDENTS
        assert "<!subteam^" in said(details[0]) or "<@U0" in said(details[0]), root["text"]
        assert any(b["type"] == "actions" for b in root["blocks"])
    report = [c for c in result.slack.calls_of("response_url") if "Scan of" in c["text"]]
    assert report and report[0]["response_type"] == "ephemeral"


def test_acknowledge_refusal_fix_recheck_and_digest(demo):
    result, out, _ = demo
    slack, ts = result.slack, result.incident_ts
    [refusal] = slack.calls_of("chat.postEphemeral")[:1]
    assert refusal["user"] == world.DANA and refusal["channel"] == world.INCIDENTS
    assert "only members of Platform Engineering or admins" in refusal["text"]
    thread = [c["text"] for c in slack.calls_of("chat.postMessage") if c.get("thread_ts") == ts]
    assert any(f"Acknowledged by <@{world.PRIYA}>" in t for t in thread)
    assert any("Resolved" in t for t in thread) and not any("Re-check by" in t for t in thread)  # one reply
    updates = [c for c in slack.calls_of("chat.update") if c["ts"] == ts]
    assert f"Acknowledged by <@{world.PRIYA}>" in said(updates[0])
    assert "Resolved" in said(updates[-1]) and not any(b["type"] == "actions" for b in updates[-1]["blocks"])
    store = Store(out / "demo.db")
    try:
        ssh = [i for i in store.incidents() if i.check_id == "ec2_securitygroup_no_public_ssh"]
        others = [i for i in store.incidents() if i.check_id != "ec2_securitygroup_no_public_ssh"]
        ssh_thread = store.conversation(ssh[0].id, "slack").thread
    finally:
        store.close()
    assert [i.state for i in ssh] == [IncidentState.resolved] and ssh_thread == ts
    assert others and all(i.state in (IncidentState.backlog, IncidentState.open) for i in others)
    digest = [c for c in slack.calls_of("chat.postMessage") if c["channel"] == world.POSTURE]
    assert len(digest) == 1 and "Posture digest" in said(digest[0])


def test_transcripts_show_the_conversation_by_name(demo):
    result, out, screen = demo
    assert result.html_path == out / "transcript.html"
    page = result.html_path.read_text(encoding="utf-8")
    for text in ("#srm-incidents", "#ask-security", "#security-posture", "@Priya (platform)", "@platform-oncall",
                 "Only visible to you (Dana (data))", 'class="btn primary">Acknowledge', "Re-check now",
                 "Posture digest", "thread of"):
        assert text in page, text
    assert "<@U0" not in page and "<!subteam" not in page
    assert not any(x in page for x in ("<script", "<link", "src=", "url(", "@import"))  # self-contained
    assert "Backlog for" in page and page.count('class="msg message"') < 23  # summaries, not a card per check
    for text in ("#srm-incidents", "[Acknowledge]", "only visible to you (Dana (data))", "@Priya (platform)",
                 "↳ thread of", "Posture digest"):
        assert text in screen, text
    assert "<@U0" not in screen


def test_no_child_process_is_left_running(demo):
    result, _, _ = demo
    assert len(result.pids) == 3  # moto_server, srm serve, srm digest --post
    assert [pid for pid in result.pids if alive(pid)] == []
    assert result.elapsed < 60


# -- renderers -----------------------------------------------------------------------
NAMES = {"U0PRIYA": "Priya (platform)", "S0PLATONC": "platform-oncall", "C0INC": "srm-incidents"}


def test_mentions_groups_channels_and_links_resolve_to_names():
    text = ("<@U0PRIYA> <!subteam^S0PLATONC> <#C0INC> <!here> <@U0NOBODY> "
            "<https://example.com/a?b=1&amp;c=2|the *docs*>")
    assert mrkdwn_rich(text, NAMES).plain == (
        "@Priya (platform) @platform-oncall #srm-incidents @here @U0NOBODY the *docs*")
    out = mrkdwn_html(text, NAMES)
    assert '<span class="mention">@Priya (platform)</span>' in out
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">the *docs*</a>' in out


def test_formatting_and_escaping():
    spans = parse("*HIGH* · _why_ ~old~ `s3_bucket_x` :red_circle: iam_user_mfa 2*3*4")
    assert [(s.text, sorted(s.styles)) for s in spans if s.styles] == [
        ("HIGH", ["bold"]), ("why", ["italic"]), ("old", ["strike"]), ("s3_bucket_x", ["code"])]
    assert "🔴 iam_user_mfa 2*3*4" in "".join(s.text for s in spans)
    # Slack-escaped text shows as typed, and is HTML-escaped again on the page
    hostile = ('You asked: _&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;!channel&gt;_ '
               "<javascript:alert(1)|click> <b>")
    assert mrkdwn_html(hostile) == ("You asked: <i>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
                                    "&lt;!channel&gt;</i> &lt;javascript:alert(1)|click&gt; &lt;b&gt;")
    assert mrkdwn_rich(hostile).plain == ('You asked: <script>alert("x")</script> & <!channel> '
                                          "<javascript:alert(1)|click> <b>")
    assert mrkdwn_html("```{\"a\": \"<b>\"}```") == "<pre>{&quot;a&quot;: &quot;&lt;b&gt;&quot;}</pre>"


def test_page_marks_ephemeral_messages_and_escapes_bot_text():
    t = Transcript(NAMES)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*x* &lt;b&gt;"}},
              {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "<Ack>"}}]}]
    t.add([Call("demo.step", {"title": "1 · <step>"}),
           Call("chat.postMessage", {"channel": "C0INC", "text": "hi <@U0PRIYA> &lt;b&gt;", "blocks": blocks},
                response={"ok": True, "ts": "1.1"}),
           Call("chat.postEphemeral", {"channel": "C0INC", "user": "U0PRIYA", "text": "only you"})])
    page = html_page(t, title="t & <t>")
    assert "<title>t &amp; &lt;t&gt;</title>" in page and "1 · &lt;step&gt;" in page
    assert "<b>x</b> &lt;b&gt;" in page and "&lt;Ack&gt;</span>" in page
    assert "Only visible to you (Priya (platform))" in page
    assert "#srm-incidents" in page and BOT_USER_ID not in page
