"""Shared fixtures: a classifier trained once per session, real databases, a real runtime."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.service.runtime import Runtime, build_runtime
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.database import downgrade, make_engine, schema_problem, upgrade
from bot.storage.models import Base
from nlu.spacy_classifier import is_current, train_locale
from nlu.training_data import available_locales
from tests.support.locking import exclusive

TEST_KEY = SecretStr("k" * 16 + "test-pseudonym-key-for-tests-only")
POSTGRES_ADMIN_URL = os.environ.get(
    "SAFEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests marked ``xdist_group`` (the Rasa tests) first, in their order.

    They set up a Python 3.10 environment, train two Rasa models and start servers: about 12
    minutes of one worker. Collected in file order they started two thirds of the way through
    the run and became its tail (CI took 31 minutes). First in the collection, pytest-xdist
    sends them together to one worker at the start (its first batch holds every one of them),
    while the other worker runs everything else. (pytest-xdist 3.8 no longer groups
    ``xdist_group`` tests under pytest 9: the group suffix it adds to the test ids is ignored.)
    """
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The classifiers of every locale, trained from the repository's data.

    Kept in ``var/test-models`` and retrained only when the data or the recipe changed, so the
    second run of scripts/test.sh (the clock a year ahead) and local reruns do not train again.
    """
    directory = PROJECT_ROOT / "var" / "test-models"
    data = PROJECT_ROOT / "nlu" / "training"
    with exclusive("test-models"):  # parallel workers: the first trains, the others wait
        for locale in available_locales(data):
            if not is_current(directory, data, locale):
                train_locale(data, directory, locale)
    return directory


def make_settings(data_dir: Path, models_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "models_path": models_dir,
        "database_url": f"sqlite:///{data_dir / 'test.sqlite3'}",
        "pseudonym_key": TEST_KEY,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return make_settings(tmp_path, models_dir)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings, pseudonym_key=TEST_KEY)
    await built.start()
    yield built
    await built.aclose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safebot_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is needed at {POSTGRES_ADMIN_URL} ({type(error).__name__}); start it "
            "or set SAFEBOT_TEST_POSTGRES_URL"
        )
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite database migrated once for the whole session."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('database') / 'db.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_database(postgres_url: str) -> Iterator[Engine]:
    """The session's PostgreSQL database, migrated once."""
    engine = make_engine(postgres_url)
    if "alembic_version" in inspect(engine).get_table_names():
        downgrade(engine, "base")
    upgrade(engine)
    yield engine
    downgrade(engine, "base")
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row (and restart the ids), keeping the schema."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in tables:
            connection.execute(table.delete())
        if "sqlite_sequence" in inspect(connection).get_table_names():
            connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty database at the latest schema, on SQLite and on PostgreSQL.

    Migrated once per session; each test starts from empty tables. (Tests that take the
    schema down themselves, as the migration tests do, get it back here.)
    """
    engine: Engine = request.getfixturevalue(f"{request.param}_database")
    # Not just "no alembic_version table": a test that took the schema to base (or to an older
    # revision) leaves that table behind, and the next test found no tables (a CI failure).
    if schema_problem(engine) is not None:
        upgrade(engine)
    empty_tables(engine)
    yield engine
    empty_tables(engine)
