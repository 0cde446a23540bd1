"""The ``safebot`` command: chat, run, train, classify, content check, stats."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.logging_setup import configure_logging
from bot.settings import Settings, pseudonym_key_problem


class CliError(Exception):
    """An expected failure: printed as a plain message, exit code 2."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise CliError(f"Some SAFEBOT_* settings are not valid: {fields}") from None


def _progress() -> Callable[[str, int, int], None]:
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(locale: str, done: int, total: int) -> None:
        bar = bars.get(locale)
        if bar is None:
            bar = bars[locale] = tqdm(total=total, desc=f"training {locale}", unit="epoch")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


# -- chat ---------------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat with the bot in this terminal (embedded classifier, local database)."""
    from bot.console import run_console
    from bot.pseudonym import local_key
    from bot.runtime import build_runtime

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    key = settings.pseudonym_key or local_key(settings.data_dir / "console-pseudonym.key")
    runtime = build_runtime(settings, pseudonym_key=key, progress=_progress())

    async def main() -> None:
        await runtime.start()
        try:
            await run_console(runtime.service, language_code=args.language)
        finally:
            await runtime.aclose()

    asyncio.run(main())
    return 0


# -- run ----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot with long polling."""
    from bot.runtime import build_runtime
    from bot.telegram_app import ALLOWED_UPDATES, build_application

    settings = _settings()
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise CliError("TELEGRAM_TOKEN is not set. Get a token from @BotFather and export it.")
    token = settings.telegram_token.get_secret_value()
    configure_logging(settings.log_level, secrets=[token])
    problem = pseudonym_key_problem(settings.pseudonym_key)
    if problem:
        raise CliError(f"Refusing to start: {problem}")
    assert settings.pseudonym_key is not None
    runtime = build_runtime(settings, pseudonym_key=settings.pseudonym_key, progress=_progress())
    application = build_application(runtime, token=token, base_url=settings.telegram_base_url)
    application.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


# -- train / classify ---------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train the embedded spaCy classifier from nlu/data."""
    from nlu.spacy_classifier import train_locale
    from nlu.training_data import available_locales

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    locales = [args.locale] if args.locale else available_locales(settings.nlu_data_dir)
    if not locales:
        raise CliError(f"No training data in {settings.nlu_data_dir}")
    progress = _progress()
    for locale in locales:
        epochs = args.epochs

        def on_epoch(epoch: int, _loss: float, locale: str = locale, epochs: int = epochs) -> None:
            progress(locale, epoch + 1, epochs)

        report = train_locale(
            settings.nlu_data_dir, settings.models_dir, locale, epochs=epochs, on_epoch=on_epoch
        )
        print(
            f"{locale}: trained on {report.examples} examples in {report.seconds:.1f} s "
            f"-> {report.path}"
        )
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify one message per stdin line; one JSON object per stdout line."""
    from bot.runtime import ensure_models
    from nlu.crisis import CrisisNet
    from nlu.decision import decide
    from nlu.spacy_classifier import SpacyClassifier

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    locales = ensure_models(settings, progress=_progress())
    if args.locale not in locales:
        raise CliError(f"No model for locale '{args.locale}'; available: {', '.join(locales)}")
    classifier = SpacyClassifier.load(settings.models_dir, locales, default_locale=args.locale)
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    out = sys.stdout
    for line in sys.stdin:
        text = line.rstrip("\n")
        result = classifier.classify_sync(text[: settings.max_classify_chars], args.locale)
        decision = decide(
            result, net.check(text, args.locale), self_harm_floor=settings.self_harm_floor
        )
        out.write(json.dumps(decision.as_json()) + "\n")
        out.flush()
    return 0


# -- content ------------------------------------------------------------------------------


def cmd_content_check(args: argparse.Namespace) -> int:
    """Check content files and crisis rules; explain each problem with file and line."""
    from bot.checks import check_all

    settings = _settings()
    directory = Path(args.directory) if args.directory else settings.content_dir
    problems = check_all(directory, settings.crisis_rules_dir)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    warnings = len(problems) - len(errors)
    if errors:
        print(f"\n{len(errors)} error(s), {warnings} warning(s). Fix the errors, then check again.")
        return 1
    print(f"Content OK ({warnings} warning(s)).")
    return 0


# -- stats --------------------------------------------------------------------------------


def cmd_stats(args: argparse.Namespace) -> int:
    """Print anonymised message counts by intent and by week."""
    from bot.storage.database import make_engine, upgrade
    from bot.storage.stats import format_counts, message_counts

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
        print(format_counts(message_counts(engine)))
    finally:
        engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``safebot``."""
    parser = argparse.ArgumentParser(prog="safebot", description=__doc__)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING...")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help=cmd_chat.__doc__)
    chat.add_argument("--language", default=None, help="pretend Telegram's language is this")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser("run", help=cmd_run.__doc__)
    run.set_defaults(func=cmd_run)

    train = sub.add_parser("train", help=cmd_train.__doc__)
    train.add_argument("--locale", default=None)
    train.add_argument("--epochs", type=int, default=20)
    train.set_defaults(func=cmd_train)

    classify = sub.add_parser("classify", help=cmd_classify.__doc__)
    classify.add_argument("--locale", default="en")
    classify.set_defaults(func=cmd_classify)

    content = sub.add_parser("content", help="work with the curated content")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    check = content_sub.add_parser("check", help=cmd_content_check.__doc__)
    check.add_argument("directory", nargs="?", default=None)
    check.set_defaults(func=cmd_content_check)

    stats = sub.add_parser("stats", help=cmd_stats.__doc__)
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``safebot`` console script."""
    from bot.runtime import StartupError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, StartupError) as error:
        print(f"safebot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
