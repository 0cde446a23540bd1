"""Start-up with the database down: children are answered, events wait on disk, and once the
database is back the schema is migrated and every event written (a real PostgreSQL behind a
TCP forwarder that refuses connections until the test brings it up)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.engine.messages import Incoming
from bot.service.runtime import Runtime, build_runtime
from bot.settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, TEST_KEY, make_settings
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import wait_until

MARKER = "walrus-marker-3d9e"
CHILDREN = (987650001, 987650002, 987650003)


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (not migrated), dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safebot_down_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    url = make_url(POSTGRES_ADMIN_URL)
    forwarder = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield forwarder
    forwarder.close()


async def eventually(condition: object, what: str, timeout: float = 60.0) -> None:
    """Poll without blocking the loop the bot's background tasks run on."""
    assert callable(condition)
    await asyncio.to_thread(wait_until, condition, timeout=timeout, what=what)


async def started_behind(
    proxy: TcpProxy, database: str, tmp_path: Path, models_dir: Path
) -> tuple[Settings, Runtime]:
    """A started runtime whose database is reached through ``proxy`` (down until brought up)."""
    through_proxy = make_url(database).set(port=proxy.port)
    settings = make_settings(
        tmp_path,
        models_dir,
        database_url=through_proxy.render_as_string(hide_password=False),
        db_timeout_seconds=0.5,
    )
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)  # the database refuses: no error
    await runtime.start()
    return settings, runtime


@pytest.mark.postgres
async def test_children_are_answered_and_no_event_is_lost_while_the_database_is_down(
    empty_database: str, proxy: TcpProxy, tmp_path: Path, models_dir: Path
) -> None:
    settings, runtime = await started_behind(proxy, empty_database, tmp_path, models_dir)
    spool = settings.event_spool_path
    try:
        for child in CHILDREN:
            replies = await runtime.service.handle(
                "test", child, Incoming.message(f"{MARKER} hacked my instagram", "en")
            )
            assert replies[0].text
        crisis = await runtime.service.handle(
            "test", CHILDREN[0], Incoming.message("i want to kill myself", "en")
        )
        assert "🚨" in crisis[0].text

        def spooled() -> bool:
            return spool.exists() and len(spool.read_text().splitlines()) == 4

        await eventually(spooled, "four events spooled to disk")
        kept = spool.read_text()
        assert MARKER not in kept and not any(str(child) in kept for child in CHILDREN)
        assert spool.stat().st_mode & 0o077 == 0

        proxy.up()  # the database is back
        direct = create_engine(empty_database)

        def written() -> bool:
            with direct.connect() as connection:
                tables = connection.execute(
                    text("select count(*) from pg_tables where tablename = 'events'")
                ).scalar_one()
                if not tables:
                    return False
                count = connection.execute(text("select count(*) from events")).scalar_one()
            return bool(count == 4)

        try:
            await eventually(written, "the migration and the four spooled events")
        finally:
            direct.dispose()
        await eventually(lambda: not spool.exists() or not spool.read_text(), "an empty spool")
    finally:
        await runtime.aclose()


@pytest.mark.postgres
async def test_a_crisis_opened_while_the_database_is_down_stays_open_and_is_saved_later(
    empty_database: str, proxy: TcpProxy, tmp_path: Path, models_dir: Path
) -> None:
    _, runtime = await started_behind(proxy, empty_database, tmp_path, models_dir)
    child = CHILDREN[1]

    async def say(text: str) -> str:
        replies = await runtime.service.handle("test", child, Incoming.message(text, "en"))
        return "\n".join(reply.text for reply in replies)

    try:
        await runtime.service.handle("test", child, Incoming.button("c:GB", "en"))
        crisis = await say("everyone would be better off without me")
        assert "0800 1111" in crisis and "999" in crisis  # the country chosen is not lost
        for closer in ("thanks", "bye"):
            assert "0800 1111" in await say(closer), closer  # the crisis stays open
        assert len(runtime.service.held) == 1

        proxy.up()  # the database is back: the held profile is written at the next turn
        direct = create_engine(empty_database)

        def saved() -> bool:
            try:
                with direct.connect() as connection:
                    row = connection.execute(
                        text("select country, crisis_until from profiles")
                    ).one_or_none()
            except SQLAlchemyError:  # not migrated yet
                return False
            return row is not None and row[0] == "GB" and row[1] is not None

        async def answered_and_saved() -> bool:
            reply = await say("ok")
            assert "0800 1111" in reply  # still open, after the outage too
            return await asyncio.to_thread(saved)

        for _ in range(60):
            if await answered_and_saved():
                break
            await asyncio.sleep(1)
        else:
            pytest.fail("the held profile was never written")
        direct.dispose()
        assert len(runtime.service.held) == 0
    finally:
        await runtime.aclose()
