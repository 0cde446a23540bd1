"""Each Telegram update answered once, whichever webhook replica gets it and however often.

Telegram sends an update again after any non-2xx answer or a timeout, maybe to another replica.
The choice made here: **the claim lives in the transaction that covers the work**::

    BEGIN
      SELECT pg_advisory_xact_lock(<the child's key>)  -- the child's turns one at a time, everywhere
      INSERT INTO handled_updates (update_id, ...) ON CONFLICT DO NOTHING
        -- no row inserted: answered already (someone committed it) -> a duplicate, answer nothing
        -- one row inserted: ours -> answer the child
    COMMIT                                              -- only after the answer was sent

There is no lease to expire. A replica that dies mid-update (SIGKILL, out of memory, a node
lost) loses its connection; PostgreSQL rolls its transaction back, and the row and the lock go
with it, so the redelivery is answered by whichever replica gets it, at once. A second copy that
arrives while the first is still being answered waits on the child's lock (and would wait on
the uncommitted row anyway), then finds the committed row. A claim row with a lease would need a
guess of how long an answer may take: too short and a slow answer is sent twice, too long and a
dead replica's child waits for nothing. The costs: one connection per update in work (bounded by
the server's concurrency and Telegram's ``max_connections``), and a replica that dies after
sending but before its commit makes the redelivery answer again (committing before sending would
lose the answer instead, which is worse for a child). A replica that hangs while holding a
transaction is cut off by ``idle_in_transaction_session_timeout``.

SQLite serves one process: the webhook server's per-chat lock puts copies of one update one
after the other, so a look-up before the work and an insert after it are enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.clock import current_hour
from bot.storage.models import HandledUpdate

logger = logging.getLogger(__name__)

#: A replica that holds a child's transaction this long without a word is cut off by the server.
IDLE_IN_TRANSACTION_SECONDS = 300
#: SQLSTATEs of "lock not available" (lock_timeout) and "query canceled" (statement_timeout).
_LOCK_WAIT_ENDED = {"55P03", "57014"}


class LedgerUnavailable(RuntimeError):
    """The database could not be asked; the message is the error's class only."""


class LockTimeout(RuntimeError):
    """Another replica held this child's turn longer than the lock timeout."""


class UpdateLedger(ABC):
    """Claims updates: a context manager per update that says whether it is ours to answer."""

    @abstractmethod
    def claim(self, update_id: int, lock_key: int) -> AbstractAsyncContextManager[bool]:
        """Yield True when the update is to be answered now, False when it was answered already.

        Raises :class:`LedgerUnavailable` when the database cannot be asked and
        :class:`LockTimeout` when the child's turn stays held elsewhere.
        """

    async def aclose(self) -> None:  # noqa: B027 - most ledgers hold nothing to release
        """Release connections."""


class PostgresUpdateLedger(UpdateLedger):
    """The claim inside the transaction of the work, under the child's advisory lock."""

    def __init__(self, engine: AsyncEngine, *, lock_timeout_seconds: float) -> None:
        self._engine = engine
        self._lock_ms = max(1, round(lock_timeout_seconds * 1000))

    @classmethod
    def connect(
        cls, url: str, *, connections: int, lock_timeout_seconds: float, timeout_seconds: float
    ) -> PostgresUpdateLedger:
        """A ledger with its own pool: one connection per update in work, none shared."""
        parsed = make_url(url).set(drivername="postgresql+psycopg")
        milliseconds = max(1, round(timeout_seconds * 1000))
        engine = create_async_engine(
            parsed,
            pool_size=connections,
            max_overflow=0,
            pool_timeout=timeout_seconds + lock_timeout_seconds,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": max(1, int(timeout_seconds)),
                "options": f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
            },
        )
        return cls(engine, lock_timeout_seconds=lock_timeout_seconds)

    @asynccontextmanager
    async def claim(self, update_id: int, lock_key: int) -> AsyncIterator[bool]:
        """See :meth:`UpdateLedger.claim`."""
        try:
            connection = await self._engine.connect()
        except Exception as error:  # the class only: a driver message may hold the URL
            raise LedgerUnavailable(type(error).__name__) from None
        try:
            transaction = await connection.begin()
            ours = await self._lock_and_insert(connection, update_id, lock_key)
            if not ours:
                await transaction.commit()
                yield False
                return
            yield True  # an exception from the work leaves by `finally`: rolled back
            try:
                await transaction.commit()
            except Exception as error:
                # The child was answered: a redelivery may answer again, nothing is lost.
                logger.warning(
                    "update %d answered but not recorded (%s)", update_id, type(error).__name__
                )
        finally:
            # Rolls back whatever was not committed; a connection cut already cannot be closed.
            with contextlib.suppress(Exception):
                await connection.close()

    async def _lock_and_insert(
        self, connection: AsyncConnection, update_id: int, lock_key: int
    ) -> bool:
        try:
            await connection.exec_driver_sql(f"SET LOCAL lock_timeout = {self._lock_ms}")
            await connection.exec_driver_sql(
                f"SET LOCAL statement_timeout = {self._lock_ms + 5000}"
            )
            await connection.exec_driver_sql(
                f"SET LOCAL idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_SECONDS * 1000}"
            )
            await connection.execute(select(func.pg_advisory_xact_lock(lock_key)))
            result = await connection.execute(
                pg_insert(HandledUpdate)
                .values(update_id=update_id, handled_hour=current_hour())
                .on_conflict_do_nothing(index_elements=["update_id"])
                .returning(HandledUpdate.update_id)
            )
            inserted = result.first() is not None  # (rowcount is -1 with psycopg's async mode)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) in _LOCK_WAIT_ENDED:
                raise LockTimeout("the child's turn is held elsewhere") from None
            raise LedgerUnavailable(type(error).__name__) from None
        except Exception as error:
            raise LedgerUnavailable(type(error).__name__) from None
        return inserted

    async def aclose(self) -> None:
        """Close the pool."""
        await self._engine.dispose()


class SqliteUpdateLedger(UpdateLedger):
    """One process: a look-up before the work, the row written after it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def claim(self, update_id: int, lock_key: int) -> AsyncIterator[bool]:
        """See :meth:`UpdateLedger.claim` (``lock_key`` unused: one process, one lock per chat)."""
        try:
            seen = await asyncio.to_thread(self._seen, update_id)
        except Exception as error:
            raise LedgerUnavailable(type(error).__name__) from None
        if seen:
            yield False
            return
        yield True
        try:
            await asyncio.to_thread(self._record, update_id)
        except Exception as error:
            logger.warning(
                "update %d answered but not recorded (%s)", update_id, type(error).__name__
            )

    def _seen(self, update_id: int) -> bool:
        with self._engine.connect() as connection:
            found = connection.execute(
                select(HandledUpdate.update_id).where(HandledUpdate.update_id == update_id)
            ).first()
        return found is not None

    def _record(self, update_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(HandledUpdate)
                .prefix_with("OR IGNORE")
                .values(update_id=update_id, handled_hour=current_hour())
            )


def open_update_ledger(
    engine: Engine, *, connections: int, lock_timeout_seconds: float, timeout_seconds: float
) -> UpdateLedger:
    """The ledger for this database: PostgreSQL's across replicas, SQLite's in one process."""
    if engine.dialect.name == "postgresql":
        return PostgresUpdateLedger.connect(
            engine.url.render_as_string(hide_password=False),
            connections=connections,
            lock_timeout_seconds=lock_timeout_seconds,
            timeout_seconds=timeout_seconds,
        )
    return SqliteUpdateLedger(engine)
