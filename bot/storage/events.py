"""The anonymised event log. Writes happen in the background and never delay a reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from bot.background import BackgroundService
from bot.clock import current_hour
from bot.storage.models import Event
from bot.storage.records import EventRecord

logger = logging.getLogger(__name__)

_BATCH = 200
_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class LoggedEvent:
    """An event with the context the log adds: pseudonym, locale, country."""

    record: EventRecord
    pseudonym: str
    locale: str
    country: str | None


class EventLog(BackgroundService):
    """A bounded queue drained by one background task into the database."""

    task_name = "safebot-event-log"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_queue: int = 10_000,
        flush_timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self._sessions = sessions
        self._queue: asyncio.Queue[LoggedEvent] = asyncio.Queue(maxsize=max_queue)
        #: How long flushing (and so stopping) waits for the queue to drain.
        self.flush_timeout = flush_timeout
        self.dropped = 0
        self.written = 0

    def record(self, event: LoggedEvent) -> None:
        """Queue one event; never blocks, never raises."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped % 100 == 1:
                logger.warning("event log queue is full; %d events dropped so far", self.dropped)

    async def flush(self) -> None:
        """Wait (up to ``flush_timeout``) until every queued event is written."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), self.flush_timeout)

    async def stop(self) -> None:
        """Write what is queued (up to ``flush_timeout``), then stop."""
        await self.flush()
        await super().stop()

    def _write(self, batch: list[LoggedEvent]) -> None:
        hour = current_hour()
        rows = [
            {
                "hour": hour,
                "pseudonym": item.pseudonym,
                "kind": item.record.kind,
                "intent": item.record.intent,
                "confidence_band": item.record.confidence_band,
                "locale": item.locale,
                "country": item.country,
                "escalation": item.record.escalation,
                "button": item.record.button,
                "crisis_net": item.record.crisis_net,
                "clarified": item.record.clarified,
                "engine": item.record.engine,
                "helpful": item.record.helpful,
            }
            for item in batch
        ]
        with self._sessions.begin() as session:
            session.execute(insert(Event), rows)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            for attempt, pause in enumerate((*_RETRY_SECONDS, None)):
                try:
                    await asyncio.to_thread(self._write, batch)
                    self.written += len(batch)
                    break
                except Exception as error:  # report the class only: no data in logs
                    if pause is None:
                        self.dropped += len(batch)
                        logger.error(
                            "event log: gave up on %d events after %d attempts (%s)",
                            len(batch),
                            attempt + 1,
                            type(error).__name__,
                        )
                        break
                    logger.warning(
                        "event log: database write failed (%s); retrying in %.1f s",
                        type(error).__name__,
                        pause,
                    )
                    await asyncio.sleep(pause)
            for _ in batch:
                self._queue.task_done()
