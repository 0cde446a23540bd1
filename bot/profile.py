"""Per-child state kept under the pseudonym (never a Telegram id, never text)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What the bot remembers about one child between messages."""

    locale: str | None = None
    country: str | None = None
    country_asked: bool = False
    #: Replies still to come with the helpline one tap away after a crisis answer.
    crisis_replies_left: int = 0
    #: The bot still owes the child one check-in after a crisis answer.
    checkin_pending: bool = False

    @property
    def in_crisis(self) -> bool:
        """A crisis answer was given recently and is not closed yet."""
        return self.crisis_replies_left > 0 or self.checkin_pending
