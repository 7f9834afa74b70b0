"""build_app(services) -> slack_bolt.App: the Web API client, the incident notifier and every listener.

The client talks to ``SLACK_API_BASE_URL`` when set (the fake Slack in tests) and
retries rate limits (honouring ``Retry-After``), 5xx answers and dropped
connections with backoff; what still fails raises: the incident outbox keeps
incident posts, and ``SlackContext.send`` keeps answers to people
(``bot/slack/delivery.py``).
What the app registers is recorded in ``SlackContext.registered`` so a test can
hold ``manifest.yml`` to exactly that.

Acknowledging: Bolt runs with ``process_before_response=True``, so a listener's
return *is* the HTTP response (no executor hop, no ack polling). A listener
therefore only acks (with the answer, when it is quick) and hands anything else to
``SlackContext.later``, which runs it on the app's worker pool after the response
has gone; errors there reach the same ``_error_handler``.
"""
from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.blocks import notice
from bot.slack.delivery import (
    DEFAULT_DELAYS,
    RESPONSE_URL_LIFETIME,
    Pending,
    post_to_response_url,
    response_hosts,
    response_url_allowed,
    retry_handlers,
)
from bot.slack.listeners import actions, commands, events, views, who
from bot.slack.status import Links, registry

if TYPE_CHECKING:  # pragma: no cover
    from bot.services import Services

log = logging.getLogger("bot.slack")
# Bolt reads SLACK_BOT_TOKEN itself even when given a client, then warns that it ignores it: noise on every start.
log.addFilter(lambda record: "`token` will be unused" not in record.getMessage())
DEFAULT_API = "https://slack.com/api/"


class SlackSetupError(RuntimeError):
    pass


@dataclass
class Registered:
    """What the app listens to, in manifest terms (``message.im``, not ``message`` + a matcher)."""

    commands: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)

    def command(self, app: App, name: str, fn: Callable[..., Any]) -> None:
        app.command(name)(fn)
        self.commands.append(name)

    def event(self, app: App, name: str, fn: Callable[..., Any]) -> None:
        kind, _, channel_type = name.partition(".")
        matchers = [lambda body: (body.get("event") or {}).get("channel_type") == channel_type] if channel_type else None
        app.event(kind, matchers=matchers)(fn)
        self.events.append(name)

    def action(self, app: App, action_id: str, fn: Callable[..., Any]) -> None:
        app.action(str(action_id))(fn)
        self.actions.append(str(action_id))

    def view(self, app: App, callback_id: str, fn: Callable[..., Any]) -> None:
        app.view(str(callback_id))(fn)
        self.views.append(str(callback_id))


@dataclass
class SlackContext:
    services: "Services"
    client: WebClient
    links: Links
    bot_user_id: str | None = None
    registered: Registered = field(default_factory=Registered)
    pending: Pending = field(default_factory=Pending)
    executor: ThreadPoolExecutor | None = None
    response_hosts: tuple[str, ...] = ()  # beyond Slack's own: where response URLs may point (the emulator)

    def may_respond(self, body: dict[str, Any] | None) -> bool:
        """Whether the request's response URL points at Slack (the request itself was verified by Bolt)."""
        url = (body or {}).get("response_url")
        if url is None:
            return True  # Bolt's respond() then has nothing to post to and raises; nothing leaves
        if response_url_allowed(url, self.response_hosts):
            return True
        log.warning("response_url not on Slack's hosts, not used: %.80s", str(url))
        return False

    def later(self, work: Callable[[], Any], body: dict[str, Any] | None = None,
              respond: Callable[..., Any] | None = None) -> None:
        """Run ``work`` after this request's response (the ack); an error goes to the one error handler."""
        def run() -> None:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - handed to the one error handler, like Bolt does
                _error_handler(exc, body or {}, respond if self.may_respond(body) else None)

        if self.executor is None:
            self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="srm-later")
        self.executor.submit(run)

    def send(self, name: str, call: Callable[[], Any]) -> bool:
        """Make one Slack call for a listener; a transient failure is kept and retried later."""
        return self.pending.send(name, call)

    def respond(self, url: str | None, payload: dict[str, Any], name: str = "response_url") -> bool:
        """Send ``payload`` to a slash command's response URL (retried like any other send)."""
        if not url:
            raise ValueError("no response_url to answer to")
        if not response_url_allowed(url, self.response_hosts):
            log.warning("%s: response_url not on Slack's hosts, not used: %.80s", name, url)
            return False
        handlers = self.client.retry_handlers
        return self.pending.send(name, lambda: post_to_response_url(url, payload, handlers=handlers,
                                                                    timeout=self.client.timeout),
                                 keep_for=RESPONSE_URL_LIFETIME)


