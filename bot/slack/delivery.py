"""Getting answers to people even when Slack pushes back.

Two layers, so that no post is dropped:

1. every HTTP call to Slack (the Web API client and response URLs) retries 429
   (honouring ``Retry-After``), 5xx answers and dropped connections with backoff:
   :func:`retry_handlers`;
2. a send that still fails with a *transient* error is kept by :class:`Pending` and
   tried again later, with growing delays, until it goes through (or its
   ``keep_for`` runs out: a day for posts, 30 minutes for a response URL, which
   Slack stops accepting after that).

Incident posts do not need (2): the incident outbox keeps them in the database
(``bot/incidents.py``). (2) is for answers to people: mention and DM replies,
``/srm`` results sent to a response URL, ephemeral refusals, App Home views.
Permanent refusals (``channel_not_found``, a 4xx) are logged, not retried.

A response URL comes from a request body: it is used only from verified requests
and only when it points at Slack (:func:`response_url_allowed`; the emulator's host is
added by configuration), so a forged body can never make the bot POST elsewhere.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import urllib.error
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

log = logging.getLogger("bot.slack.delivery")
DEFAULT_DELAYS = (5.0, 15.0, 60.0, 300.0, 600.0)  # then every 600 s
DAY = 24 * 3600.0
RESPONSE_URL_LIFETIME = 30 * 60.0
SLACK_RESPONSE_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")  # where Slack's response URLs point


def response_url_allowed(url: object, extra_hosts: Iterable[str] = ()) -> bool:
    """``url`` is an https URL on Slack's hooks host, or on one of ``extra_hosts`` (``host[:port]``, the emulator)."""
    if not isinstance(url, str) or not url:
        return False
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
    except ValueError:
        return False
    if "@" in netloc:  # user-info tricks: https://hooks.slack.com@evil.example/
        return False
    if parts.scheme == "https" and parts.hostname in SLACK_RESPONSE_HOSTS and parts.port in (None, 443):
        return True
    return parts.scheme in ("http", "https") and netloc in {h.strip().lower() for h in extra_hosts if h.strip()}


def response_hosts(api_base_url: str | None, configured: str | None) -> tuple[str, ...]:
    """Extra response-URL hosts: the host of a non-Slack API base URL (the emulator) and SLACK_RESPONSE_URL_HOSTS."""
    hosts = [h for h in (configured or "").split(",") if h.strip()]
    if api_base_url:
        netloc = urlsplit(api_base_url).netloc.lower()
        if netloc and not netloc.endswith("slack.com"):
            hosts.append(netloc)
    return tuple(hosts)


def retry_handlers(*, backoff: float = 0.5, retries: int = 3) -> list[RetryHandler]:
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    return [ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval)]


class ResponseUrlError(RuntimeError):
    def __init__(self, status: int, body: str):
        super().__init__(f"response_url answered HTTP {status}: {body[:200]}")
        self.status = status


def post_to_response_url(url: str, payload: dict[str, Any], *, handlers: list[RetryHandler],
                         timeout: int = 10) -> None:
    """POST ``payload`` to a response URL (with retries); raises :class:`ResponseUrlError` unless 200."""
    resp = WebhookClient(url, timeout=timeout, retry_handlers=handlers).send_dict(payload)
    if resp.status_code != 200:
        raise ResponseUrlError(resp.status_code, resp.body or "")


def transient(exc: BaseException) -> bool:
    """Worth trying again later: rate limits, 5xx, timeouts and connection errors."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500
    if isinstance(exc, ResponseUrlError):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, (urllib.error.URLError, ConnectionError, TimeoutError, OSError))


@dataclass(order=True)
class _Kept:
    due: float
    seq: int
    name: str = field(compare=False)
    send: Callable[[], Any] = field(compare=False)
    give_up_at: float = field(compare=False)
    attempts: int = field(default=1, compare=False)


class Pending:
    """Sends that failed transiently, kept in memory and retried by one daemon thread."""

    def __init__(self, delays: Sequence[float] = DEFAULT_DELAYS, *, clock: Callable[[], float] = time.monotonic):
        if not delays:
            raise ValueError("delays must not be empty")
        self.delays = tuple(delays)
        self.clock = clock
        self._heap: list[_Kept] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.delivered_late = 0  # sends that went through on a later try
        self.given_up: list[str] = []

    def send(self, name: str, send: Callable[[], Any], *, keep_for: float = DAY) -> bool:
        """Call ``send`` now; on a transient failure keep it for later. True if it went through now."""
        try:
            send()
            return True
        except Exception as exc:  # noqa: BLE001 - sorted below: transient is kept, anything else logged
            if not transient(exc):
                log.error("%s: Slack refused it, not retrying: %s", name, exc)
                return False
            log.warning("%s failed (%s); keeping it to retry in %.0f s", name, exc, self.delays[0])
            self._keep(_Kept(self.clock() + self.delays[0], next(self._seq), name, send,
                             give_up_at=self.clock() + keep_for))
            return False

    @property
    def waiting(self) -> list[str]:
        """Names of the sends still waiting for a retry."""
        with self._cv:
            return [k.name for k in sorted(self._heap)]

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the retry thread ----------------------------------------------------------------
    def _keep(self, item: _Kept) -> None:
        with self._cv:
            heapq.heappush(self._heap, item)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="srm-slack-retry", daemon=True)
                self._thread.start()
            self._cv.notify_all()

    def _next_due(self) -> _Kept | None:
        with self._cv:
            while not self._closed:
                if self._heap and self._heap[0].due <= self.clock():
                    return heapq.heappop(self._heap)
                self._cv.wait(timeout=(self._heap[0].due - self.clock()) if self._heap else None)
            return None

    def _run(self) -> None:
        while (item := self._next_due()) is not None:
            try:
                item.send()
            except Exception as exc:  # noqa: BLE001 - the same sorting as in send()
                item.attempts += 1
                now = self.clock()
                if not transient(exc) or now >= item.give_up_at:
                    log.error("%s: giving up after %d attempt(s): %s", item.name, item.attempts, exc)
                    self.given_up.append(item.name)
                    continue
                delay = self.delays[min(item.attempts - 1, len(self.delays) - 1)]
                log.warning("%s failed again (%s); next try in %.0f s", item.name, exc, delay)
                item.due = now + delay
                self._keep(item)
            else:
                self.delivered_late += 1
                log.info("%s went through on attempt %d", item.name, item.attempts)
