"""``safebot chat`` (the console) and ``safebot run`` (Telegram, long polling)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.cli.common import CliError, load_settings, progress_bars
from bot.logging_setup import configure_logging
from bot.pseudonym import pseudonym_key_problem
from bot.settings import Settings


def chat(settings: Settings, *, language: str | None = None) -> int:
    """Chat with the bot in this terminal (embedded classifier, local database)."""
    from bot.pseudonym import KeyFileError, local_key
    from bot.service.runtime import build_runtime
    from bot.transports.console import run_console

    if settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value():
        problem = pseudonym_key_problem(settings.pseudonym_key)
        if problem:
            raise CliError(f"Refusing to start: {problem}")
        key = settings.pseudonym_key
    else:
        try:
            key = local_key(settings.data_dir / "console-pseudonym.key")
        except KeyFileError as error:
            raise CliError(str(error)) from None
    runtime = build_runtime(settings, pseudonym_key=key, progress=progress_bars())

    async def main() -> None:
        await runtime.start()
        try:
            await run_console(runtime.service, language_code=language)
        finally:
            await runtime.aclose()

    asyncio.run(main())
    return 0


def run(settings: Settings) -> int:
    """Run the Telegram bot with long polling."""
    from telegram.error import InvalidToken

    from bot.service.runtime import build_runtime
    from bot.transports.telegram import ALLOWED_UPDATES, build_application

    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise CliError("TELEGRAM_TOKEN is not set. Get a token from @BotFather and export it.")
    token = settings.telegram_token.get_secret_value()
    configure_logging(
        settings.log_level, secrets=settings.secret_values, json_lines=settings.log_format == "json"
    )
    problem = pseudonym_key_problem(settings.pseudonym_key)
    if problem:
        raise CliError(f"Refusing to start: {problem}")
    assert settings.pseudonym_key is not None
    runtime = build_runtime(
        settings, pseudonym_key=settings.pseudonym_key, progress=progress_bars()
    )
    application = build_application(runtime, token=token, base_url=settings.telegram_base_url)
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        # Its message quotes the token: say what to check instead.
        raise CliError(
            "Telegram refused the token (401 or 404). Check TELEGRAM_TOKEN and, if it is set, "
            "TELEGRAM_BASE_URL (it ends before the /bot<token> part)."
        ) from None
    return 0


def _chat(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return chat(settings, language=args.language)


def _run(args: argparse.Namespace) -> int:
    return run(load_settings())


def register(sub: Any) -> None:
    """Add ``chat`` and ``run`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("chat", help=chat.__doc__)
    parser.add_argument("--language", default=None, help="pretend Telegram's language is this")
    parser.set_defaults(func=_chat)

    parser = sub.add_parser("run", help=run.__doc__)
    parser.set_defaults(func=_run)
