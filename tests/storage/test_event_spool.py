"""Events the database cannot take wait on disk, are written once it can, and /forget reaches
them there too. A real SQLite file that has no tables yet plays the database that is down."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot.storage.database import make_engine, session_factory, upgrade
from bot.storage.events import EventLog, LoggedEvent
from bot.storage.models import Event
from bot.storage.records import EventRecord
from bot.storage.spool import EventSpool
from tests.support.waiting import wait_until


def event(pseudonym: str) -> LoggedEvent:
    return LoggedEvent(EventRecord(kind="text", intent="privacy"), pseudonym, "en", "GB")


async def test_spooled_events_are_written_when_the_database_is_back_and_forget_reaches_them(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")  # no tables: every write fails
    sessions = session_factory(engine)
    spool = EventSpool(tmp_path / "spool.jsonl")
    log = EventLog(sessions, spool=spool)
    await log.start()
    try:
        for name in ("a", "b", "a"):
            log.record(event(name * 64))
        await log.flush()
        assert log.spooled == 3 and log.dropped == 0
        assert spool.path.stat().st_mode & 0o777 == 0o600
        await log.forget("a" * 64)  # the child used /forget while the database was down
        assert len(spool.path.read_text().splitlines()) == 1
        upgrade(engine)  # the database is back

        def written() -> bool:
            with sessions() as session:
                return len(session.scalars(select(Event.pseudonym)).all()) == 1

        await asyncio.to_thread(wait_until, written, timeout=30, what="the spooled event")
        with sessions() as session:
            assert session.scalars(select(Event.pseudonym)).all() == ["b" * 64]
        assert not spool.pending()
    finally:
        await log.stop()
        engine.dispose()


async def test_events_still_queued_at_stop_are_kept_on_disk(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    spool = EventSpool(tmp_path / "spool.jsonl")
    log = EventLog(session_factory(engine), spool=spool, flush_timeout=0.0)
    for _ in range(5):  # never started: nothing drains the queue
        log.record(event("c" * 64))
    await log.stop()
    assert len(spool.path.read_text().splitlines()) == 5
    engine.dispose()


async def test_events_still_queued_at_forget_are_never_written(tmp_path: Path) -> None:
    # issue #13: the reply said "Done", then the queued event was written afterwards. Here the
    # log is not running yet (as when a hung database holds the writer), so the flush in
    # forget gives up and the child's queued events are still waiting.
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    log = EventLog(sessions, flush_timeout=0.0)
    log.record(event("a" * 64))
    log.record(event("b" * 64))
    await log.forget("a" * 64)
    log.record(event("a" * 64))  # written after the forget: a new conversation, kept
    await log.start()
    try:
        log.flush_timeout = 10.0
        await log.flush()
        with sessions() as session:
            rows = sorted(session.scalars(select(Event.pseudonym)).all())
        assert rows == ["a" * 64, "b" * 64]
        assert log.written == 2
    finally:
        await log.stop()
        engine.dispose()
