"""``safebot stats``: anonymised figures, small cells hidden."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from bot.cli.common import CliError, iso_day, load_settings, open_database
from bot.logging_setup import configure_logging
from bot.settings import Settings


def stats(
    settings: Settings,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    period: str = "week",
    by: str = "intent",
    fmt: str = "table",
    locale: str | None = None,
    country: str | None = None,
) -> int:
    """Anonymised figures per week or month and intent, locale or country (small cells hidden)."""
    from bot.stats import FORMATTERS, Filters, stats_table

    if since and until and since > until:
        raise CliError("--since must not be after --until.")
    filters = Filters(since, until, locale, country and country.upper())
    with open_database(settings) as engine:
        table = stats_table(
            engine, period=period, by=by, filters=filters, k=settings.min_cell_users
        )
    print(FORMATTERS[fmt](table).rstrip("\n"))
    return 0


def _stats(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return stats(
        settings,
        since=args.since,
        until=args.until,
        period=args.period,
        by=args.by,
        fmt=args.format,
        locale=args.locale,
        country=args.country,
    )


def register(sub: Any) -> None:
    """Add ``stats`` to ``safebot``'s sub-commands."""
    from bot.stats import DIMENSIONS, FORMATS, PERIODS

    parser = sub.add_parser("stats", help=stats.__doc__, description=stats.__doc__)
    parser.add_argument("--since", type=iso_day, default=None, help="first day (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", type=iso_day, default=None, help="last day, included")
    parser.add_argument("--period", choices=PERIODS, default="week")
    parser.add_argument("--by", choices=DIMENSIONS, default="intent")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--locale", default=None, help="only this locale, e.g. en")
    parser.add_argument("--country", default=None, help="only this country, e.g. GB")
    parser.set_defaults(func=_stats)
