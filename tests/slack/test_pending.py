"""Pending: a send that fails transiently is kept and retried; a permanent refusal is not."""
from __future__ import annotations

import pytest

from bot.slack.delivery import Pending, ResponseUrlError, transient
from tests.slack.conftest import eventually


class Flaky:
    """Fails with ``errors`` in turn, then succeeds; counts the tries."""

    def __init__(self, *errors: Exception):
        self.errors, self.tries = list(errors), 0

    def __call__(self) -> str:
        self.tries += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def pending():
    p = Pending((0.01, 0.02))
    yield p
    p.close()


def test_transient_failures_are_kept_and_retried_until_they_go_through(pending):
    send = Flaky(ResponseUrlError(503, "x"), ConnectionResetError("reset"), ResponseUrlError(429, "slow down"))
    assert pending.send("answer", send) is False
    eventually(lambda: pending.delivered_late == 1, timeout=5)
    assert send.tries == 4 and pending.waiting == [] and pending.given_up == []


def test_a_send_that_works_at_once_is_not_kept(pending):
    send = Flaky()
    assert pending.send("answer", send) is True and send.tries == 1 and pending.waiting == []


def test_permanent_refusals_are_logged_not_kept(pending, caplog):
    send = Flaky(ResponseUrlError(404, "expired_url"))
    assert pending.send("answer", send) is False
    assert pending.waiting == [] and send.tries == 1
    assert "not retrying" in caplog.text and not transient(ValueError("bug"))


def test_a_kept_send_is_given_up_when_its_time_runs_out(pending):
    send = Flaky(*[ResponseUrlError(500, "down")] * 1000)
    # kept half a second with retries 10-20 ms apart: retried more than once, and given up (not retried forever),
    # however busy the machine is (a 0.1 s window saw only two tries on a loaded runner)
    pending.send("old answer", send, keep_for=0.5)
    eventually(lambda: pending.given_up == ["old answer"], timeout=5)
    tries = send.tries
    assert 2 <= tries < 200 and pending.waiting == []
