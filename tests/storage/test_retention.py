"""Retention (purge, daily in the bot) and pseudonym key rotation, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from bot.clock import fixed_clock
from bot.key_rotation import KeyFileExists, new_key, rehash_pseudonyms, write_key_file
from bot.service.purge import DailyPurge
from bot.service.runtime import build_runtime
from bot.settings import Settings
from bot.stats import stats_table
from bot.storage.database import make_engine, upgrade
from bot.storage.models import AnsweredMessage, Event, ForgottenPseudonym, ProfileRow
from bot.storage.record_keys import child_key
from bot.storage.retention import purge
from tests.conftest import TEST_KEY
from tests.stats.test_stats import add, event
from tests.support.cli import safebot

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
pytestmark = pytest.mark.time_sensitive

NOW = dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC)
OLD_KEY = b"old-key-" + b"x" * 32


def pseudonym(user_id: int) -> str:
    return hmac.new(OLD_KEY, f"telegram:{user_id}".encode(), hashlib.sha256).hexdigest()


def profile(p: str, hour: dt.datetime) -> dict[str, object]:
    return {
        "pseudonym": p,
        "locale": "en",
        "country": "GB",
        "country_asked": True,
        "crisis_until": None,
        "crisis_intent": None,
        "crisis_emergency": False,
        "updated_hour": hour,
    }


def seed_ages(engine: Engine) -> None:
    """Events and profiles 400, 364 and 0 days old."""
    rows = []
    profiles = []
    for days, user in ((400, 1), (364, 2), (0, 3)):
        hour = (NOW - dt.timedelta(days=days)).replace(minute=0)
        rows += [event(hour, pseudonym(user)) for _ in range(2)]
        profiles.append(profile(pseudonym(user), hour))
    add(engine, rows)
    with engine.begin() as connection:
        connection.execute(insert(ProfileRow), profiles)


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(Event)).scalar_one()
        profiles = connection.execute(select(func.count()).select_from(ProfileRow)).scalar_one()
    return int(events), int(profiles)


def test_purge_deletes_what_is_older_than_the_retention(database: Engine) -> None:
    seed_ages(database)
    result = purge(database, retention_days=365, now=NOW)
    assert (result.events, result.profiles) == (2, 1)
    assert counts(database) == (4, 2)
    with database.connect() as connection:
        left = set(connection.execute(select(Event.pseudonym).distinct()).scalars())
    assert left == {pseudonym(2), pseudonym(3)}
    assert purge(database, retention_days=30, now=NOW).events == 2
    assert counts(database) == (2, 1)


def test_purge_deletes_answered_messages_older_than_a_week(database: Engine) -> None:
    rows = [
        {"pseudonym": pseudonym(user), "message_id": 5, "urgency": 2, "answered_hour": hour}
        for user, hour in ((1, NOW - dt.timedelta(days=8)), (2, NOW - dt.timedelta(days=6)))
    ]
    with database.begin() as connection:
        connection.execute(insert(AnsweredMessage), rows)
    assert purge(database, retention_days=365, now=NOW).answered_messages == 1
    with database.connect() as connection:
        left = connection.execute(select(AnsweredMessage.pseudonym)).scalars().all()
    assert left == [pseudonym(2)]


def test_purge_lets_go_of_forgets_older_than_an_hour(database: Engine) -> None:
    rows = [
        {"pseudonym": pseudonym(user), "forgotten_at": at}
        for user, at in ((1, NOW - dt.timedelta(minutes=61)), (2, NOW - dt.timedelta(minutes=59)))
    ]
    with database.begin() as connection:
        connection.execute(insert(ForgottenPseudonym), rows)
    assert purge(database, retention_days=365, now=NOW).forgotten_pseudonyms == 1
    with database.connect() as connection:
        left = connection.execute(select(ForgottenPseudonym.pseudonym)).scalars().all()
    assert left == [pseudonym(2)]


async def test_the_daily_purge_runs_in_the_background(database: Engine) -> None:
    seed_ages(database)
    task = DailyPurge(
        database,
        retention_days=365,
        interval_seconds=0.05,
        first_delay_seconds=0,
        clock=fixed_clock(NOW),
    )
    await task.start()
    for _ in range(200):
        if task.runs >= 2:
            break
        await asyncio.sleep(0.05)
    await task.stop()
    assert task.runs >= 2
    assert counts(database)[0] == 4


async def test_the_running_bot_starts_and_stops_its_daily_purge(settings: Settings) -> None:
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    task = runtime.purge
    try:
        assert isinstance(task, DailyPurge) and task.running
    finally:
        await runtime.aclose()
    assert not task.running


async def test_webhook_replicas_leave_the_purge_to_the_scheduled_command(
    settings: Settings,
) -> None:
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY, daily_purge=False)
    await runtime.start()
    try:
        assert runtime.purge is None
        assert not any(isinstance(s, DailyPurge) for s in runtime.background())
    finally:
        await runtime.aclose()


def test_purge_command(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'safebot.sqlite3'}")
    upgrade(engine)
    old = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    add(engine, [event(old - dt.timedelta(days=40), "a" * 64), event(old, "b" * 64)])
    engine.dispose()
    result = safebot(
        "purge", env={"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_RETENTION_DAYS": "30"}
    )
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 events and 0 profiles" in result.stdout


# -- key rotation -----------------------------------------------------------------------------


def test_rotation_unlinks_old_records_and_keeps_distinct_counts(database: Engine) -> None:
    week = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    rows = []
    for user in range(12):
        rows += [event(week, pseudonym(user), intent="privacy") for _ in range(1 + user % 3)]
        rows.append(event(week + dt.timedelta(days=7), pseudonym(user), intent="grooming"))
    add(database, rows)
    with database.begin() as connection:
        connection.execute(insert(ProfileRow), [profile(pseudonym(u), week) for u in range(12)])
    before = stats_table(database, k=5, perturb=False)

    result = rehash_pseudonyms(database)

    assert (result.pseudonyms, result.events, result.profiles) == (12, len(rows), 12)
    with database.connect() as connection:
        after_pseudonyms = set(connection.execute(select(Event.pseudonym)).scalars())
    old = {pseudonym(u) for u in range(12)}
    assert after_pseudonyms.isdisjoint(old)
    assert len(after_pseudonyms) == 12 and all(len(p) == 64 for p in after_pseudonyms)
    assert counts(database)[1] == 0
    # The child keys follow the new pseudonyms: none taken from the old ones is left.
    with database.connect() as connection:
        keys = {p: key for p, key in connection.execute(select(Event.pseudonym, Event.child_key))}
    assert keys == {new: child_key(new) for new in after_pseudonyms}
    assert set(keys.values()).isdisjoint({child_key(p) for p in old})
    after = stats_table(database, k=5, perturb=False)
    assert after.rows() == before.rows()
    assert after.total.figures.users == 12
    # A second rotation gives other values again: the salt is new each time.
    rehash_pseudonyms(database)
    with database.connect() as connection:
        again = set(connection.execute(select(Event.pseudonym)).scalars())
    assert again.isdisjoint(after_pseudonyms)


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "new.key"
    key = new_key()
    assert len(key) == 64 and int(key, 16) >= 0
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key
    with pytest.raises(KeyFileExists):
        write_key_file(path, new_key())
    assert path.read_text().strip() == key


def test_rotate_key_command(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'safebot.sqlite3'}")
    upgrade(engine)
    add(engine, [event(NOW, pseudonym(u)) for u in range(3)])
    engine.dispose()
    env = {"SAFEBOT_DATA_DIR": str(tmp_path)}
    refused = safebot("rotate-key", env=env)  # no terminal to confirm on
    assert refused.returncode == 2 and "--yes" in refused.stderr
    result = safebot("rotate-key", "--yes", env=env)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "pseudonym-key.new"
    key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key not in result.stdout + result.stderr
    assert "SAFEBOT_PSEUDONYM_KEY" in result.stdout and str(key_file) in result.stdout
    again = safebot("rotate-key", "--yes", env=env)
    assert again.returncode == 2 and "exists already" in again.stderr
