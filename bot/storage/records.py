"""What storage keeps: per-child state and anonymised event records (never text, never ids)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What the bot remembers about one child between messages."""

    locale: str | None = None
    country: str | None = None
    country_asked: bool = False
    #: After a crisis or emergency reply: until when every reply keeps the helpline (UTC, to
    #: the hour), whose helplines (the crisis intent) and whether it was an emergency.
    crisis_until: dt.datetime | None = None
    crisis_intent: str | None = None
    crisis_emergency: bool = False

    def in_crisis(self, now: dt.datetime) -> bool:
        """A crisis was answered and has not run out (only /forget or time closes it)."""
        return self.crisis_until is not None and now < self.crisis_until


@dataclass(frozen=True)
class StoredProfile:
    """A profile as read, with the version a write must still find to succeed."""

    profile: Profile
    version: int


@dataclass(frozen=True)
class EventRecord:
    """What the anonymised log keeps about one handled message. Never text, never ids."""

    kind: str
    intent: str | None = None
    confidence_band: str | None = None
    #: An ``Escalation`` value of the content (``"none"``, ``"helpline"``, ``"crisis"``...).
    escalation: str = "none"
    button: str | None = None
    crisis_net: bool = False
    engine: str | None = None
    clarified: bool = False
    helpful: bool | None = None
