"""A threaded WSGI server for the Bolt app: ``POST /slack/events`` and ``GET /healthz``.

stdlib only (``wsgiref`` + ``socketserver.ThreadingMixIn``): each request gets its
own thread, so a slow request never queues the others behind it. Bolt verifies the
signature of every ``/slack/events`` request (401 for a forged or stale one) and
returns as soon as the listener acks; slow work continues on Bolt's executor.
"""
from __future__ import annotations

import json
import logging
import threading
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger("bot.slack.server")
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # 20+ concurrent connects must not overflow the listen backlog


class QuietHandler(WSGIRequestHandler):
    # buffer the response so status line, headers and body leave in one send (and flush), not one
    # syscall each: small separate writes cost a GIL round trip apiece and can meet Nagle + delayed ACK
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)


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
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"Not Found"]

    return application


def make_server(application: WSGIApp, host: str = "0.0.0.0", port: int = 3000) -> ThreadingWSGIServer:
    server = ThreadingWSGIServer((host, port), QuietHandler)
    server.set_app(application)
    return server


def start_in_thread(server: ThreadingWSGIServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="srm-http", daemon=True)
    thread.start()
    return thread
