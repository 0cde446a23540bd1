"""Compare the embedded spaCy classifier with Rasa's DIET on the same machine, in one run.

    python benchmarks/compare_engines.py [--locales en,ru,uk,tr] [--rasa-locales en]
        [--rasa-weight 0.5] [--write]

For each engine (embedded, Rasa, and both combined with Rasa's share ``--rasa-weight``, as the
bot does with SAFEBOT_RASA_WEIGHT): macro-F1 on the held-out test file and on the blind file,
risk recall and false-crisis rate, training time, p50/p99 time to classify one message, and
memory. ``--write`` records the table in benchmarks/ENGINES.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from nlu import rasa_environment, rasa_server  # noqa: E402
from nlu.classifier import Classifier  # noqa: E402
from nlu.crisis import CrisisNet  # noqa: E402
from nlu.evaluation import Evaluation, evaluate  # noqa: E402
from nlu.loading import load_understanding  # noqa: E402
from nlu.rasa_classifier import (  # noqa: E402
    RasaClassifier,
    WithFallback,
    parse_answer,
    result_from_parse,
)
from nlu.spacy_classifier import SpacyClassifier, train_locale  # noqa: E402
from nlu.training_data import read_nlu_file  # noqa: E402
from nlu.understanding import Understanding  # noqa: E402

REPEATS = 5


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bot_memory_mb(models_dir: Path) -> float:
    """RSS of a fresh bot process with the runtime (all locales' models) loaded."""
    code = (
        "import os, asyncio\n"
        "from pydantic import SecretStr\n"
        "from bot.settings import Settings\n"
        "from bot.service.runtime import build_runtime\n"
        f"s = Settings(models_path={str(models_dir)!r}, database_url='sqlite://')\n"
        "r = build_runtime(s, pseudonym_key=SecretStr('x'*40), migrate=True)\n"
        "async def go():\n"
        "    from bot.engine.messages import Incoming\n"
        "    await r.start()\n"
        "    for loc in ('en','ru','uk','tr'):\n"
        "        await r.service.handle('bench', 1, Incoming.message('hello', loc))\n"
        "    await r.aclose()\n"
        "asyncio.run(go())\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()[-1]
    return int(out) / 1024


#: The sealed blind topic set of a locale (written by people who saw no project file); only its
#: macro-F1 is read.
SEALED_TOPIC_FILE = "holdout/test_blind_b.yml"


def understanding_for(
    classifier: Classifier, net: CrisisNet, locale: str, settings: Settings, risk_dir: Path
) -> Understanding:
    """The bot's whole decision path around one classifier, with the embedded risk model."""
    return load_understanding(
        settings, classifier, [locale], net=net, models_dir=risk_dir, default_locale=locale
    )


def quality(
    understanding: Understanding, locale: str, settings: Settings, engine: str
) -> dict[str, float]:
    examples = read_nlu_file(settings.nlu_testsets_dir / locale / "test_nlu.yml")
    blind_file = settings.nlu_testsets_dir / locale / "test_blind.yml"
    sealed_file = settings.nlu_testsets_dir / locale / SEALED_TOPIC_FILE

    async def all_files() -> tuple[Evaluation, Evaluation | None, Evaluation | None]:
        # One event loop for every file: a Rasa client's connections belong to the loop.
        ev = await evaluate(understanding, examples, locale, engine=engine)
        found = []
        for path in (blind_file, sealed_file):
            found.append(
                await evaluate(understanding, read_nlu_file(path), locale, engine=engine)
                if path.is_file()
                else None
            )
        return ev, found[0], found[1]

    ev, blind, sealed = asyncio.run(all_files())
    return {
        "macro_f1": ev.macro_f1,
        "blind_macro_f1": blind.macro_f1 if blind is not None else float("nan"),
        # Only the summary figure of the sealed set is read.
        "sealed_macro_f1": sealed.macro_f1 if sealed is not None else float("nan"),
        "accuracy": ev.accuracy,
        "risk_recall": ev.risk_recall,
        "false_crisis": ev.false_crisis_rate,
        "self_harm_missed": float(len(ev.self_harm_missed)),
    }


def bench_spacy(
    settings: Settings, locales: list[str], net: CrisisNet, models_dir: Path
) -> list[dict[str, object]]:
    rows = []
    for locale in locales:
        report = train_locale(settings.nlu_data_dir, models_dir, locale)
        classifier = SpacyClassifier.load(models_dir, [locale], default_locale=locale)
        understanding = understanding_for(classifier, net, locale, settings, models_dir)
        texts = [e.text for e in read_nlu_file(settings.nlu_testsets_dir / locale / "test_nlu.yml")]
        timings = []
        for _ in range(REPEATS):
            for text in texts:
                # The whole decision: crisis net, risk model and topic classifier.
                started = time.perf_counter()
                asyncio.run(understanding.understand(text, locale))
                timings.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "engine": "spacy",
                "locale": locale,
                **quality(understanding, locale, settings, "spacy"),
                "train_s": report.seconds,
                "p50_ms": statistics.median(timings),
                "p99_ms": percentile(timings, 99),
            }
        )
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_rasa(
    settings: Settings, locales: list[str], net: CrisisNet, models_dir: Path, rasa_weight: float
) -> list[dict[str, object]]:
    env = rasa_environment.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
    rows = []
    for locale in locales:
        model, seconds = rasa_server.train(env, settings.nlu_dir, models_dir, locale, force=True)
        port = free_port()
        process = rasa_server.serve(env, model, port=port)
        url = f"http://127.0.0.1:{port}"
        try:
            rasa_server.wait_ready(url, process=process, timeout=300)
            texts = [
                e.text for e in read_nlu_file(settings.nlu_testsets_dir / locale / "test_nlu.yml")
            ]
            timings = []
            with httpx.Client(timeout=30) as client:
                for _ in range(REPEATS):
                    for text in texts:
                        started = time.perf_counter()
                        result_from_parse(
                            parse_answer(
                                client.post(f"{url}/model/parse", json={"text": text}).content
                            )
                        )
                        timings.append((time.perf_counter() - started) * 1000)
            memory = rss_mb(process.pid)
            classifier = RasaClassifier({locale: url}, timeout_seconds=30)
            measured = quality(
                understanding_for(classifier, net, locale, settings, models_dir),
                locale,
                settings,
                "rasa",
            )
            embedded = SpacyClassifier.load(models_dir, [locale], default_locale=locale)
            # A client of its own: the first one's connections belong to a closed event loop.
            fresh = RasaClassifier({locale: url}, timeout_seconds=30)
            both = WithFallback(fresh, embedded, rasa_weight=rasa_weight)
            combined = quality(
                understanding_for(both, net, locale, settings, models_dir),
                locale,
                settings,
                "combined",
            )
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        rows.append(
            {
                "engine": "rasa",
                "locale": locale,
                **measured,
                "train_s": seconds,
                "p50_ms": statistics.median(timings),
                "p99_ms": percentile(timings, 99),
                "memory_mb": memory,
            }
        )
        rows.append(
            {
                "engine": f"combined (Rasa {rasa_weight:g})",
                "locale": locale,
                **combined,
                "train_s": seconds,
                "p50_ms": float("nan"),
                "p99_ms": float("nan"),
                "memory_mb": "both",
            }
        )
    return rows


