"""SlackNotifier (lane ``slack``): incident conversations as a root message and its thread.

``open`` posts the root message to the incident channel, then the first thread
reply (owners mentioned, failing resources, remediation); ``post`` adds an event
reply in the thread; ``refresh`` rewrites the root with ``chat.update``.

Effectively once: every post is keyed by the outbox key (the details reply by
``<key>:details``), carries that key as Slack message metadata (event type
:data:`METADATA_TYPE`) and goes through :func:`bot.notify.once.send_once`: recorded with
its ts in ``sent_messages`` once Slack accepts it, never posted again after that, and
after an unknown outcome (5xx, timeout, reset, a crash between send and record) looked
up in the channel or thread (``conversations.history`` / ``conversations.replies`` with
metadata) and adopted if there. Posts therefore use a client that retries only 429s
(Slack did not take the message); a 5xx is never blindly re-posted. A call that fails
raises: the incident outbox keeps the row pending and ``Incidents.deliver`` retries
it later. ``chat.update`` of a message or channel that is gone raises
:class:`~bot.notify.Undeliverable`: the row ends with an incident event.
"""
from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.actions import choices
from bot.config import IncidentsConfig
from bot.digest import Digest
from bot.models import Clock, ConversationRef, Event, IncidentView, SystemClock
from bot.notify import Undeliverable
from bot.notify.once import send_once
from bot.notify.pacing import Pacer
from bot.owners import Owners, Team
from bot.slack.blocks_backlog import backlog_message
from bot.slack.blocks_incident import critical_notice, incident_details, incident_event, incident_root
from bot.slack.digest_blocks import digest_message
from bot.store import Store
from checks.base import Severity

if TYPE_CHECKING:  # pragma: no cover
    from bot.incidents import Backlog

log = logging.getLogger(__name__)
METADATA_TYPE = "srm_outbox_message"  # Slack message metadata event type; its payload is {"key": outbox key}
GONE = {"message_not_found", "channel_not_found", "is_archived", "cant_update_message", "thread_not_found"}
LOOKBACK = 200  # newest messages searched for a key after an unknown outcome


class NoChannel(RuntimeError):
    pass


