"""Telegram HTML: the markup Telegram accepts in a message, checked before it is served."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.content.ui_texts import ALLOWED_TAGS

_BAD_AMPERSAND = re.compile(r"&(?!(amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")


class _TelegramHtml(HTMLParser):
    """Finds markup Telegram would refuse: unknown tags, unclosed or crossed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            allowed = ", ".join(f"<{t}>" for t in sorted(ALLOWED_TAGS))
            self.faults.append(f"the tag <{tag}> cannot be used; only {allowed} can")
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(("https://", "http://", "tg://")):
                self.faults.append("a link <a href=...> must start with https://")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.faults.append(f"</{tag}> closes a tag that is not open here")
            return
        self.stack.pop()


def html_faults(text: str) -> list[str]:
    """Problems Telegram would reject in a text using HTML formatting."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    faults = list(parser.faults)
    if parser.stack:
        faults.append(f"<{parser.stack[-1]}> is opened but never closed")
    if _BAD_AMPERSAND.search(text):
        faults.append("write '&amp;' instead of a plain '&'")
    return faults
