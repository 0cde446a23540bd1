"""The running bot's daily purge (``safebot purge`` runs the same purge once)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine

from bot.background import BackgroundService
from bot.clock import Clock, system_clock
from bot.settings import Settings
from bot.storage.retention import purge

logger = logging.getLogger(__name__)

#: The first purge waits a little, so that starting the bot stays quick.
FIRST_PURGE_DELAY_SECONDS = 60.0


class DailyPurge(BackgroundService):
    """A background task that purges once shortly after start, then every interval."""

    task_name = "safebot-daily-purge"

    def __init__(
        self,
        engine: Engine,
        *,
        retention_days: int,
        interval_seconds: float,
        first_delay_seconds: float = FIRST_PURGE_DELAY_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__()
        self._engine = engine
        self._retention_days = retention_days
        self._interval = interval_seconds
        self._first_delay = first_delay_seconds
        self._clock = clock
        self.runs = 0

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, *, clock: Clock = system_clock
    ) -> DailyPurge | None:
        """The bot's daily purge, or None when ``SAFEBOT_PURGE_INTERVAL_HOURS`` is 0."""
        if settings.purge_interval_hours <= 0:
            return None
        return cls(
            engine,
            retention_days=settings.retention_days,
            interval_seconds=settings.purge_interval_hours * 3600,
            clock=clock,
        )

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
