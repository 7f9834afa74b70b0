"""EmailNotifier (lane ``email``): one mail thread per incident, over SMTP.

``open`` sends the root mail (subject ``[srm] #12 [critical] <title>``), ``post`` a reply
per event (``In-Reply-To``/``References`` the root, so mail clients thread it); mail
cannot be edited once sent, so ``refresh`` sends nothing: the state travels in the
replies. Recipients: ``email.to`` plus the owning team's ``email`` (owners file).

Idempotency: each message's ``Message-ID`` is derived from its outbox key, and a key
recorded as sent is not sent again; should a send be repeated after an unknown outcome,
the copy carries the same Message-ID, which mail stores and clients treat as one message.
"""
from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import TYPE_CHECKING

from bot.config import EmailConfig
from bot.models import Clock, ConversationRef, Event, IncidentView, SystemClock
from bot.notify.text import event_text, summary_text, with_mentions
from bot.owners import Owners
from bot.store import Store

if TYPE_CHECKING:  # pragma: no cover
    from bot.digest import Digest
    from bot.incidents import Backlog


MAIL_POLICY = SMTP.clone(max_line_length=200)  # long subjects stay on one line (RFC 5322 allows 998)


class EmailNotifier:
    kind = "email"

    def __init__(self, config: EmailConfig, store: Store, owners: Owners, *, password: str | None = None,
                 tz: str = "UTC", clock: Clock | None = None):
        self.config, self.store, self.owners = config, store, owners
        self.password = password
        self.tz = tz
        self.clock = clock or SystemClock()
        self.domain = config.sender.rsplit("@", 1)[1]

    # -- Notifier ------------------------------------------------------------------------
    def open(self, view: IncidentView, *, key: str) -> ConversationRef:
        done = self.store.sent_message(key, self.kind)
        if done is not None:
            return done
        to = self.recipients(view)
        body = [summary_text(view), ""]
        body += [f"  {r.finding.region}/{r.finding.resource_id}: {r.finding.reason}" for r in view.resources[:25]]
        if len(view.resources) > 25:
            body.append(f"  ... and {len(view.resources) - 25} more")
        if view.remediation:
            body += ["", "Remediation:", view.remediation]
        msg_id = self.send(key, to, self.subject(view), "\n".join(body))
        return ConversationRef(kind=self.kind, channel=", ".join(to), thread=msg_id)

    def post(self, ref: ConversationRef, view: IncidentView, event: Event, *, key: str) -> None:
        if self.store.sent_message(key, self.kind) is not None:
            return
        text = event_text(event, mention=self.person_name)
        to = [a.strip() for a in ref.channel.split(",") if a.strip()] or self.recipients(view)
        self.send(key, to, "Re: " + self.subject(view), f"{text}\n\n{summary_text(view)}", reply_to=ref.thread)

    def refresh(self, ref: ConversationRef, view: IncidentView, *, key: str) -> None:
        """Sent mail cannot be rewritten: the current state went out with the event reply."""

    def announce_backlog(self, backlog: "Backlog", *, key: str) -> None:
        if self.store.sent_message(key, self.kind) is not None:
            return
        to = list(dict.fromkeys([*self.config.to, *([backlog.team.email] if backlog.team.email else [])]))
        lines = [f"Backlog for {backlog.team.name}: {len(backlog.lines)} check(s), {backlog.resources} failing "
                 "resource(s) found at first contact. No thread each; `srm incidents --state backlog` lists them.", ""]
        lines += [f"  [{x.severity.value}] {x.title} - {x.account_id}: {x.failing} ({', '.join(x.worst)})"
                  for x in backlog.lines[:50]]
        self.send(key, to, f"{self.config.subject_prefix} backlog for {backlog.team.name}", "\n".join(lines))

    def publish_digest(self, digest: "Digest", *, key: str) -> str | None:
        if not self.config.digest_to:
            return None
        if self.store.sent_message(key, self.kind) is None:
            self.send(key, self.config.digest_to, f"{self.config.subject_prefix} posture digest", digest_text(digest))
        return ", ".join(self.config.digest_to)

    # -- helpers -------------------------------------------------------------------------
    def recipients(self, view: IncidentView) -> list[str]:
        return list(dict.fromkeys([*self.config.to, *([view.team.email] if view.team.email else [])]))

    def subject(self, view: IncidentView) -> str:
        inc = view.incident
        return f"{self.config.subject_prefix} #{inc.id} [{inc.severity.value}] {inc.title} ({inc.account_id})"

    def person_name(self, member_id: str) -> str:
        return f"@{member_id}"

    def message_id(self, key: str) -> str:
        return f"<srm.{hashlib.sha256(key.encode()).hexdigest()[:24]}@{self.domain}>"

    def send(self, key: str, to: list[str], subject: str, body: str, *, reply_to: str | None = None) -> str:
        if not to:
            raise ValueError("no e-mail recipients: set email.to or the team's email in the owners file")
        msg = EmailMessage(policy=MAIL_POLICY)
        msg["From"], msg["To"], msg["Subject"] = self.config.sender, ", ".join(to), subject
        msg["Date"] = format_datetime(self.clock.now())
        msg["Message-ID"] = self.message_id(key)
        if reply_to:
            msg["In-Reply-To"], msg["References"] = reply_to, reply_to
        msg.set_content(with_mentions(body, self.person_name))
        with smtplib.SMTP(self.config.smtp_host, self.config.smtp_port, timeout=self.config.timeout_s) as smtp:
            if self.config.starttls:
                smtp.starttls()
            if self.config.username:
                smtp.login(self.config.username, self.password or "")
            smtp.send_message(msg)
        self.store.record_message(key, ConversationRef(kind=self.kind, channel=", ".join(to),
                                                       thread=msg["Message-ID"]))
        return str(msg["Message-ID"])


def digest_text(d: "Digest") -> str:
    """The digest as plain text lines (the same facts the Slack message shows)."""
    lines = [f"Posture digest since {d.since:%Y-%m-%d %H:%M} UTC (as of {d.generated_at:%Y-%m-%d %H:%M} UTC)", ""]
    t = d.totals
    lines.append(f"Resources: {t.passed} passing, {t.failed} failing, {t.accepted} with accepted risk")
    lines.append(f"Open incidents: {len(d.open_incidents)}"
                 + (" (" + ", ".join(f"{n} {s}" for s, n in d.by_severity.items()) + ")" if d.by_severity else ""))
    for title, rows in (("New drift", [f"  [{x.severity.value}] {x.title} - {x.account_id}: "
                                       f"{', '.join(x.resources[:5])}" for x in d.new_failures]),
                        ("Open incidents", [f"  #{i.id} [{i.severity.value}] {i.title} ({i.team})"
                                            for i in d.open_incidents[:20]]),
                        ("Resolved", [f"  #{i.id} {i.title}" for i in d.resolved])):
        if rows:
            lines += ["", f"{title}:", *rows]
    return "\n".join(lines) + "\n"
