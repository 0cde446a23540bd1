"""``safebot classify`` and ``safebot evaluate``: the bot's own understanding, on any engine."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.cli.common import CliError, load_settings, progress_bars
from bot.logging_setup import configure_logging
from bot.settings import Settings

if TYPE_CHECKING:
    from nlu.classifier import Classifier
    from nlu.rasa_classifier import RasaClassifier
    from nlu.understanding import Understanding


def engine_classifier(
    settings: Settings,
    *,
    engine: str,
    locale: str | None,
    rasa_url: str | None,
    timeout: float,
) -> tuple[Classifier, RasaClassifier | None]:
    """The classifier chosen with --engine: a Rasa client, or the (trained) spaCy models."""
    from nlu.rasa_classifier import RasaClassifier, parse_urls

    if engine == "rasa":
        url = rasa_url or settings.rasa_url
        if not url:
            raise CliError("Set SAFEBOT_RASA_URL (or --rasa-url) to use the Rasa engine.")
        rasa = RasaClassifier(parse_urls(url), timeout_seconds=timeout, token=settings.rasa_token)
        return rasa, rasa
    from bot.service.runtime import ensure_models
    from nlu.spacy_classifier import SpacyClassifier

    locales = ensure_models(settings, progress=progress_bars())
    if locale and locale not in locales:
        raise CliError(f"No model for locale '{locale}'; available: {', '.join(locales)}")
    default = locale or settings.default_locale
    return SpacyClassifier.load(settings.models_dir, locales, default_locale=default), None


def understanding_for(
    settings: Settings,
    *,
    engine: str,
    locale: str | None,
    rasa_url: str | None,
    timeout: float,
) -> tuple[Understanding, RasaClassifier | None]:
    """The bot's own way of understanding text, with the classifier chosen by --engine."""
    from bot.service.runtime import ensure_models
    from nlu.loading import load_understanding

    classifier, rasa = engine_classifier(
        settings, engine=engine, locale=locale, rasa_url=rasa_url, timeout=timeout
    )
    locales = ensure_models(settings, progress=progress_bars())
    understanding = load_understanding(
        settings, classifier, locales, default_locale=locale or settings.default_locale
    )
    return understanding, rasa


