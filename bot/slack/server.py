"""The HTTP server for the Bolt app: ``POST /slack/events`` and ``GET /healthz``.

A production WSGI server (waitress: a pool of request threads, request-size limits,
slow-client buffering) rather than wsgiref. Bolt verifies the signature of every
``/slack/events`` request (401 for a forged or stale one) and returns as soon as the
listener acks; slow work continues on Bolt's executor. Before Bolt parses anything,
malformed signature headers get a 401 and an interactivity payload that is not a JSON
object with a user (:func:`malformed_payload`) a 400, each with one log line.
"""
from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import create_server

log = logging.getLogger("bot.slack.server")
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def malformed_signature(environ: dict[str, Any]) -> str | None:
    """Why a request's signature headers cannot even be checked (Bolt then verifies the rest), or None."""
    ts = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    sig = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not ts or not sig:
        return "no X-Slack-Request-Timestamp or X-Slack-Signature header"
    if not (ts.isascii() and ts.isdigit() and len(ts) <= 12):
        return "X-Slack-Request-Timestamp is not a number"
    if not (sig.startswith("v0=") and len(sig) == 67 and all(c in "0123456789abcdef" for c in sig[3:])):
        return "X-Slack-Signature is not a v0 HMAC-SHA256 signature"
    return None


USER_TYPES = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion"}


def malformed_payload(content_type: str, body: bytes) -> str | None:
    """Why an interactivity request's ``payload`` cannot be handled (not JSON, not an object, no user), or None."""
    if "application/x-www-form-urlencoded" not in content_type:
        return None
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if "payload" not in form:
        return None  # a slash command
    try:
        payload = json.loads(form["payload"][0])
    except ValueError:
        return "payload is not JSON"
    if not isinstance(payload, dict):
        return f"payload is a JSON {type(payload).__name__}, not an object"
    if not isinstance(payload.get("type"), str):
        return "payload has no type"
    user = payload.get("user")
    kind = payload["type"]
    if kind in USER_TYPES and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return f"{kind} payload has no user"
    view = payload.get("view")
    if kind in ("view_submission", "view_closed") and not (isinstance(view, dict) and isinstance(view.get("type"), str)
                                                          and isinstance(view.get("callback_id"), str)):
        return f"{kind} payload has no view with a type and callback_id"
    actions = payload.get("actions")
    if kind == "block_actions" and not (isinstance(actions, list) and actions and all(
            isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)):
        return "block_actions payload has no actions with an action_id"
    return None


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back for Bolt to read again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def wsgi_app(app: App | None, health: Callable[[], dict[str, Any]] | None = None) -> WSGIApp:
    """Route ``/healthz`` here and ``/slack/events`` to Bolt (``app=None``: health only, for Socket Mode)."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH) if app is not None else None

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                status, body = "200 OK", {"ok": True, **(health() if health else {})}
            except Exception as exc:  # noqa: BLE001 - a health check reports, it does not crash
                status, body = "503 Service Unavailable", {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            data = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        if bolt is not None and path == EVENTS_PATH:
            why = malformed_signature(environ) if environ.get("REQUEST_METHOD") == "POST" else None
            if why:  # refused before Bolt parses anything: no listener, no response_url, no traceback
                log.warning("refused %s: %s", EVENTS_PATH, why)
                start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("Content-Length", "12")])
                return [b"Unauthorized"]
            if environ.get("REQUEST_METHOD") == "POST":
                bad = malformed_payload(environ.get("CONTENT_TYPE", ""), _read_body(environ))
                if bad:  # nothing a listener could act on: 400, one line, no side effect
                    log.warning("refused %s: malformed interactivity payload: %s", EVENTS_PATH, bad)
                    start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", "11")])
                    return [b"Bad Request"]
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"Not Found"]

    return application


class HttpServer:
    """waitress behind the small interface `srm serve`, the tests and the demo use."""

    def __init__(self, application: WSGIApp, host: str, port: int, threads: int = 16):
        self._server = create_server(application, host=host, port=port, threads=threads,
                                     asyncore_loop_timeout=0.2, connection_limit=256, channel_timeout=60,
                                     max_request_body_size=1024 * 1024, ident="srm-bot")
        self._closing = threading.Event()

    @property
    def server_port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):  # the socket closed under the loop's select(): that is how it stops
            if not self._closing.is_set():
                raise

    def shutdown(self) -> None:
        self._closing.set()
        self._server.close()

    def server_close(self) -> None:
        self.shutdown()


def make_server(application: WSGIApp, host: str = "0.0.0.0", port: int = 3000) -> HttpServer:
    return HttpServer(application, host, port)


def start_in_thread(server: HttpServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="srm-http", daemon=True)
    thread.start()
    return thread