class SlackNotifier:
    kind = "slack"

    def __init__(self, client: WebClient, store: Store, *, owners: Owners | None = None,
                 config: IncidentsConfig | None = None, tz: str = "UTC", clock: Clock | None = None,
                 digest_channel: str | None = None, digest_tz: str = "UTC"):
        self.client, self.store, self.owners = client, store, owners
        self.config = config or IncidentsConfig()
        self.tz = tz
        self.clock = clock or SystemClock()
        self.digest_channel, self.digest_tz = digest_channel, digest_tz
        self.poster = posting_client(client)
        self.pacer = Pacer(self.config.posts_per_second, self.config.post_burst)

    # -- Notifier ------------------------------------------------------------------------
    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        ref = self.store.sent_message(key)
        if ref is None:
            channel = self.channel_for(view)
            ref = self._post(key, channel, None, self._root(view))
        details = f"{key}:details"
        if self.store.sent_message(details) is None:
            self._post(details, ref.channel, ref.thread, incident_details(view, self.tz))
        security = self.config.security_channel
        if (view.incident.severity is Severity.critical and security and security != ref.channel
                and self.store.sent_message(f"{key}:security") is None):
            self._post(f"{key}:security", security, None, critical_notice(view, ref.channel))
        return ref

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        if self.store.sent_message(key) is None:
            self._post(key, ref.channel, ref.thread, incident_event(event, view, self.tz))

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        # chat.update is idempotent: the newest state wins, a repeat rewrites the same text
        try:
            self.client.chat_update(channel=ref.channel, ts=ref.thread, **self._root(view))
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error in GONE:
                raise Undeliverable(f"the incident's root message {ref.channel}/{ref.thread} is gone ({error})") \
                    from exc
            raise

    def announce_backlog(self, backlog: "Backlog", *, key: str) -> None:
        """The team's backlog summary, in the team's channel (else the default incident channel)."""
        if self.store.sent_message(key) is None:
            self._post(key, self.team_channel(backlog.team), None, backlog_message(backlog))

    def publish_digest(self, digest: Digest, *, key: str) -> str | None:
        """The digest as one message in ``digest.channel``; None when no channel is configured."""
        if not self.digest_channel:
            return None
        if self.store.sent_message(key) is None:
            self._post(key, self.digest_channel, None, digest_message(digest, self.digest_tz))
        return self.digest_channel

    # -- helpers -------------------------------------------------------------------------
    def channel_for(self, view: IncidentView) -> str:
        return self.team_channel(view.team)

    def team_channel(self, team: Team) -> str:
        """The team's own incident channel, else the default one (incidents.channel)."""
        channel = team.channel or self.config.channel
        if not channel:
            raise NoChannel(f"no incident channel for {team.name}: set the team's channel in the owners file "
                            "or incidents.channel in srm.yml")
        return channel

    def _root(self, view: IncidentView) -> dict[str, Any]:
        return incident_root(view, now=self.clock.now(), tz=self.tz,
                             choices=lambda spec, inc: choices(spec, inc, self.owners, self.config))

    def _post(self, key: str, channel: str, thread_ts: str | None, payload: dict[str, Any]) -> ConversationRef:
        kwargs: dict[str, Any] = {"channel": channel, **payload, "unfurl_links": False, "unfurl_media": False,
                                  "metadata": {"event_type": METADATA_TYPE, "event_payload": {"key": key}}}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts

        def send() -> ConversationRef:
            self.pacer.wait(channel)  # the delivery thread waits its turn for this channel
            resp = self.poster.chat_postMessage(**kwargs)
            return ConversationRef(kind=self.kind, channel=resp["channel"], thread=resp["ts"])

        return send_once(self.store, key, send, find=lambda: self.find(key, channel, thread_ts),
                         unknown=unknown_outcome, kind=self.kind)

    def find(self, key: str, channel: str, thread_ts: str | None) -> ConversationRef | None:
        """The message posted under ``key`` in the channel (or the thread), by its metadata; None if absent.

        A look-up Slack refuses outright (``missing_scope`` on an app installed before the history scopes,
        ``channel_not_found`` for a channel given by name) is logged and answers None: the post is sent
        again (at least once) rather than never. A 5xx or a timeout raises: the row waits for a later try."""
        try:
            if thread_ts:
                resp = self.client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                         limit=LOOKBACK)
            else:
                resp = self.client.conversations_history(channel=channel, include_all_metadata=True,
                                                         limit=LOOKBACK)
        except SlackApiError as exc:
            if unknown_outcome(exc) or getattr(exc.response, "status_code", 200) == 429:
                raise
            log.warning("%s: cannot look for an earlier post (%s); posting it again",
                        key, exc.response.get("error") if exc.response is not None else exc)
            return None
        for msg in resp.get("messages") or []:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE and (meta.get("event_payload") or {}).get("key") == key:
                return ConversationRef(kind=self.kind, channel=resp.get("channel") or channel, thread=msg["ts"])
        return None


def posting_client(client: WebClient) -> WebClient:
    """``client`` for posts: it retries 429s (the message was not taken) but never a 5xx or a dropped
    connection, whose message may have landed; those go through the look-up in :func:`send_once`."""
    poster = copy.copy(client)
    poster.retry_handlers = [h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]
    return poster


def unknown_outcome(exc: BaseException) -> bool:
    """A failed call that may still have posted: 5xx, timeouts, connection errors. A 429, a 4xx and an
    ``ok: false`` answer are refusals: nothing was posted."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status >= 500
    return isinstance(exc, (OSError, TimeoutError, ConnectionError))
