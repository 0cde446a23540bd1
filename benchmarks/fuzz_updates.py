"""Fuzz the Telegram path: ``safebot run`` fed generated updates through the Bot API stand-in.

The generator of tests/transports/test_fuzz_updates.py (tests/support/fuzz_updates.py): every
kind of update, a third of them with fields missing or of the wrong type, hostile and huge
texts, random button data, all planted with a marker text, names, ids and the token. Prints the
updates sent by kind, crashes (the process dying or a handler failing), private texts left
unanswered, and where planted data was found (the DEBUG log, SQLite files, event spool). Run:

    python benchmarks/fuzz_updates.py [--updates 100000] [--models DIR] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlu.spacy_classifier import is_current, train_locale  # noqa: E402
from nlu.training_data import available_locales  # noqa: E402
from tests.conftest import TEST_KEY  # noqa: E402
from tests.support.fuzz_run import Counts, FuzzedBot, find_planted  # noqa: E402
from tests.support.fuzz_updates import Fuzzed, updates  # noqa: E402
from tests.support.locking import exclusive  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402

#: Updates per Hypothesis example: small enough for its buffer, large enough to be cheap.
_BATCH = 20
#: One batch in this many updates is sent with the database locked (events go to the spool).
_LOCKED_EVERY = 10_000


def _models(directory: Path) -> Path:
    """The classifiers the tests use, trained here when missing or stale."""
    data = ROOT / "nlu" / "training"
    with exclusive("test-models"):
        for locale in available_locales(data):
            if not is_current(directory, data, locale):
                train_locale(data, directory, locale)
    return directory


def fuzz(total: int, models: Path, data_dir: Path, run_seed: int) -> Counts:
    """Send ``total`` generated updates and count what went wrong."""
    bot = FuzzedBot.start(data_dir, models, TEST_KEY)
    started = time.monotonic()

    @seed(run_seed)
    @settings(
        max_examples=-(-total // _BATCH),
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(st.lists(updates, min_size=_BATCH, max_size=_BATCH))
    def drive(batch: list[Fuzzed]) -> None:
        if bot.counts.updates >= total or not bot.alive():
            return
        if bot.counts.updates % _LOCKED_EVERY < _BATCH:
            _send_locked(bot, batch)
            return
        for fuzzed in batch:
            bot.send(fuzzed)
        if bot.counts.updates % 5000 < _BATCH:
            elapsed = time.monotonic() - started
            owed = len(bot.unanswered())
            print(f"  {bot.counts.updates:>7} sent in {elapsed:6.0f} s, {owed} answers owed")

    try:
        drive()
    except KeyboardInterrupt:  # `kill -INT` this process (not the bot): stop sending, count
        print("interrupted: no more updates sent")
    return bot.finish(timeout=300)


def _send_locked(bot: FuzzedBot, batch: list[Fuzzed]) -> None:
    """A batch sent while the database is locked; the event spool is searched meanwhile."""
    with bot.database_locked():
        for fuzzed in batch:
            bot.send(fuzzed)
        bot.settle()
        with contextlib.suppress(TimeoutError):  # a batch with nothing to count spools nothing
            wait_until(lambda: bot.spool_path.exists() and bot.spool_path.stat().st_size > 0)
        if bot.spool_path.exists():
            found = find_planted(bot.spool_path.read_bytes(), bot.planted)
            bot.counts.leaks += [f"{bot.spool_path.name}: {what}" for what in found]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "test-models")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data directory and log")
    args = parser.parse_args()
    models = _models(args.models)
    data_dir = Path(tempfile.mkdtemp(prefix="safebot-fuzz-"))
    started = time.monotonic()
    counts = fuzz(args.updates, models, data_dir, args.seed)
    elapsed = time.monotonic() - started
    print(f"updates sent: {counts.updates} in {elapsed:.0f} s")
    for kind, number in sorted(counts.sent.items()):
        print(f"  {kind}: {number}")
    print(f"crashes: {counts.crashes}")
    print(f"unanswered private text messages: {counts.unanswered}")
    print(f"leaks: {len(counts.leaks)}")
    for leak in counts.leaks:
        print(f"  {leak}")
    if args.keep:
        print(f"data directory: {data_dir}")
    else:
        for path in sorted(data_dir.iterdir()):
            path.unlink()
        data_dir.rmdir()
    return 0 if counts.crashes == counts.unanswered == len(counts.leaks) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
