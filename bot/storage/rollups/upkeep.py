"""Keeping the rollups up to date, in the transaction that writes or forgets events.

A writer adds what its new events change: their counts to the day rows, and to the children
rows the links that change (a child's first event of a week in a cell adds a link, and may
move the link of their next active week; a further event that week changes nothing). The links
come from the child's events as the database holds them, read under a per-child lock on
PostgreSQL (SQLite has one writer at a time), so two replicas writing one child's events
count each of them once. ``/forget`` takes a child's events out the same way before deleting
them. Every change is an upsert that adds (``bot.storage.rollups.upserts``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select, text

from bot.storage.advisory_locks import ROLLUP_CHILD
from bot.storage.models import Event, RollupChildren
from bot.storage.record_keys import child_key
from bot.storage.rollups.additive import add_counts, day_tally
from bot.storage.rollups.children import MEASURES, Activity, Tally, atom, tally_key
from bot.storage.rollups.dimensions import stored, utc_day
from bot.storage.rollups.horizon import read_horizon
from bot.storage.rollups.upserts import add_rows

_CHILDREN: Table = RollupChildren.__table__  # type: ignore[assignment]
#: Child keys whose events one query reads.
_KEYS_AT_ONCE = 500
#: An event's columns that the rollups read.
COUNTED = (
    Event.id,
    Event.hour,
    Event.pseudonym,
    Event.kind,
    Event.intent,
    Event.locale,
    Event.country,
    Event.escalation,
    Event.crisis_net,
    Event.clarified,
    Event.engine,
    Event.helpful,
    Event.record_key,
    Event.child_key,
)
_HISTORY = (
    Event.id,
    Event.pseudonym,
    Event.child_key,
    Event.hour,
    Event.locale,
    Event.country,
    Event.intent,
    Event.helpful,
)


def count_written(connection: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Add events just inserted in this transaction (rows with :data:`COUNTED`) to the rollups."""
    if not events:
        return
    add_counts(connection, day_tally(events))
    _recount(connection, {int(e["child_key"]) for e in events}, added={e["id"] for e in events})


def count_forgotten(connection: Connection, pseudonym: str) -> None:
    """Take a child's events out of the rollups, in the transaction that deletes them."""
    events = connection.execute(select(*COUNTED).where(Event.pseudonym == pseudonym))
    add_counts(connection, day_tally([dict(row) for row in events.mappings()], sign=-1))
    _recount(connection, {child_key(pseudonym)}, removed=pseudonym)


def lock_children(connection: Connection, keys: Sequence[int]) -> None:
    """Hold these child keys' children rows for this transaction (PostgreSQL), in key order."""
    if connection.dialect.name == "postgresql" and keys:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:space, k) FROM unnest(CAST(:keys AS integer[])) k"),
            {"space": ROLLUP_CHILD, "keys": sorted(keys)},
        )


def _recount(
    connection: Connection,
    keys: Collection[int],
    *,
    added: Collection[int] = (),
    removed: str | None = None,
) -> None:
    """Change the children rows of these keys from what their events said before to now.

    Before: without the events ``added`` in this transaction. Now: without ``removed``'s.
    """
    ordered = sorted(keys)
    bounds = read_horizon(connection).bounds()
    added = set(added)
    tally = Tally()
    # A spool drained after a long outage can hold tens of thousands of children: a few
    # hundred at a time (SQLite takes at most 32,766 parameters), still locked in key order.
    for start in range(0, len(ordered), _KEYS_AT_ONCE):
        some = ordered[start : start + _KEYS_AT_ONCE]
        lock_children(connection, some)
        before: dict[int, dict[str, Activity]] = {key: {} for key in some}
        after: dict[int, dict[str, Activity]] = {key: {} for key in some}
        history = connection.execute(select(*_HISTORY).where(Event.child_key.in_(some)))
        for row in history:
            item = atom(utc_day(row.hour), row.locale, stored(row.country), stored(row.intent))
            answered = row.helpful is not None
            if row.id not in added:
                before[row.child_key].setdefault(row.pseudonym, Activity()).add(item, answered)
            if row.pseudonym != removed:
                after[row.child_key].setdefault(row.pseudonym, Activity()).add(item, answered)
        for key in some:
            if before[key] != after[key]:  # most events add nothing new: same week, same cell
                tally_key(tally, after[key], key, bounds, 1)
                tally_key(tally, before[key], key, bounds, -1)
    add_links(connection, tally.changes())


def add_links(connection: Connection, changes: Iterable[tuple[tuple[Any, ...], list[int]]]) -> None:
    """Add tallied links (in key order) to the children rows (key, then ``MEASURES``)."""
    add_rows(connection, _CHILDREN, MEASURES, [(*link, *values) for link, values in changes])
