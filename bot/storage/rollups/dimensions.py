"""How events map to rollup rows: their day, week and month, and the cell of each grouping.

A rollup row keeps a value for each of locale, country and intent, or sums over it
(:data:`ALL`). The *grouping* says which ones it keeps, as bits (locale 1, country 2, intent
4): every combination a statistic can filter or group by. An event without a country or an
intent is kept under :data:`MISSING`; the bot never writes ``""`` or ``"*"`` as a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

#: What a rollup row holds in a dimension it sums over.
ALL = "*"
#: What a rollup row holds for events without a value (no intent, unknown country).
MISSING = ""
#: Locale, country and intent: the bits of a grouping are 1, 2 and 4, in this order.
DIMENSIONS: tuple[str, ...] = ("locale", "country", "intent")
#: Every grouping: 0 (sums over all three) to 7 (keeps all three).
GROUPINGS: tuple[int, ...] = tuple(range(2 ** len(DIMENSIONS)))
#: The periods the children rollups count in.
PERIODS: tuple[str, ...] = ("week", "month")

#: A cell: grouping, locale, country, intent (``ALL`` where the grouping sums over it).
Cell = tuple[int, str, str, str]


def grouping_of(kept: Iterable[str]) -> int:
    """The grouping that keeps these dimensions and sums over the others."""
    return sum(1 << DIMENSIONS.index(name) for name in set(kept))


def stored(value: str | None) -> str:
    """An event's locale, country or intent as a rollup keeps it."""
    return MISSING if value is None else value


@lru_cache(maxsize=4096)
def cells(locale: str, country: str, intent: str) -> tuple[Cell, ...]:
    """The cell of every grouping that an event of this locale, country and intent counts in."""
    return tuple(
        (
            grouping,
            locale if grouping & 1 else ALL,
            country if grouping & 2 else ALL,
            intent if grouping & 4 else ALL,
        )
        for grouping in GROUPINGS
    )


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the week (Monday) or month holding ``day``."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}")


def period_end(day: dt.date, period: str) -> dt.date:
    """The last day of the week (Sunday) or month holding ``day``."""
    if period == "week":
        return day + dt.timedelta(days=6 - day.weekday())
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def utc_day(hour: dt.datetime) -> dt.date:
    """The UTC day of an event's hour (SQLite gives naive datetimes back, in UTC)."""
    if hour.tzinfo is not None:
        hour = hour.astimezone(dt.UTC)
    return hour.date()