def make_client(settings: Settings, *, backoff: float = 0.5, retries: int = 3, timeout: int = 10) -> WebClient:
    """A WebClient for the bot token, with retries for 429 (Retry-After), 5xx and connection errors."""
    if not settings.slack_bot_token:
        raise SlackSetupError("SLACK_BOT_TOKEN is not set")
    base_url = (settings.slack_api_base_url or DEFAULT_API).rstrip("/") + "/"
    return WebClient(token=settings.slack_bot_token, base_url=base_url,
                     timeout=timeout, retry_handlers=retry_handlers(backoff=backoff, retries=retries))


def build_app(services: "Services", *, client: WebClient | None = None, socket_mode: bool = False,
              workers: int = 32, retry_delays: tuple[float, ...] = DEFAULT_DELAYS) -> App:
    """The Bolt app with every listener. The notifiers (the Slack lane among them) are the composition
    root's business (``bot/main.py``); the app only answers people and takes clicks.

    ``retry_delays``: how long a failed answer to a person waits before each later try.
    """
    settings = services.settings
    client = client or make_client(settings)
    if not socket_mode and not settings.slack_signing_secret:
        raise SlackSetupError("SLACK_SIGNING_SECRET is not set (needed to verify requests in HTTP mode)")
    auth = client.auth_test()  # fails fast on a bad token; gives the bot's user id and workspace URL
    # built now, before any listener thread (cached_property is not locked): one Incidents, one delivery lock
    services.incidents  # noqa: B018
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="srm-listener")
    app = App(client=client, signing_secret=settings.slack_signing_secret or "",
              request_verification_enabled=not socket_mode, token_verification_enabled=True,
              process_before_response=True, logger=log, listener_executor=executor)
    ctx = SlackContext(services=services, client=client, links=Links(auth.get("url")),
                       bot_user_id=auth.get("user_id"),
                       pending=Pending(retry_delays), executor=executor,
                       response_hosts=response_hosts(settings.slack_api_base_url, settings.slack_response_url_hosts))
    for module in (commands, events, actions, views, who):
        module.register(app, ctx)
    registry()  # import every check now, once, rather than from 20 concurrent first requests

    def on_error(error: Exception, body: dict[str, Any], respond: Callable[..., Any] | None = None) -> None:
        _error_handler(error, body, respond if ctx.may_respond(body) else None)

    app.error(on_error)
    app.srm = ctx  # type: ignore[attr-defined]  # for serve and tests: what was registered
    return app


def _error_handler(error: Exception, body: dict[str, Any], respond: Callable[..., Any] | None = None) -> None:
    """The one place unexpected listener errors end up: logged with a reference the user is shown."""
    ref = uuid.uuid4().hex[:8]
    kind = body.get("type") or (body.get("event") or {}).get("type") or body.get("command") or "request"
    log.error("listener error %s on %s: %s", ref, kind, error, exc_info=error)
    if respond is not None:
        try:
            respond(**notice(f"Something went wrong on my side (reference `{ref}`). It has been logged.",
                             icon=":warning:"), response_type="ephemeral", replace_original=False)
        except Exception:  # noqa: BLE001 - telling the user is best effort
            log.warning("could not report error %s to the user", ref)
