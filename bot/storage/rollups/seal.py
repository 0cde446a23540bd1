"""Sealing the rollups as the retention purge deletes events: no link to deleted events stays.

Aggregates outlive the events, so they must not keep what the purge takes away. Two things in
the children rows could still point at a child after their events are gone:

* a link from a period still held back to one before the horizon ("this child, who wrote this
  week, last wrote in that cell 14 months ago"): it becomes a first period (its previous is
  set to none), so the child counts as new, as they would in the events that remain;
* the child-key sums of periods before the horizon: a sum over one child *is* their child key,
  a hash of their pseudonym. Each such row's key sums are replaced by random numbers once, at
  sealing: figures of those periods keep a fixed noise from then on (it changes that once, as
  when the pseudonym key is rotated).

The counts themselves stay: children per period and range are anonymous.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Table, and_, delete, func, literal, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import RollupChildren
from bot.storage.record_keys import KEY_RANGE
from bot.storage.rollups.children import MEASURES, NO_PREVIOUS
from bot.storage.rollups.dimensions import PERIODS
from bot.storage.rollups.horizon import Horizon, read_horizon, store_horizon
from bot.storage.rollups.rebuild import lock_rollups
from bot.storage.rollups.upserts import add_selected

_CHILDREN: Table = RollupChildren.__table__  # type: ignore[assignment]


def _random_key(dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return func.floor(func.random() * KEY_RANGE).cast(_CHILDREN.c.users_keys.type)
    return func.random().op("&")(KEY_RANGE - 1)  # SQLite: a random 64-bit integer's low bits


def seal(connection: Connection, cutoff: dt.datetime) -> bool:
    """Move the horizon to a purge's cut-off; False when it was there already."""
    lock_rollups(connection)
    old = read_horizon(connection)
    if old.cutoff is not None and cutoff <= old.cutoff:
        return False
    new = Horizon(cutoff)
    for period in PERIODS:
        bound = new.bound(period)
        assert bound is not None
        _unlink(connection, period, bound)
        _scramble(connection, period, old.bound(period), bound)
    store_horizon(connection, cutoff)
    return True


def _unlink(connection: Connection, period: str, bound: dt.date) -> None:
    """Links from periods still followed back to sealed ones become first periods."""
    rows = RollupChildren
    linked_back = and_(
        rows.period == period,
        rows.start >= bound,
        rows.previous > NO_PREVIOUS,
        rows.previous < bound,
    )
    cell = (rows.period, rows.grouping, rows.locale, rows.country, rows.intent, rows.start)
    moved = (
        select(
            *cell,
            literal(NO_PREVIOUS, type_=rows.previous.type).label("previous"),
            *(func.sum(getattr(rows, name)).label(name) for name in MEASURES),
        )
        .where(linked_back)
        .group_by(*cell)
    )
    add_selected(connection, _CHILDREN, MEASURES, moved)
    connection.execute(delete(RollupChildren).where(linked_back))


def _scramble(connection: Connection, period: str, since: dt.date | None, bound: dt.date) -> None:
    """New random key sums for the rows of periods sealed now."""
    rows = RollupChildren
    random_key = _random_key(connection.dialect.name)
    sealed = [rows.period == period, rows.start < bound]
    if since is not None:
        sealed.append(rows.start >= since)
    connection.execute(
        update(RollupChildren)
        .where(*sealed)
        .values(users_keys=random_key, feedback_users_keys=random_key)
    )
