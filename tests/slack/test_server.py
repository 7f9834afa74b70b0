"""The threaded WSGI server: /healthz, 404s, and concurrent requests that do not queue."""
from __future__ import annotations

import json
import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_healthz_and_unknown_paths(slack):
    status, body = get(slack.url + "/healthz")
    assert status == 200 and json.loads(body) == {"ok": True, "schema": slack.services.store.schema_version}
    assert get(slack.url + "/nope")[0] == 404
    assert get(slack.url + "/slack/events")[0] == 404  # GET: only signed POSTs are handled


def test_a_stalled_connection_does_not_block_others_and_20_requests_run_at_once(slack):
    host, port = slack.url.removeprefix("http://").split(":")
    stalled = socket.create_connection((host, int(port)))
    stalled.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            replies = list(pool.map(lambda i: slack.command("who owns MFA?" if i % 2 else "help"), range(20)))
        elapsed = time.perf_counter() - t0
    finally:
        stalled.close()
    assert all(r.status == 200 and r.json["text"] for r in replies)
    assert elapsed < 3.0, f"20 concurrent requests took {elapsed:.2f} s"


def test_a_forged_request_is_refused_before_anything_runs_and_its_response_url_is_never_called(slack, caplog):
    from urllib.parse import urlencode

    body = urlencode({"command": "/srm", "text": "help", "user_id": "U0X", "team_id": "T0",
                      "response_url": slack.fake.response_url("attacker")})
    for headers in ({"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=" + "0" * 64},
                    {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "garbage"},
                    {}):
        reply = slack.send(body, {"Content-Type": "application/x-www-form-urlencoded", **headers})
        assert reply.status == 401, headers
    stale = slack.signed(body, timestamp=1)  # well-formed but old: Bolt's own verification refuses it
    assert stale.status == 401
    slack.settle()
    assert slack.fake.calls_of("response_url") == [] and "Traceback" not in caplog.text


def test_a_verified_request_whose_response_url_is_not_slack_is_never_called(slack, caplog):
    """Signed, but its response_url points elsewhere (another host:port): nothing is sent there."""
    from urllib.parse import urlencode

    from bot.demo.slack_emulator import FakeSlack

    with FakeSlack() as attacker:
        body = urlencode({"command": "/srm", "text": "digest", "user_id": "U0PLAT1", "team_id": "T0TEST",
                          "channel_id": "C0ASKHERE", "response_url": attacker.response_url("evil"),
                          "trigger_id": "1.1.x"})
        assert slack.signed(body).status == 200
        deadline = time.monotonic() + 5
        while "response_url not on Slack's hosts" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "response_url not on Slack's hosts" in caplog.text
        assert attacker.attempts == []
    assert "Traceback" not in caplog.text


def test_response_url_allow_list():
    from bot.slack.delivery import response_hosts, response_url_allowed

    assert response_url_allowed("https://hooks.slack.com/commands/T0/1/abc")
    assert response_url_allowed("https://hooks.slack-gov.com/actions/T0/1/abc")
    for url in ("http://hooks.slack.com/commands/x", "https://hooks.slack.com.evil.example/x",
                "https://hooks.slack.com@evil.example/x", "https://evil.example/x", "", None, 42,
                "https://hooks.slack.com:8443/x", "file:///etc/passwd"):
        assert not response_url_allowed(url), url
    extra = response_hosts("http://127.0.0.1:9999/api/", "emu.local:8080")
    assert extra == ("emu.local:8080", "127.0.0.1:9999")
    assert response_url_allowed("http://127.0.0.1:9999/respond/x", extra)
    assert not response_url_allowed("http://127.0.0.1:9998/respond/x", extra)
    assert response_hosts("https://slack.com/api/", None) == ()
