"""The statistics' SQL: aggregates per period, group and both, read from the rollups.

Every count but the children is a sum of day rows (``rollup_days``). Distinct children are a sum
of links (``rollup_children``): for a single week or month, its rows; for a range of whole
periods, its rows whose previous period is before the range (``bot.storage.rollups.children``
says why that counts each child once). Key sums come along, so each figure has the cell key the
events themselves would give. Nothing here reads the event log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Engine, Select, cast, false, func, literal_column, select, type_coerce
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
    period_end,
    period_start,
)
from bot.storage.models import RollupChildren, RollupDay
from bot.storage.rollups import ADDITIVE, ALL, MEASURES, NO_PREVIOUS, grouping_of
from bot.storage.rollups import MISSING as STORED_MISSING

#: Values a rollup reserves (summed over, no value): as a filter they match no event.
_RESERVED = frozenset({ALL, STORED_MISSING})
_DAY_COLUMNS = {name: getattr(RollupDay, name) for name in DIMENSIONS}
_CHILDREN_COLUMNS = {name: getattr(RollupChildren, name) for name in DIMENSIONS}


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")


def _check_by(by: str) -> None:
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")


def _whole(filters: Filters, period: str) -> bool:
    """Whether the filters' dates are whole periods (or open)."""
    return (filters.since is None or filters.since == period_start(filters.since, period)) and (
        filters.until is None or filters.until == period_end(filters.until, period)
    )


def range_period(filters: Filters) -> str:
    """A period kind whose whole periods the filters' range is (months first: fewer rows).

    Raises ValueError for a range that is not (the reports always widen theirs).
    """
    for period in ("month", "week"):
        if _whole(filters, period):
            return period
    raise ValueError("the statistics cover whole weeks or months: widen the range first")


def _day_period(dialect: str, period: str) -> ColumnElement[Any]:
    """The first day of a day row's week (Monday) or month."""
    _check_period(period)
    if dialect == "postgresql":
        return cast(func.date_trunc(period, RollupDay.day), Date)
    if period == "week":  # SQLite: the Monday on or before the day
        monday = func.date(
            RollupDay.day, literal_column("'weekday 0'"), literal_column("'-6 days'")
        )
        return type_coerce(monday, Date)
    return type_coerce(func.date(RollupDay.day, literal_column("'start of month'")), Date)


def _day_sums() -> list[ColumnElement[Any]]:
    """The additive counts, then their key sums."""
    names = [*ADDITIVE, *(f"{name}_keys" for name in ADDITIVE)]
    return [func.coalesce(func.sum(getattr(RollupDay, name)), 0) for name in names]


def _children_sums() -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(getattr(RollupChildren, name)), 0) for name in MEASURES]


def _matching(columns: Mapping[str, Any], filters: Filters) -> list[ColumnElement[bool]]:
    """The rows of the filters' locale, country and intent."""
    conditions: list[ColumnElement[bool]] = []
    for name in DIMENSIONS:
        value = getattr(filters, name)
        if value is None:
            continue
        conditions.append(false() if value in _RESERVED else columns[name] == value)
    return conditions


