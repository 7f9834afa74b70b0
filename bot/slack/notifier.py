"""SlackNotifier (lane ``slack``): incident conversations as a root message and its thread.

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
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.actions import choices
from bot.config import IncidentsConfig
from bot.digest import Digest
from bot.models import Clock, ConversationRef, Event, IncidentView, SystemClock
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
        self.client.chat_update(channel=ref.channel, ts=ref.thread, **self._root(view))

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
        kwargs: dict[str, Any] = {"channel": channel, **payload, "unfurl_links": False, "unfurl_media": False}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        self.pacer.wait(channel)  # the delivery thread waits its turn for this channel
        resp = self.client.chat_postMessage(**kwargs)
        ref = ConversationRef(kind=self.kind, channel=resp["channel"], thread=resp["ts"])
        self.store.record_message(key, ref)
        return ref
