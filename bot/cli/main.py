"""The ``safebot`` command: chat, run, train, classify, content check, stats."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import (
    admin,
    chat,
    classify,
    content,
    dashboard,
    rasa,
    reviewer,
    serve,
    stats,
    train,
    webhook,
)
from bot.cli.common import CliError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``safebot``."""
    parser = argparse.ArgumentParser(prog="safebot", description=__doc__)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING...")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (
        chat,
        serve,
        webhook,
        train,
        classify,
        rasa,
        content,
        stats,
        admin,
        reviewer,
        dashboard,
    ):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``safebot`` console script."""
    from bot.service.runtime import StartupError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, StartupError) as error:
        print(f"safebot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
