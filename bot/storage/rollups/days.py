"""The day rollups: every additive figure per day × locale × country × intent.

What counts as a message, an escalation, a fallback... is said once here, for the events a writer
has just written (:func:`day_tally`) and for the events table as a whole (:func:`rebuild_days`);
the statistics only add these up. Each count comes with the sum of its events' record keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Date, and_, case, cast, delete, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import Event, RollupDay
from bot.storage.rollups.dimensions import MISSING, stored, utc_day
from bot.storage.rollups.upserts import add_rows, add_selected

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


def add_days(connection: Connection, tally: Mapping[DayKey, list[int]]) -> None:
    """Add a day tally to the stored day rows."""
    rows = [
        {
            "day": day,
            "locale": locale,
            "country": country,
            "intent": intent,
            **dict(zip(DAY_MEASURES, values, strict=True)),
        }
        for (day, locale, country, intent), values in sorted(tally.items())
        if any(values)
    ]
    add_rows(connection, RollupDay.__table__, DAY_MEASURES, rows)  # type: ignore[arg-type]


def event_day(dialect: str) -> ColumnElement[dt.date]:
    """An events row's UTC day, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", Event.hour), Date)
    return type_coerce(func.date(Event.hour), Date)


def rebuild_days(connection: Connection, first_day: dt.date | None) -> None:
    """Recount the day rows from ``first_day`` on (None: all) from the events table."""
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
    query = select(day, *dimensions, *counts, *keys)
    if first_day is not None:
        start = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=dt.UTC)
        query = query.where(Event.hour >= start)
    else:
        query = query.where(Event.hour.is_not(None))  # SQLite's upsert wants a WHERE
    query = query.group_by(day, *dimensions)
    add_selected(connection, RollupDay.__table__, DAY_MEASURES, query)  # type: ignore[arg-type]
