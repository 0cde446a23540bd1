"""Distinct children as sums: the arithmetic behind the children rollups.

Take one child and one cell (a grouping's locale, country and intent) and the periods the child
was active in there, in order. Each of those periods is a *link* ``(start, previous)`` to the
child's period before it (or to :data:`NO_PREVIOUS`). A range of whole periods ``[a, b]`` holds
the child exactly when one of their links has ``a <= start <= b`` and ``previous < a`` (the
first of their periods in the range; every later one links back into the range). So the
children of any range of whole periods are the number of links in the range whose previous is
before it, and a rollup keeps only how many links each ``(cell, start, previous)`` has: no
pseudonym, no list of children, and still the exact count of every range.

The statistics add up each *child key* once (two children sharing a key add it once), so key
sums follow the links of a key, not of a pseudonym: :func:`tally_key` does both.

Periods before a horizon bound (``bot.storage.rollups.horizon``) are left out: a child's
activity there is not linked to their later activity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from bot.storage.rollups.dimensions import PERIODS, Cell, cells, period_start

#: ``previous`` of a child's first period in a cell.
NO_PREVIOUS = dt.date.min
#: The week start, month start, locale, country and intent of an event (as rollups store them).
Atom = tuple[dt.date, dt.date, str, str, str]
#: A rollup_children row's key: period, grouping, locale, country, intent, start, previous.
Link = tuple[str, int, str, str, str, dt.date, dt.date]
#: The children rollups' measures, in the order of a tally's values.
MEASURES: tuple[str, ...] = ("users", "users_keys", "feedback_users", "feedback_users_keys")


@lru_cache(maxsize=8192)
def _periods(day: dt.date) -> tuple[dt.date, dt.date]:
    return period_start(day, "week"), period_start(day, "month")


def atom(day: dt.date, locale: str, country: str, intent: str) -> Atom:
    """The atom of an event on ``day`` (values as rollups store them)."""
    week, month = _periods(day)
    return (week, month, locale, country, intent)


@dataclass
class Activity:
    """Where and when one child (or one child key) was active.

    Every event's atom, and those of the events that answered "did this help?" (the
    helpfulness figures count them).
    """

    every: set[Atom] = field(default_factory=set)
    answered: set[Atom] = field(default_factory=set)

    def add(self, item: Atom, answered: bool) -> None:
        """Count one event's atom."""
        self.every.add(item)
        if answered:
            self.answered.add(item)

    def __ior__(self, other: Activity) -> Activity:
        self.every |= other.every
        self.answered |= other.answered
        return self


def links(atoms: Iterable[Atom], bounds: Mapping[str, dt.date | None]) -> Iterator[Link]:
    """Every link of one child (or key) with these atoms, for both period kinds."""
    atoms = tuple(atoms)
    for period in PERIODS:
        bound = bounds.get(period)
        found: dict[Cell, set[dt.date]] = {}
        weekly = period == "week"
        for item in atoms:
            start = item[0] if weekly else item[1]
            if bound is not None and start < bound:
                continue
            for cell in cells(item[2], item[3], item[4]):
                starts = found.get(cell)
                if starts is None:
                    found[cell] = {start}
                else:
                    starts.add(start)
        for (grouping, locale, country, intent), starts in found.items():
            previous = NO_PREVIOUS
            for start in sorted(starts):
                yield (period, grouping, locale, country, intent, start, previous)
                previous = start


class Tally(dict[Link, list[int]]):
    """Changes to rollup_children rows: per link, the amounts of :data:`MEASURES` to add."""

    def count(self, found: Iterable[Link], measure: int, amount: int) -> None:
        """Add ``amount`` to one measure (an index into :data:`MEASURES`) of every link."""
        for link in found:
            values = self.get(link)
            if values is None:
                values = self[link] = [0, 0, 0, 0]
            values[measure] += amount

    def changes(self) -> list[tuple[Link, list[int]]]:
        """The links whose amounts are not all zero, in key order (a fixed lock order)."""
        return sorted((link, values) for link, values in self.items() if any(values))


def tally_key(
    tally: Tally,
    children: Mapping[str, Activity],
    key: int,
    bounds: Mapping[str, dt.date | None],
    sign: int = 1,
) -> None:
    """Add (``sign`` 1) or take away (-1) the links of the children sharing one child key.

    Counts follow each pseudonym; key sums follow the key (the union of their activity).
    """
    if len(children) == 1:  # nearly always: one child per key, whose links serve both
        (activity,) = children.values()
        _count_both(tally, activity.every, 0, 1, key, bounds, sign)
        _count_both(tally, activity.answered, 2, 3, key, bounds, sign)
        return
    union = Activity()
    for activity in children.values():
        union |= activity
        tally.count(links(activity.every, bounds), 0, sign)
        tally.count(links(activity.answered, bounds), 2, sign)
    tally.count(links(union.every, bounds), 1, sign * key)
    tally.count(links(union.answered, bounds), 3, sign * key)


def _count_both(
    tally: Tally,
    atoms: set[Atom],
    counts: int,
    keys: int,
    key: int,
    bounds: Mapping[str, dt.date | None],
    sign: int,
) -> None:
    if not atoms:
        return
    for link in links(atoms, bounds):
        values = tally.get(link)
        if values is None:
            values = tally[link] = [0, 0, 0, 0]
        values[counts] += sign
        values[keys] += sign * key
