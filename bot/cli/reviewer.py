"""``safebot reviewer add|password|disable|enable|list``: the dashboard's accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.cli.common import CliError, load_settings, open_database
from bot.logging_setup import configure_logging
from bot.settings import Settings


def read_password(*, from_stdin: bool) -> str:
    """A password from one line of stdin, or typed twice at a prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Same password again: ") != password:
            raise CliError("The two passwords differ; nothing was changed.")
    if not password:
        raise CliError("No password given.")
    return password


def add(settings: Settings, name: str, password: str) -> int:
    """Create a reviewer account (password prompted, or one line on stdin)."""
    from bot.reviewers import ReviewerError, add_reviewer, check_password_strength
    from bot.storage.database import session_factory

    try:
        check_password_strength(password)
        with open_database(settings) as engine:
            info = add_reviewer(session_factory(engine), name, password)
    except ReviewerError as error:
        raise CliError(str(error)) from None
    print(f"Reviewer '{info.username}' can now log in to the dashboard (safebot dashboard).")
    return 0


def password(settings: Settings, name: str, new_password: str) -> int:
    """Set a new password for a reviewer (ends their sessions)."""
    from bot.reviewers import ReviewerError, check_password_strength, set_password
    from bot.storage.database import session_factory

    try:
        check_password_strength(new_password)
        with open_database(settings) as engine:
            set_password(session_factory(engine), name, new_password)
    except ReviewerError as error:
        raise CliError(str(error)) from None
    print(f"New password set for '{name.strip().lower()}'.")
    return 0


def disable(settings: Settings, name: str) -> int:
    """Disable a reviewer account and end its sessions at once."""
    return _set_disabled(settings, name, disabled=True)


def enable(settings: Settings, name: str) -> int:
    """Enable a disabled reviewer account again."""
    return _set_disabled(settings, name, disabled=False)


def _set_disabled(settings: Settings, name: str, *, disabled: bool) -> int:
    from bot.reviewers import ReviewerError, set_disabled
    from bot.storage.database import session_factory

    try:
        with open_database(settings) as engine:
            set_disabled(session_factory(engine), name, disabled=disabled)
    except ReviewerError as error:
        raise CliError(str(error)) from None
    state = "disabled (and logged out)" if disabled else "enabled"
    print(f"Reviewer '{name.strip().lower()}' is {state}.")
    return 0


def listing(settings: Settings) -> int:
    """List reviewer accounts."""
    from bot.reviewers import list_reviewers
    from bot.storage.database import session_factory

    with open_database(settings) as engine:
        reviewers = list_reviewers(session_factory(engine))
    if not reviewers:
        print("No reviewers yet; add one with `safebot reviewer add NAME`.")
    for info in reviewers:
        state = "disabled" if info.disabled else "active"
        print(f"{info.username:<24} {state:<9} since {info.created_at:%Y-%m-%d}")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return settings


def _add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return add(settings, args.name, read_password(from_stdin=args.password_stdin))


def _password(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return password(settings, args.name, read_password(from_stdin=args.password_stdin))


def register(sub: Any) -> None:
    """Add ``reviewer`` and its sub-commands to ``safebot``'s sub-commands."""
    reviewer = sub.add_parser("reviewer", help="manage the dashboard's reviewer accounts")
    reviewer_sub = reviewer.add_subparsers(dest="reviewer_command", required=True)
    for name, func, handler, takes_password in (
        ("add", add, _add, True),
        ("password", password, _password, True),
        ("disable", disable, lambda args: disable(_settings(args), args.name), False),
        ("enable", enable, lambda args: enable(_settings(args), args.name), False),
    ):
        command = reviewer_sub.add_parser(name, help=func.__doc__)
        command.add_argument("name", help="the reviewer's username")
        if takes_password:
            command.add_argument(
                "--password-stdin", action="store_true", help="read the password from stdin"
            )
        command.set_defaults(func=handler)
    parser = reviewer_sub.add_parser("list", help=listing.__doc__)
    parser.set_defaults(func=lambda args: listing(_settings(args)))
