"""The update ledger: a duplicate answered once; a replica that dies mid-update blocks nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine, text

from bot.storage.update_ledger import (
    LockTimeout,
    PostgresUpdateLedger,
    SqliteUpdateLedger,
    UpdateLedger,
    open_update_ledger,
)

CHILD = 4242


@pytest.fixture
async def ledger(database: Engine) -> AsyncIterator[UpdateLedger]:
    opened = open_update_ledger(database, connections=3, lock_timeout_seconds=2, timeout_seconds=2)
    yield opened
    await opened.aclose()


async def test_an_update_is_ours_once(ledger: UpdateLedger, database: Engine) -> None:
    expected = PostgresUpdateLedger if database.dialect.name == "postgresql" else SqliteUpdateLedger
    assert isinstance(ledger, expected)
    async with ledger.claim(1, CHILD) as ours:
        assert ours
    async with ledger.claim(1, CHILD) as again:
        assert not again
    async with ledger.claim(2, CHILD) as other:
        assert other


async def test_work_that_fails_leaves_the_update_to_its_redelivery(ledger: UpdateLedger) -> None:
    with pytest.raises(RuntimeError):
        async with ledger.claim(3, CHILD) as ours:
            assert ours
            raise RuntimeError("the replica failed mid-update")
    async with ledger.claim(3, CHILD) as redelivered:
        assert redelivered


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_copy_waits_for_the_first_then_is_a_duplicate(ledger: UpdateLedger) -> None:
    first_in = asyncio.Event()
    release = asyncio.Event()
    seen: list[bool] = []

    async def first() -> None:
        async with ledger.claim(5, CHILD) as ours:
            seen.append(ours)
            first_in.set()
            await release.wait()

    async def copy() -> None:
        async with ledger.claim(5, CHILD) as ours:
            seen.append(ours)

    task = asyncio.create_task(first())
    await first_in.wait()
    waiting = asyncio.create_task(copy())
    await asyncio.sleep(0)
    assert not waiting.done()
    release.set()
    await asyncio.gather(task, waiting)
    assert seen == [True, False]


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_replica_that_dies_mid_update_releases_child_and_update(
    ledger: UpdateLedger, database: Engine
) -> None:
    first_in = asyncio.Event()

    async def dying() -> None:
        async with ledger.claim(6, CHILD) as ours:
            assert ours
            first_in.set()
            await asyncio.Event().wait()  # stuck until its connection is cut

    task = asyncio.create_task(dying())
    await first_in.wait()
    with pytest.raises(LockTimeout):  # the child's turn is held: Telegram is told 503
        async with ledger.claim(7, CHILD):
            pass
    # The holder's connection ends as a killed process's does: the server rolls it back.
    with database.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    async with ledger.claim(6, CHILD) as redelivered:
        assert redelivered
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
