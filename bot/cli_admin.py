"""Commands for reviewers and administrators (statistics, dashboard, accounts, retention)."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.cli import CliError
from bot.cli import _settings as load_settings
from bot.logging_setup import configure_logging
from bot.settings import Settings


def _plain_errors(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Print expected failures as one line (exit code 2), also under ``python -m bot.cli``.

    Run as ``-m``, ``bot.cli`` is loaded twice (as ``__main__`` too), so its ``main`` would not
    recognise the ``CliError`` raised here.
    """

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CliError as error:
            print(f"safebot: {error}", file=sys.stderr)
            return 2

    return run


@contextmanager
def _database(settings: Settings) -> Iterator[Engine]:
    """The migrated database, disposed of afterwards."""
    from bot.storage.database import make_engine, upgrade

    engine = make_engine(settings.resolved_database_url)
    try:
        try:
            upgrade(engine)
        except Exception as error:
            raise CliError(
                f"Could not open the database ({type(error).__name__}). Check "
                "SAFEBOT_DATABASE_URL and that the database server is running."
            ) from None
        yield engine
    finally:
        engine.dispose()


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-01-31") from None


# -- stats --------------------------------------------------------------------------------


def cmd_stats(args: argparse.Namespace) -> int:
    """Anonymised figures per week or month and intent, locale or country (small cells hidden)."""
    from bot.storage.stats import FORMATTERS, Filters, stats_table

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    if args.since and args.until and args.since > args.until:
        raise CliError("--since must not be after --until.")
    filters = Filters(args.since, args.until, args.locale, args.country and args.country.upper())
    with _database(settings) as engine:
        table = stats_table(
            engine, period=args.period, by=args.by, filters=filters, k=settings.min_cell_users
        )
    print(FORMATTERS[args.format](table).rstrip("\n"))
    return 0


# -- retention and keys ----------------------------------------------------------------------


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete events and profiles older than SAFEBOT_RETENTION_DAYS (the bot also does it daily)."""
    from bot.retention import purge

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    with _database(settings) as engine:
        result = purge(engine, retention_days=settings.retention_days)
    print(
        f"Deleted {result.events} events and {result.profiles} profiles from before "
        f"{result.cutoff:%Y-%m-%d %H:00} UTC ({settings.retention_days} days), "
        f"{result.sessions} expired dashboard sessions and {result.login_attempts} old "
        "failed-login records."
    )
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Make a new pseudonym key and cut old records off from every key (irreversible)."""
    from bot.key_rotation import KeyFileExists, new_key, rehash_pseudonyms, write_key_file

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    out = Path(args.out) if args.out else settings.data_dir / "pseudonym-key.new"
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("This cannot be undone; add --yes to rotate the key.")
        print(
            "This re-hashes every stored pseudonym so old records can no longer be linked to "
            "any child, and deletes all profiles. Stop the bot first.",
        )
        if input("Type 'rotate' to continue: ").strip() != "rotate":
            raise CliError("Nothing was changed.")
    with _database(settings) as engine:
        try:
            write_key_file(out, new_key())
        except KeyFileExists:
            raise CliError(
                f"{out} exists already (from an earlier rotation?). Install or delete it, "
                "or choose another path with --out."
            ) from None
        try:
            result = rehash_pseudonyms(engine)
        except Exception as error:
            out.unlink()  # nothing was re-hashed: the new key must not be installed
            raise CliError(
                f"The pseudonyms could not be re-hashed ({type(error).__name__}); nothing "
                "was changed."
            ) from None
    print(
        f"Re-hashed {result.pseudonyms} pseudonyms in {result.events} events under a one-time "
        f"salt that was not kept; deleted {result.profiles} profiles.\n"
        f"The new key is in {out} (readable by you only). To install it:\n"
        f"  1. set SAFEBOT_PSEUDONYM_KEY to the contents of that file where the bot's "
        f"environment is kept (e.g. SAFEBOT_PSEUDONYM_KEY=$(cat {out})),\n"
        "  2. start the bot again,\n"
        "  3. delete the file and every copy of the old key."
    )
    return 0


# -- reviewer accounts ----------------------------------------------------------------------


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Same password again: ") != password:
            raise CliError("The two passwords differ; nothing was changed.")
    if not password:
        raise CliError("No password given.")
    return password


def cmd_reviewer_add(args: argparse.Namespace) -> int:
    """Create a reviewer account (password prompted, or one line on stdin)."""
    from bot.reviewers import ReviewerError, add_reviewer, check_password_strength
    from bot.storage.database import session_factory

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    password = _read_password(args)
    try:
        check_password_strength(password)
        with _database(settings) as engine:
            info = add_reviewer(session_factory(engine), args.name, password)
    except ReviewerError as error:
        raise CliError(str(error)) from None
    print(f"Reviewer '{info.username}' can now log in to the dashboard (safebot dashboard).")
    return 0


def cmd_reviewer_password(args: argparse.Namespace) -> int:
    """Set a new password for a reviewer (ends their sessions)."""
    from bot.reviewers import ReviewerError, check_password_strength, set_password
    from bot.storage.database import session_factory

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    password = _read_password(args)
    try:
        check_password_strength(password)
        with _database(settings) as engine:
            set_password(session_factory(engine), args.name, password)
    except ReviewerError as error:
        raise CliError(str(error)) from None
    print(f"New password set for '{args.name.strip().lower()}'.")
    return 0


