"""Slack mrkdwn as styled spans, for showing messages outside Slack (terminal and HTML).

:func:`parse` reads the mrkdwn Slack would render (``*bold*``, ``_italic_``, ``~strike~``,
`` `code` ``, fenced blocks, ``<url|label>``, ``<@U..>``, ``<!subteam^S..>``, ``<#C..>``,
``:emoji:``) and undoes Slack's escaping (``&lt; &gt; &amp;``), resolving ids to names
from a directory. :func:`to_html` escapes every piece of text it writes; :func:`to_rich`
gives a ``rich.text.Text``. Nothing here knows about the bot.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Mapping

from rich.style import Style
from rich.text import Text

EMOJI = {  # the shortcodes the bot uses; others are shown as written
    "alarm_clock": "⏰", "bar_chart": "📊", "bust_in_silhouette": "👤", "busts_in_silhouette": "👥",
    "chart_with_downwards_trend": "📉", "cloud": "☁️", "eyes": "👀", "file_folder": "📁",
    "grey_question": "❔", "handshake": "🤝", "hourglass": "⌛", "hourglass_flowing_sand": "⏳",
    "information_source": "ℹ️", "large_green_circle": "🟢", "large_orange_circle": "🟠",
    "large_yellow_circle": "🟡", "mag": "🔍", "mega": "📣", "no_entry": "⛔", "pencil2": "✏️",
    "red_circle": "🔴", "repeat": "🔁", "rotating_light": "🚨", "shield": "🛡️", "tada": "🎉",
    "thinking_face": "🤔", "twisted_rightwards_arrows": "🔀", "warning": "⚠️", "white_check_mark": "✅",
    "white_circle": "⚪", "wrench": "🔧", "zzz": "💤",
}
EMOJI_RE = re.compile(r":([a-z0-9_+-]+):")
BROADCASTS = {"here", "channel", "everyone"}
SAFE_URL = re.compile(r"^(https?|mailto):", re.I)

_TOKENS = [  # (kind, pattern); the earliest match wins, ties go to the earlier kind
    ("pre", re.compile(r"```\n?(.*?)```", re.S)),
    ("code", re.compile(r"`([^`\n]+)`")),
    ("angle", re.compile(r"<([^<>\n]+)>")),
    ("bold", re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")),
    ("italic", re.compile(r"(?<![\w])_(?=\S)([^_\n]*?\S)_(?!\w)")),
    ("strike", re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")),
]


@dataclass(frozen=True)
class Span:
    text: str
    styles: frozenset[str] = frozenset()  # bold italic strike code pre mention link
    url: str | None = None


def unescape(text: str) -> str:
    """Slack's escaping undone: &lt; &gt; then &amp; (so "&amp;lt;" stays "&lt;")."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(text: str) -> str:
    return EMOJI_RE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def parse(text: str, names: Mapping[str, str] | None = None) -> list[Span]:
    """mrkdwn -> spans, with mentions, user groups and channels shown by name."""
    out: list[Span] = []
    _parse(text or "", frozenset(), names or {}, out)
    return out


def _parse(text: str, styles: frozenset[str], names: Mapping[str, str], out: list[Span]) -> None:
    pos = 0
    while pos < len(text):
        found = None
        for kind, pattern in _TOKENS:
            m = pattern.search(text, pos)
            if m and (found is None or m.start() < found[1].start()):
                found = (kind, m)
        if found is None:
            break
        kind, m = found
        if m.start() > pos:
            out.append(Span(emojize(unescape(text[pos:m.start()])), styles))
        inner = m.group(1)
        if kind in ("pre", "code"):
            out.append(Span(unescape(inner), styles | {kind}))
        elif kind == "angle":
            out.append(_angle(inner, styles, names))
        else:
            _parse(inner, styles | {kind}, names, out)
        pos = m.end()
    if pos < len(text):
        out.append(Span(emojize(unescape(text[pos:])), styles))


def _angle(inner: str, styles: frozenset[str], names: Mapping[str, str]) -> Span:
    target, _, label = inner.partition("|")
    label = unescape(label)
    mention = styles | {"mention"}
    if target.startswith("@"):
        uid = target[1:]
        return Span("@" + (names.get(uid) or label.lstrip("@") or uid), mention)
    if target.startswith("!subteam^"):
        gid = target[len("!subteam^"):]
        return Span("@" + (names.get(gid) or label.lstrip("@") or gid), mention)
    if target.startswith("#"):
        cid = target[1:]
        return Span("#" + (names.get(cid) or label.lstrip("#") or cid), mention)
    if target.startswith("!"):
        word = target[1:].split("^")[0]
        return Span("@" + word, mention) if word in BROADCASTS else Span(label or word, styles)
    if SAFE_URL.match(target):
        return Span(emojize(label) if label else target, styles | {"link"}, url=unescape(target))
    return Span(unescape(f"<{inner}>"), styles)  # not an entity Slack knows: shown as written


def plain_text(text: str, names: Mapping[str, str] | None = None) -> str:
    return "".join(s.text for s in parse(text, names))


# -- output --------------------------------------------------------------------------
_HTML_TAGS = (("bold", "b"), ("italic", "i"), ("strike", "s"))


def to_html(spans: list[Span]) -> str:
    parts = []
    for s in spans:
        t = html.escape(s.text, quote=True)
        if "pre" in s.styles:
            t = f"<pre>{t}</pre>"
        else:
            t = t.replace("\n", "<br>")
            if "code" in s.styles:
                t = f"<code>{t}</code>"
        if "link" in s.styles and s.url:
            t = f'<a href="{html.escape(s.url, quote=True)}" rel="noopener noreferrer">{t}</a>'
        if "mention" in s.styles:
            t = f'<span class="mention">{t}</span>'
        for style, tag in _HTML_TAGS:
            if style in s.styles:
                t = f"<{tag}>{t}</{tag}>"
        parts.append(t)
    return "".join(parts)


_RICH_STYLES = {"bold": "bold", "italic": "italic", "strike": "strike", "code": "cyan", "pre": "cyan",
                "mention": "bold blue"}


def to_rich(spans: list[Span], base: str = "") -> Text:
    text = Text(style=base)
    for s in spans:
        style = Style.parse(" ".join(_RICH_STYLES[k] for k in sorted(s.styles) if k in _RICH_STYLES) or "none")
        if "link" in s.styles and s.url:
            style += Style(underline=True, link=s.url)
        text.append(s.text, style=style)
    return text


def mrkdwn_html(text: str, names: Mapping[str, str] | None = None) -> str:
    return to_html(parse(text, names))


def mrkdwn_rich(text: str, names: Mapping[str, str] | None = None, base: str = "") -> Text:
    return to_rich(parse(text, names), base)
