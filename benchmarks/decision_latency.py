"""Time of one whole decision (crisis net, risk model, topic classifier) and the bot's memory.

Loads trained models from ``--models`` (default: the data directory's), decides every message of
the held-out files of each locale ``--repeats`` times, and prints p50/p99 in milliseconds per
locale, then the resident memory of a bot runtime with every locale loaded. Run:

    python benchmarks/decision_latency.py [--models DIR] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from nlu.crisis import CrisisNet  # noqa: E402
from nlu.crisis_evaluation import read_crisis_file  # noqa: E402
from nlu.loading import load_understanding  # noqa: E402
from nlu.spacy_classifier import SpacyClassifier  # noqa: E402
from nlu.training_data import read_nlu_file  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    models = args.models or settings.models_dir
    locales = ["en", "ru", "uk", "tr"]
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    understanding = load_understanding(
        settings, SpacyClassifier.load(models, locales), locales, net=net, models_dir=models
    )
    every: list[float] = []
    for locale in locales:
        tests = settings.nlu_testsets_dir / locale
        texts = [e.text for e in read_nlu_file(tests / "test_nlu.yml")]
        for path in sorted(tests.glob("crisis_*.yml")):
            texts += [c.text for c in read_crisis_file(path)]
        await understanding.understand(texts[0], locale)  # warm caches
        timings = []
        for _ in range(args.repeats):
            for text in texts:
                started = time.perf_counter()
                await understanding.understand(text, locale)
                timings.append((time.perf_counter() - started) * 1000)
        every += timings
        print(
            f"{locale}: {len(texts)} messages x {args.repeats}: "
            f"p50 {statistics.median(timings):.2f} ms, p99 {percentile(timings, 99):.2f} ms"
        )
    print(f"all: p50 {statistics.median(every):.2f} ms, p99 {percentile(every, 99):.2f} ms")
    long = "i dont know what to say " * 170  # Telegram's longest message, 4096 characters
    started = time.perf_counter()
    await understanding.understand(long[:4096], "en")
    print(f"one 4096-character message: {(time.perf_counter() - started) * 1000:.1f} ms")
    print(f"process RSS with all four locales' models and rules: {rss_mb():.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
