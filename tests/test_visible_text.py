"""Control and bidirectional-override characters in echoed text are made visible, not obeyed (issue 13,
item 6): one function (`bot.notify.text.visible`) behind the Slack, console and plain-text escapes."""
from __future__ import annotations

import pytest

from bot.notify.text import event_text, terminal, visible
from bot.slack.blocks import escape
from bot.slack.blocks_incident import incident_details
from tests.factories import finding

SPOOFS = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u200e", "\u061c", "\u200b",
          "\ufeff", "\x1b", "\x00", "\x07", "\x7f", "\x85", "\r"]


@pytest.mark.parametrize("ch", SPOOFS)
def test_every_hidden_character_is_shown_not_obeyed(ch):
    for fn in (visible, escape, terminal):
        out = fn(f"invoice{ch}fdp.exe")
        assert ch not in out and f"[U+{ord(ch):04X}]" in out


def test_ordinary_text_is_unchanged_and_slack_escaping_still_applies():
    assert visible("bücket-ä/é 日本\tline\nnext") == "bücket-ä/é 日本\tline\nnext"
    assert escape("a <b> & c\u202e") == "a &lt;b&gt; &amp; c[U+202E]"


def test_a_resource_name_with_a_bidi_override_reaches_slack_visible(make_view=None):
    from bot.models import Event, EventKind, IncidentResource, IncidentView
    from tests.test_incidents import make_owners

    spoof = "bucket-\u202egnp.exe"
    f = finding(spoof, "FAIL", evidence={"note": "x\u2066y"})
    from datetime import datetime, timezone

    from bot.models import Incident, IncidentState
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    inc = Incident(id=1, account_id=f.account_id, check_id=f.check_id, title="t\u202e", severity=f.severity,
                   team_id="platform", state=IncidentState.open, opened_at=now, updated_at=now)
    view = IncidentView(incident=inc, team=make_owners().team("platform"),
                        resources=[IncidentResource(finding=f)], remediation="fix \u202e it")
    text = str(incident_details(view, "UTC"))
    assert "\u202e" not in text and "\u2066" not in text and "[U+202E]" in text
    ev = Event(id=1, incident_id=1, at=now, kind=EventKind.updated, actor="system", allowed=True,
               reason="r\u202e", data={"new": [spoof]})
    assert "\u202e" not in event_text(ev) and "\u202e" not in event_text(ev, esc=escape)
