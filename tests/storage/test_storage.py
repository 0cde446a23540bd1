"""Migrations, profiles, the event log and stats on real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from bot.clock import current_hour
from bot.engine.messages import Incoming
from bot.service.runtime import build_runtime
from bot.settings import Settings
from bot.stats import format_table, stats_table
from bot.storage.database import downgrade, make_engine, session_factory, upgrade
from bot.storage.events import EventLog, LoggedEvent
from bot.storage.models import Event
from bot.storage.profiles import ProfileStore, StorageUnavailable
from bot.storage.record_keys import KEY_RANGE, child_key
from bot.storage.records import EventRecord, Profile
from tests.conftest import TEST_KEY, make_settings

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
pytestmark = pytest.mark.time_sensitive


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    downgrade_all(engine)
    yield engine
    downgrade_all(engine)
    engine.dispose()


def test_the_record_keys_migration_gives_existing_events_keys(database: Engine) -> None:
    upgrade(database, "0006")
    rows = [
        {
            "hour": dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC),
            "pseudonym": pseudonym,
            "kind": "text",
            "locale": "en",
            "escalation": "none",
            "crisis_net": False,
            "clarified": False,
        }
        for pseudonym in ["c" * 64] * 30 + ["d" * 64] * 30
    ]
    columns = ", ".join(rows[0])
    values = ", ".join(f":{name}" for name in rows[0])
    with database.begin() as connection:
        connection.execute(text(f"INSERT INTO events ({columns}) VALUES ({values})"), rows)
    upgrade(database)
    with database.connect() as connection:
        keys = connection.execute(text("SELECT pseudonym, record_key, child_key FROM events"))
        found = keys.all()
    assert len(found) == 60
    assert all(0 <= record_key < KEY_RANGE for _, record_key, _ in found)
    assert len({record_key for _, record_key, _ in found}) > 50  # random, not one value
    assert {p: key for p, _, key in found} == {p: child_key(p) for p in ("c" * 64, "d" * 64)}
    downgrade(database, "0006")
    assert "record_key" not in {c["name"] for c in inspect(database).get_columns("events")}
    upgrade(database)


def downgrade_all(engine: Engine) -> None:
    if "alembic_version" in inspect(engine).get_table_names():
        downgrade(engine, "base")


def test_migrations_upgrade_and_downgrade(database: Engine) -> None:
    upgrade(database)
    tables = set(inspect(database).get_table_names())
    assert {"events", "profiles", "alembic_version"} <= tables
    upgrade(database)  # idempotent
    downgrade(database, "base")
    assert set(inspect(database).get_table_names()) <= {"alembic_version"}
    upgrade(database)
    assert "events" in inspect(database).get_table_names()


async def test_profiles_round_trip_and_forget(database: Engine) -> None:
    upgrade(database)
    store = ProfileStore(session_factory(database), timeout_seconds=5)
    assert await store.get("p" * 64) is None
    profile = Profile(
        locale="en",
        country="GB",
        country_asked=True,
        crisis_until=dt.datetime(2026, 11, 30, 14, tzinfo=dt.UTC),
        crisis_intent="abuse",
        crisis_emergency=True,
    )
    await store.save("p" * 64, profile)
    assert await store.get("p" * 64) == profile
    await store.save("p" * 64, Profile(locale="en"))
    assert await store.get("p" * 64) == Profile(locale="en")
    assert await store.forget("p" * 64) == 1
    assert await store.get("p" * 64) is None


def test_the_profile_version_migrates_up_and_down_keeping_profiles(database: Engine) -> None:
    upgrade(database, "0003")
    with database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO profiles (pseudonym, country_asked, crisis_emergency, updated_hour)"
                " VALUES (:p, :f, :f, :h)"
            ),
            {"p": "v" * 64, "f": False, "h": current_hour()},
        )
    upgrade(database)
    columns = {c["name"] for c in inspect(database).get_columns("profiles")}
    assert "version" in columns
    with database.connect() as connection:
        version = connection.execute(text("SELECT version FROM profiles")).scalar_one()
    assert version == 1
    downgrade(database, "0003")
    assert "version" not in {c["name"] for c in inspect(database).get_columns("profiles")}
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM profiles")).scalar_one() == 1
    upgrade(database)


async def test_a_write_over_a_version_another_write_changed_is_refused(database: Engine) -> None:
    upgrade(database)
    store = ProfileStore(session_factory(database), timeout_seconds=5)
    pseudonym = "w" * 64
    assert await store.save_if_unchanged(pseudonym, Profile(locale="en"), 0)
    assert not await store.save_if_unchanged(pseudonym, Profile(locale="ru"), 0)  # exists now
    stored = await store.read(pseudonym)
    assert stored is not None and stored.profile == Profile(locale="en")
    crisis = Profile(locale="en", crisis_intent="self_harm", crisis_until=current_hour())
    assert await store.save_if_unchanged(pseudonym, crisis, stored.version)
    # A turn that read before the crisis was stored cannot write over it.
    assert not await store.save_if_unchanged(pseudonym, Profile(locale="en"), stored.version)
    assert await store.get(pseudonym) == crisis
    await store.forget(pseudonym)
    assert not await store.save_if_unchanged(pseudonym, Profile(locale="en"), stored.version + 1)


async def test_event_log_writes_hour_buckets_without_text(database: Engine) -> None:
    upgrade(database)
    sessions = session_factory(database)
    log = EventLog(sessions)
    await log.start()
    for _ in range(7):
        log.record(
            LoggedEvent(
                EventRecord(
                    kind="text", intent="grooming", confidence_band="high", escalation="helpline"
                ),
                "a" * 64,
                "en",
                "GB",
            )
        )
    log.record(LoggedEvent(EventRecord(kind="text", intent="privacy"), "b" * 64, "en", None))
    await log.stop()
    with sessions() as session:
        rows = session.scalars(select(Event)).all()
    assert len(rows) == 8
    hour = rows[0].hour
    assert (hour.minute, hour.second, hour.microsecond) == (0, 0, 0)
    # Every event has its own random record key; one child's events share a child key.
    assert len({row.record_key for row in rows}) == 8
    assert {row.pseudonym: row.child_key for row in rows} == {
        "a" * 64: child_key("a" * 64),
        "b" * 64: child_key("b" * 64),
    }
    table = stats_table(database, period="week", by="intent", perturb=False)
    assert {g: e.figures.messages for g, e in table.group_totals.items()} == {
        "grooming": 7,
        "privacy": 1,
    }
    assert table.total.figures.messages == 8 and table.total.figures.users == 2
    report = format_table(table)
    assert "grooming" in report and "<5" in report  # two children only: everything is hidden
    assert " 7 " not in report and " 8 " not in report
    week_start = table.periods[0]
    assert week_start.weekday() == 0
    assert week_start <= current_hour().date() < week_start + dt.timedelta(days=7)


async def test_the_child_gets_an_answer_when_the_database_is_down(
    settings: Settings, tmp_path: Path, models_dir: Path
) -> None:
    dead = make_settings(
        tmp_path,
        models_dir,
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none",
        db_timeout_seconds=1.0,
    )
    runtime = build_runtime(dead, pseudonym_key=TEST_KEY, migrate=False)
    await runtime.start()
    try:
        replies = await runtime.service.handle(
            "test", 1, Incoming.message("someone stole my roblox account", "en")
        )
        assert replies and len(replies[0].text) > 50
        crisis = await runtime.service.handle("test", 1, Incoming.message("i want to die", "en"))
        assert "🚨" in crisis[0].text
        with pytest.raises(StorageUnavailable):
            await runtime.service.profiles.get("x" * 64)
    finally:
        runtime.events.flush_timeout = 0.1
        await runtime.events.stop()
        runtime.database.dispose()


async def test_forget_on_postgresql(postgres_url: str, tmp_path: Path, models_dir: Path) -> None:
    settings = make_settings(tmp_path, models_dir, database_url=postgres_url)
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    try:
        service = runtime.service
        await service.handle("test", 77, Incoming.button("c:DE", "en"))
        await service.handle(
            "test", 77, Incoming.message("my friend is being bullied on tiktok", "en")
        )
        await service.events.flush()
        pseudonym = service.pseudonym("test", 77)
        assert service.profiles.count_rows(pseudonym) == 3
        await service.handle("test", 77, Incoming.command("forget", "en"))
        assert service.profiles.count_rows(pseudonym) == 0
    finally:
        await runtime.aclose()
