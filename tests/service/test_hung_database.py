"""A hung database (a lock held elsewhere) must not make each child wait, one after another.

A real PostgreSQL table lock from another connection; the children are answered in turn, as
Telegram updates are. Without statement timeouts and a circuit breaker each child waited for
its own read and write to time out.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.engine.messages import Incoming
from bot.service.runtime import build_runtime
from bot.storage.database import make_engine
from tests.conftest import TEST_KEY, make_settings

CHILDREN = 8
BREAKER = 2  # failures in a row that open the circuit


def _waits(records: list[logging.LogRecord]) -> int:
    """Profile reads and writes that waited for the database and failed (not refused at once)."""
    return sum(
        1
        for r in records
        if r.getMessage().startswith(("profile read failed", "profile write failed"))
        and "circuit open" not in r.getMessage()
    )


@pytest.mark.postgres
async def test_children_are_answered_without_waiting_for_each_others_timeouts(
    postgres_url: str, tmp_path: Path, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        tmp_path, models_dir, database_url=postgres_url, db_breaker_failures=BREAKER
    )
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    locker = make_engine(postgres_url)
    hold = locker.connect()
    transaction = hold.begin()
    try:
        hold.execute(text("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE"))
        with caplog.at_level(logging.WARNING):
            for child in range(CHILDREN):
                replies = await runtime.service.handle(
                    "test", 700 + child, Incoming.message("someone hacked my instagram", "en")
                )
                assert replies[0].text
        # Only the first child's calls waited; the breaker refused the rest at once.
        assert _waits(caplog.records) <= BREAKER
        assert any("circuit open" in r.getMessage() for r in caplog.records)
    finally:
        transaction.rollback()
        hold.close()
        locker.dispose()
        await runtime.aclose()


@pytest.mark.postgres
def test_postgresql_connections_carry_statement_and_lock_timeouts(postgres_url: str) -> None:
    engine = make_engine(postgres_url, timeout_seconds=1.5)
    try:
        with engine.connect() as connection:
            statement = connection.execute(text("SHOW statement_timeout")).scalar_one()
            lock = connection.execute(text("SHOW lock_timeout")).scalar_one()
    finally:
        engine.dispose()
    assert (statement, lock) == ("1500ms", "1500ms")