def cmd_reviewer_disable(args: argparse.Namespace) -> int:
    """Disable a reviewer account and end its sessions at once."""
    return _set_disabled(args, disabled=True)


def cmd_reviewer_enable(args: argparse.Namespace) -> int:
    """Enable a disabled reviewer account again."""
    return _set_disabled(args, disabled=False)


def _set_disabled(args: argparse.Namespace, *, disabled: bool) -> int:
    from bot.reviewers import ReviewerError, set_disabled
    from bot.storage.database import session_factory

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    try:
        with _database(settings) as engine:
            set_disabled(session_factory(engine), args.name, disabled=disabled)
    except ReviewerError as error:
        raise CliError(str(error)) from None
    state = "disabled (and logged out)" if disabled else "enabled"
    print(f"Reviewer '{args.name.strip().lower()}' is {state}.")
    return 0


def cmd_reviewer_list(args: argparse.Namespace) -> int:
    """List reviewer accounts."""
    from bot.reviewers import list_reviewers
    from bot.storage.database import session_factory

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    with _database(settings) as engine:
        reviewers = list_reviewers(session_factory(engine))
    if not reviewers:
        print("No reviewers yet; add one with `safebot reviewer add NAME`.")
    for info in reviewers:
        state = "disabled" if info.disabled else "active"
        print(f"{info.username:<24} {state:<9} since {info.created_at:%Y-%m-%d}")
    return 0


# -- dashboard and demo data ----------------------------------------------------------------


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the reviewers' dashboard (127.0.0.1 by default; put HTTPS in front to share it)."""
    import uvicorn

    from bot.dashboard import create_app
    from bot.reviewers import list_reviewers
    from bot.storage.database import session_factory

    settings = load_settings()
    configure_logging(args.log_level or "INFO")
    with _database(settings) as engine:
        if not any(not r.disabled for r in list_reviewers(session_factory(engine))):
            print("No reviewer can log in yet: add one with `safebot reviewer add NAME`.")
        app = create_app(settings, engine)
        print(f"Dashboard at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
            server_header=False,
        )
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Fill an empty database with made-up anonymised events to try the statistics."""
    import secrets

    from bot.demo_data import DatabaseNotEmpty, seed
    from bot.reviewers import add_reviewer, list_reviewers
    from bot.storage.database import session_factory

    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    if args.users < 1 or args.weeks < 1:
        raise CliError("--users and --weeks must be at least 1.")
    with _database(settings) as engine:
        try:
            result = seed(engine, users=args.users, weeks=args.weeks, seed_value=args.seed)
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


def register_admin_commands(sub: Any) -> None:
    """Add the administrative sub-commands to ``safebot``'s argument parser."""
    from bot.storage.stats import DIMENSIONS, FORMATS, PERIODS

    stats = sub.add_parser("stats", help=cmd_stats.__doc__, description=cmd_stats.__doc__)
    stats.add_argument("--since", type=_day, default=None, help="first day (YYYY-MM-DD, UTC)")
    stats.add_argument("--until", type=_day, default=None, help="last day, included")
    stats.add_argument("--period", choices=PERIODS, default="week")
    stats.add_argument("--by", choices=DIMENSIONS, default="intent")
    stats.add_argument("--format", choices=FORMATS, default="table")
    stats.add_argument("--locale", default=None, help="only this locale, e.g. en")
    stats.add_argument("--country", default=None, help="only this country, e.g. GB")
    stats.set_defaults(func=_plain_errors(cmd_stats))

    purge = sub.add_parser("purge", help=cmd_purge.__doc__)
    purge.set_defaults(func=_plain_errors(cmd_purge))

    rotate = sub.add_parser("rotate-key", help=cmd_rotate_key.__doc__)
    rotate.add_argument("--out", default=None, help="default: <data dir>/pseudonym-key.new")
    rotate.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rotate.set_defaults(func=_plain_errors(cmd_rotate_key))

    reviewer = sub.add_parser("reviewer", help="manage the dashboard's reviewer accounts")
    reviewer_sub = reviewer.add_subparsers(dest="reviewer_command", required=True)
    for name, func, takes_password in (
        ("add", cmd_reviewer_add, True),
        ("password", cmd_reviewer_password, True),
        ("disable", cmd_reviewer_disable, False),
        ("enable", cmd_reviewer_enable, False),
    ):
        command = reviewer_sub.add_parser(name, help=func.__doc__)
        command.add_argument("name", help="the reviewer's username")
        if takes_password:
            command.add_argument(
                "--password-stdin", action="store_true", help="read the password from stdin"
            )
        command.set_defaults(func=_plain_errors(func))
    listing = reviewer_sub.add_parser("list", help=cmd_reviewer_list.__doc__)
    listing.set_defaults(func=_plain_errors(cmd_reviewer_list))

    dashboard = sub.add_parser("dashboard", help=cmd_dashboard.__doc__)
    dashboard.add_argument("--host", default="127.0.0.1")
    dashboard.add_argument("--port", type=int, default=8080)
    dashboard.set_defaults(func=_plain_errors(cmd_dashboard))

    demo = sub.add_parser("demo-data", help=cmd_demo_data.__doc__)
    demo.add_argument("--users", type=int, default=3000)
    demo.add_argument("--weeks", type=int, default=12)
    demo.add_argument("--seed", type=int, default=None, help="for repeatable data")
    demo.set_defaults(func=_plain_errors(cmd_demo_data))
