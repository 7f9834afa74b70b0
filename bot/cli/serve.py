"""`srm serve`: run the Slack app (HTTP on SRM_PORT, or Socket Mode when SLACK_APP_TOKEN is set)."""
from __future__ import annotations

import gc
import logging
import signal
import sys
import time
from typing import Any, Callable

import click

from bot.cli import main
from bot.logs import setup_logging

log = logging.getLogger("bot.serve")


def choose_mode(app_token: str | None, socket_mode: bool | None) -> str:
    """``socket`` when asked, or by default when an app-level token is configured; else ``http``."""
    if socket_mode is None:
        socket_mode = bool(app_token)
    return "socket" if socket_mode else "http"


def start_scheduler(services: Any) -> Any:
    """The scheduler (scans, digest, the minute sweep) if this build has one; None otherwise."""
    try:
        import bot.scheduler as scheduling
    except ModuleNotFoundError as exc:
        if exc.name != "bot.scheduler":
            raise
        return None
    if not hasattr(scheduling, "build_scheduler"):
        return None
    locked = getattr(scheduling, "SchedulerLocked", ())
    try:
        scheduler = scheduling.build_scheduler(services)
    except locked as exc:  # another process already runs the scheduler for this database
        log.warning("not running the scheduler: %s", exc)
        return None
    scheduler.start()
    return scheduler


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def reach_slack(probe: Callable[[], Any], where: str, *, wait: bool, sleep: Callable[[float], None] = time.sleep,
                first_delay: float = 2.0, max_delay: float = 60.0) -> None:
    """Call ``probe`` (auth.test) until Slack answers. Unreachable: one line and exit 2, or with ``wait`` a
    log line per attempt and a retry with growing delays. A refused token is not retried (raised)."""
    delay, attempt = first_delay, 1
    while True:
        try:
            probe()
            return
        except OSError as exc:  # URLError, refused, DNS, timeout: no route to Slack
            reason = getattr(exc, "reason", None) or exc
            if not wait:
                _fail(f"cannot reach the Slack Web API at {where}: {reason} (fix: check the network / HTTPS_PROXY "
                      "and SLACK_API_BASE_URL, or start with --wait-for-slack to retry until it answers)")
            log.warning("Slack Web API at %s unreachable (attempt %d: %s); retrying in %.0f s", where, attempt,
                        reason, delay)
            sleep(delay)
            delay, attempt = min(delay * 2, max_delay), attempt + 1


@main.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, help="HTTP port [SRM_PORT, default 3000]; 0 picks a free one.")
@click.option("--socket-mode/--http", "socket_mode", default=None,
              help="Force a mode. Default: Socket Mode when SLACK_APP_TOKEN is set, else HTTP.")
@click.option("--no-scheduler", is_flag=True, help="Do not run scheduled scans, digests and the minute sweep.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-format", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="json: one JSON object per line (time, level, logger, message) for log shippers.")
@click.option("--wait-for-slack", is_flag=True,
              help="When Slack is unreachable at start, retry with backoff (a log line per try) instead of exit 2.")
def serve_cmd(host: str, port: int | None, socket_mode: bool | None, no_scheduler: bool, log_level: str,
              log_format: str, wait_for_slack: bool) -> None:
    """Serve the Slack app: /slack/events and /healthz (HTTP mode) or a Socket Mode connection."""
    from slack_sdk.errors import SlackApiError

    from bot.config import Settings
    from bot.main import build_slack_runtime
    from bot.slack.app import SlackSetupError, make_client
    from bot.slack.server import make_server, start_in_thread, wsgi_app

    setup_logging(log_level, log_format)
    settings = Settings()
    mode = choose_mode(settings.slack_app_token, socket_mode)
    if mode == "socket" and not settings.slack_app_token:
        _fail("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token with connections:write)")
    try:
        client = make_client(settings)
        reach_slack(client.auth_test, client.base_url, wait=wait_for_slack)
        services, app = build_slack_runtime(settings, socket_mode=mode == "socket", client=client)
    except SlackSetupError as exc:
        _fail(str(exc))
    except SlackApiError as exc:
        _fail(f"Slack rejected the bot token (auth.test): {exc.response.get('error')}")
    except OSError as exc:  # Slack went away between the probe and the app's own auth.test
        _fail(f"cannot reach the Slack Web API: {getattr(exc, 'reason', None) or exc}")
    # what is loaded now (the catalogue, the resolver's indexes: about a million objects) lives as long as the
    # process: the cyclic collector need never scan it again (no pause of tens of ms under a question)
    gc.freeze()
    scheduler = None if no_scheduler else start_scheduler(services)
    health = {"mode": mode, "scheduler": scheduler is not None}
    server = make_server(wsgi_app(app if mode == "http" else None,
                                  health=lambda: {**health, "schema": services.store.schema_version}),
                         host, settings.srm_port if port is None else port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    where = f"http://{host}:{server.server_port}"
    try:
        if mode == "http":
            click.echo(f"srm serve: HTTP on {where} (POST /slack/events, GET /healthz)", err=True)
            server.serve_forever(poll_interval=0.2)
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            start_in_thread(server)
            click.echo(f"srm serve: Socket Mode; health on {where}/healthz", err=True)
            SocketModeHandler(app, settings.slack_app_token).start()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if services.incidents.worker is not None:
            services.incidents.worker.stop()
        server.server_close()
        click.echo("srm serve: stopped", err=True)
