"""Bring the schema up to date in the background when the database was down at start-up."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine

from bot.background import BackgroundService
from bot.storage.database import upgrade

logger = logging.getLogger(__name__)

#: Pauses between tries; the last one repeats until the database answers.
_PAUSES_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)


class Migrator(BackgroundService):
    """Retries ``alembic upgrade head`` until it succeeds, then ends."""

    task_name = "safebot-migrate"

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self.done = asyncio.Event()

    async def _run(self) -> None:
        for attempt in range(1, 1_000_000):
            try:
                await asyncio.to_thread(upgrade, self._engine)
            except Exception as error:  # the class only: a driver message may hold the URL
                pause = _PAUSES_SECONDS[min(attempt, len(_PAUSES_SECONDS)) - 1]
                logger.warning(
                    "database migration failed (%s); trying again in %.0f s",
                    type(error).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
                continue
            logger.info("database migrated after %d attempts", attempt)
            self.done.set()
            return
