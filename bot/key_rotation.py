"""Pseudonym key rotation: a new key for new records, old records cut off from both keys.

The stored pseudonyms are re-hashed with HMAC-SHA256 under a random one-time salt that is never
written anywhere. Afterwards nobody, not even someone holding the old key, can tell which child
an old record belongs to or link it to records made under the new key; yet two old records of
the same child still share a pseudonym, so distinct-children counts of old data stay right.
Profiles are keyed by the old pseudonyms and are deleted (children are asked their language
and country again). The children rollups of the events still held are counted again with the
new child keys (the sealed ones, before the retention horizon, hold no child key).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from bot.storage.models import (
    PSEUDONYM_LENGTH,
    AnsweredMessage,
    Event,
    ForgottenPseudonym,
    ProfileRow,
)
from bot.storage.record_keys import child_key
from bot.storage.rollups import rebuild

_BATCH = 5_000


class KeyFileExists(FileExistsError):
    """The target key file exists already; nothing was changed."""


@dataclass(frozen=True)
class RotationResult:
    """What a rotation changed."""

    pseudonyms: int
    events: int
    profiles: int


def new_key() -> str:
    """A new random pseudonym key (64 hex characters)."""
    return secrets.token_hex(32)


def write_key_file(path: Path, key: str) -> None:
    """Write ``key`` to a new file readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileExists(f"{path} exists already") from None
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")


def rehash_pseudonyms(engine: Engine) -> RotationResult:
    """Re-hash every event's pseudonym under a one-time salt and delete all profiles."""
    salt = secrets.token_bytes(32)
    mapping = Table(
        "safebot_pseudonym_map",
        MetaData(),
        Column("old", String(PSEUDONYM_LENGTH), primary_key=True),
        Column("new", String(PSEUDONYM_LENGTH), nullable=False),
        Column("child_key", Integer, nullable=False),
        prefixes=["TEMPORARY"],
    )
    with engine.begin() as connection:
        olds = connection.execute(select(Event.pseudonym).distinct()).scalars().all()
        # Everything happens in one transaction: on any error nothing has changed.
        mapping.create(connection)
        for start in range(0, len(olds), _BATCH):
            news = [
                hmac.new(salt, old.encode(), hashlib.sha256).hexdigest()
                for old in olds[start : start + _BATCH]
            ]
            # The child key follows the new pseudonym: one taken from the old one would link.
            rows = [
                {"old": old, "new": new, "child_key": child_key(new)}
                for old, new in zip(olds[start : start + _BATCH], news, strict=True)
            ]
            connection.execute(insert(mapping), rows)
        mapped = mapping.c.old == Event.pseudonym
        new = select(mapping.c.new).where(mapped).scalar_subquery()
        key = select(mapping.c.child_key).where(mapped).scalar_subquery()
        events = connection.execute(update(Event).values(pseudonym=new, child_key=key)).rowcount
        mapping.drop(connection)
        profiles = connection.execute(delete(ProfileRow)).rowcount
        # Keyed by the old pseudonyms: of no use now, and a link to them.
        connection.execute(delete(AnsweredMessage))
        connection.execute(delete(ForgottenPseudonym))
        # The children rollups add up child keys: recounted with the new ones, so a figure
        # computed from the events is the same as before the rotation but for its new noise.
        rebuild(connection, days=False)
    del salt  # never stored, never logged: the link to the old pseudonyms is gone with it
    return RotationResult(len(olds), events, profiles)
