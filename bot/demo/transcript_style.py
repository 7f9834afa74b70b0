"""The look of the HTML transcript: inline CSS (a Slack-like light theme) and avatar colours."""
from __future__ import annotations

import hashlib

CSS = """
:root { --fg:#1d1c1d; --muted:#616061; --line:#e8e8e8; --blue:#1264a3; --green:#007a5a; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.46 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color:var(--fg); background:#f8f8f8; }
header { background:#3f0e40; color:#fff; padding:14px 24px; }
header h1 { margin:0; font-size:20px; } header p { margin:4px 0 0; opacity:.8; font-size:13px; }
main { max-width:920px; margin:0 auto; padding:8px 24px 48px; background:#fff; min-height:100vh; }
h2.step { font-size:16px; margin:28px 0 6px; padding-top:14px; border-top:2px solid var(--line); }
p.note { color:var(--muted); font-style:italic; margin:4px 0 10px; }
.channel { font-weight:700; color:#3f0e40; margin:14px 0 4px; font-size:15px; }
.thread-of { color:var(--muted); font-size:13px; margin:6px 0 2px 52px; }
.msg { display:flex; gap:10px; padding:6px 8px; border-radius:6px; }
.msg:hover { background:#f8f8f8; }
.msg.reply { margin-left:52px; border-left:3px solid var(--line); border-radius:0 6px 6px 0; }
.msg.ephemeral { background:#fffbe6; }
.msg.update { background:#f3f8fc; }
.avatar { flex:0 0 36px; height:36px; border-radius:6px; color:#fff; font-weight:700;
          display:flex; align-items:center; justify-content:center; }
.body { flex:1; min-width:0; }
.meta { font-size:15px; }
.app { font-size:10px; font-weight:700; background:#e8e8e8; color:var(--muted); padding:1px 4px; border-radius:3px; }
.eph, .edited { font-size:12px; color:var(--muted); font-style:italic; margin-left:6px; }
.command { font-family:Menlo, Consolas, monospace; color:var(--blue); }
.click { color:var(--muted); margin:6px 0 6px 46px; font-size:14px; }
.bk-section { margin:2px 0; }
.bk-section .text { white-space:normal; }
.fields { display:grid; grid-template-columns:1fr 1fr; gap:6px 24px; margin:6px 0; }
.bk-context { color:var(--muted); font-size:12px; margin:4px 0; }
.bk-context span + span { margin-left:8px; }
.bk-header { font-weight:900; font-size:18px; margin:4px 0; }
hr.bk-divider { border:0; border-top:1px solid var(--line); margin:8px 0; }
.actions { margin:6px 0; display:flex; flex-wrap:wrap; gap:8px; }
.btn { display:inline-block; border:1px solid #bbb; border-radius:4px; padding:2px 12px; font-size:13px;
       font-weight:700; background:#fff; }
.btn.primary { background:var(--green); border-color:var(--green); color:#fff; }
.btn.danger { background:#e01e5a; border-color:#e01e5a; color:#fff; }
.mention { background:#e8f5fa; color:var(--blue); border-radius:3px; padding:0 2px; }
code { font-family:Menlo, Consolas, monospace; font-size:12px; color:#e01e5a; background:#f6f6f6;
       border:1px solid var(--line); border-radius:3px; padding:0 3px; }
pre { font-family:Menlo, Consolas, monospace; font-size:12px; background:#f6f6f6; border:1px solid var(--line);
      border-radius:4px; padding:8px; white-space:pre-wrap; word-break:break-all; margin:4px 0; }
a { color:var(--blue); text-decoration:none; }
"""

_COLOURS = ["#4a154b", "#1264a3", "#2bac76", "#e01e5a", "#ecb22e", "#36c5f0", "#611f69", "#0b4c8c"]


def avatar_color(key: str) -> str:
    """A stable colour per member id."""
    return _COLOURS[hashlib.sha256(key.encode()).digest()[0] % len(_COLOURS)]
