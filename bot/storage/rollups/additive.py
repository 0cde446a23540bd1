"""The additive figures: per day × locale × country × intent, and per week and month.

What counts as a message, an escalation, a fallback... is said once here, for the events a writer
has just written (:func:`day_tally`) and for the events table as a whole (:func:`rebuild_counts`).
Each count comes with the sum of its events' record keys. The day rows are the finest (and say
which days have data); the period rows add them up by week and month for every grouping as they
are written, so that a statistic reads a few rows per period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Select,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import Event, RollupDay, RollupPeriod
from bot.storage.rollups.dimensions import (
    ALL,
    DIMENSIONS,
    GROUPINGS,
    MISSING,
    PERIODS,
    cells,
    period_start,
    stored,
    utc_day,
)
from bot.storage.rollups.upserts import add_rows, add_selected

_DAYS: Table = RollupDay.__table__  # type: ignore[assignment]
_PERIODS: Table = RollupPeriod.__table__  # type: ignore[assignment]

#: The additive figures, in the order of a day tally's counts (their key sums follow).
ADDITIVE: tuple[str, ...] = (
    "messages",
    "escalations",
    "crisis_net",
    "text_messages",
    "clarified",
    "fallbacks",
    "feedback",
    "helpful",
)
#: Every measure column of rollup_days: the counts, then their key sums.
DAY_MEASURES: tuple[str, ...] = (*ADDITIVE, *(f"{name}_keys" for name in ADDITIVE))
#: A day row's key: day, locale, country, intent.
DayKey = tuple[dt.date, str, str, str]
#: A period row's key: period, grouping, locale, country, intent, start.
PeriodKey = tuple[str, int, str, str, str, dt.date]


def _flags(event: Mapping[str, Any]) -> tuple[bool, ...]:
    """Which additive figures one event counts in (as :func:`_conditions`, in Python)."""
    message = event["kind"] != "feedback"
    text = event["kind"] == "text"
    return (
        message,
        message and event["escalation"] != "none",
        message and event["crisis_net"] is True,
        text,
        text and event["clarified"] is True,
        event["engine"] == "spacy-fallback",
        event["helpful"] is not None,
        event["helpful"] is True,
    )


def _conditions() -> list[ColumnElement[bool]]:
    """Which additive figures an events row counts in (as :func:`_flags`, in SQL)."""
    message = Event.kind != "feedback"
    return [
        message,
        and_(message, Event.escalation != "none"),
        and_(message, Event.crisis_net.is_(True)),
        Event.kind == "text",
        and_(Event.kind == "text", Event.clarified.is_(True)),
        Event.engine == "spacy-fallback",
        Event.helpful.is_not(None),
        Event.helpful.is_(True),
    ]


def day_tally(events: Iterable[Mapping[str, Any]], sign: int = 1) -> dict[DayKey, list[int]]:
    """The amounts to add to day rows for these events (``sign`` -1: to take them away)."""
    tally: dict[DayKey, list[int]] = {}
    for event in events:
        key = (
            utc_day(event["hour"]),
            stored(event["locale"]),
            stored(event["country"]),
            stored(event["intent"]),
        )
        values = tally.get(key)
        if values is None:
            values = tally[key] = [0] * len(DAY_MEASURES)
        record_key = sign * int(event["record_key"])
        for index, counted in enumerate(_flags(event)):
            if counted:
                values[index] += sign
                values[index + len(ADDITIVE)] += record_key
    return tally


def period_tally(days: Mapping[DayKey, list[int]]) -> dict[PeriodKey, list[int]]:
    """The same amounts for the period rows: each day's added to its week's and month's cells."""
    periods: dict[tuple[str, dt.date, str, str, str], list[int]] = {}
    for (day, locale, country, intent), values in days.items():
        for period in PERIODS:
            _add(periods, (period, period_start(day, period), locale, country, intent), values)
    tally: dict[PeriodKey, list[int]] = {}
    for (period, start, locale, country, intent), values in periods.items():
        for grouping, kept_locale, kept_country, kept_intent in cells(locale, country, intent):
            _add(tally, (period, grouping, kept_locale, kept_country, kept_intent, start), values)
    return tally


