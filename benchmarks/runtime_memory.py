"""Resident memory of a loaded bot process, for the containers' memory requests and limits.

Builds the runtime the way the bot's start-up does (content, crisis net, every locale's
classifier and risk model, the language identifier, the database, the event log), reports the
resident set size, then answers every held-out test message of every locale through the chat
service (as ``--children`` different children, ``--rounds`` times) and reports the RSS and the
peak again. Run with trained models (``safebot train``):

    python benchmarks/runtime_memory.py [--models DIR] [--database-url URL] [--rounds 3]

Prints one JSON object: MB after start-up, after the messages, and the peak (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from bot.engine.messages import Incoming  # noqa: E402
from bot.service.runtime import build_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from nlu.training_data import available_locales, read_nlu_file  # noqa: E402

#: A throwaway pseudonym key: nothing measured here is kept.
_KEY = SecretStr("benchmark-only-key-0123456789abcdef0123456789abcdef")


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(settings: Settings, *, rounds: int, children: int) -> dict[str, float | int]:
    runtime = build_runtime(settings, pseudonym_key=_KEY)
    await runtime.start()
    try:
        loaded = status_mb("VmRSS")
        texts = [
            (locale, example.text)
            for locale in available_locales(settings.nlu_data_dir)
            for example in read_nlu_file(settings.nlu_testsets_dir / locale / "test_nlu.yml")
        ]
        answered = 0
        for round_number in range(rounds):
            for index, (locale, text) in enumerate(texts):
                child = 1_000_000 + (index + round_number * 7) % children
                await runtime.service.handle("bench", child, Incoming.message(text, locale))
                answered += 1
        await runtime.service.events.flush()
        return {
            "rss_after_start_mb": round(loaded, 1),
            "rss_after_messages_mb": round(status_mb("VmRSS"), 1),
            "peak_rss_mb": round(status_mb("VmHWM"), 1),
            "messages": answered,
            "children": children,
        }
    finally:
        await runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--children", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Settings()
        settings = base.model_copy(
            update={
                "data_dir": Path(scratch),
                "models_path": args.models or base.models_dir,
                "database_url": args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}",
                "reload_seconds": 0.0,
                "purge_interval_hours": 0.0,
            }
        )
        figures = asyncio.run(measure(settings, rounds=args.rounds, children=args.children))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
