"""An answer's fingerprint: a short hash of everything a child reads from its file.

A review records the fingerprint of the text it reviewed; when any word a child would read
changes, the fingerprint changes and the review no longer counts, whatever the dates say.
"""

from __future__ import annotations

import hashlib
import json

from bot.content.model import Answer

#: Hex digits kept: enough that two different texts never share one in practice.
LENGTH = 12


def _normal(text: str) -> str:
    """Only trivial differences go: line-ending style and spaces at the end of lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def fingerprint(answer: Answer) -> str:
    """The fingerprint of what a child reads: title, text, buttons, help shown and routes."""
    read_by_child = {
        "title": _normal(answer.title),
        "text": _normal(answer.text),
        "buttons": [[_normal(b.label), b.answer] for b in answer.buttons],
        "escalation": answer.escalation.value,
        "reporting": list(answer.reporting),
    }
    canonical = json.dumps(read_by_child, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:LENGTH]