def _add(tally: dict[Any, list[int]], key: Any, values: list[int]) -> None:
    found = tally.get(key)
    if found is None:
        tally[key] = list(values)
    else:
        for index, value in enumerate(values):
            found[index] += value


def add_counts(connection: Connection, days: Mapping[DayKey, list[int]]) -> None:
    """Add a day tally to the stored day rows and period rows."""
    add_rows(connection, _DAYS, DAY_MEASURES, _rows(days))
    add_rows(connection, _PERIODS, DAY_MEASURES, _rows(period_tally(days)))


def _rows(tally: Mapping[tuple[Any, ...], list[int]]) -> list[tuple[Any, ...]]:
    """The rows that change something, in key order (a fixed lock order).

    Each is its key, then its measures: the tables' column order.
    """
    return [(*key, *values) for key, values in sorted(tally.items()) if any(values)]


def event_day(dialect: str) -> ColumnElement[dt.date]:
    """An events row's UTC day, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", Event.hour), Date)
    return type_coerce(func.date(Event.hour), Date)


def day_period(dialect: str, period: str) -> ColumnElement[dt.date]:
    """The first day of a day row's week (Monday) or month, in SQL."""
    if dialect == "postgresql":
        return cast(func.date_trunc(period, RollupDay.day), Date)
    if period == "week":  # SQLite: the Monday on or before the day
        monday = func.date(
            RollupDay.day, literal_column("'weekday 0'"), literal_column("'-6 days'")
        )
        return type_coerce(monday, Date)
    return type_coerce(func.date(RollupDay.day, literal_column("'start of month'")), Date)


def rebuild_counts(connection: Connection, first_day: dt.date | None) -> None:
    """Recount the day rows from ``first_day`` on (None: all) from the events table.

    Then every period row, from the day rows (those before ``first_day`` included).
    """
    forget = delete(RollupDay)
    if first_day is not None:
        forget = forget.where(RollupDay.day >= first_day)
    connection.execute(forget)
    day = event_day(connection.dialect.name).label("day")
    dimensions = [
        func.coalesce(column, MISSING).label(name)
        for name, column in (
            ("locale", Event.locale),
            ("country", Event.country),
            ("intent", Event.intent),
        )
    ]
    conditions = _conditions()
    counts = [
        func.sum(case((condition, 1), else_=0)).label(name)
        for name, condition in zip(ADDITIVE, conditions, strict=True)
    ]
    keys = [
        func.sum(case((condition, Event.record_key), else_=0)).label(f"{name}_keys")
        for name, condition in zip(ADDITIVE, conditions, strict=True)
    ]
    columns: list[ColumnElement[Any]] = [day, *dimensions, *counts, *keys]
    query: Select[Any] = select(*columns)
    if first_day is not None:
        start = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=dt.UTC)
        query = query.where(Event.hour >= start)
    else:
        query = query.where(Event.hour.is_not(None))  # SQLite's upsert wants a WHERE
    query = query.group_by(day, *dimensions)
    add_selected(connection, _DAYS, DAY_MEASURES, query)
    connection.execute(delete(RollupPeriod))
    for period in PERIODS:
        starts = day_period(connection.dialect.name, period).label("start")
        for grouping in GROUPINGS:
            kept = [
                (getattr(RollupDay, name) if grouping >> i & 1 else literal(ALL)).label(name)
                for i, name in enumerate(DIMENSIONS)
            ]
            sums = [func.sum(getattr(RollupDay, name)).label(name) for name in DAY_MEASURES]
            added = select(
                literal(period).label("period"),
                literal(grouping).label("grouping"),
                *kept,
                starts,
                *sums,
            ).group_by(
                starts,
                *(getattr(RollupDay, n) for i, n in enumerate(DIMENSIONS) if grouping >> i & 1),
            )
            names = ["period", "grouping", *DIMENSIONS, "start", *DAY_MEASURES]
            connection.execute(insert(_PERIODS).from_select(names, added))
