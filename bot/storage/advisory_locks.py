"""PostgreSQL advisory lock keys: one namespace for every lock the product takes.

Advisory locks are held by a session or a transaction and end with it, so a process that dies
never leaves one behind. The fixed keys below are arbitrary but must never collide with a
child's key, which is derived from their pseudonym (a 64-bit slice of an HMAC).
"""

from __future__ import annotations

#: ``alembic upgrade head``: two migrations at once run one after the other.
MIGRATE = 0x5AFE_B07_0001
#: The retention purge: two purges at once run one after the other.
PURGE = 0x5AFE_B07_0002
#: ``/forget`` takes it alone, each event write shared: a write is either wholly before the
#: forget (whose delete then finds its rows) or wholly after it (and sees the child forgotten).
#: Whatever recounts or seals the rollups as a whole (rebuild, purge) takes it alone too.
FORGET = 0x5AFE_B07_0003
#: With a child key as the second key (the two-key form, a key space of its own): one writer at a
#: time counts a child's events into the children rollups (``bot.storage.rollups.upkeep``).
ROLLUP_CHILD = 0x5AFE_B07

_INT64 = 1 << 64


def child_key(pseudonym: str) -> int:
    """A signed 64-bit key from a pseudonym (64 hex characters of an HMAC)."""
    value = int(pseudonym[:16], 16)
    return value - _INT64 if value >= _INT64 // 2 else value
