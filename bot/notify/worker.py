"""The outbox's delivery thread for long-running processes (`srm serve`).

Listeners, scans and the sweep only *kick* it; it delivers every lane, paced per channel,
on its own thread, so a burst of posts never holds a Slack listener or a scan.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(self, deliver: Callable[[], int], *, idle_s: float = 5.0):
        self._deliver, self.idle_s = deliver, idle_s
        self._kicked = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "DeliveryWorker":
        self._thread = threading.Thread(target=self._run, name="srm-delivery", daemon=True)
        self._thread.start()
        return self

    def kick(self) -> None:
        self._kicked.set()

    @property
    def in_worker(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._kicked.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._kicked.wait(self.idle_s)  # kicked, or a periodic retry of what failed
            self._kicked.clear()
            if self._stopped.is_set():
                return
            try:
                self._deliver()
            except Exception:  # noqa: BLE001 - one bad pass must not stop delivery
                log.exception("outbox delivery pass failed")
