"""Profiles this process could not write while the database was down, until it takes them.

All per-child state lives in the database. When a write fails (the database is down, or its
circuit is open), the child's new profile would be lost: a crisis opened during an outage would
close at the next "ok", and a country chosen would be forgotten. So the process holds the profile
in memory, keyed by the pseudonym (never a platform id), and uses it instead of the database's
older copy until a write succeeds. Held profiles are per process: with several replicas, another
one may not see them, which is still better than losing every crisis for the length of an outage.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.storage.records import Profile

#: At most this many profiles are held; the oldest goes first.
HELD_PROFILES = 10_000


class HeldProfiles:
    """A bounded map from pseudonym to the newest profile the database has not taken yet."""

    def __init__(self, limit: int = HELD_PROFILES) -> None:
        self._limit = limit
        self._held: OrderedDict[str, Profile] = OrderedDict()

    def hold(self, pseudonym: str, profile: Profile) -> None:
        """Keep ``profile`` until the database takes it."""
        self._held[pseudonym] = profile
        self._held.move_to_end(pseudonym)
        while len(self._held) > self._limit:
            self._held.popitem(last=False)

    def get(self, pseudonym: str) -> Profile | None:
        """The held profile of a child, if any."""
        return self._held.get(pseudonym)

    def release(self, pseudonym: str) -> None:
        """The database has it now (or the child asked to be forgotten)."""
        self._held.pop(pseudonym, None)

    def __len__(self) -> int:
        return len(self._held)
