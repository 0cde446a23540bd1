"""What the slash commands do (``/start``, ``/help``, ``/privacy``, ``/country``...)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.content import Content, Escalation, LocaleContent
from bot.engine.rendering import ask_country_reply, checkin_reply, language_menu, text_reply
from bot.engine.turn import Turn, make_turn
from bot.storage.records import EventRecord, Profile

#: The commands we log by name; anything else is logged as ``/other``.
COMMANDS = frozenset({"start", "help", "privacy", "language", "country", "forget"})


def handle_command(
    content: Content, lc: LocaleContent, name: str, profile: Profile, now: dt.datetime
) -> Turn:
    """Answer ``/name``; unknown commands get the help text."""
    event = EventRecord(kind="command", button=f"/{name}" if name in COMMANDS else "/other")
    if name == "start" and profile.in_crisis(now):
        # Starting over does not close a crisis: welcome back, helpline, check-in.
        replies = [text_reply(lc, "start"), checkin_reply(content, lc, profile)]
        event = dataclasses.replace(event, escalation=Escalation.CRISIS.value)
        return make_turn(lc, replies, profile, event)
    if name == "start":
        if not profile.country_asked:
            replies = [text_reply(lc, "start"), ask_country_reply(lc)]
            asked = dataclasses.replace(profile, country_asked=True)
            return make_turn(lc, replies, asked, event)
        return make_turn(lc, [text_reply(lc, "start", topics=True)], profile, event)
    if name == "privacy":
        return make_turn(lc, [text_reply(lc, "privacy")], profile, event)
    if name == "country":
        asked = dataclasses.replace(profile, country_asked=True)
        return make_turn(lc, [ask_country_reply(lc)], asked, event)
    if name == "language":
        return make_turn(lc, [language_menu(content, lc)], profile, event)
    if name == "forget":
        return Turn((text_reply(lc, "forget_done"),), Profile(), None, lc.locale, forget=True)
    return make_turn(lc, [text_reply(lc, "help", topics=True)], profile, event)
