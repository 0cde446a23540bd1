"""The anonymised event log. Writes happen in the background and never delay a reply.

Events the database cannot take wait in a spool on disk instead of being lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot.background import BackgroundService
from bot.clock import current_hour, system_clock
from bot.storage.event_writes import write_events
from bot.storage.records import EventRecord
from bot.storage.spool import EventSpool, Row

logger = logging.getLogger(__name__)

_BATCH = 200
#: How many recent /forget requests the log remembers, to drop events queued before them.
_FORGOTTEN_KEEP = 10_000
_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class LoggedEvent:
    """An event with the context the log adds: pseudonym, locale, country.

    Its id and hour are fixed when it is made, so every copy of it (queued, spooled, written
    again after a crash) is the same row.
    """

    record: EventRecord
    pseudonym: str
    locale: str
    country: str | None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    hour: dt.datetime = field(default_factory=current_hour)


class EventLog(BackgroundService):
    """A bounded queue drained by one background task into the database.

    When the database cannot take a batch, the batch goes to the spool on disk (if there is
    one) and everything after it too, in order, until a drain of the spool succeeds; the drain
    is tried again with a growing pause. Without a spool a failed batch is dropped and counted.
    """

    task_name = "safebot-event-log"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_queue: int = 10_000,
        flush_timeout: float = 5.0,
        spool: EventSpool | None = None,
    ) -> None:
        super().__init__()
        self._sessions = sessions
        #: Each queued event with its number in the order events were recorded.
        self._queue: asyncio.Queue[tuple[int, LoggedEvent]] = asyncio.Queue(maxsize=max_queue)
        self._recorded = 0
        #: pseudonym -> how many events had been recorded when the child asked to be forgotten:
        #: events of theirs numbered below it are never written, wherever they wait.
        self._forgotten: OrderedDict[str, int] = OrderedDict()
        #: How long flushing (and so stopping) waits for the queue to drain.
        self.flush_timeout = flush_timeout
        self.spool = spool
        self.dropped = 0
        self.written = 0
        self.spooled = 0
        #: Events not written because their child used /forget (in any process) after them.
        self.refused = 0

    def record(self, event: LoggedEvent) -> None:
        """Queue one event; never blocks, never raises."""
        try:
            self._queue.put_nowait((self._recorded, event))
            self._recorded += 1
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped % 100 == 1:
                logger.warning("event log queue is full; %d events dropped so far", self.dropped)

    async def flush(self) -> None:
        """Wait (up to ``flush_timeout``) until every queued event is written or spooled."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), self.flush_timeout)

    async def forget(self, pseudonym: str) -> None:
        """Make sure no event of this child is written later: flush, and clear the spool.

        Events of theirs still queued when the flush gives up (a hung database) are dropped
        when their turn comes, so "Done" is final.
        """
        self._forgotten[pseudonym] = self._recorded
        self._forgotten.move_to_end(pseudonym)
        while len(self._forgotten) > _FORGOTTEN_KEEP:
            self._forgotten.popitem(last=False)
        await self.flush()
        if self.spool is not None:
            await asyncio.to_thread(self.spool.discard, pseudonym)

    async def stop(self) -> None:
        """Write what is queued (up to ``flush_timeout``), spool the rest, then stop."""
        await self.flush()
        await super().stop()
        left = []
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
            self._queue.task_done()
        rows = self._rows(left)
        if rows:
            self._keep(rows)

    def _write(self, rows: list[Row]) -> None:
        """Insert rows not written yet (counted into the rollups), except forgotten children's."""
        with self._sessions.begin() as session:
            refused = write_events(session, rows, system_clock()).refused
        if refused:
            self.refused += refused
            logger.info("event log: %d events of forgotten children not written", refused)

    def _keep(self, rows: list[Row]) -> bool:
        """Spool rows the database could not take; False (and counted) when that fails too."""
        if self.spool is not None:
            try:
                self.spool.append(rows)
                self.spooled += len(rows)
                return True
            except OSError as error:
                logger.error("event log: could not spool (%s)", type(error).__name__)
        self.dropped += len(rows)
        logger.error("event log: %d events lost", len(rows))
        return False

    def _rows(self, batch: list[tuple[int, LoggedEvent]]) -> list[Row]:
        """The rows to write: events queued before their child's /forget are left out."""
        kept = [
            event for number, event in batch if number >= self._forgotten.get(event.pseudonym, -1)
        ]
        return _rows(kept)

    async def _take(self, timeout: float | None) -> list[tuple[int, LoggedEvent]]:
        try:
            first = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return []
        batch = [first]
        while len(batch) < _BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        backlog = self.spool is not None and self.spool.pending()  # left by an earlier run
        failures, next_try = 0, loop.time()
        while True:
            timeout = max(0.0, next_try - loop.time()) if backlog else None
            batch = await self._take(timeout)
            rows = self._rows(batch)
            try:
                if backlog:
                    if rows:  # behind the spooled ones, to keep the order
                        await asyncio.to_thread(self._keep, rows)
                    if loop.time() >= next_try:
                        assert self.spool is not None
                        drained = await asyncio.to_thread(self.spool.drain, self._write)
                        self.written += drained
                        backlog, failures = False, 0
                        logger.info("event log: %d spooled events written", drained)
                elif rows:
                    await asyncio.to_thread(self._write, rows)
                    self.written += len(rows)
            except Exception as error:  # report the class only: no data in logs
                failures += 1
                pause = _RETRY_SECONDS[min(failures, len(_RETRY_SECONDS)) - 1]
                if not backlog:
                    backlog = await asyncio.to_thread(self._keep, rows)
                next_try = loop.time() + pause
                logger.warning(
                    "event log: database write failed (%s); events kept on disk, next try "
                    "in %.1f s",
                    type(error).__name__,
                    pause,
                )
            finally:
                for _ in batch:
                    self._queue.task_done()


def _rows(batch: list[LoggedEvent]) -> list[Row]:
    return [
        {
            "event_id": item.event_id,
            "hour": item.hour,
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
