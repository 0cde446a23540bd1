"""Per-child state in the database, so several bot processes share it.

Writes are optimistic: each row has a version, and :meth:`ProfileStore.save_if_unchanged`
only writes over the version it read. Two turns of one child at once (two replicas, a retried
update) cannot silently overwrite each other, so a crisis one of them opened is never lost by
the other: the loser is told, reads again and re-applies its turn.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import current_hour, system_clock
from bot.storage.breaker import CircuitBreaker
from bot.storage.forgotten import lock_for_forget, record_forget
from bot.storage.models import AnsweredMessage, Event, ProfileRow
from bot.storage.records import Profile, StoredProfile
from bot.storage.rollups import count_forgotten

logger = logging.getLogger(__name__)
T = TypeVar("T")

_READ = select(
    ProfileRow.locale,
    ProfileRow.country,
    ProfileRow.country_asked,
    ProfileRow.crisis_until,
    ProfileRow.crisis_intent,
    ProfileRow.crisis_emergency,
    ProfileRow.version,
).where(ProfileRow.pseudonym == bindparam("pseudonym"))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _columns(profile: Profile) -> dict[str, object]:
    """The row's columns for a profile (the version aside)."""
    return {
        "locale": profile.locale,
        "country": profile.country,
        "country_asked": profile.country_asked,
        "crisis_until": profile.crisis_until,
        "crisis_intent": profile.crisis_intent,
        "crisis_emergency": profile.crisis_emergency,
        "updated_hour": current_hour(),
    }


class StorageUnavailable(RuntimeError):
    """The database did not answer in time; the message says nothing about the child."""


