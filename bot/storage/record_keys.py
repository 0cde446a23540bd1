"""Record keys for the statistics' cell-key perturbation, fixed when an event is written.

Every event gets a random *record key*; every child a *child key* that all of their events
carry. The statistics add up the keys of what a published figure counts, and the sum (modulo
:data:`KEY_RANGE`) picks that figure's noise (see ``bot.stats.perturbation``): the same records
always give the same noise, different records independent noise.

The child key is taken from a SHA-256 of the pseudonym, so it is the same for all of a child's
events without a lookup, and tells nothing the stored pseudonym does not tell already. Rotating
the pseudonym key re-derives it from the new, unlinkable pseudonym (``bot.key_rotation``).
"""

from __future__ import annotations

import hashlib
import secrets

#: Keys are whole numbers in [0, KEY_RANGE): a signed 32-bit column holds them on both
#: databases, and ten million of them add up well inside a 64-bit sum.
KEY_RANGE = 2**31


def new_record_key() -> int:
    """A fresh random record key."""
    return secrets.randbelow(KEY_RANGE)


def child_key(pseudonym: str) -> int:
    """The key every event of this child carries."""
    digest = hashlib.sha256(pseudonym.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % KEY_RANGE
