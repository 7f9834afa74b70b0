"""Block Kit blocks drawn outside Slack: as rich renderables (terminal) and as HTML.

Handles the blocks the bot sends (section with text/fields/accessory, context,
actions with buttons and selects, header, divider, image) and shows anything else
as a dim placeholder. Buttons are drawn, not clickable: ``[Acknowledge]``.
"""
from __future__ import annotations

import html
from typing import Any, Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bot.demo.mrkdwn import emojize, mrkdwn_html, mrkdwn_rich

Block = dict[str, Any]
Names = Mapping[str, str]


def text_of(obj: dict[str, Any] | None) -> tuple[str, bool]:
    """(text, is_mrkdwn) of a text object."""
    if not obj:
        return "", False
    return str(obj.get("text") or ""), obj.get("type") == "mrkdwn"


def element_label(el: dict[str, Any]) -> str:
    """What a button or select shows."""
    kind = el.get("type", "")
    if kind == "button":
        return emojize(text_of(el.get("text"))[0])
    if kind.endswith("_select") or kind == "overflow":
        chosen = (el.get("initial_option") or {}).get("text")
        return emojize(text_of(chosen or el.get("placeholder"))[0] or "Choose…") + " ▾"
    if kind == "datepicker":
        return el.get("initial_date") or "Pick a date"
    if kind == "image":
        return f"🖼 {el.get('alt_text', 'image')}"
    return kind


def buttons(block: Block) -> list[tuple[str, str | None]]:
    """(label, style) of each interactive element of an actions block."""
    return [(element_label(el), el.get("style")) for el in block.get("elements", [])]


# -- terminal ------------------------------------------------------------------------
_BUTTON_STYLE = {"primary": "bold green", "danger": "bold red", None: "bold"}


def _rich_text(obj: dict[str, Any] | None, names: Names, base: str = "") -> Text:
    text, is_md = text_of(obj)
    return mrkdwn_rich(text, names, base) if is_md else Text(emojize(text), style=base)


def _rich_buttons(items: list[tuple[str, str | None]]) -> Text:
    out = Text()
    for i, (label, style) in enumerate(items):
        if i:
            out.append(" ")
        out.append(f"[{label}]", style=_BUTTON_STYLE.get(style, "bold"))
    return out


def block_rich(block: Block, names: Names) -> RenderableType | None:
    kind = block.get("type")
    if kind == "section":
        parts: list[RenderableType] = []
        if block.get("text"):
            parts.append(_rich_text(block["text"], names))
        if block.get("fields"):
            grid = Table.grid(padding=(0, 3))
            grid.add_column(ratio=1)
            grid.add_column(ratio=1)
            cells = [_rich_text(f, names) for f in block["fields"]]
            for i in range(0, len(cells), 2):
                grid.add_row(*cells[i:i + 2])
            parts.append(grid)
        if block.get("accessory"):
            parts.append(_rich_buttons([(element_label(block["accessory"]), block["accessory"].get("style"))]))
        return Group(*parts)
    if kind == "context":
        out = Text(style="dim")
        for i, el in enumerate(block.get("elements", [])):
            out.append("  " if i else "")
            out.append_text(_rich_text(el, names, "dim") if el.get("type") != "image"
                            else Text(element_label(el), style="dim"))
        return out
    if kind == "header":
        return _rich_text(block.get("text"), names, "bold underline")
    if kind == "divider":
        return Text("─" * 48, style="dim")
    if kind == "actions":
        return _rich_buttons(buttons(block))
    if kind == "image":
        return Text(element_label(block), style="dim")
    return Text(f"[{kind} block]", style="dim")


def blocks_rich(blocks: list[Block], fallback: str, names: Names) -> RenderableType:
    if not blocks:
        return mrkdwn_rich(fallback, names)
    return Group(*[r for r in (block_rich(b, names) for b in blocks) if r is not None])


# -- HTML ----------------------------------------------------------------------------
def _html_text(obj: dict[str, Any] | None, names: Names) -> str:
    text, is_md = text_of(obj)
    return mrkdwn_html(text, names) if is_md else html.escape(emojize(text))


def _html_buttons(items: list[tuple[str, str | None]]) -> str:
    return "".join(f'<span class="btn {html.escape(style or "")}">{html.escape(label)}</span>'
                   for label, style in items)


def block_html(block: Block, names: Names) -> str:
    kind = block.get("type")
    if kind == "section":
        out = ""
        if block.get("text"):
            out += f'<div class="text">{_html_text(block["text"], names)}</div>'
        if block.get("fields"):
            out += '<div class="fields">' + "".join(
                f"<div>{_html_text(f, names)}</div>" for f in block["fields"]) + "</div>"
        if block.get("accessory"):
            acc = block["accessory"]
            out += f'<div class="actions">{_html_buttons([(element_label(acc), acc.get("style"))])}</div>'
        return f'<div class="bk-section">{out}</div>'
    if kind == "context":
        items = "".join(
            f"<span>{html.escape(element_label(el)) if el.get('type') == 'image' else _html_text(el, names)}</span>"
            for el in block.get("elements", []))
        return f'<div class="bk-context">{items}</div>'
    if kind == "header":
        return f'<div class="bk-header">{_html_text(block.get("text"), names)}</div>'
    if kind == "divider":
        return '<hr class="bk-divider">'
    if kind == "actions":
        return f'<div class="actions">{_html_buttons(buttons(block))}</div>'
    if kind == "image":
        return f'<div class="bk-context">{html.escape(element_label(block))}</div>'
    return f'<div class="bk-context">[{html.escape(str(kind))} block]</div>'


def blocks_html(blocks: list[Block], fallback: str, names: Names) -> str:
    if not blocks:
        return f'<div class="bk-section"><div class="text">{mrkdwn_html(fallback, names)}</div></div>'
    return "".join(block_html(b, names) for b in blocks)