class ProfileStore:
    """Reads and writes profiles with a time limit, so a slow database never holds a reply."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        timeout_seconds: float,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._sessions = sessions
        #: Reads and writes of one turn go through the engine (SQLAlchemy Core), not ORM
        #: sessions: a read is about five times cheaper, and one happens on every message.
        self._engine: Engine = sessions.kw["bind"]
        self._timeout = timeout_seconds
        self.breaker = breaker or CircuitBreaker(failures=3, pause_seconds=5.0)

    async def _run(self, work: Callable[[], T]) -> T:
        if not self.breaker.allow():
            raise StorageUnavailable("the database is not answering (circuit open)")
        try:
            result = await asyncio.wait_for(asyncio.to_thread(work), self._timeout)
        except TimeoutError:
            self.breaker.failed()
            raise StorageUnavailable("the database did not answer in time") from None
        except Exception as error:  # any driver error: report its class only
            self.breaker.failed()
            raise StorageUnavailable(f"database error ({type(error).__name__})") from None
        self.breaker.succeeded()
        return result

    def _get(self, pseudonym: str) -> StoredProfile | None:
        with self._engine.connect() as connection:
            row = connection.execute(_READ, {"pseudonym": pseudonym}).first()
        if row is None:
            return None
        profile = Profile(
            locale=row.locale,
            country=row.country,
            country_asked=row.country_asked,
            crisis_until=_aware(row.crisis_until),
            crisis_intent=row.crisis_intent,
            crisis_emergency=row.crisis_emergency,
        )
        return StoredProfile(profile, row.version)

    async def get(self, pseudonym: str) -> Profile | None:
        """The stored profile, or None for a child we have not met (or who used /forget)."""
        stored = await self.read(pseudonym)
        return stored.profile if stored is not None else None

    async def read(self, pseudonym: str) -> StoredProfile | None:
        """The stored profile with its version, for :meth:`save_if_unchanged`."""
        return await self._run(lambda: self._get(pseudonym))

    def _save(self, pseudonym: str, profile: Profile) -> None:
        with self._sessions.begin() as session:
            row = session.get(ProfileRow, pseudonym)
            if row is None:
                session.add(ProfileRow(pseudonym=pseudonym, **_columns(profile), version=1))
                return
            for name, value in _columns(profile).items():
                setattr(row, name, value)
            row.version = row.version + 1

    async def save(self, pseudonym: str, profile: Profile) -> None:
        """Store a profile, whatever is stored now (tools and tests; turns use the check)."""
        await self._run(lambda: self._save(pseudonym, profile))

    def _save_if_unchanged(self, pseudonym: str, profile: Profile, version: int) -> bool:
        columns = _columns(profile)
        try:
            with self._engine.begin() as connection:
                if version == 0:
                    connection.execute(
                        insert(ProfileRow).values(pseudonym=pseudonym, version=1, **columns)
                    )
                    return True
                result = connection.execute(
                    update(ProfileRow)
                    .where(ProfileRow.pseudonym == pseudonym, ProfileRow.version == version)
                    .values(version=ProfileRow.version + 1, **columns)
                )
                return int(getattr(result, "rowcount", 0) or 0) == 1
        except IntegrityError:
            return False  # another turn created the profile first

    async def save_if_unchanged(self, pseudonym: str, profile: Profile, version: int) -> bool:
        """Store a profile only over the ``version`` it was read at (0: none stored yet).

        False when another write came first (or the profile was forgotten): read it again and
        re-apply the turn. Never overwrites what the other write stored.
        """
        return await self._run(lambda: self._save_if_unchanged(pseudonym, profile, version))

    def _answered_urgency(self, pseudonym: str, message_id: int) -> int | None:
        with self._sessions() as session:
            row = session.get(AnsweredMessage, (pseudonym, message_id))
            return row.urgency if row is not None else None

    async def answered_urgency(self, pseudonym: str, message_id: int) -> int | None:
        """How urgently a crisis or emergency message was answered, here or by another process."""
        return await self._run(lambda: self._answered_urgency(pseudonym, message_id))

    def _remember_answer(self, pseudonym: str, message_id: int, urgency: int) -> None:
        values = {
            "pseudonym": pseudonym,
            "message_id": message_id,
            "urgency": urgency,
            "answered_hour": current_hour(),
        }
        with self._sessions.begin() as session:
            statement = _upsert(session.get_bind().dialect.name).values(**values)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["pseudonym", "message_id"],
                    set_={"urgency": statement.excluded.urgency},
                    where=AnsweredMessage.urgency < statement.excluded.urgency,
                )
            )

    async def remember_answer(self, pseudonym: str, message_id: int, urgency: int) -> None:
        """Record a message's answer urgency (an escalation's rank); never lowers a stored one."""
        await self._run(lambda: self._remember_answer(pseudonym, message_id, urgency))

    def _forget(self, pseudonym: str) -> int:
        with self._sessions.begin() as session:
            lock_for_forget(session)
            record_forget(session, pseudonym, system_clock())
            # The statistics stop counting the child's events (those the purge has not taken
            # yet: older ones are in the rollups as anonymous counts only).
            count_forgotten(session.connection(), pseudonym)
            events = session.execute(delete(Event).where(Event.pseudonym == pseudonym))
            profiles = session.execute(delete(ProfileRow).where(ProfileRow.pseudonym == pseudonym))
            answered = session.execute(
                delete(AnsweredMessage).where(AnsweredMessage.pseudonym == pseudonym)
            )
            return sum(
                int(getattr(result, "rowcount", 0) or 0) for result in (events, profiles, answered)
            )

    async def forget(self, pseudonym: str) -> int:
        """Delete everything stored under a pseudonym; returns the number of rows removed.

        Every process's event writer refuses the child's earlier events for an hour after.
        """
        return await self._run(lambda: self._forget(pseudonym))

    def count_rows(self, pseudonym: str) -> int:
        """How many rows mention a pseudonym (for tests and audits)."""
        with self._sessions() as session:
            events = len(
                session.scalars(select(Event.id).where(Event.pseudonym == pseudonym)).all()
            )
            profile = session.get(ProfileRow, pseudonym)
            return events + (profile is not None)


def _upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """PostgreSQL's or SQLite's INSERT, which both know ON CONFLICT."""
    if dialect == "postgresql":
        return postgresql.insert(AnsweredMessage)
    return sqlite.insert(AnsweredMessage)
