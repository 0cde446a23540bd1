"""Two turns of one child at once (two replicas, or a retried update): no crisis is lost.

Real concurrent turns through :class:`ChatService` on real SQLite and PostgreSQL: one message
opens a crisis, the other is ordinary. Whatever order their reads and writes interleave in, the
crisis must still be open afterwards; with last-write-wins the ordinary turn overwrote it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.messages import Incoming
from bot.service.runtime import Runtime, build_runtime
from tests.conftest import TEST_KEY, make_settings

pytestmark = pytest.mark.time_sensitive

PAIRS = 10
CRISIS = "i want to kill myself tonight"
ORDINARY = "someone hacked my instagram"


@pytest.fixture(params=["sqlite", "postgresql"])
async def runtime(
    request: pytest.FixtureRequest, tmp_path: Path, models_dir: Path
) -> AsyncIterator[Runtime]:
    overrides: dict[str, object] = {"reload_seconds": 0}
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    built = build_runtime(make_settings(tmp_path, models_dir, **overrides), pseudonym_key=TEST_KEY)
    await built.start()
    yield built
    await built.aclose()


async def _in_crisis(runtime: Runtime, child: int) -> bool:
    profile = await runtime.service.profiles.get(runtime.service.pseudonym("test", child))
    return profile is not None and profile.in_crisis(dt.datetime.now(dt.UTC))


async def _pair(runtime: Runtime, child: int, *, crisis_first: bool) -> None:
    service = runtime.service
    crisis = service.handle("test", child, Incoming.message(CRISIS, "en"))
    ordinary = service.handle("test", child, Incoming.message(ORDINARY, "en"))
    turns = (crisis, ordinary) if crisis_first else (ordinary, crisis)
    answered = await asyncio.gather(*turns)
    assert all(replies for replies in answered)


async def test_a_crisis_opened_by_one_turn_is_not_lost_by_a_concurrent_one(
    runtime: Runtime,
) -> None:
    lost = []
    for pair in range(PAIRS):
        child = 5100 + pair
        await _pair(runtime, child, crisis_first=pair % 2 == 0)
        if not await _in_crisis(runtime, child):
            lost.append(pair)
    assert lost == []


async def test_a_known_child_keeps_both_changes_of_concurrent_turns(runtime: Runtime) -> None:
    """One turn opens a crisis while the other sets the country: neither change is lost."""
    service = runtime.service
    for pair in range(PAIRS):
        child = 5200 + pair
        await service.handle("test", child, Incoming.command("start", "en"))
        crisis = service.handle("test", child, Incoming.message(CRISIS, "en"))
        country = service.handle("test", child, Incoming.button("c:GB", "en"))
        turns = (crisis, country) if pair % 2 else (country, crisis)
        await asyncio.gather(*turns)
        profile = await service.profiles.get(service.pseudonym("test", child))
        assert profile is not None
        assert profile.in_crisis(dt.datetime.now(dt.UTC)), f"pair {pair} lost the crisis"
        assert profile.country == "GB", f"pair {pair} lost the country"
