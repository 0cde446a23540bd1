"""The ``safebot`` command: chat, run, train, classify, content check, stats."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.logging_setup import configure_logging
from bot.settings import Settings, pseudonym_key_problem
from nlu.spacy_classifier import DEFAULT_EPOCHS

if TYPE_CHECKING:
    from nlu.classifier import Classifier
    from nlu.rasa_classifier import RasaClassifier
    from nlu.understanding import Understanding


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
    """Retrain the embedded classifier and compare it with the one in service."""
    from nlu.crisis import CrisisNet
    from nlu.retraining import format_comparison, retrain
    from nlu.training_data import available_locales
    from nlu.understanding import thresholds_of

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    locales = [args.locale] if args.locale else available_locales(settings.nlu_data_dir)
    if not locales:
        raise CliError(f"No training data in {settings.nlu_data_dir}")
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    thresholds = thresholds_of(settings)
    progress = _progress()
    refused = False
    for locale in locales:

        def on_epoch(epoch: int, _loss: float, locale: str = locale) -> None:
            progress(locale, epoch + 1, DEFAULT_EPOCHS)

        result = retrain(
            settings.nlu_dir,
            settings.models_dir,
            locale,
            net,
            thresholds,
            force=args.force,
            on_epoch=on_epoch,
        )
        print(format_comparison(result) + "\n")
        refused = refused or not result.installed
    return 1 if refused else 0


def _engine_classifier(
    args: argparse.Namespace, settings: Settings, *, timeout: float
) -> tuple[Classifier, RasaClassifier | None]:
    """The classifier chosen with --engine: a Rasa client, or the (trained) spaCy models."""
    from nlu.rasa_classifier import RasaClassifier, parse_urls

    if args.engine == "rasa":
        url = args.rasa_url or settings.rasa_url
        if not url:
            raise CliError("Set SAFEBOT_RASA_URL (or --rasa-url) to use the Rasa engine.")
        rasa = RasaClassifier(parse_urls(url), timeout_seconds=timeout)
        return rasa, rasa
    from bot.runtime import ensure_models
    from nlu.spacy_classifier import SpacyClassifier

    locales = ensure_models(settings, progress=_progress())
    if args.locale and args.locale not in locales:
        raise CliError(f"No model for locale '{args.locale}'; available: {', '.join(locales)}")
    default = args.locale or settings.default_locale
    return SpacyClassifier.load(settings.models_dir, locales, default_locale=default), None


def _understanding(
    args: argparse.Namespace, settings: Settings, *, timeout: float
) -> tuple[Understanding, RasaClassifier | None]:
    """The bot's own way of understanding text, with the classifier chosen by --engine."""
    from bot.runtime import ensure_models
    from nlu.crisis import CrisisNet
    from nlu.spacy_classifier import load_risk_model
    from nlu.understanding import Understanding

    classifier, rasa = _engine_classifier(args, settings, timeout=timeout)
    locales = ensure_models(settings, progress=_progress())
    risk = load_risk_model(
        settings.models_dir, locales, default_locale=args.locale or settings.default_locale
    )
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    return Understanding.of(settings, net=net, classifier=classifier, risk=risk), rasa


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify one message per stdin line; one JSON object per stdout line."""
    from nlu.rasa_classifier import RasaUnavailable

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    understanding, rasa = _understanding(args, settings, timeout=10)
    if rasa is not None and not rasa.serves(args.locale):
        raise CliError(f"No Rasa server configured for locale '{args.locale}'")

    async def run() -> None:
        try:
            for line in sys.stdin:
                decision = await understanding.understand(line.rstrip("\n"), args.locale)
                sys.stdout.write(json.dumps(decision.as_json()) + "\n")
                sys.stdout.flush()
        finally:
            if rasa is not None:
                await rasa.aclose()

    try:
        asyncio.run(run())
    except RasaUnavailable as error:
        raise CliError(f"Rasa could not classify: {error}") from None
    return 0


def _test_files(
    settings: Settings, locale: str | None, files: list[str], *, crisis: bool = False
) -> list[tuple[str, Path]]:
    if files:
        return [(locale or settings.default_locale, Path(f)) for f in files]
    tests_dir = settings.nlu_dir / "tests"
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


def _is_crisis_file(path: Path) -> bool:
    """Crisis test files list ``messages:`` with an expected urgency; NLU files list ``nlu:``."""
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except OSError:
        return False
    return any(line.startswith("messages:") for line in head.splitlines())


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate what children get (crisis net, risk model, classifier) on held-out test files."""
    from nlu.crisis_evaluation import evaluate_crisis, format_crisis_report, read_crisis_file
    from nlu.evaluation import evaluate, format_report, save_confusion_png
    from nlu.training_data import read_nlu_file

    settings = _settings()
    configure_logging(args.log_level or "WARNING")
    targets = _test_files(settings, args.locale, args.files, crisis=args.crisis)
    understanding, rasa = _understanding(args, settings, timeout=30)
    if rasa is not None:
        targets = [(loc, path) for loc, path in targets if rasa.serves(loc)] or targets

    async def run_all() -> list[dict[str, object]]:
        results: list[dict[str, object]] = []
        try:
            for locale, path in targets:
                if _is_crisis_file(path):
                    crisis = await evaluate_crisis(understanding, read_crisis_file(path), locale)
                    if not args.json:
                        print(f"{path}\n{format_crisis_report(crisis)}\n")
                    results.append({"file": str(path), **crisis.as_dict()})
                    continue
                examples = read_nlu_file(path)
                ev = await evaluate(understanding, examples, locale, engine=args.engine)
                if args.confusion:
                    target = Path(args.confusion)
                    if len(targets) > 1:
                        target = target.with_name(f"{target.stem}-{locale}{target.suffix}")
                    save_confusion_png(ev, target)
                if not args.json:
                    print(format_report(ev) + "\n")
                results.append(ev.as_dict())
        finally:
            if rasa is not None:
                await rasa.aclose()
        return results

    try:
        results = asyncio.run(run_all())
    except Exception as error:
        from nlu.crisis_evaluation import CrisisTestError
        from nlu.rasa_classifier import RasaUnavailable
        from nlu.training_data import TrainingDataError

        if isinstance(error, RasaUnavailable):
            raise CliError(f"Rasa could not be evaluated: {error}") from None
        if isinstance(error, CrisisTestError | TrainingDataError):
            raise CliError(str(error)) from None
        raise
    if args.json:
        print(json.dumps(results if len(results) != 1 else results[0], indent=2))
    return 0


