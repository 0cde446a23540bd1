"""Retention: events and profiles older than ``SAFEBOT_RETENTION_DAYS`` are deleted.

``safebot purge`` runs :func:`purge` once; the running bot runs it once a day through
:class:`DailyPurge`, started by ``Runtime.start``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, delete

from bot.clock import Clock, current_hour, system_clock
from bot.settings import Settings
from bot.storage.models import Event, LoginAttempt, ProfileRow, ReviewerSession

logger = logging.getLogger(__name__)

#: The first purge waits a little, so that starting the bot stays quick.
FIRST_PURGE_DELAY_SECONDS = 60.0
#: Failed logins are only needed for rate limiting (minutes), expired sessions not at all.
LOGIN_RECORDS_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class PurgeResult:
    """How many rows a purge deleted, and the cut-off it used."""

    cutoff: dt.datetime
    events: int
    profiles: int
    sessions: int
    login_attempts: int


def purge(
    engine: Engine,
    *,
    retention_days: int,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Delete events and profiles older than ``retention_days``, and stale login records."""
    now = now or system_clock()
    cutoff = current_hour(now) - dt.timedelta(days=retention_days)
    with engine.begin() as connection:
        events = connection.execute(delete(Event).where(Event.hour < cutoff)).rowcount
        profiles = connection.execute(
            delete(ProfileRow).where(ProfileRow.updated_hour < cutoff)
        ).rowcount
        sessions = connection.execute(
            delete(ReviewerSession).where(ReviewerSession.expires_at < now)
        ).rowcount
        attempts = connection.execute(
            delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_RECORDS_KEPT)
        ).rowcount
    return PurgeResult(cutoff, events, profiles, sessions, attempts)


class DailyPurge:
    """A background task that purges once shortly after start, then every interval."""

    def __init__(
        self,
        engine: Engine,
        *,
        retention_days: int,
        interval_seconds: float,
        first_delay_seconds: float = FIRST_PURGE_DELAY_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        self._engine = engine
        self._retention_days = retention_days
        self._interval = interval_seconds
        self._first_delay = first_delay_seconds
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    @classmethod
    def start(
        cls, engine: Engine, settings: Settings, *, clock: Clock = system_clock
    ) -> DailyPurge | None:
        """Start purging in the background, unless ``SAFEBOT_PURGE_INTERVAL_HOURS`` is 0."""
        if settings.purge_interval_hours <= 0:
            return None
        task = cls(
            engine,
            retention_days=settings.retention_days,
            interval_seconds=settings.purge_interval_hours * 3600,
            clock=clock,
        )
        task.begin()
        return task

    @staticmethod
    async def stop(task: DailyPurge | None) -> None:
        """Stop a task from :meth:`start` (which may be None)."""
        if task is not None:
            await task.aclose()

    def begin(self) -> None:
        """Create the background task on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="safebot-daily-purge")

    async def aclose(self) -> None:
        """Cancel the background task and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await asyncio.sleep(self._first_delay)
        while True:
            try:
                result = await asyncio.to_thread(
                    purge, self._engine, retention_days=self._retention_days, now=self._clock()
                )
                logger.info(
                    "purge: deleted %d events and %d profiles older than %d days",
                    result.events,
                    result.profiles,
                    self._retention_days,
                )
            except Exception as error:  # the class only: a driver message may hold data
                logger.warning("purge failed (%s); trying again later", type(error).__name__)
            self.runs += 1
            await asyncio.sleep(self._interval)
