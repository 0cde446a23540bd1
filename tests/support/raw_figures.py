"""The statistics as they were computed before the rollups: straight from the events table.

The reference the rollups are tested against (tests/stats/test_rollups.py): every figure the
rollups give must be the one these queries give on the same events, key sums included. The
SQL is the statistics' own from before issue #13 part 2, unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Date,
    Engine,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from bot.stats.table import DIMENSIONS, MISSING, PERIODS, CellKeys, Figures, Filters
from bot.storage.models import Event


def _period_start(dialect: str, period: str) -> ColumnElement[Any]:
    """The first day of the event's week (Monday) or month, in UTC."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if dialect == "postgresql":
        return cast(func.date_trunc(period, func.timezone("UTC", Event.hour)), Date)
    if period == "week":  # SQLite: the Monday on or before the day
        return func.date(Event.hour, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.date(Event.hour, literal_column("'start of month'"))


def _group_column(by: str) -> ColumnElement[Any]:
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    column = {"intent": Event.intent, "locale": Event.locale, "country": Event.country}[by]
    return func.coalesce(column, MISSING[by])


def _aggregates(dialect: str) -> list[ColumnElement[Any]]:
    """The counts of :class:`Figures`, then the sums of their keys in the same order."""
    # Byte order is enough to tell pseudonyms apart, and much quicker to sort than a locale's.
    pseudonym = Event.pseudonym.collate("C") if dialect == "postgresql" else Event.pseudonym

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def keys_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, Event.record_key), else_=0)), 0)

    message = Event.kind != "feedback"
    answered = Event.helpful.is_not(None)
    conditions = [
        message,
        and_(message, Event.escalation != "none"),
        and_(message, Event.crisis_net.is_(True)),
        Event.kind == "text",
        and_(Event.kind == "text", Event.clarified.is_(True)),
        Event.engine == "spacy-fallback",
        answered,
        Event.helpful.is_(True),
    ]
    # A child's key once per child (their events all carry the same one): two children with
    # the same key would count once, which changes the noise but keeps it fixed per set.
    return [
        func.count(distinct(pseudonym)),
        *(count_if(condition) for condition in conditions),
        func.count(distinct(case((answered, pseudonym)))),
        func.coalesce(func.sum(distinct(Event.child_key)), 0),
        *(keys_if(condition) for condition in conditions),
        func.coalesce(func.sum(distinct(case((answered, Event.child_key)))), 0),
    ]


def _where(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.since is not None:
        query = query.where(Event.hour >= _midnight(filters.since))
    if filters.until is not None:
        query = query.where(Event.hour < _midnight(filters.until + dt.timedelta(days=1)))
    if filters.locale is not None:
        query = query.where(Event.locale == filters.locale)
    if filters.country is not None:
        query = query.where(Event.country == filters.country)
    if filters.intent is not None:
        query = query.where(Event.intent == filters.intent)
    return query


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _figures(values: Sequence[Any]) -> Figures:
    numbers = [int(v or 0) for v in values]
    half = len(numbers) // 2
    counts = dict(zip(CellKeys.__dataclass_fields__, numbers[:half], strict=True))
    return Figures(**counts, keys=CellKeys(*numbers[half:]))


def query_period_totals(engine: Engine, period: str, filters: Filters) -> dict[dt.date, Figures]:
    """Totals per period over all groups."""
    dialect = engine.dialect.name
    start = _period_start(dialect, period).label("period")
    query = _where(select(start, *_aggregates(dialect)), filters).group_by(start)
    with engine.connect() as connection:
        return {_as_date(r[0]): _figures(r[1:]) for r in connection.execute(query)}


def query_grand_total(engine: Engine, filters: Filters) -> Figures:
    """The total over the whole range and every group."""
    query = _where(select(*_aggregates(engine.dialect.name)), filters)
    with engine.connect() as connection:
        return _figures(connection.execute(query).one())


def query_group_totals(engine: Engine, by: str, filters: Filters) -> dict[str, Figures]:
    """Totals per group over the whole range."""
    group = _group_column(by).label("grp")
    query = _where(select(group, *_aggregates(engine.dialect.name)), filters).group_by(group)
    with engine.connect() as connection:
        return {str(r[0]): _figures(r[1:]) for r in connection.execute(query)}


def query_cells(
    engine: Engine, period: str, by: str, filters: Filters
) -> dict[tuple[dt.date, str], Figures]:
    """Figures per period × group."""
    dialect = engine.dialect.name
    start = _period_start(dialect, period).label("period")
    group = _group_column(by).label("grp")
    query = _where(select(start, group, *_aggregates(dialect)), filters).group_by(start, group)
    with engine.connect() as connection:
        return {(_as_date(r[0]), str(r[1])): _figures(r[2:]) for r in connection.execute(query)}
