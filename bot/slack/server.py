"""The HTTP server for the Bolt app: ``POST /slack/events`` and ``GET /healthz``.

A production WSGI server (waitress: a pool of request threads, request-size limits,
slow-client buffering) rather than wsgiref. Bolt verifies the signature of every
``/slack/events`` request (401 for a forged or stale one) and returns as soon as the
listener acks; slow work continues on Bolt's executor.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Iterable

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

    @property
    def server_port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        self._server.run()

    def shutdown(self) -> None:
        self._server.close()

    def server_close(self) -> None:
        self._server.close()


def make_server(application: WSGIApp, host: str = "0.0.0.0", port: int = 3000) -> HttpServer:
    return HttpServer(application, host, port)


def start_in_thread(server: HttpServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="srm-http", daemon=True)
    thread.start()
    return thread
