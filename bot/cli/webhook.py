"""``safebot webhook set|info|delete``: Telegram's webhook, set once per deploy (never by replicas)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.cli.common import CliError, load_settings
from bot.logging_setup import configure_logging
from bot.settings import Settings


def _token(settings: Settings) -> str:
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise CliError("TELEGRAM_TOKEN is not set. Get a token from @BotFather and export it.")
    return settings.telegram_token.get_secret_value()


def _call(settings: Settings, method: str, *more: tuple[str, dict[str, Any]], **kwargs: Any) -> Any:
    """Bot API calls in one session (``method`` then ``more``); the first call's result.

    Telegram's refusal becomes a plain error (never quoting the token).
    """
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    calling = [method]  # the call under way, named if Telegram refuses it

    async def call() -> Any:
        base_url = settings.telegram_base_url or "https://api.telegram.org/bot"
        async with Bot(_token(settings), base_url=base_url) as bot:
            first = await getattr(bot, method)(**kwargs)
            for name, arguments in more:
                calling[0] = name
                await getattr(bot, name)(**arguments)
            return first

    try:
        return asyncio.run(call())
    except InvalidToken:
        raise CliError(
            "Telegram refused the token (401 or 404). Check TELEGRAM_TOKEN and, if it is set, "
            "TELEGRAM_BASE_URL."
        ) from None
    except TelegramError as error:
        raise CliError(f"Telegram refused {calling[0]} ({type(error).__name__}).") from None


def set_webhook(
    settings: Settings, *, url: str, max_connections: int | None = None, drop_pending: bool = False
) -> int:
    """Point Telegram at the public URL of ``safebot serve``'s ``/telegram``."""
    from bot.transports.telegram import ALLOWED_UPDATES
    from bot.transports.webhook import webhook_secret_problem

    if not url.startswith("https://"):
        raise CliError(f"{url} is not an https:// URL; Telegram sends webhooks over HTTPS only.")
    problem = webhook_secret_problem(settings.telegram_webhook_secret)
    if problem:
        raise CliError(problem)
    assert settings.telegram_webhook_secret is not None
    connections = max_connections or settings.webhook_max_connections
    menus = _command_menu_calls(settings)
    _call(
        settings,
        "set_webhook",
        *menus,
        url=url,
        secret_token=settings.telegram_webhook_secret.get_secret_value(),
        allowed_updates=ALLOWED_UPDATES,
        max_connections=connections,
        drop_pending_updates=drop_pending,
    )
    print(
        f"Telegram now sends {', '.join(ALLOWED_UPDATES)} updates to {url} "
        f"(at most {connections} at once), with the secret token. The command menu is "
        f"published in {len(menus) - 1} languages (replicas never publish it)."
    )
    return 0


def _command_menu_calls(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    """The ``setMyCommands`` calls for the published content: one per language and a default."""
    from telegram import BotCommand

    from bot.content.loader import load_content
    from bot.content.ui_texts import command_menus

    content, problems = load_content(settings.content_dir)
    if content is None:
        errors = [p for p in problems if p.severity == "error"]
        raise CliError(
            f"The content has {len(errors)} error(s), so the command menu cannot be published; "
            f"run `safebot content check` first."
        )
    calls: list[tuple[str, dict[str, Any]]] = []
    for language, menu in command_menus(content.locales).items():
        commands = [BotCommand(name, description) for name, description in menu]
        calls.append(("set_my_commands", {"commands": commands, "language_code": language}))
        if language == settings.default_locale:
            calls.append(("set_my_commands", {"commands": commands}))
    return calls


def webhook_info(settings: Settings) -> int:
    """Show where Telegram sends updates, how many wait and its last error (no secret)."""
    info = _call(settings, "get_webhook_info")
    rows = [
        ("url", info.url or "(none: no webhook is set)"),
        ("pending updates", info.pending_update_count),
        ("max connections", info.max_connections),
        ("allowed updates", ", ".join(info.allowed_updates or ()) or "(all but a few)"),
        ("last error", info.last_error_message or "(none)"),
        ("last error at", info.last_error_date or "(never)"),
        ("ip address", info.ip_address or "(unknown)"),
    ]
    for name, value in rows:
        print(f"{name:16} {value}")
    return 0


def delete_webhook(settings: Settings, *, drop_pending: bool = False) -> int:
    """Remove the webhook (polling with ``safebot run`` works again)."""
    _call(settings, "delete_webhook", drop_pending_updates=drop_pending)
    print("The webhook is deleted; Telegram keeps updates for `safebot run` to fetch.")
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    if args.action == "set":
        return set_webhook(
            settings,
            url=args.url,
            max_connections=args.max_connections,
            drop_pending=args.drop_pending,
        )
    if args.action == "info":
        return webhook_info(settings)
    return delete_webhook(settings, drop_pending=args.drop_pending)


def register(sub: Any) -> None:
    """Add ``webhook set|info|delete`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("webhook", help="Telegram's webhook: set, info, delete")
    actions = parser.add_subparsers(dest="action", required=True)
    action = actions.add_parser("set", help=set_webhook.__doc__)
    action.add_argument("url", help="the public https:// URL of /telegram")
    action.add_argument(
        "--max-connections", type=int, default=None, help="default: SAFEBOT_WEBHOOK_MAX_CONNECTIONS"
    )
    action.add_argument("--drop-pending", action="store_true", help="drop waiting updates")
    action.set_defaults(func=_run)
    action = actions.add_parser("info", help=webhook_info.__doc__)
    action.set_defaults(func=_run)
    action = actions.add_parser("delete", help=delete_webhook.__doc__)
    action.add_argument("--drop-pending", action="store_true", help="drop waiting updates")
    action.set_defaults(func=_run)
