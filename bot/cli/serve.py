"""``safebot serve`` (the webhook server, for replicas) and ``safebot migrate``."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, Any

from bot.cli.common import CliError, load_settings
from bot.logging_setup import configure_logging
from bot.pseudonym import pseudonym_key_problem
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.service.runtime import Runtime


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8443) -> int:
    """Serve Telegram's webhook (several replicas may run; none trains, migrates or purges)."""
    import uvicorn

    from bot.service.runtime import build_runtime
    from bot.transports.webhook import WebhookServer, build_webhook_app, webhook_secret_problem

    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise CliError("TELEGRAM_TOKEN is not set. Get a token from @BotFather and export it.")
    token = settings.telegram_token.get_secret_value()
    problem = webhook_secret_problem(settings.telegram_webhook_secret) or pseudonym_key_problem(
        settings.pseudonym_key
    )
    if problem:
        raise CliError(f"Refusing to start: {problem}")
    assert settings.telegram_webhook_secret is not None and settings.pseudonym_key is not None
    secret = settings.telegram_webhook_secret.get_secret_value()
    key = settings.pseudonym_key
    configure_logging(
        settings.log_level, secrets=settings.secret_values, json_lines=settings.log_format == "json"
    )
    # Each /readyz reads the schema version, and Alembic announces each read at INFO.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

    def runtime() -> Runtime:
        return build_runtime(
            settings,
            pseudonym_key=key,
            migrate=False,  # `safebot migrate` does it, or SAFEBOT_MIGRATE_ON_START
            train=False,  # models are built with the image: `safebot train`
            daily_purge=False,  # a scheduled `safebot purge` does it
        )

    server = WebhookServer(settings=settings, token=token, secret=secret, build_runtime=runtime)
    uvicorn.run(
        build_webhook_app(server),
        host=host,
        port=port,
        log_config=None,  # our handler and filters, not uvicorn's
        access_log=False,
        server_header=False,
    )
    return 0


def migrate(settings: Settings) -> int:
    """Bring the database schema up to date (safe to run twice at once)."""
    from bot.storage.database import make_engine, schema_problem, upgrade

    engine = make_engine(
        settings.resolved_database_url, timeout_seconds=settings.db_timeout_seconds
    )
    try:
        upgrade(engine)
        problem = schema_problem(engine)
    except Exception as error:  # the class only: a driver message may hold the URL
        raise CliError(
            f"Could not migrate the database ({type(error).__name__}). Check "
            "SAFEBOT_DATABASE_URL and that the database server is running."
        ) from None
    finally:
        engine.dispose()
    if problem:
        raise CliError(f"The schema is still not current: {problem}")
    print("The database schema is up to date.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    return serve(load_settings(), host=args.host, port=args.port)


def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING", json_lines=settings.log_format == "json")
    return migrate(settings)


def register(sub: Any) -> None:
    """Add ``serve`` and ``migrate`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("serve", help=serve.__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8443, help="port to listen on")
    parser.set_defaults(func=_serve)

    parser = sub.add_parser("migrate", help=migrate.__doc__)
    parser.set_defaults(func=_migrate)
