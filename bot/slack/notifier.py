"""SlackNotifier: incident conversations as a root message and its thread.

``open`` posts the root message to the incident channel, then the first thread
reply (owners mentioned, failing resources, remediation); ``post`` adds an event
reply in the thread; ``refresh`` rewrites the root with ``chat.update``.

Idempotency: every post is keyed by the outbox key (the details reply by
``<key>:details``) and recorded with its ts in ``sent_messages`` right after Slack
accepts it; a key found there is not posted again, so a retried delivery (after a
crash, or after the details reply failed) never double-posts. A call that fails
raises: the incident outbox keeps the row pending and ``Incidents.deliver`` retries
it later (the scheduler's minute sweep, the next scan or the next button click).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from slack_sdk import WebClient

from bot.config import IncidentsConfig
from bot.models import Clock, ConversationRef, Event, IncidentView, SystemClock
from bot.slack.blocks_incident import incident_details, incident_event, incident_root
from bot.store import Store

log = logging.getLogger(__name__)


class NoChannel(RuntimeError):
    pass


class SlackNotifier:
    def __init__(self, client: WebClient, store: Store, *, config: IncidentsConfig | None = None,
                 tz: str = "UTC", clock: Clock | None = None):
        self.client, self.store = client, store
        self.config = config or IncidentsConfig()
        self.tz = tz
        self.clock = clock or SystemClock()

    # -- Notifier ------------------------------------------------------------------------
    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        ref = self.store.sent_message(key)
        if ref is None:
            channel = self.channel_for(view)
            ref = self._post(key, channel, None, self._root(view))
        details = f"{key}:details"
        if self.store.sent_message(details) is None:
            self._post(details, ref.channel, ref.ts, incident_details(view, self.tz))
        self.store.set_incident_ref(view.incident.id, ref)
        return ref

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        if self.store.sent_message(key) is None:
            self._post(key, ref.channel, ref.ts, incident_event(event, view, self.tz))

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        # chat.update is idempotent: the newest state wins, a repeat rewrites the same text
        self.client.chat_update(channel=ref.channel, ts=ref.ts, **self._root(view))

    # -- helpers -------------------------------------------------------------------------
    def channel_for(self, view: IncidentView) -> str:
        channel = self.config.channel or view.team.channel
        if not channel:
            raise NoChannel("no incident channel: set incidents.channel in srm.yml (or the team's channel)")
        return channel

    def _root(self, view: IncidentView) -> dict[str, Any]:
        return incident_root(view, now=self.clock.now(), tz=self.tz, snooze_hours=self.config.snooze_choices_hours)

    def _post(self, key: str, channel: str, thread_ts: str | None, payload: dict[str, Any]) -> ConversationRef:
        kwargs: dict[str, Any] = {"channel": channel, **payload, "unfurl_links": False, "unfurl_media": False}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        resp = self.client.chat_postMessage(**kwargs)
        ref = ConversationRef(channel=resp["channel"], ts=resp["ts"])
        self.store.record_message(key, ref)
        return ref


class KeyedPoster:
    """``post(channel, payload, key=None)`` for other senders (the scheduler's digests).

    With a key, a payload already posted under that key is not posted again.
    """

    def __init__(self, client: WebClient, store: Store):
        self.client, self.store = client, store

    def __call__(self, channel: str, payload: dict[str, Any], key: str | None = None) -> ConversationRef:
        if key is not None:
            done = self.store.sent_message(key)
            if done is not None:
                return done
        resp = self.client.chat_postMessage(channel=channel, **payload)
        ref = ConversationRef(channel=resp["channel"], ts=resp["ts"])
        if key is not None:
            self.store.record_message(key, ref)
        return ref


Poster = Callable[..., ConversationRef]
