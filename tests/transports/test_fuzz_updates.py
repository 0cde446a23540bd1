"""``safebot run`` against generated updates: broken, odd, hostile, of every kind.

A small sample here (benchmarks/fuzz_updates.py sends 100,000): the bot keeps running, answers
every well-formed private text, and nothing of what the children sent (the planted text, names,
ids) nor the token is found in the database, the DEBUG log or the event spool.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_KEY
from tests.support.fuzz_run import FuzzedBot, find_planted
from tests.support.fuzz_updates import MARKER, Fuzzed, broken, private_text, updates
from tests.support.waiting import wait_until

_ONE_BOT = settings(
    max_examples=7,
    deadline=None,
    database=None,
    phases=[Phase.generate],  # one bot for every example: a failure is not shrunk
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_fuzzed_updates_crash_nothing_go_unanswered_or_leak(
    tmp_path: Path, models_dir: Path
) -> None:
    bot = FuzzedBot.start(tmp_path, models_dir, TEST_KEY)
    try:

        @_ONE_BOT
        @given(st.lists(updates, min_size=1, max_size=15))
        def drive(batch: list[Fuzzed]) -> None:
            for fuzzed in batch:
                bot.send(fuzzed)
            assert not bot.settle(), "private texts left unanswered"
            assert bot.alive()

        @settings(_ONE_BOT, max_examples=2)
        @given(st.lists(private_text(), min_size=3, max_size=6))
        def drive_locked(batch: list[Fuzzed]) -> None:
            # The database locked: children still answered, events spooled, and nothing planted
            # in the spool.
            with bot.database_locked():
                for fuzzed in batch:
                    bot.send(fuzzed)
                assert not bot.settle(), "private texts left unanswered, database locked"
                wait_until(lambda: bot.spool_path.exists() and bot.spool_path.stat().st_size > 0)
                assert find_planted(bot.spool_path.read_bytes(), bot.planted) == []

        drive()
        drive_locked()
        drive()
    finally:
        counts = bot.finish()
    assert counts.updates >= 30, counts.sent
    assert counts.sent["private text"] > 0 and any(k.startswith("broken") for k in counts.sent)
    assert counts.crashes == 0
    assert counts.unanswered == 0
    assert counts.leaks == []


@given(st.one_of(private_text(), broken()))
def test_the_leak_search_finds_what_an_update_plants(fuzzed: Fuzzed) -> None:
    planted = {7_313_000_123}
    assert find_planted(b"no children here 1764000000", planted) == []
    assert find_planted(f"x {MARKER.upper()} y".encode(), planted) == ["the planted text or names"]
    assert find_planted(b"id=7313000123;", planted) == ["a planted id as text"]
    stored = b"\x00" + (7_313_000_123).to_bytes(6, "big") + b"\x01"
    assert find_planted(stored, planted) == ["a planted id as an integer"]
    if fuzzed.answer_to is not None:
        assert MARKER in fuzzed.update["message"]["text"]
