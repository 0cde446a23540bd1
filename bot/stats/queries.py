"""The statistics' SQL: aggregates per period, group and both, read from the rollups.

Every count but the children is a sum of period rows (``rollup_periods``: the day rows added
up by week and month for every grouping). Distinct children are a sum of links
(``rollup_children``): for a single week or month, its rows; for a range of whole periods, its
rows whose previous period is before the range (``bot.storage.rollups.children`` says why that
counts each child once). Key sums come along, so each figure has the cell key the events
themselves would give. Nothing here reads the event log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, false, func, select
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
from bot.storage.models import RollupChildren, RollupPeriod
from bot.storage.rollups import ADDITIVE, ALL, DAY_MEASURES, MEASURES, NO_PREVIOUS, grouping_of
from bot.storage.rollups import MISSING as STORED_MISSING

#: Values a rollup reserves (summed over, no value): as a filter they match no event.
_RESERVED = frozenset({ALL, STORED_MISSING})
Rollup = type[RollupPeriod] | type[RollupChildren]


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


def _check_whole(filters: Filters, period: str) -> None:
    _check_period(period)
    if not _whole(filters, period):
        raise ValueError(f"figures per {period} need whole {period}s: widen the range first")


def range_period(filters: Filters) -> str:
    """A period kind whose whole periods the filters' range is (months first: fewer rows).

    Raises ValueError for a range that is not (the reports always widen theirs).
    """
    for period in ("month", "week"):
        if _whole(filters, period):
            return period
    raise ValueError("the statistics cover whole weeks or months: widen the range first")


def _sums(rollup: Rollup, names: Sequence[str]) -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(getattr(rollup, name)), 0) for name in names]


def _rows_of(
    rollup: Rollup, query: Select[Any], period: str, filters: Filters, by: str | None
) -> Select[Any]:
    """The rows of the filters' cells, periods and range (grouped by ``by`` when given)."""
    kept = {name for name in DIMENSIONS if getattr(filters, name) is not None or name == by}
    conditions: list[ColumnElement[bool]] = [
        rollup.period == period,
        rollup.grouping == grouping_of(kept),
    ]
    for name in DIMENSIONS:
        column, value = getattr(rollup, name), getattr(filters, name)
        if name not in kept:
            conditions.append(column == ALL)
        elif value is not None:
            conditions.append(false() if value in _RESERVED else column == value)
    if filters.since is not None:
        conditions.append(rollup.start >= filters.since)
    if filters.until is not None:
        conditions.append(rollup.start <= filters.until)
    return query.where(*conditions)


def _counts(
    query: Select[Any], period: str, filters: Filters, by: str | None = None
) -> Select[Any]:
    return _rows_of(RollupPeriod, query, period, filters, by)


def _children(
    query: Select[Any], period: str, filters: Filters, by: str | None = None, *, whole: bool
) -> Select[Any]:
    """The links of each period (``whole`` False), or those counting each child once.

    Over the whole range, a child counts at the link whose previous period is before it.
    """
    query = _rows_of(RollupChildren, query, period, filters, by)
    if not whole:
        return query
    return query.where(
        RollupChildren.previous < filters.since
        if filters.since is not None
        else RollupChildren.previous == NO_PREVIOUS
    )


def _label(by: str, value: str) -> str:
    return MISSING[by] if value == STORED_MISSING else value


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _figures(children: Sequence[Any], counts: Sequence[Any] | None) -> Figures:
    """Figures from the children sums (``MEASURES``) and the count sums (counts, then keys)."""
    users, users_keys, feedback_users, feedback_users_keys = (int(v or 0) for v in children)
    values = [int(v or 0) for v in counts] if counts is not None else [0] * len(DAY_MEASURES)
    additive = dict(zip(ADDITIVE, values[: len(ADDITIVE)], strict=True))
    keys = dict(zip(ADDITIVE, values[len(ADDITIVE) :], strict=True))
    return Figures(
        users=users,
        feedback_users=feedback_users,
        **additive,
        keys=CellKeys(users=users_keys, feedback_users=feedback_users_keys, **keys),
    )


def _keyed(
    engine: Engine, children: Select[Any], counts: Select[Any], width: int
) -> dict[tuple[Any, ...], Figures]:
    """Figures by the first ``width`` columns of both queries: the entries with children."""
    children = children.having(func.sum(RollupChildren.users) > 0)
    with engine.connect() as connection:
        found = {tuple(row[:width]): row[width:] for row in connection.execute(children)}
        sums = {tuple(row[:width]): row[width:] for row in connection.execute(counts)}
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
    counts = _counts(
        select(RollupPeriod.start, *_sums(RollupPeriod, DAY_MEASURES)), period, filters
    )
    children = _children(
        select(RollupChildren.start, *_sums(RollupChildren, MEASURES)), period, filters, whole=False
    )
    found = _keyed(
        engine,
        children.group_by(RollupChildren.start),
        counts.group_by(RollupPeriod.start),
        1,
    )
    return {_as_date(key[0]): figures for key, figures in found.items()}


def query_grand_total(engine: Engine, filters: Filters) -> Figures:
    """The total over the whole range and every group."""
    period = range_period(filters)
    counts = _counts(select(*_sums(RollupPeriod, DAY_MEASURES)), period, filters)
    children = _children(select(*_sums(RollupChildren, MEASURES)), period, filters, whole=True)
    with engine.connect() as connection:
        counted = connection.execute(children).one()
        summed = connection.execute(counts).one()
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
    group, linked = getattr(RollupPeriod, by), getattr(RollupChildren, by)
    counts = _counts(select(group, *_sums(RollupPeriod, DAY_MEASURES)), period, filters, by)
    children = _children(
        select(linked, *_sums(RollupChildren, MEASURES)), period, filters, by, whole=True
    )
    found = _keyed(engine, children.group_by(linked), counts.group_by(group), 1)
    return {_label(by, str(key[0])): figures for key, figures in found.items()}


def query_cells(
    engine: Engine, period: str, by: str, filters: Filters
) -> dict[tuple[dt.date, str], Figures]:
    """Figures per period × group (the filters' dates whole periods)."""
    _check_by(by)
    _check_whole(filters, period)
    group, linked = getattr(RollupPeriod, by), getattr(RollupChildren, by)
    counts = _counts(
        select(RollupPeriod.start, group, *_sums(RollupPeriod, DAY_MEASURES)), period, filters, by
    )
    children = _children(
        select(RollupChildren.start, linked, *_sums(RollupChildren, MEASURES)),
        period,
        filters,
        by,
        whole=False,
    )
    found = _keyed(
        engine,
        children.group_by(RollupChildren.start, linked),
        counts.group_by(RollupPeriod.start, group),
        2,
    )
    return {(_as_date(key[0]), _label(by, str(key[1]))): f for key, f in found.items()}


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
