"""Counting the rollups again from the events table: the migration's backfill, key rotation.

The day rows are one ``INSERT ... SELECT ... GROUP BY``. The children rows need each child's
periods in order, so the events are read once, grouped by child key, and tallied with the same
arithmetic as the writers' (``bot.storage.rollups.children``). Only what the events still hold is
counted again: from the horizon on (before it the rollups are sealed and stay as they are).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select

from bot.storage.advisory_locks import FORGET
from bot.storage.models import Event, RollupChildren
from bot.storage.rollups.additive import event_day, rebuild_counts
from bot.storage.rollups.children import Activity, Tally, atom, tally_key
from bot.storage.rollups.dimensions import MISSING, PERIODS
from bot.storage.rollups.horizon import Horizon, read_horizon
from bot.storage.rollups.upkeep import add_links

#: Links tallied in memory before they are written (a few hundred bytes each).
_FLUSH_AT = 300_000


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild counted."""

    children_rows: int
    keys: int


def lock_rollups(connection: Connection) -> None:
    """Hold off every event writer and /forget until this transaction ends (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
        connection.execute(select(func.pg_advisory_xact_lock(FORGET)))


def rebuild(connection: Connection, *, days: bool = True) -> Rebuilt:
    """Count the rollups from the horizon on again from the events.

    ``days`` False: the children rows only, as after a key rotation (the additive rows hold no
    child key).
    """
    lock_rollups(connection)
    horizon = read_horizon(connection)
    if days:
        rebuild_counts(connection, horizon.first_day())
    return rebuild_children(connection, horizon)


def rebuild_children(connection: Connection, horizon: Horizon) -> Rebuilt:
    """Recount the children rows of every period from the horizon's bounds on."""
    bounds = horizon.bounds()
    for period in PERIODS:
        forget = delete(RollupChildren).where(RollupChildren.period == period)
        bound = bounds[period]
        if bound is not None:
            forget = forget.where(RollupChildren.start >= bound)
        connection.execute(forget)
    day = event_day(connection.dialect.name).label("day")
    answered = Event.helpful.is_not(None).label("answered")
    columns = (
        Event.child_key,
        Event.pseudonym,
        day,
        Event.locale,
        func.coalesce(Event.country, MISSING),
        func.coalesce(Event.intent, MISSING),
        answered,
    )
    query = select(*columns)
    earliest = min((b for b in bounds.values() if b is not None), default=None)
    if earliest is not None:
        query = query.where(
            Event.hour >= dt.datetime(earliest.year, earliest.month, earliest.day, tzinfo=dt.UTC)
        )
    # One row per child, day, cell and answer: the database does the heavy deduplication.
    query = query.group_by(*columns).order_by(Event.child_key, Event.pseudonym)
    tally = Tally()
    rows = keys = 0
    current: int | None = None
    children: dict[str, Activity] = {}
    result = connection.execute(query.execution_options(yield_per=20_000))
    for key, pseudonym, on, locale, country, intent, was_answered in result:
        if key != current:
            if current is not None:
                tally_key(tally, children, current, bounds)
                keys += 1
                if len(tally) >= _FLUSH_AT:
                    rows += _flush(connection, tally)
            current, children = key, {}
        activity = children.get(pseudonym)
        if activity is None:
            activity = children[pseudonym] = Activity()
        activity.add(atom(_as_date(on), locale, country, intent), bool(was_answered))
    if current is not None:
        tally_key(tally, children, current, bounds)
        keys += 1
    rows += _flush(connection, tally)
    return Rebuilt(rows, keys)


def _flush(connection: Connection, tally: Tally) -> int:
    changes = tally.changes()
    add_links(connection, changes)
    tally.clear()
    return len(changes)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
