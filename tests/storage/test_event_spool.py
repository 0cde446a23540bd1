"""Events the database cannot take wait on disk, are written once it can, and /forget reaches
them there too. A real SQLite file that has no tables yet plays the database that is down."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

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


async def test_a_crash_between_the_drain_and_emptying_the_spool_writes_each_event_once(
    tmp_path: Path, database: Engine
) -> None:
    # issue #12: the rows were committed, the process died before the spool was emptied, and
    # the next start wrote the same events again.
    down = make_engine(f"sqlite:///{tmp_path / 'down.sqlite3'}")  # no tables: writes fail
    spool = EventSpool(tmp_path / "spool.jsonl")
    log = EventLog(session_factory(down), spool=spool)
    await log.start()
    for name in ("a", "b", "c", "a", "b"):
        log.record(event(name * 64))
    await log.flush()
    await log.stop()
    down.dispose()
    assert log.spooled == 5

    url = database.url.render_as_string(hide_password=False)
    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tests.support.spool_crash", url, str(spool.path)],
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL
    assert spool.pending()  # died before emptying it
    sessions = session_factory(database)
    with sessions() as session:
        assert len(session.scalars(select(Event.id)).all()) == 5  # committed before the crash

    restarted = EventLog(sessions, spool=spool)  # the next start drains the spool again
    await restarted.start()
    try:
        await asyncio.to_thread(
            wait_until, lambda: not spool.pending(), timeout=30, what="the second drain"
        )
    finally:
        await restarted.stop()
    with sessions() as session:
        pseudonyms = sorted(p[0] for p in session.scalars(select(Event.pseudonym)).all())
    assert pseudonyms == ["a", "a", "b", "b", "c"]
