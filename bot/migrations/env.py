"""Alembic environment: runs on the engine handed over by bot.storage.database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from bot.storage.advisory_locks import MIGRATE
from bot.storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    from bot.settings import Settings
    from bot.storage.database import make_engine

    engine = make_engine(Settings().resolved_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Migrations may take longer than the bot's statement timeout; for this
            # transaction only (SET LOCAL ends with it).
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
            # Two `safebot migrate` at once: the second waits here, then reads the version
            # the first wrote and has nothing left to do. The lock ends with the transaction.
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATE)))
        context.run_migrations()
