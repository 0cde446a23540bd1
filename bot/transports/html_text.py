"""Show Telegram-HTML text in a terminal: tags dropped, links spelled out, entities decoded."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"</?[a-z][^>]*>")


def to_plain(text: str) -> str:
    """Plain text for a console: ``<a href="u">x</a>`` becomes ``x (u)``."""
    text = _LINK.sub(
        lambda m: m.group(2) if m.group(1) in m.group(2) else f"{m.group(2)} ({m.group(1)})", text
    )
    return html.unescape(_TAG.sub("", text))