def classify(
    settings: Settings,
    *,
    locale: str = "en",
    engine: str = "spacy",
    rasa_url: str | None = None,
    lines: Iterable[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Classify one message per stdin line; one JSON object per stdout line."""
    from nlu.rasa_classifier import RasaUnavailable

    source = sys.stdin if lines is None else lines
    sink = sys.stdout if out is None else out

    understanding, rasa = understanding_for(
        settings, engine=engine, locale=locale, rasa_url=rasa_url, timeout=10
    )
    if rasa is not None and not rasa.serves(locale):
        raise CliError(f"No Rasa server configured for locale '{locale}'")

    async def run() -> None:
        try:
            for line in source:
                decision = await understanding.understand(line.rstrip("\n"), locale)
                sink.write(json.dumps(decision.as_json()) + "\n")
                sink.flush()
        finally:
            if rasa is not None:
                await rasa.aclose()

    try:
        asyncio.run(run())
    except RasaUnavailable as error:
        raise CliError(f"Rasa could not classify: {error}") from None
    return 0


def evaluation_targets(
    settings: Settings, locale: str | None, files: list[str], *, crisis: bool = False
) -> list[tuple[str, Path]]:
    """The (locale, file) pairs to evaluate: the files given, or each locale's test sets."""
    if files:
        return [(locale or settings.default_locale, Path(f)) for f in files]
    tests_dir = settings.nlu_testsets_dir
    locales = [locale] if locale else sorted(p.name for p in tests_dir.iterdir() if p.is_dir())
    found = [(loc, tests_dir / loc / "test_nlu.yml") for loc in locales]
    missing = [str(path) for _, path in found if not path.is_file()]
    if missing:
        raise CliError(f"No test file: {', '.join(missing)}")
    if crisis:
        found += [
            (loc, path)
            for loc in locales
            for path in sorted((tests_dir / loc).glob("crisis_*.yml"))
        ]
    return found


def is_crisis_file(path: Path) -> bool:
    """Crisis test files list ``messages:`` with an expected urgency; NLU files list ``nlu:``."""
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except OSError:
        return False
    return any(line.startswith("messages:") for line in head.splitlines())


def evaluate(
    settings: Settings,
    *,
    files: list[str] | None = None,
    locale: str | None = None,
    engine: str = "spacy",
    rasa_url: str | None = None,
    as_json: bool = False,
    confusion: str | None = None,
    crisis: bool = False,
) -> int:
    """Evaluate what children get (crisis net, risk model, classifier) on held-out test files."""
    from nlu.answer_evaluation import (
        ANSWER_FILE_PREFIX,
        evaluate_answers,
        format_answer_report,
    )
    from nlu.crisis_evaluation import evaluate_crisis, format_crisis_report, read_crisis_file
    from nlu.evaluation import evaluate, format_report, save_confusion_png
    from nlu.training_data import read_nlu_file

    targets = evaluation_targets(settings, locale, files or [], crisis=crisis)
    understanding, rasa = understanding_for(
        settings, engine=engine, locale=locale, rasa_url=rasa_url, timeout=30
    )
    if rasa is not None:
        targets = [(loc, path) for loc, path in targets if rasa.serves(loc)] or targets

    async def run_all() -> list[dict[str, object]]:
        results: list[dict[str, object]] = []
        try:
            for each, path in targets:
                if path.name.startswith(ANSWER_FILE_PREFIX):
                    answers = await evaluate_answers(understanding, path, each)
                    if not as_json:
                        print(f"{path}\n{format_answer_report(answers)}\n")
                    results.append(asdict(answers))
                    continue
                if is_crisis_file(path):
                    report = await evaluate_crisis(understanding, read_crisis_file(path), each)
                    if not as_json:
                        print(f"{path}\n{format_crisis_report(report)}\n")
                    results.append({"file": str(path), **report.as_dict()})
                    continue
                examples = read_nlu_file(path)
                ev = await evaluate(understanding, examples, each, engine=engine)
                if confusion:
                    target = Path(confusion)
                    if len(targets) > 1:
                        target = target.with_name(f"{target.stem}-{each}{target.suffix}")
                    save_confusion_png(ev, target)
                if not as_json:
                    print(format_report(ev) + "\n")
                results.append(ev.as_dict())
        finally:
            if rasa is not None:
                await rasa.aclose()
        return results

    try:
        results = asyncio.run(run_all())
    except Exception as error:
        from nlu.answer_evaluation import AnswerTestError
        from nlu.crisis_evaluation import CrisisTestError
        from nlu.rasa_classifier import RasaUnavailable
        from nlu.training_data import TrainingDataError

        if isinstance(error, RasaUnavailable):
            raise CliError(f"Rasa could not be evaluated: {error}") from None
        if isinstance(error, CrisisTestError | AnswerTestError | TrainingDataError):
            raise CliError(str(error)) from None
        raise
    if as_json:
        print(json.dumps(results if len(results) != 1 else results[0], indent=2))
    return 0


def _classify(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return classify(settings, locale=args.locale, engine=args.engine, rasa_url=args.rasa_url)


def cross_validation(
    settings: Settings, *, locale: str | None = None, folds: int = 5, as_json: bool = False
) -> int:
    """K-fold cross-validation of the topic classifier over each locale's training data."""
    from nlu.cross_validation import cross_validate, format_cross_validation
    from nlu.training_data import TrainingDataError, View, locale_data_dir, read_nlu_dir

    if folds < 2:
        raise CliError("--cross-validation needs at least 2 folds")
    data_dir = settings.nlu_data_dir
    locales = [locale] if locale else sorted(p.name for p in data_dir.iterdir() if p.is_dir())
    results = []
    for each in locales:
        try:
            examples = read_nlu_dir(locale_data_dir(data_dir, each), View.TOPIC)
        except (TrainingDataError, FileNotFoundError) as error:
            raise CliError(str(error)) from None
        cv = cross_validate(examples, each, folds=folds)
        results.append(cv.as_dict())
        if not as_json:
            print(format_cross_validation(cv) + "\n", flush=True)
    if as_json:
        print(json.dumps(results if len(results) != 1 else results[0], indent=2))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    if args.cross_validation is not None:
        if args.files or args.crisis or args.engine != "spacy" or args.confusion:
            raise CliError(
                "--cross-validation trains the embedded topic classifier on the training data: "
                "it takes no test files, --crisis, --engine rasa or --confusion"
            )
        return cross_validation(
            settings, locale=args.locale, folds=args.cross_validation, as_json=args.json
        )
    return evaluate(
        settings,
        files=args.files,
        locale=args.locale,
        engine=args.engine,
        rasa_url=args.rasa_url,
        as_json=args.json,
        confusion=args.confusion,
        crisis=args.crisis,
    )


def register(sub: Any) -> None:
    """Add ``classify`` and ``evaluate`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("classify", help=classify.__doc__)
    parser.add_argument("--locale", default="en")
    parser.add_argument("--engine", choices=["spacy", "rasa"], default="spacy")
    parser.add_argument("--rasa-url", default=None)
    parser.set_defaults(func=_classify)

    parser = sub.add_parser("evaluate", help=evaluate.__doc__)
    parser.add_argument(
        "files", nargs="*", help="test files (default: nlu/testsets/<locale>/test_nlu.yml)"
    )
    parser.add_argument("--engine", choices=["spacy", "rasa"], default="spacy")
    parser.add_argument("--locale", default=None)
    parser.add_argument("--rasa-url", default=None)
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("--confusion", default=None, help="save the confusion matrix as this PNG")
    parser.add_argument(
        "--crisis",
        action="store_true",
        help="also the crisis test files (nlu/testsets/<locale>/crisis_*.yml)",
    )
    parser.add_argument(
        "--cross-validation",
        type=int,
        default=None,
        metavar="K",
        help="instead: K-fold cross-validation of the topic classifier over the training data "
        "(as `rasa test nlu --cross-validation`; about 10 s per fold and locale)",
    )
    parser.set_defaults(func=_evaluate)
