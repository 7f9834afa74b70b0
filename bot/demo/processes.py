"""The demo's child processes: `moto_server` and `srm serve`, and stopping them on any exit.

Every child is started in its own process group (so a terminal's Ctrl-C reaches
only the demo) and stopped in a ``finally`` (SIGTERM to the group, SIGKILL after a
grace period), so Ctrl-C or SIGTERM at any moment leaves nothing running. :func:`interrupt_on_sigterm` turns SIGTERM into
KeyboardInterrupt while the demo runs, so the same cleanup applies.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, Iterator

SERVE_LINE = re.compile(r"srm serve: HTTP on (http://\S+)")


def srm_command() -> list[str]:
    """`srm` from this interpreter's environment (the venv), whatever PATH says."""
    exe = Path(sys.executable).parent / "srm"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from bot.cli import main; main()"]


def stop(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    """SIGTERM the process's group, SIGKILL it after ``grace`` seconds; always reaps.

    A second Ctrl-C (or SIGTERM) while stopping is held until the child is gone, then raised.
    """
    if proc is None:
        return
    with deferred_interrupts():
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM inside are remembered and raised as KeyboardInterrupt on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: got.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if got:
        raise KeyboardInterrupt(f"signal {got[0]}")


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread while inside (no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def wait_http(url: str, proc: subprocess.Popen, name: str, timeout: float) -> None:
    """Until ``url`` answers 200; RuntimeError if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer {url} within {timeout:.0f} s")
        time.sleep(0.05)


class ServeProcess:
    """`srm serve --port 0 --no-scheduler` on 127.0.0.1; its output goes to ``log_path``."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env, self.log_path = env, log_path
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self._log: IO[str] | None = None
        self._found = threading.Event()

    def __enter__(self) -> "ServeProcess":
        """Start it (without waiting: call :meth:`ready`, so the demo can seed AWS meanwhile)."""
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        cmd = [*srm_command(), "serve", "--host", "127.0.0.1", "--port", "0", "--no-scheduler"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        threading.Thread(target=self._pump, args=(self._found,), daemon=True).start()
        return self

    def ready(self, timeout: float = 30) -> str:
        """Wait until it listens and /healthz answers; its URL. RuntimeError naming the log otherwise."""
        assert self.proc is not None, "enter first"
        deadline = time.monotonic() + timeout
        while not self._found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"srm serve did not start; see {self.log_path}:\n{self.tail()}")
        wait_http(f"{self.url}/healthz", self.proc, "srm serve", timeout=15)
        return self.url

    def _pump(self, found: threading.Event) -> None:
        assert self.proc and self.proc.stderr and self._log
        for line in self.proc.stderr:
            with contextlib.suppress(ValueError):  # the log was closed under us at exit
                self._log.write(line)
                self._log.flush()
            m = SERVE_LINE.search(line)
            if m and not found.is_set():
                self.url = m.group(1)
                found.set()

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)
        if self._log:
            self._log.close()


def run_child(cmd: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """A short-lived child (its own group), stopped if the demo is interrupted while it runs."""
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop(proc)
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    done.pid = proc.pid  # type: ignore[attr-defined]  # for checks that nothing is left running
    return done