def _days_of(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.since is not None:
        query = query.where(RollupDay.day >= filters.since)
    if filters.until is not None:
        query = query.where(RollupDay.day <= filters.until)
    return query.where(*_matching(_DAY_COLUMNS, filters))


def _children_of(
    query: Select[Any], period: str, filters: Filters, by: str | None, *, whole_range: bool
) -> Select[Any]:
    """The links of the filters' cells.

    All of each period's (``whole_range`` False), or those that count each child once over the
    whole range (their previous period is before it).
    """
    kept = {name for name in DIMENSIONS if getattr(filters, name) is not None or name == by}
    query = query.where(
        RollupChildren.period == period,
        RollupChildren.grouping == grouping_of(kept),
        *(_CHILDREN_COLUMNS[name] == ALL for name in DIMENSIONS if name not in kept),
        *_matching(_CHILDREN_COLUMNS, filters),
    )
    if filters.since is not None:
        query = query.where(RollupChildren.start >= filters.since)
    if filters.until is not None:
        query = query.where(RollupChildren.start <= filters.until)
    if whole_range:
        query = query.where(
            RollupChildren.previous < filters.since
            if filters.since is not None
            else RollupChildren.previous == NO_PREVIOUS
        )
    return query


def _label(by: str, value: str) -> str:
    return MISSING[by] if value == STORED_MISSING else value


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _figures(children: Sequence[Any], days: Sequence[Any] | None) -> Figures:
    """Figures from the children sums (:data:`MEASURES`) and the day sums (counts, keys)."""
    users, users_keys, feedback_users, feedback_users_keys = (int(v or 0) for v in children)
    counts = [int(v or 0) for v in days] if days is not None else [0] * (2 * len(ADDITIVE))
    additive = dict(zip(ADDITIVE, counts[: len(ADDITIVE)], strict=True))
    keys = dict(zip(ADDITIVE, counts[len(ADDITIVE) :], strict=True))
    return Figures(
        users=users,
        feedback_users=feedback_users,
        **additive,
        keys=CellKeys(users=users_keys, feedback_users=feedback_users_keys, **keys),
    )


def _keyed(
    engine: Engine, children: Select[Any], days: Select[Any], width: int
) -> dict[tuple[Any, ...], Figures]:
    """Figures by the first ``width`` columns of both queries; entries with children only."""
    with engine.connect() as connection:
        found = {tuple(row[:width]): row[width:] for row in connection.execute(children)}
        sums = {tuple(row[:width]): row[width:] for row in connection.execute(days)}
    return {key: _figures(values, sums.get(key)) for key, values in found.items()}


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
    """Totals per period over all groups (the filters' dates whole periods)."""
    _check_whole(filters, period)
    start = _day_period(engine.dialect.name, period).label("period")
    days = _days_of(select(start, *_day_sums()), filters).group_by(start)
    children = _children_of(
        select(RollupChildren.start, *_children_sums()), period, filters, None, whole_range=False
    ).group_by(RollupChildren.start)
    children = children.having(func.sum(RollupChildren.users) > 0)
    found = _keyed(engine, children, days, 1)
    return {_as_date(key[0]): figures for key, figures in found.items()}


def query_grand_total(engine: Engine, filters: Filters) -> Figures:
    """The total over the whole range and every group."""
    period = range_period(filters)
    days = _days_of(select(*_day_sums()), filters)
    children = _children_of(select(*_children_sums()), period, filters, None, whole_range=True)
    with engine.connect() as connection:
        counted = connection.execute(children).one()
        summed = connection.execute(days).one()
    return _figures(counted, summed)


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
    _check_by(by)
    period = range_period(filters)
    group = _DAY_COLUMNS[by]
    days = _days_of(select(group, *_day_sums()), filters).group_by(group)
    linked = _CHILDREN_COLUMNS[by]
    children = _children_of(
        select(linked, *_children_sums()), period, filters, by, whole_range=True
    ).group_by(linked)
    children = children.having(func.sum(RollupChildren.users) > 0)
    found = _keyed(engine, children, days, 1)
    return {_label(by, str(key[0])): figures for key, figures in found.items()}


def query_cells(
    engine: Engine, period: str, by: str, filters: Filters
) -> dict[tuple[dt.date, str], Figures]:
    """Figures per period × group (the filters' dates whole periods)."""
    _check_by(by)
    _check_whole(filters, period)
    start = _day_period(engine.dialect.name, period).label("period")
    group = _DAY_COLUMNS[by]
    days = _days_of(select(start, group, *_day_sums()), filters).group_by(start, group)
    linked = _CHILDREN_COLUMNS[by]
    children = _children_of(
        select(RollupChildren.start, linked, *_children_sums()),
        period,
        filters,
        by,
        whole_range=False,
    ).group_by(RollupChildren.start, linked)
    children = children.having(func.sum(RollupChildren.users) > 0)
    found = _keyed(engine, children, days, 2)
    return {(_as_date(key[0]), _label(by, str(key[1]))): f for key, f in found.items()}


def _check_whole(filters: Filters, period: str) -> None:
    _check_period(period)
    if not _whole(filters, period):
        raise ValueError(f"figures per {period} need whole {period}s: widen the range first")


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
