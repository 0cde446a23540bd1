"""Per-child state in the database, so several bot processes share it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import current_hour
from bot.storage.breaker import CircuitBreaker
from bot.storage.models import Event, ProfileRow
from bot.storage.records import Profile

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


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

    def _get(self, pseudonym: str) -> Profile | None:
        with self._sessions() as session:
            row = session.get(ProfileRow, pseudonym)
            if row is None:
                return None
            return Profile(
                locale=row.locale,
                country=row.country,
                country_asked=row.country_asked,
                crisis_until=_aware(row.crisis_until),
                crisis_intent=row.crisis_intent,
                crisis_emergency=row.crisis_emergency,
            )

    async def get(self, pseudonym: str) -> Profile | None:
        """The stored profile, or None for a child we have not met (or who used /forget)."""
        return await self._run(lambda: self._get(pseudonym))

    def _save(self, pseudonym: str, profile: Profile) -> None:
        with self._sessions.begin() as session:
            row = session.get(ProfileRow, pseudonym)
            if row is None:
                row = ProfileRow(pseudonym=pseudonym)
                session.add(row)
            row.locale = profile.locale
            row.country = profile.country
            row.country_asked = profile.country_asked
            row.crisis_until = profile.crisis_until
            row.crisis_intent = profile.crisis_intent
            row.crisis_emergency = profile.crisis_emergency
            row.updated_hour = current_hour()

    async def save(self, pseudonym: str, profile: Profile) -> None:
        """Store a profile."""
        await self._run(lambda: self._save(pseudonym, profile))

    def _forget(self, pseudonym: str) -> int:
        with self._sessions.begin() as session:
            events = session.execute(delete(Event).where(Event.pseudonym == pseudonym))
            profiles = session.execute(delete(ProfileRow).where(ProfileRow.pseudonym == pseudonym))
            return sum(int(getattr(result, "rowcount", 0) or 0) for result in (events, profiles))

    async def forget(self, pseudonym: str) -> int:
        """Delete everything stored under a pseudonym; returns the number of rows removed."""
        return await self._run(lambda: self._forget(pseudonym))

    def count_rows(self, pseudonym: str) -> int:
        """How many rows mention a pseudonym (for tests and audits)."""
        with self._sessions() as session:
            events = len(
                session.scalars(select(Event.id).where(Event.pseudonym == pseudonym)).all()
            )
            profile = session.get(ProfileRow, pseudonym)
            return events + (profile is not None)
