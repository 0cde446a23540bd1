"""The interface texts every locale must provide, and the placeholders each may use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

#: key -> placeholders the text may contain (the bot fills them in).
UI_TEXTS: dict[str, frozenset[str]] = {
    "start": frozenset(),
    "help": frozenset(),
    "privacy": frozenset(),
    "ask_country": frozenset(),
    "country_saved": frozenset({"country"}),
    "country_skipped": frozenset(),
    "ask_language": frozenset(),
    "language_saved": frozenset({"language"}),
    "forget_done": frozenset(),
    "forget_failed": frozenset(),
    "clarify": frozenset(),
    "empty": frozenset(),
    "media": frozenset(),
    "group_only": frozenset(),
    "checkin": frozenset(),
    "checkin_ok": frozenset(),
    "crisis_checkin": frozenset(),
    "ask_directly": frozenset(),
    "unknown_button": frozenset(),
    "error": frozenset(),
    "fallback": frozenset(),
    "helpline_heading": frozenset(),
    "parent_helpline_heading": frozenset(),
    "parent_child_line_heading": frozenset(),
    "fallback_heading": frozenset(),
    "unlisted_heading": frozenset(),
    "crisis_heading": frozenset({"number"}),
    "parent_crisis_heading": frozenset({"number"}),
    "emergency_heading": frozenset({"number"}),
    "emergency_heading_any": frozenset({"number"}),
    "police_line": frozenset({"number"}),
    "reporting_heading": frozenset(),
    "open_247": frozenset(),
    "hours": frozenset({"hours"}),
    "free": frozenset(),
    "button_talk": frozenset(),
    "button_topics": frozenset(),
    "button_skip": frozenset(),
    "button_other_country": frozenset(),
    "button_my_country": frozenset(),
    "button_checkin_ok": frozenset(),
    "button_checkin_not_ok": frozenset(),
    "button_yes": frozenset(),
    "button_no": frozenset(),
    "button_not_sure": frozenset(),
    "button_website": frozenset({"name"}),
    "button_helped": frozenset(),
    "button_not_helped": frozenset(),
    "feedback_thanks": frozenset(),
    "feedback_sorry": frozenset(),
    "cmd_start": frozenset(),
    "cmd_help": frozenset(),
    "cmd_privacy": frozenset(),
    "cmd_language": frozenset(),
    "cmd_country": frozenset(),
    "cmd_forget": frozenset(),
}

#: Bot commands, in the order Telegram shows them.
COMMANDS: tuple[str, ...] = ("start", "help", "privacy", "language", "country", "forget")


class _HasTexts(Protocol):
    def text(self, key: str, **values: str) -> str: ...


def command_menus(locales: Mapping[str, _HasTexts]) -> dict[str, list[tuple[str, str]]]:
    """Each language's slash commands and their descriptions, for the platform's menu."""
    return {
        code: [(name, texts.text(f"cmd_{name}")) for name in COMMANDS]
        for code, texts in sorted(locales.items())
    }


#: Answers the bot itself relies on, beyond one per intent.
REQUIRED_EXTRA_ANSWERS: tuple[str, ...] = ("get_help", "emergency")

#: Telegram HTML tags editors may use.
ALLOWED_TAGS: frozenset[str] = frozenset({"b", "i", "a"})
