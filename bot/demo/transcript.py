"""The demo's conversation as it would look in Slack: in the terminal (rich) and as HTML.

:class:`Transcript` turns the emulator's timeline (bot calls plus the demo's own
entries, see :mod:`bot.demo.recorder`) into :class:`Entry` objects; :func:`layout`
places them in channels and threads (one shared walk for both outputs);
:class:`TerminalView` prints them step by step and :func:`html_page` writes one
self-contained page (inline CSS, no scripts, no external assets; every piece of
text is HTML-escaped). Ids are shown by name from a directory (``<@U0PRIYA>`` ->
"@Priya (platform)"); ephemeral messages are marked "only visible to you".
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import urlparse

from rich.console import Console, Group
from rich.padding import Padding
from rich.text import Text

from bot.demo.blockkit import blocks_html, blocks_rich
from bot.demo.mrkdwn import mrkdwn_html, mrkdwn_rich, plain_text
from bot.demo.slack_emulator import BOT_USER_ID, Call
from bot.demo.transcript_style import CSS, avatar_color


@dataclass
class Entry:
    kind: str  # step | note | command | message | update | ephemeral | click
    channel: str | None = None
    user: str | None = None  # who wrote it (the bot for its messages) or who clicked
    to: str | None = None  # the one person who sees an ephemeral message
    ts: str | None = None
    thread_ts: str | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def root_ts(self) -> str | None:
        """The thread this message is a reply in (None at channel level)."""
        if self.kind == "message" and self.thread_ts and self.thread_ts != self.ts:
            return self.thread_ts
        return None


class Transcript:
    def __init__(self, names: Mapping[str, str], *, compact_channel: str | None = None):
        self.names = {BOT_USER_ID: "srm-bot", **names}
        self.compact_channel = compact_channel  # in compact view: incidents here shown as one line each
        self.focus: set[str] = set()  # ...except these root ts, shown in full with their threads
        self.entries: list[Entry] = []
        self._askers: dict[str, tuple[str, str]] = {}  # response_url path -> (user, channel)

    def add(self, calls: Iterable[Call]) -> list[Entry]:
        new = [e for e in (self._entry(c) for c in calls) if e is not None]
        self.entries += new
        return new

    def name(self, key: str | None) -> str:
        return self.names.get(key or "", key or "someone")

    def _entry(self, call: Call) -> Entry | None:
        b = call.body
        match call.method:
            case "demo.step":
                return Entry("step", text=b["title"])
            case "demo.note":
                return Entry("note", text=b["text"])
            case "user.command":
                self._askers[urlparse(b["response_url"]).path] = (b["user"], b["channel"])
                return Entry("command", b["channel"], b["user"], text=b["text"])
            case "user.message":
                return Entry("message", b["channel"], b["user"], ts=b["ts"], thread_ts=b.get("thread_ts"),
                             text=b["text"])
            case "user.click":
                return Entry("click", b["channel"], b["user"], ts=b["message_ts"], text=b["label"])
            case "command.ack":
                return Entry("ephemeral", b["channel"], BOT_USER_ID, to=b["user"], text=b.get("text", ""),
                             blocks=b.get("blocks") or [])
            case "response_url":
                user, channel = self._askers.get(b.get("_url", ""), (None, None))
                kind = "message" if b.get("response_type") == "in_channel" else "ephemeral"
                return Entry(kind, channel, BOT_USER_ID, to=user, ts=call.ts, text=b.get("text", ""),
                             blocks=b.get("blocks") or [])
            case "chat.postMessage":
                return Entry("message", b.get("channel"), BOT_USER_ID, ts=call.ts, thread_ts=b.get("thread_ts"),
                             text=b.get("text", ""), blocks=b.get("blocks") or [])
            case "chat.update":
                return Entry("update", b.get("channel"), BOT_USER_ID, ts=b.get("ts"), text=b.get("text", ""),
                             blocks=b.get("blocks") or [])
            case "chat.postEphemeral":
                return Entry("ephemeral", b.get("channel"), BOT_USER_ID, to=b.get("user"), text=b.get("text", ""),
                             blocks=b.get("blocks") or [])
        return None  # auth.test, views.*: nothing anyone sees in a channel


# -- placing entries in channels and threads -------------------------------------------
@dataclass
class Row:
    kind: str  # step | note | channel | thread | message | collapsed | hidden
    entry: Entry | None = None
    depth: int = 0  # 1: inside a thread
    label: str = ""


@dataclass
class LayoutState:
    channel: str | None = None
    thread: str | None = None
    roots: dict[str, Entry] = field(default_factory=dict)  # ts -> the message as it looks now
    hidden: int = 0  # collapsed replies and updates not shown yet


def headline(entry: Entry, names: Mapping[str, str]) -> str:
    """The first line a message shows: its first section or header, else its text."""
    for block in entry.blocks:
        text = (block.get("text") or {}).get("text") if block.get("type") in ("section", "header") else None
        if text:
            return plain_text(text, names).strip().splitlines()[0]
    return (plain_text(entry.text, names).strip().splitlines() or ["(message)"])[0]


def layout(t: Transcript, entries: Iterable[Entry], state: LayoutState, *, compact: bool = False) -> Iterator[Row]:
    """Rows to draw: channel and thread headers where they change, each entry once.

    In compact mode the bot's root messages in ``t.compact_channel`` become one line
    each, and their replies and updates are counted, not drawn (except ``t.focus``).
    An update that changes nothing is not drawn.
    """
    for e in entries:
        if e.kind in ("step", "note"):
            yield from _flush(state)
            state.channel = state.thread = None
            yield Row(e.kind, e)
            continue
        before = state.roots.get(e.ts or "") if e.kind in ("update", "click") else None
        if e.kind == "update" and before is not None and (before.text, before.blocks) == (e.text, e.blocks):
            continue
        about = headline(before, t.names) if before is not None else ""  # the message clicked or edited
        if (e.kind == "message" and e.root_ts is None and e.ts) or (e.kind == "update" and e.ts in state.roots):
            state.roots[e.ts] = e
        anchor = e.root_ts or e.ts
        if (compact and e.kind in ("message", "update") and e.channel == t.compact_channel
                and e.user == BOT_USER_ID and anchor not in t.focus):
            if e.kind == "message" and e.root_ts is None:
                yield from _channel_header(t, e, state)
                yield Row("collapsed", e, label=headline(e, t.names))
            else:
                state.hidden += 1
            continue
        yield from _channel_header(t, e, state)
        if e.root_ts:
            if e.root_ts != state.thread:
                root = state.roots.get(e.root_ts)
                yield Row("thread", label=headline(root, t.names) if root else "an earlier message")
                state.thread = e.root_ts
        else:
            state.thread = None
        yield Row("message", e, depth=1 if e.root_ts else 0, label=about)
    yield from _flush(state)


def _flush(state: LayoutState) -> Iterator[Row]:
    if state.hidden:
        yield Row("hidden", label=f"{state.hidden} thread replies and updates of the incidents above")
        state.hidden = 0


def _channel_header(t: Transcript, e: Entry, state: LayoutState) -> Iterator[Row]:
    if e.channel != state.channel:
        yield from _flush(state)
        state.channel, state.thread = e.channel, None
        yield Row("channel", label="#" + t.name(e.channel))


# -- terminal ------------------------------------------------------------------------
class TerminalView:
    def __init__(self, console: Console, transcript: Transcript, *, full: bool = False):
        self.console, self.t, self.full = console, transcript, full
        self.state = LayoutState()

    def show(self, entries: list[Entry]) -> None:
        for row in layout(self.t, entries, self.state, compact=not self.full):
            self._print(row)

    def _author(self, e: Entry) -> Text:
        line = Text(self.t.name(e.user), style="bold")
        if e.user == BOT_USER_ID:
            line.append(" APP", style="dim reverse")
        if e.kind == "ephemeral":
            line.append(f"  👁 only visible to you ({self.t.name(e.to)})", style="italic yellow")
        if e.kind == "update":
            line.append("  ✎ edited its message; it now reads:", style="italic dim")
        return line

    def _print(self, row: Row) -> None:
        c, e, names = self.console, row.entry, self.t.names
        if row.kind == "step":
            c.print()
            c.rule(Text(e.text, style="bold"), align="left")
        elif row.kind == "note":
            c.print(Padding(mrkdwn_rich(e.text, names, "italic"), (0, 0, 0, 2), expand=False))
        elif row.kind == "channel":
            c.print(Text(row.label, style="bold magenta"))
        elif row.kind == "thread":
            c.print(Padding(Text(f"↳ thread of “{row.label}”", style="dim", no_wrap=True, overflow="ellipsis"),
                            (0, 0, 0, 4), expand=False))
        elif row.kind == "hidden":
            c.print(Padding(Text(f"… {row.label} (all of it: transcript.html, or srm demo --full)", style="dim"),
                            (0, 0, 0, 4), expand=False))
        elif row.kind == "collapsed":
            c.print(Padding(Text("• " + row.label, no_wrap=True, overflow="ellipsis"), (0, 0, 0, 2), expand=False))
        elif e.kind == "click":
            line = Text.assemble("👆 ", (self.t.name(e.user), "bold"), " clicked ", (f"[{e.text}]", "bold green"))
            if row.label:
                line.append(f" on “{row.label}”")
            c.print(Padding(line, (0, 0, 0, 2), expand=False))
        else:
            body = Text(e.text, style="cyan") if e.kind == "command" else blocks_rich(e.blocks, e.text, names)
            message = Group(self._author(e), Padding(body, (0, 0, 0, 2), expand=False))
            c.print(Padding(message, (0, 0, 0, 2 + 4 * row.depth), expand=False))


# -- HTML ----------------------------------------------------------------------------
def _html_row(t: Transcript, row: Row) -> str:
    e, names = row.entry, t.names
    if row.kind == "step":
        return f'<h2 class="step">{html.escape(e.text)}</h2>'
    if row.kind == "note":
        return f'<p class="note">{mrkdwn_html(e.text, names)}</p>'
    if row.kind == "channel":
        return f'<div class="channel">{html.escape(row.label)}</div>'
    if row.kind == "thread":
        return f'<div class="thread-of">↳ thread of “{html.escape(row.label)}”</div>'
    if row.kind in ("hidden", "collapsed"):
        return ""  # the page is always complete
    if e.kind == "click":
        on = f" on “{html.escape(row.label)}”" if row.label else ""
        return (f'<div class="click">👆 <b>{html.escape(t.name(e.user))}</b> clicked '
                f'<span class="btn primary">{html.escape(e.text)}</span>{on}</div>')
    name = t.name(e.user)
    meta = f"<b>{html.escape(name)}</b>"
    if e.user == BOT_USER_ID:
        meta += ' <span class="app">APP</span>'
    if e.kind == "ephemeral":
        meta += f' <span class="eph">👁 Only visible to you ({html.escape(t.name(e.to))})</span>'
    if e.kind == "update":
        edited = f"✎ edited “{html.escape(row.label)}”" if row.label else "✎ edited a message"
        meta += f' <span class="edited">{edited}</span>'
    body = (f'<div class="command">{html.escape(e.text)}</div>' if e.kind == "command"
            else blocks_html(e.blocks, e.text, names))
    classes = " ".join(["msg", e.kind] + (["reply"] if row.depth else []))
    initial = html.escape(name[:1].upper() or "?")
    return (f'<div class="{classes}"><div class="avatar" style="background:{avatar_color(e.user or "")}">'
            f'{initial}</div><div class="body"><div class="meta">{meta}</div>{body}</div></div>')


def html_page(t: Transcript, *, title: str = "srm-bot demo", footer: str = "") -> str:
    rows = "\n".join(filter(None, (_html_row(t, r) for r in layout(t, t.entries, LayoutState()))))
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n"
            f'<body><header><h1>{html.escape(title)}</h1><p>{html.escape(footer)}</p></header>\n'
            f"<main>\n{rows}\n</main></body></html>\n")