# -- rasa -------------------------------------------------------------------------------


def _rasa_locales(settings: Settings, locale: str | None) -> list[str]:
    from nlu.training_data import available_locales

    return [locale] if locale else available_locales(settings.nlu_data_dir)


def cmd_rasa_setup(args: argparse.Namespace) -> int:
    """Create Rasa's own Python 3.10 environment and install Rasa 3.6 into it."""
    from nlu import rasa_server

    settings = _settings()
    try:
        env = rasa_server.setup(settings.rasa_venv, python=settings.rasa_python)
    except rasa_server.RasaSetupError as error:
        raise CliError(str(error)) from None
    print(f"Rasa {rasa_server.RASA_VERSION} is ready in {env.venv}")
    return 0


def cmd_rasa_train(args: argparse.Namespace) -> int:
    """Train one Rasa NLU model per locale from nlu/data (sets Rasa up first if needed)."""
    from nlu import rasa_server

    settings = _settings()
    try:
        env = rasa_server.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
        for locale in _rasa_locales(settings, args.locale):
            print(f"training the Rasa model for {locale}...", flush=True)
            path, seconds = rasa_server.train(
                env, settings.nlu_dir, settings.models_dir, locale, force=args.force
            )
            note = f"{seconds:.0f} s" if seconds else "already current"
            print(f"{locale}: {path} ({note})")
    except rasa_server.RasaSetupError as error:
        raise CliError(str(error)) from None
    return 0


def cmd_rasa_validate(args: argparse.Namespace) -> int:
    """Run `rasa data validate` on each locale's training data."""
    from nlu import rasa_server

    settings = _settings()
    try:
        env = rasa_server.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
    except rasa_server.RasaSetupError as error:
        raise CliError(str(error)) from None
    failed = False
    for locale in _rasa_locales(settings, args.locale):
        result = rasa_server.validate(env, settings.nlu_dir, locale)
        print(f"{locale}: {'valid' if result.returncode == 0 else 'INVALID'}")
        if result.returncode != 0:
            failed = True
            print("\n".join((result.stdout + result.stderr).splitlines()[-20:]))
    return 1 if failed else 0


def cmd_rasa_serve(args: argparse.Namespace) -> int:
    """Serve one Rasa model per locale on 127.0.0.1 (`rasa run --enable-api`) until Ctrl-C."""
    import signal
    import time

    from nlu import rasa_server

    settings = _settings()
    processes = []
    try:
        env = rasa_server.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
        urls = []
        for offset, locale in enumerate(_rasa_locales(settings, args.locale)):
            model, _ = rasa_server.train(env, settings.nlu_dir, settings.models_dir, locale)
            port = args.port + offset
            log = settings.data_dir / f"rasa-{locale}.log"
            process = rasa_server.serve(env, model, port=port, host=args.host, log_file=log)
            processes.append(process)
            url = f"http://{args.host}:{port}"
            rasa_server.wait_ready(url, process=process)
            urls.append(f"{locale}={url}")
            print(f"{locale}: serving at {url} (log: {log})", flush=True)
        print(f'\nexport SAFEBOT_RASA_URL="{";".join(urls)}"\nPress Ctrl-C to stop.', flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        raise CliError("a Rasa server stopped; see its log in the data directory")
    except rasa_server.RasaSetupError as error:
        raise CliError(str(error)) from None
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=15)
            except Exception:
                process.kill()


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


