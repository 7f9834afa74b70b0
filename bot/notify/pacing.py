"""Pacing: at most ``rate`` posts per second per channel, with short bursts (Slack allows about one
message per second per channel). The outbox's delivery thread waits here, not a listener."""
from __future__ import annotations

import threading
import time
from typing import Callable


class Pacer:
    """A generic cell rate limiter per key: ``reserve(key)`` says how long to wait before sending."""

    def __init__(self, rate: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate
        self.burst = max(1, burst)
        self.clock, self.sleep = clock, sleep
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next post, per key
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for benchmarks and logs

    def reserve(self, key: str) -> float:
        """Book the next slot for ``key``; the seconds until it (0 when it is free now)."""
        with self._lock:
            now = self.clock()
            tat = max(self._tat.get(key, now), now)
            wait = max(0.0, tat - (self.burst - 1) * self.interval - now)
            self._tat[key] = tat + self.interval
            return wait

    def wait(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            self.waited += wait
            self.sleep(wait)
