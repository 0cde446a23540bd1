"""One engine and session factory; schema kept up to date by Alembic."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, *, timeout_seconds: float = 5.0) -> Engine:
    """An engine for SQLite or PostgreSQL, with short timeouts so a dead database fails fast.

    A hung database (a lock held elsewhere) ends each statement after ``timeout_seconds`` on
    the server too, so the threads waiting for it are freed: SQLite's busy timeout, and
    PostgreSQL's ``statement_timeout`` and ``lock_timeout`` set on every connection.
    """
    parsed = make_url(url)
    connect_args: dict[str, object] = {}
    options: dict[str, object] = {}
    if parsed.get_backend_name() == "sqlite":
        # No pre-ping: a file does not drop connections, and the ping cost every turn a query.
        if parsed.database and parsed.database != ":memory:":
            _owner_only_file(Path(parsed.database))
        connect_args = {"timeout": timeout_seconds, "check_same_thread": False}
    elif parsed.get_backend_name() == "postgresql":
        milliseconds = max(1, round(timeout_seconds * 1000))
        connect_args = {
            "connect_timeout": max(1, int(timeout_seconds)),
            "options": f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
        }
        # Waiting for a free connection is bounded as well; dropped connections are noticed.
        options.update(pool_timeout=timeout_seconds, pool_pre_ping=True)
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, connect_args=connect_args, **options)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def _owner_only_file(path: Path) -> None:
    """Create the database file readable by its owner only, or make an existing one so.

    SQLite gives the -wal and -shm files the mode of the database file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to the engine."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs our migrations on this engine's connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to date (idempotent; two at once run one after the other).

    PostgreSQL: the migration transaction takes an advisory lock first (``env.py``). SQLite:
    an exclusive lock on a file beside the database, since its DDL is not transactional.
    """
    with _sqlite_migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{database}.migrate-lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor is closed
        yield
    finally:
        os.close(descriptor)


def schema_problem(engine: Engine) -> str | None:
    """Why the schema cannot serve (behind or ahead of this code), or None when it is current.

    Raises the driver's error when the database cannot be reached.
    """
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return None
    if not current:
        return "the database has no schema yet: run `safebot migrate`"
    return (
        f"the database schema is at {', '.join(sorted(current))}, this code needs "
        f"{', '.join(sorted(heads))}: run `safebot migrate`"
    )


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back, for tests of the migrations."""
    command.downgrade(alembic_config(engine), revision)
