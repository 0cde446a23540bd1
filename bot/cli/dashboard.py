"""``safebot dashboard`` and ``safebot demo-data``: the reviewers' web dashboard."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import CliError, load_settings, open_database
from bot.logging_setup import configure_logging
from bot.settings import Settings


def dashboard(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080) -> int:
    """Serve the reviewers' dashboard (127.0.0.1 by default; put HTTPS in front to share it)."""
    import uvicorn

    from bot.dashboard import create_app
    from bot.reviewers import list_reviewers
    from bot.storage.database import session_factory

    with open_database(settings) as engine:
        if not any(not r.disabled for r in list_reviewers(session_factory(engine))):
            print("No reviewer can log in yet: add one with `safebot reviewer add NAME`.")
        app = create_app(settings, engine, cache_seconds=settings.dashboard_cache_seconds)
        print(f"Dashboard at http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
            server_header=False,
        )
    return 0


def demo_data(
    settings: Settings, *, users: int = 3000, weeks: int = 12, seed: int | None = None
) -> int:
    """Fill an empty database with made-up anonymised events to try the statistics."""
    import secrets

    from bot.demo_data import DatabaseNotEmpty
    from bot.demo_data import seed as seed_events
    from bot.reviewers import add_reviewer, list_reviewers
    from bot.storage.database import session_factory

    if users < 1 or weeks < 1:
        raise CliError("--users and --weeks must be at least 1.")
    with open_database(settings) as engine:
        try:
            result = seed_events(engine, users=users, weeks=weeks, seed_value=seed)
        except DatabaseNotEmpty as error:
            raise CliError(
                f"Demo data goes into an empty database only, and {error}. Use another "
                "SAFEBOT_DATA_DIR (or SAFEBOT_DATABASE_URL) for the demo."
            ) from None
        print(
            f"Wrote {result.events} demo events of {result.users} made-up children, "
            f"{result.first_hour:%Y-%m-%d} to {result.last_hour:%Y-%m-%d}."
        )
        sessions = session_factory(engine)
        if not list_reviewers(sessions):
            password = secrets.token_urlsafe(12)
            add_reviewer(sessions, "demo", password)
            print(f"Demo login (this database only): username demo, password {password}")
    print("Next: safebot dashboard   (then open http://127.0.0.1:8080/)")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "INFO")
    return dashboard(settings, host=args.host, port=args.port)


def _demo_data(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return demo_data(settings, users=args.users, weeks=args.weeks, seed=args.seed)


def register(sub: Any) -> None:
    """Add ``dashboard`` and ``demo-data`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("dashboard", help=dashboard.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.set_defaults(func=_dashboard)

    parser = sub.add_parser("demo-data", help=demo_data.__doc__)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=None, help="for repeatable data")
    parser.set_defaults(func=_demo_data)
