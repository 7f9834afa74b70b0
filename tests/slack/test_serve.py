"""`srm serve` as a real process: HTTP mode on a free port, /healthz, a signed command, clean SIGTERM."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from bot.cli.serve import choose_mode
from bot.demo.slack_emulator import signed_headers
from bot.store import MIGRATIONS
from tests.slack.conftest import CHANNEL, OWNERS, SECRET

ROOT = Path(__file__).resolve().parents[2]
HAS_SCHEDULER = importlib.util.find_spec("bot.scheduler") is not None


def test_mode_follows_the_app_token_unless_forced():
    assert choose_mode(None, None) == "http"
    assert choose_mode("xapp-1-abc", None) == "socket"
    assert choose_mode("xapp-1-abc", False) == "http"
    assert choose_mode(None, True) == "socket"


def serve_env(tmp_path: Path, fake, **over: str) -> dict[str, str]:
    (tmp_path / "owners.yml").write_text(yaml.safe_dump(OWNERS))
    (tmp_path / "srm.yml").write_text(yaml.safe_dump({"version": 1, "incidents": {"channel": CHANNEL, "baseline": False}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SRM_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_BASE_URL=fake.api_url,
               SRM_DB=str(tmp_path / "srm.db"), SRM_OWNERS=str(tmp_path / "owners.yml"),
               SRM_CONFIG=str(tmp_path / "srm.yml"), PYTHONPATH=str(ROOT), **over)
    return env


def srm_serve(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).parent / "srm"), "serve", "--host", "127.0.0.1", "--port", "0", *args],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_port(proc: subprocess.Popen, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"HTTP on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return int(m.group(1))
        assert proc.poll() is None, f"srm serve exited: {line}{proc.stderr.read()}"
    raise AssertionError("srm serve did not say where it listens")


@pytest.mark.parametrize("scheduler", [False, True])
def test_srm_serve_answers_health_and_signed_commands_and_stops_on_sigterm(tmp_path, fake, scheduler):
    proc = srm_serve(serve_env(tmp_path, fake), *([] if scheduler else ["--no-scheduler"]))
    try:
        port = wait_for_port(proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            health = json.loads(r.read())
        assert health == {"ok": True, "mode": "http", "scheduler": scheduler and HAS_SCHEDULER,
                          "schema": MIGRATIONS[-1][0]}
        body = urlencode({"command": "/srm", "text": "who owns MFA?", "user_id": "U0PLAT1", "team_id": "T0TEST",
                          "channel_id": "C1", "response_url": fake.response_url()})
        req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                     headers=signed_headers(SECRET, body), method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200 and "mfa" in json.loads(r.read())["text"].lower()
        assert fake.calls_of("auth.test")  # the token was checked at start-up
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert "srm serve: stopped" in proc.stderr.read()


def test_srm_serve_without_a_signing_secret_refuses_to_start(tmp_path, fake):
    env = serve_env(tmp_path, fake)
    env.pop("SLACK_SIGNING_SECRET")
    proc = srm_serve(env)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "SLACK_SIGNING_SECRET is not set" in err


@pytest.mark.parametrize("missing", ["SLACK_BOT_TOKEN"])
def test_srm_serve_without_a_bot_token_refuses_to_start(tmp_path, fake, missing):
    env = serve_env(tmp_path, fake)
    env.pop(missing)
    proc = srm_serve(env)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and f"{missing} is not set" in err


def test_srm_serve_socket_mode_without_an_app_token_refuses_to_start(tmp_path, fake):
    proc = srm_serve(serve_env(tmp_path, fake), "--socket-mode")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "Socket Mode needs SLACK_APP_TOKEN" in err
    assert fake.calls_of("auth.test") == []  # refused before touching Slack


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_srm_serve_with_slack_unreachable_says_one_line_and_exits_2(tmp_path, fake):
    env = serve_env(tmp_path, fake)
    env["SLACK_API_BASE_URL"] = f"http://127.0.0.1:{_closed_port()}/api/"
    proc = srm_serve(env)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "cannot reach the Slack Web API" in err and "--wait-for-slack" in err
    assert "Traceback" not in err and len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1


def test_wait_for_slack_retries_with_a_line_per_attempt_then_goes_on(caplog):
    from bot.cli.serve import reach_slack

    answers = [OSError("refused"), OSError("refused"), {"ok": True}]
    slept: list[float] = []

    def probe():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    reach_slack(probe, "http://x/api/", wait=True, sleep=slept.append, first_delay=1, max_delay=3)
    assert slept == [1, 2] and answers == []
    assert caplog.text.count("unreachable (attempt") == 2
