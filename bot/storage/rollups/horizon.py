"""The horizon: how far the retention purge has reached, and so which periods are sealed.

Events from before the purge's cut-off are gone. The children rollups follow, from each
period kind's *bound* on (the first week or month that starts at or after the cut-off), exactly
what the events still held say; the periods before it are sealed (``bot.storage.rollups.seal``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.models import RollupHorizon
from bot.storage.rollups.dimensions import PERIODS, period_end, period_start, utc_day


@dataclass(frozen=True)
class Horizon:
    """The cut-off of the last purge (UTC, to the hour), or None before the first."""

    cutoff: dt.datetime | None = None

    def bound(self, period: str) -> dt.date | None:
        """The first period start that the children rollups follow (None: every period)."""
        if self.cutoff is None:
            return None
        day = utc_day(self.cutoff)
        if _at_midnight(self.cutoff) and period_start(day, period) == day:
            return day
        return period_end(day, period) + dt.timedelta(days=1)

    def bounds(self) -> dict[str, dt.date | None]:
        """The bound of every period kind."""
        return {period: self.bound(period) for period in PERIODS}

    def first_day(self) -> dt.date | None:
        """The first whole day whose events are all still held (None: every day)."""
        if self.cutoff is None:
            return None
        day = utc_day(self.cutoff)
        return day if _at_midnight(self.cutoff) else day + dt.timedelta(days=1)


def _at_midnight(moment: dt.datetime) -> bool:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.time() == dt.time(0)


def read_horizon(connection: Connection) -> Horizon:
    """The horizon as stored (none before the first purge)."""
    cutoff = connection.execute(
        select(RollupHorizon.cutoff).where(RollupHorizon.id == 1)
    ).scalar_one_or_none()
    if cutoff is not None and cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=dt.UTC)
    return Horizon(cutoff)


def store_horizon(connection: Connection, cutoff: dt.datetime) -> None:
    """Record a purge's cut-off (the horizon only ever moves forward)."""
    if connection.dialect.name == "postgresql":
        statement: postgresql.Insert | sqlite.Insert = postgresql.insert(RollupHorizon)
    else:
        statement = sqlite.insert(RollupHorizon)
    statement = statement.values(id=1, cutoff=cutoff)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"cutoff": statement.excluded.cutoff},
            where=RollupHorizon.cutoff < statement.excluded.cutoff,
        )
    )
