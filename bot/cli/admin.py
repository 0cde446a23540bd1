"""``safebot purge``, ``rotate-key``, ``rollups rebuild``: retention, key, statistics' rollups."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, load_settings, open_database
from bot.logging_setup import configure_logging
from bot.settings import Settings


def purge(settings: Settings) -> int:
    """Delete events and profiles older than SAFEBOT_RETENTION_DAYS (safe to run twice at once)."""
    from bot.storage.retention import purge as purge_old

    with open_database(settings) as engine:
        result = purge_old(engine, retention_days=settings.retention_days)
    print(
        f"Deleted {result.events} events and {result.profiles} profiles from before "
        f"{result.cutoff:%Y-%m-%d %H:00} UTC ({settings.retention_days} days), "
        f"{result.sessions} expired dashboard sessions, {result.login_attempts} old "
        f"failed-login records, {result.handled_updates} old webhook update numbers, "
        f"{result.answered_messages} old records of crisis answers and "
        f"{result.forgotten_pseudonyms} records of /forget older than an hour."
    )
    return 0


def rotate_key(settings: Settings, *, out: Path | None = None, yes: bool = False) -> int:
    """Make a new pseudonym key and cut old records off from every key (irreversible)."""
    from bot.key_rotation import KeyFileExists, new_key, rehash_pseudonyms, write_key_file

    out = out or settings.data_dir / "pseudonym-key.new"
    if not yes:
        if not sys.stdin.isatty():
            raise CliError("This cannot be undone; add --yes to rotate the key.")
        print(
            "This re-hashes every stored pseudonym so old records can no longer be linked to "
            "any child, and deletes all profiles. Stop the bot first.",
        )
        if input("Type 'rotate' to continue: ").strip() != "rotate":
            raise CliError("Nothing was changed.")
    with open_database(settings) as engine:
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


def rebuild_rollups(settings: Settings) -> int:
    """Count the statistics' rollups again from the events held (writers wait meanwhile)."""
    from bot.storage.rollups import rebuild

    with open_database(settings) as engine, engine.begin() as connection:
        result = rebuild(connection)
    print(
        f"Counted the events of {result.keys} child keys into the rollups again "
        f"({result.children_rows} children rows); figures older than the events held are kept "
        "as they were."
    )
    return 0


def _purge(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return purge(settings)


def _rotate_key(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return rotate_key(settings, out=Path(args.out) if args.out else None, yes=args.yes)


def _rollups(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return rebuild_rollups(settings)


def register(sub: Any) -> None:
    """Add ``purge``, ``rotate-key`` and ``rollups`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("purge", help=purge.__doc__)
    parser.set_defaults(func=_purge)

    parser = sub.add_parser("rotate-key", help=rotate_key.__doc__)
    parser.add_argument("--out", default=None, help="default: <data dir>/pseudonym-key.new")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=_rotate_key)

    parser = sub.add_parser("rollups", help="the statistics' rollups")
    actions = parser.add_subparsers(dest="action", required=True)
    action = actions.add_parser("rebuild", help=rebuild_rollups.__doc__)
    action.set_defaults(func=_rollups)