def table(rows: list[dict[str, object]]) -> str:
    head = "| engine | locale | macro-F1 | blind macro-F1 | sealed macro-F1 | accuracy | risk recall | false-crisis | self_harm missed | train s | p50 ms | p99 ms | memory MB |"
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['locale']} | {r['macro_f1']:.3f} | {r['blind_macro_f1']:.3f} | "
            f"{r['sealed_macro_f1']:.3f} | "
            f"{r['accuracy']:.3f} | "
            f"{r['risk_recall']:.3f} | {r['false_crisis']:.3f} | {int(r['self_harm_missed'])} | "  # type: ignore[call-overload]
            f"{r['train_s']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r.get('memory_mb', '')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--locales", default="en,ru,uk,tr")
    parser.add_argument("--rasa-locales", default="en", help="'' to skip Rasa")
    parser.add_argument("--rasa-weight", type=float, default=0.5, help="Rasa's share, combined")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    with tempfile.TemporaryDirectory() as scratch:
        models_dir = Path(scratch)
        rows = bench_spacy(settings, args.locales.split(","), net, models_dir)
        memory = bot_memory_mb(models_dir)
        for row in rows:
            row["memory_mb"] = f"{memory:.0f} (bot, all locales)"
        if args.rasa_locales:
            rows += bench_rasa(
                settings, args.rasa_locales.split(","), net, models_dir, args.rasa_weight
            )
    for row in rows:
        if isinstance(row.get("memory_mb"), float):
            row["memory_mb"] = f"{row['memory_mb']:.0f} (server)"
    rendered = table(rows)
    print(rendered)
    print(json.dumps(rows, indent=1, default=str))
    if args.write:
        header = (
            f"# Classifier benchmark\n\nMeasured {dt.date.today().isoformat()} on {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, by "
            "`python benchmarks/compare_engines.py --write`.\n\n"
            "Quality is on the held-out `nlu/testsets/<locale>/test_nlu.yml` and `test_blind.yml` "
            "files (both opened: their errors have guided training data) and on the sealed "
            "`holdout/test_blind_b.yml` (written by people who saw no project file; only its "
            "macro-F1 is read), through the same "
            "decision rules as the bot (crisis net, self-harm floor, escalation floor, clarifying "
            "question; a clarifying question counts as a miss for macro-F1). Latency is one "
            "message, in process for spaCy and over HTTP for Rasa. Memory is the resident set size "
            "of the bot process (spaCy, all locales loaded) and of the Rasa server.\n\n"
        )
        (ROOT / "benchmarks" / "ENGINES.md").write_text(header + rendered + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
