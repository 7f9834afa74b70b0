"""The Slack Web API emulator on 127.0.0.1 used by `make demo` and the tests: records every request, answers like Slack, fails on demand.

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)
        fake.fail("chat.postMessage", times=2, status=429, retry_after=0)
        ...
        fake.wait_for("chat.postMessage", 1)

``calls`` holds every request that was answered ``ok`` (method name + parsed form or
JSON body); ``attempts`` holds every request, failed ones too (HTTP errors, and
``fail(..., error="not_in_channel")`` answers: HTTP 200 with ``{"ok": false}``). Response URLs
(``fake.response_url("x")``) are recorded under the method name ``response_url``.
Posted messages are kept per channel with their message metadata, so
``conversations.history`` / ``conversations.replies`` answer like Slack; ``delete(channel, ts)``
removes one (``chat.update`` then answers ``message_not_found``). Faults on demand:
``fail(..., after=True)`` does the work and *then* answers the error (Slack's ambiguous 500),
``delay=`` answers late, and ``chaos(rate)`` fails a share of all calls at random.
Also: :func:`signed_headers`, Slack's v0 request signature, for sending requests
to the app the way Slack does.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "U0SRMBOT"
TEAM_ID = "T0TEST"
WORKSPACE_URL = "https://srm-test.slack.com/"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest_bot_scopes() -> list[str]:
    """The bot scopes manifest.yml asks for (what a token from installing it has); [] without the file."""
    import yaml

    try:
        return list(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])
    except (OSError, KeyError, TypeError):
        return []


def signed_headers(secret: str, body: str | bytes, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Headers Slack sends: X-Slack-Request-Timestamp and the v0 HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.decode() if isinstance(body, bytes) else body
    digest = hmac.new(secret.encode(), f"v0:{ts}:{raw}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    status: int = 200
    response: Any = None  # what the fake answered (for chat.postMessage: the new message's ts)
    at: float = field(default_factory=time.monotonic)

    @property
    def ts(self) -> str | None:
        """The ts Slack gave the posted message."""
        return self.response.get("ts") if isinstance(self.response, dict) else None

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)

    @property
    def ok(self) -> bool:
        """Answered HTTP 200 and not ``{"ok": false}``."""
        return self.status == 200 and not (isinstance(self.response, dict) and self.response.get("ok") is False)


@dataclass
class _Failure:
    remaining: int
    status: int
    retry_after: int | None
    skip: int = 0
    error: str | None = None  # answer HTTP 200 {"ok": false, "error": error} instead of ``status``
    after: bool = False  # do the work first (store the message), then answer ``status``: an unknown outcome
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class _Chaos:
    rate: float
    rng: random.Random
    methods: set[str] | None  # None: every Web API method
    kinds: tuple[str, ...] = ("429", "500", "500-after")


class FakeSlack:
    def __init__(self) -> None:
        self.attempts: list[Call] = []
        self.scopes: list[str] = manifest_bot_scopes()  # sent as X-OAuth-Scopes on auth.test, as Slack does
        self._failures: dict[str, _Failure] = {}
        self._chaos: _Chaos | None = None
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> posted messages, oldest first
        self.deleted: set[tuple[str, str]] = set()
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._rate: tuple[float, int] | None = None  # chat.postMessage per channel: (per second, burst)
        self._tat: dict[str, float] = {}

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> "FakeSlack":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self._server, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.base}/respond/{name}"

    # -- control and inspection ----------------------------------------------------------
    def fail(self, method: str, times: int = 1, status: int = 429, retry_after: int | None = 0,
             skip: int = 0, error: str | None = None, *, after: bool = False, delay: float = 0.0) -> None:
        """Answer ``times`` calls of ``method`` with ``status`` (429 carries Retry-After), after ``skip`` good ones.

        With ``error`` (e.g. ``"not_in_channel"``) the answer is HTTP 200 ``{"ok": false, "error": error}``,
        the way Slack refuses a call it will not retry. ``after``: the call takes effect, then ``status``
        is answered; ``delay``: seconds before the answer (with ``status=200``: a slow success).
        """
        with self._lock:
            self._failures[method] = _Failure(times, status, retry_after, skip, error, after, delay)

    def chaos(self, rate: float, *, seed: int = 0, methods: set[str] | None = None,
              kinds: tuple[str, ...] = ("429", "500", "500-after")) -> None:
        """Fail a share ``rate`` of calls at random: 429, 500 before the work, or 500 after it (ambiguous)."""
        with self._lock:
            self._chaos = _Chaos(rate, random.Random(seed), methods, kinds) if rate > 0 else None

    def delete(self, channel: str, ts: str) -> None:
        """Someone deleted a message in Slack."""
        with self._lock:
            self.messages[channel] = [m for m in self.messages.get(channel, []) if m["ts"] != ts]
            self.deleted.add((channel, ts))

    def roots(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Top-level messages stored (in ``channel``, else everywhere)."""
        with self._lock:
            chans = [channel] if channel else list(self.messages)
            return [m for c in chans for m in self.messages.get(c, []) if not m.get("thread_ts")]

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return [c for c in self.attempts if c.ok]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def attempts_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.attempts if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` successful calls of ``method`` were made; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [c for c in self.attempts if c.method == method and c.ok]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method}: {len(got)} call(s) after {timeout} s, wanted {count}; "
                                         f"seen: {[c.method for c in self.attempts]}")
                self._lock.wait(left)

    def reset(self) -> None:
        with self._lock:
            self.attempts.clear()
            self._failures.clear()
            self._chaos = None

    # -- answering -----------------------------------------------------------------------
    def limit_posts(self, per_second: float = 1.0, burst: int = 3) -> None:
        """Enforce Slack's per-channel posting limit: chat.postMessage beyond it gets 429 + Retry-After."""
        self._rate = (per_second, burst)

    def _rate_limited(self, method: str, body: dict[str, Any]) -> int | None:
        """Seconds to retry after, when this post exceeds the channel's rate (call with the lock held)."""
        if self._rate is None or method != "chat.postMessage":
            return None
        interval, burst = 1.0 / self._rate[0], self._rate[1]
        now, channel = time.monotonic(), str(body.get("channel"))
        tat = max(self._tat.get(channel, now), now)
        # a little slack for request latency (a quarter interval, at least 0.1 s: a loaded machine's jitter)
        if tat - now > (burst - 1) * interval + max(0.25 * interval, 0.1):
            return max(1, int(tat - now - (burst - 1) * interval) + 1)
        self._tat[channel] = tat + interval
        return None

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        raw = req.rfile.read(int(req.headers.get("Content-Length") or 0)).decode()
        if req.path.startswith("/respond/"):
            method = "response_url"
        elif req.path.startswith("/api/"):
            method = req.path[len("/api/"):].split("?")[0]
        else:
            return self._send(req, 404, {"ok": False, "error": "not_found"})
        body = self._parse(raw, req.headers.get("Content-Type", ""))
        if method == "response_url":
            body["_url"] = req.path
        with self._lock:
            failure = self._failures.get(method)
            status, refusal, after, delay, retry_after = 200, None, False, 0.0, 0
            limited = self._rate_limited(method, body)
            if limited is not None:
                status, retry_after = 429, limited
            elif failure and failure.skip > 0:
                failure.skip -= 1
            elif failure and failure.remaining > 0:
                failure.remaining -= 1
                status, refusal = (200, failure.error) if failure.error else (failure.status, None)
                after, delay, retry_after = failure.after, failure.delay, failure.retry_after
            elif self._chaos and method != "response_url" and (self._chaos.methods is None
                                                                or method in self._chaos.methods):
                if self._chaos.rng.random() < self._chaos.rate:
                    kind = self._chaos.rng.choice(self._chaos.kinds)
                    status, after = (429, False) if kind == "429" else (500, kind == "500-after")
            answer = None if status != 200 and not after else (
                {"ok": False, "error": refusal} if refusal else self._answer(method, body))
            self.attempts.append(Call(method, body, status, answer))
            self._lock.notify_all()
        if delay:
            time.sleep(delay)
        if status == 429:
            headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
            return self._send(req, 429, {"ok": False, "error": "ratelimited"}, headers)
        if status != 200:
            return self._send(req, status, None, text="upstream connect error")
        scopes = {"X-OAuth-Scopes": ",".join(self.scopes)} if method == "auth.test" and answer.get("ok") else None
        return self._send(req, 200, answer, scopes)

    @staticmethod
    def _parse(raw: str, content_type: str) -> dict[str, Any]:
        if not raw:
            return {}
        if "json" in content_type:
            return json.loads(raw)
        body: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "view", "attachments"):  # form-encoded JSON fields
            if isinstance(body.get(key), str) and body[key][:1] in "[{":
                body[key] = json.loads(body[key])
        return body

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any] | str:
        if method == "response_url":
            return "ok"
        if method == "auth.test":
            return {"ok": True, "url": WORKSPACE_URL, "team": "srm test", "user": "srm", "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID, "bot_id": "B0SRMBOT", "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {"ts": ts, "text": body.get("text"), "thread_ts": body.get("thread_ts")}
            meta = body.get("metadata")
            if isinstance(meta, str):
                meta = json.loads(meta)
            if meta:
                message["metadata"] = meta
            self.messages.setdefault(str(body.get("channel")), []).append(message)
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            if (body.get("channel"), body.get("ts")) in self.deleted:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text")}
        if method in ("conversations.history", "conversations.replies"):
            return self._history(method, body)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V0FAKE", **(body.get("view") or {})}}
        if method == "users.info":
            uid = body.get("user", "U0UNKNOWN")
            return {"ok": True, "user": {"id": uid, "name": uid.lower(), "tz": "UTC", "is_bot": False}}
        return {"ok": True}

    def _history(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first for a channel's top level; the parent then its replies, oldest first, for a thread."""
        stored = self.messages.get(str(body.get("channel")), [])
        with_meta = str(body.get("include_all_metadata")).lower() in ("1", "true")
        limit = int(body.get("limit") or 100)
        if method == "conversations.history":
            found = [m for m in reversed(stored) if not m.get("thread_ts")][:limit]
        else:
            thread = body.get("ts")
            found = [m for m in stored if m["ts"] == thread or m.get("thread_ts") == thread][:limit]
        out = [m if with_meta else {k: v for k, v in m.items() if k != "metadata"} for m in found]
        return {"ok": True, "messages": out, "has_more": False}

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None,
              text: str | None = None) -> None:
        if text is None:
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            ctype = "text/plain" if isinstance(payload, str) else "application/json; charset=utf-8"
        else:
            data, ctype = text.encode(), "text/plain"
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)
