"""Alembic environment: runs on the engine handed over by bot.storage.database."""

from __future__ import annotations

from alembic import context

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
        context.run_migrations()
