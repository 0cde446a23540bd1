"""The statistics' SQL: aggregates per period, group and both, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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

from bot.stats.suppression import build_table
from bot.stats.table import (
    DIMENSIONS,
    MISSING,
    PERIODS,
    CellKeys,
    Figures,
    Filters,
    StatsTable,
)
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


@dataclass(frozen=True)
class Totals:
    """Per-period totals and the grand total: the same whatever the grouping."""

    period: str
    filters: Filters
    by_period: dict[dt.date, Figures]
    total: Figures


#: Independent queries run at once, each on its own connection (both databases allow it).
_MAX_PARALLEL = 4


def run_parallel(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """The results of independent queries, run in threads (they wait on the database)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(len(calls), _MAX_PARALLEL)) as pool:
        return list(pool.map(lambda call: call(), calls))


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


def query_totals(engine: Engine, period: str, filters: Filters) -> Totals:
    """Totals per period and over the whole range."""
    by_period, total = run_parallel(
        [
            lambda: query_period_totals(engine, period, filters),
            lambda: query_grand_total(engine, filters),
        ]
    )
    return Totals(period, filters, by_period, total)


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


def stats_table(
    engine: Engine,
    *,
    period: str = "week",
    by: str = "intent",
    filters: Filters | None = None,
    k: int = 5,
    totals: Totals | None = None,
    group_totals: Mapping[str, Figures] | None = None,
    perturb: bool = True,
) -> StatsTable:
    """Query, suppress and perturb one table over whole periods.

    The range is widened to whole weeks or months (the table says so in a note).
    ``totals``/``group_totals`` reuse earlier query results; ``perturb=False`` shows the true
    figures, for tests only.
    """
    asked = filters or Filters()
    chosen = filters = asked.snapped(period)
    stale = totals is None or totals.period != period or totals.filters != filters
    calls: dict[str, Callable[[], Any]] = {"cells": lambda: query_cells(engine, period, by, chosen)}
    if stale:
        calls["periods"] = lambda: query_period_totals(engine, period, chosen)
        calls["total"] = lambda: query_grand_total(engine, chosen)
    if group_totals is None:
        calls["groups"] = lambda: query_group_totals(engine, by, chosen)
    results = dict(zip(calls, run_parallel(list(calls.values())), strict=True))
    cells = results["cells"]
    if stale or totals is None:
        totals = Totals(period, filters, results["periods"], results["total"])
    if group_totals is None:
        group_totals = results["groups"]
    return build_table(
        period=period,
        by=by,
        filters=filters,
        k=k,
        cells=cells,
        period_totals=totals.by_period,
        group_totals=group_totals,
        total=totals.total,
        notes=snapping_notes(asked, filters, period),
        perturb=perturb,
    )


def snapping_notes(asked: Filters, shown: Filters, period: str) -> tuple[str, ...]:
    """A note saying which range is shown, when it is wider than the one asked for."""
    if asked == shown:
        return ()

    def day(value: dt.date | None, otherwise: str) -> str:
        return value.isoformat() if value else otherwise

    return (
        f"Asked for {day(asked.since, 'the start')} to {day(asked.until, 'today')}; shown: "
        f"whole {period}s from {day(shown.since, 'the start')} to "
        f"{day(shown.until, 'today')}.",
    )
