"""The outcome of one message, and the crisis state it leaves in the child's profile."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from bot.clock import current_hour
from bot.content import Content, Escalation, LocaleContent
from bot.engine.messages import Reply
from bot.engine.rendering import with_open_crisis
from bot.storage.records import EventRecord, Profile
from nlu.intents import CRISIS_INTENT, ESCALATING_INTENTS


@dataclass(frozen=True)
class Turn:
    """The outcome of one message."""

    replies: tuple[Reply, ...]
    profile: Profile
    event: EventRecord | None
    locale: str
    forget: bool = False


def make_turn(
    lc: LocaleContent, replies: list[Reply], profile: Profile, event: EventRecord
) -> Turn:
    """A turn answered in ``lc``'s language."""
    return Turn(tuple(replies), profile, event, lc.locale)


def open_crisis(
    profile: Profile, now: dt.datetime, intent: str, *, emergency: bool, hours: float
) -> Profile:
    """Keep the helpline in every reply for the next hours (to the hour, rounded up)."""
    until = current_hour(now + dt.timedelta(hours=hours)) + dt.timedelta(hours=1)
    if profile.crisis_until is not None and profile.crisis_until > until:
        until = profile.crisis_until
    return dataclasses.replace(
        profile,
        crisis_until=until,
        crisis_intent=intent if intent in ESCALATING_INTENTS else CRISIS_INTENT,
        crisis_emergency=emergency or (profile.in_crisis(now) and profile.crisis_emergency),
    )


def keep_crisis_open(content: Content, lc: LocaleContent, turn: Turn, now: dt.datetime) -> Turn:
    """While a crisis is open, every reply keeps its helplines and a person one tap away."""
    profile = turn.profile
    if not profile.in_crisis(now) or not turn.replies:
        return turn
    if turn.event is not None and turn.event.escalation != Escalation.NONE.value:
        return turn  # this turn shows helplines itself
    replies = list(turn.replies)
    replies[0] = with_open_crisis(content, lc, replies[0], profile)
    event = turn.event
    if event is not None:
        event = dataclasses.replace(event, escalation=Escalation.HELPLINE.value)
    return dataclasses.replace(turn, replies=tuple(replies), event=event)
