"""Which days the statistics cover: a period is *partial* when data covers only part of it.

A month that started collecting on the 7th, or the month still running, has fewer days behind its
figures than a whole one; comparing its count with a whole month's compares unlike with unlike.
Figures per day of data are comparable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select

from bot.stats.table import Filters, period_end
from bot.storage.models import RollupDay


@dataclass(frozen=True)
class DataSpan:
    """The first and last day (UTC) with any event, over every locale, country and intent."""

    first: dt.date
    last: dt.date


def query_data_span(engine: Engine) -> DataSpan | None:
    """The days the statistics cover (the rollups: older than the events held), or None.

    Deliberately ignores the locale, country and intent filters: a day when no child in Ukraine
    wrote is still a day of data for Ukraine (the bot was there to answer).
    """
    # Every event is a message or a "did this help?" answer; a day whose events were all taken
    # back by /forget keeps a row of zeros, and is no day of data.
    query = select(func.min(RollupDay.day), func.max(RollupDay.day)).where(
        or_(RollupDay.messages > 0, RollupDay.feedback > 0)
    )
    with engine.connect() as connection:
        first, last = connection.execute(query).one()
    if first is None or last is None:
        return None
    return DataSpan(_day(first), _day(last))


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def previous_start(start: dt.date, period: str) -> dt.date:
    """The first day of the period before the one that begins on ``start``."""
    if period == "week":
        return start - dt.timedelta(days=7)
    return (start - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Coverage:
    """How many days of one period the figures cover."""

    start: dt.date
    end: dt.date
    days: int
    covered: int
    #: The period has not ended yet (it holds today).
    running: bool

    @property
    def partial(self) -> bool:
        """Fewer days of data than the period has, or the period is still running."""
        return self.running or self.covered < self.days


def coverage(
    start: dt.date, period: str, span: DataSpan | None, filters: Filters, today: dt.date
) -> Coverage:
    """The days of data behind a period: those inside the data span, the date filter and today."""
    end = period_end(start, period)
    days = (end - start).days + 1
    first, last = start, min(end, today)
    if span is not None:
        first, last = max(first, span.first), min(last, span.last)
    if filters.since is not None:
        first = max(first, filters.since)
    if filters.until is not None:
        last = min(last, filters.until)
    covered = max(0, (last - first).days + 1)
    return Coverage(start, end, days, covered, start <= today <= end)
