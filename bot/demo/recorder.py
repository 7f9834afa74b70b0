"""The demo's Slack: the Web API emulator plus what the people in the workspace do.

:class:`DemoSlack` is a :class:`~bot.demo.slack_emulator.FakeSlack` whose timeline also
holds the demo's own entries (a step starting, someone typing a slash command or a
mention, clicking a button, the answer Slack shows from a slash command's
acknowledgement), so one ordered list of :class:`Call` is the whole conversation.
Entries the demo adds use method names outside Slack's (``demo.*``, ``user.*``,
``command.ack``). :meth:`DemoSlack.wait_until` waits on that list instead of sleeping.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from bot.demo.slack_emulator import Call, FakeSlack


def answered(call: Call) -> bool:
    """Slack accepted it (HTTP 200, not ``{"ok": false}``); the demo's own entries always are."""
    return call.status == 200 and not (isinstance(call.response, dict) and call.response.get("ok") is False)


class DemoSlack(FakeSlack):
    def note(self, method: str, **body: Any) -> Call:
        """Add an entry of the demo's own to the timeline."""
        with self._lock:
            call = Call(method, body)
            self.attempts.append(call)
            self._lock.notify_all()
            return call

    def new_ts(self) -> str:
        """A message ts from the same sequence the emulator gives the bot's posts."""
        with self._lock:
            return self._next_ts()

    def mark(self) -> int:
        """A position in the timeline, for :meth:`wait_until` to look after."""
        with self._lock:
            return len(self.attempts)

    def wait_until(self, match: Callable[[Call], bool], what: str, *, after: int = 0, timeout: float = 30.0) -> Call:
        """The first successful call after ``after`` that ``match`` accepts; TimeoutError naming ``what``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for call in self.attempts[after:]:
                    if answered(call) and match(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.attempts[after:]]
                    raise TimeoutError(f"waited {timeout:.0f} s for {what}; Slack saw {seen}")
                self._lock.wait(min(left, 0.5))

    def settle(self, quiet: float = 0.25, timeout: float = 10.0) -> None:
        """Until the app has made no call for ``quiet`` seconds (work that trails a step's last awaited call)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            count, since = len(self.attempts), time.monotonic()
            while time.monotonic() < deadline:
                left = quiet - (time.monotonic() - since)
                if left <= 0:
                    return
                self._lock.wait(left)
                if len(self.attempts) != count:
                    count, since = len(self.attempts), time.monotonic()
