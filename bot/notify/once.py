"""Effectively-once sending for every notifier lane: a send whose outcome is unknown is looked up first.

A notifier posts each message under its outbox key. :func:`send_once` marks the key *attempted* in
the store before the call and records where the message landed after it, so the state of a key
survives a crash. A call that surely did not happen (the platform refused it: a 4xx, an ``ok: false``,
a 429) clears the mark. A call whose outcome is unknown (a 5xx, a timeout, a reset connection, or a
process killed between send and record) leaves it, and the next try first asks the platform
whether the message is there (``find``: for Slack, the message metadata carrying the key) and adopts
it instead of posting again. Nothing is ever posted twice unless the platform cannot be asked.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Callable

from bot.models import ConversationRef

if TYPE_CHECKING:  # pragma: no cover
    from bot.store import Store

log = logging.getLogger("bot.notify.once")
Send = Callable[[], ConversationRef]
Find = Callable[[], "ConversationRef | None"]


def send_once(store: "Store", key: str, send: Send, *, find: Find | None, unknown: Callable[[BaseException], bool],
              kind: str = "slack", tries: int = 3, pause: float = 0.2) -> ConversationRef:
    """Where the message of ``key`` is: recorded earlier, found after an unknown outcome, or sent now.

    Up to ``tries`` sends in this call when outcomes stay unknown (each preceded by a look-up); a refusal,
    or the last unknown outcome, is raised and the outbox row stays pending for a later delivery."""
    ref = store.sent_message(key, kind)
    if ref is not None:
        return ref
    for attempt in range(1, tries + 1):
        if find is not None and store.attempt_unknown(key):
            found = find()
            if found is not None:
                log.info("%s: found the message of an earlier unknown send; adopted it", key)
                store.record_message(key, found)
                return found
        store.mark_attempt(key)
        try:
            ref = send()
        except Exception as exc:
            if not unknown(exc):
                store.clear_attempt(key)
                raise
            if attempt == tries:
                raise
            log.warning("%s: outcome unknown (%s); looking it up before trying again", key, _short(exc))
            time.sleep(pause * attempt)
            continue
        store.record_message(key, ref)
        return ref
    raise AssertionError("unreachable")  # pragma: no cover


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
