"""Two bot processes on one database (webhook replicas): what one learns, the other knows.

Two real runtimes share a real SQLite file or PostgreSQL database, as two replicas behind one
webhook do; Telegram may hand any update of a child to either of them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import current_hour
from bot.engine.messages import Incoming
from bot.service.runtime import Runtime, build_runtime
from bot.storage.events import LoggedEvent
from bot.storage.records import EventRecord
from tests.conftest import TEST_KEY, make_settings

CRISIS = "i want to kill myself tonight"
CRISIS_EDITED = "i want to kill myself"
ORDINARY = "someone hacked my instagram"

_children = itertools.count(51_000)


@pytest.fixture(params=["sqlite", "postgresql"])
async def replicas(
    request: pytest.FixtureRequest, tmp_path: Path, models_dir: Path
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    overrides: dict[str, object] = {"reload_seconds": 0}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    else:
        overrides["database_url"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    built = []
    for name in ("a", "b"):  # each its own data directory (spool), one database
        settings = make_settings(tmp_path / name, models_dir, **overrides)
        built.append(build_runtime(settings, pseudonym_key=TEST_KEY, daily_purge=False))
    await built[0].start()  # the second one's event writer starts when its test says so
    yield built[0], built[1]
    for runtime in built:
        await runtime.aclose()


async def test_an_edit_is_not_answered_again_by_the_other_replica(
    replicas: tuple[Runtime, Runtime],
) -> None:
    # issue #12: which message was answered lived in one process, so an edit that reached the
    # other replica was answered (and counted) a second time.
    await replicas[1].start()
    a, b = (runtime.service for runtime in replicas)
    child = next(_children)
    assert await a.handle("telegram", child, Incoming.message(CRISIS, "en"), message_id=7)
    edit = Incoming.message(CRISIS_EDITED, "en")
    assert await b.handle("telegram", child, edit, message_id=7, edited=True) == []

    # An ordinary message edited into a crisis is answered once, whichever replica gets it.
    assert await b.handle("telegram", child, Incoming.message(ORDINARY, "en"), message_id=8)
    assert await a.handle("telegram", child, edit, message_id=8, edited=True)
    assert await b.handle("telegram", child, edit, message_id=8, edited=True) == []
    assert await a.handle("telegram", child, edit, message_id=8, edited=True) == []

    # /forget on either replica takes these records with everything else of the child's.
    pseudonym = a.pseudonym("telegram", child)
    assert await a.profiles.answered_urgency(pseudonym, 8) is not None
    assert await b.handle("telegram", child, Incoming.command("forget", "en"))
    assert await a.profiles.answered_urgency(pseudonym, 7) is None
    assert await a.profiles.answered_urgency(pseudonym, 8) is None


async def test_forget_on_one_replica_stops_the_other_writing_the_childs_queued_events(
    replicas: tuple[Runtime, Runtime],
) -> None:
    # issue #13: events of a child still queued in one process were written after "Done" from
    # another. The second replica's writer is held up (not started) while the child talks to it.
    first, second = replicas
    child = next(_children)
    for text in (ORDINARY, CRISIS, ORDINARY):
        assert await second.service.handle("telegram", child, Incoming.message(text, "en"))
    assert await first.service.handle("telegram", child, Incoming.command("forget", "en"))

    pseudonym = first.service.pseudonym("telegram", child)
    await second.start()  # the held-up writer catches up
    await second.events.flush()
    assert first.service.profiles.count_rows(pseudonym) == 0
    assert second.events.refused == 3

    # What the child says in a later hour is a new conversation, and is written.
    later = LoggedEvent(
        EventRecord(kind="text", intent="privacy"),
        pseudonym,
        "en",
        None,
        hour=current_hour() + dt.timedelta(hours=1),
    )
    second.events.record(later)
    await second.events.flush()
    assert first.service.profiles.count_rows(pseudonym) == 1