def cmd_content_preview(args: argparse.Namespace) -> int:
    """Show an answer exactly as a child would see it (text and buttons)."""
    from bot.console import render
    from bot.content import load_content
    from bot.conversation import preview_reply
    from nlu.intents import INTENTS

    settings = _settings()
    directory = Path(args.directory) if args.directory else settings.content_dir
    content, problems = load_content(directory)
    if content is None:
        for problem in problems:
            if problem.severity == "error":
                print(problem)
        raise CliError("The content has errors; fix them before previewing (see above).")
    if args.locale not in content.locales:
        raise CliError(
            f"No language '{args.locale}'; available: {', '.join(sorted(content.locales))}"
        )
    lc = content.locales[args.locale]
    if args.intent not in lc.answers:
        known = ", ".join(sorted(set(INTENTS) | set(lc.answers)))
        raise CliError(f"No answer called '{args.intent}'. Known: {known}")
    country = args.country.upper() if args.country else None
    if country and country not in content.countries:
        aliases = {"UK": "GB", "EN": "GB", "USA": "US", "UA": "UA"}
        guess = aliases.get(country) or next(
            (
                code
                for code, name in lc.country_names.items()
                if args.country.lower() in name.lower()
            ),
            None,
        )
        hint = f" Did you mean {guess}?" if guess else ""
        raise CliError(
            f"No country '{country}' in helplines.yml. Use the two-letter ISO code "
            f"(the United Kingdom is GB).{hint}"
        )

    reply = preview_reply(
        content,
        args.intent,
        locale=args.locale,
        default_locale=settings.default_locale,
        country=country,
    )
    text, _ = render([reply])
    where = lc.country_names.get(country, country) if country else "no country chosen"
    print(f"--- {args.intent} / {args.locale} / {where} ---\n")
    print(text)
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
    train.add_argument("--force", action="store_true", help="install even if it is worse")
    train.set_defaults(func=cmd_train)

    classify = sub.add_parser("classify", help=cmd_classify.__doc__)
    classify.add_argument("--locale", default="en")
    classify.add_argument("--engine", choices=["spacy", "rasa"], default="spacy")
    classify.add_argument("--rasa-url", default=None)
    classify.set_defaults(func=cmd_classify)

    evaluate = sub.add_parser("evaluate", help=cmd_evaluate.__doc__)
    evaluate.add_argument(
        "files", nargs="*", help="test files (default: nlu/tests/<locale>/test_nlu.yml)"
    )
    evaluate.add_argument("--engine", choices=["spacy", "rasa"], default="spacy")
    evaluate.add_argument("--locale", default=None)
    evaluate.add_argument("--rasa-url", default=None)
    evaluate.add_argument("--json", action="store_true", help="print JSON for machines")
    evaluate.add_argument("--confusion", default=None, help="save the confusion matrix as this PNG")
    evaluate.add_argument(
        "--crisis",
        action="store_true",
        help="also the crisis test files (nlu/tests/<locale>/crisis_*.yml)",
    )
    evaluate.set_defaults(func=cmd_evaluate)

    rasa = sub.add_parser("rasa", help="set up, train, validate and serve Rasa (Python 3.10)")
    rasa_sub = rasa.add_subparsers(dest="rasa_command", required=True)
    rasa_setup = rasa_sub.add_parser("setup", help=cmd_rasa_setup.__doc__)
    rasa_setup.set_defaults(func=cmd_rasa_setup)
    rasa_train = rasa_sub.add_parser("train", help=cmd_rasa_train.__doc__)
    rasa_train.add_argument("--locale", default=None)
    rasa_train.add_argument("--force", action="store_true", help="train even if current")
    rasa_train.set_defaults(func=cmd_rasa_train)
    rasa_validate = rasa_sub.add_parser("validate", help=cmd_rasa_validate.__doc__)
    rasa_validate.add_argument("--locale", default=None)
    rasa_validate.set_defaults(func=cmd_rasa_validate)
    rasa_serve = rasa_sub.add_parser("serve", help=cmd_rasa_serve.__doc__)
    rasa_serve.add_argument("--locale", default=None)
    rasa_serve.add_argument("--host", default="127.0.0.1")
    rasa_serve.add_argument("--port", type=int, default=5005)
    rasa_serve.set_defaults(func=cmd_rasa_serve)

    content = sub.add_parser("content", help="work with the curated content")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    check = content_sub.add_parser("check", help=cmd_content_check.__doc__)
    check.add_argument("directory", nargs="?", default=None)
    check.set_defaults(func=cmd_content_check)
    preview = content_sub.add_parser("preview", help=cmd_content_preview.__doc__)
    preview.add_argument("intent", help="an intent or answer name, e.g. grooming")
    preview.add_argument("--locale", default="en")
    preview.add_argument("--country", default=None, help="two-letter code, e.g. GB")
    preview.add_argument("--dir", dest="directory", default=None, help="a working copy of content/")
    preview.set_defaults(func=cmd_content_preview)

    from bot.cli_admin import register_admin_commands

    register_admin_commands(sub)
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
