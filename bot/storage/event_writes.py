"""Writing event rows: each event once, none of a child forgotten since, counted into the rollups.

Every path that adds events (the event log, its spool, tools and tests) goes through
:func:`write_events`, so the rollups the statistics read always match the events table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage.forgotten import drop_refused, lock_for_write
from bot.storage.models import Event
from bot.storage.rollups import COUNTED, count_written


@dataclass(frozen=True)
class Written:
    """How many rows a write added, and how many it refused (their child used /forget)."""

    written: int
    refused: int


def write_events(session: Session, rows: Sequence[Mapping[str, Any]], now: dt.datetime) -> Written:
    """Insert rows not written yet and count them into the rollups, in the caller's transaction.

    Rows of children forgotten since their hour are taken back before they are counted.
    """
    if not rows:
        return Written(0, 0)
    lock_for_write(session)
    connection = session.connection()
    statement = _insert_new(connection.dialect.name).returning(*COUNTED)
    inserted = [dict(row) for row in connection.execute(statement, list(rows)).mappings()]
    refused = drop_refused(session, inserted, now)
    gone = {row["id"] for row in refused}
    kept = [row for row in inserted if row["id"] not in gone]
    count_written(connection, kept)
    return Written(len(kept), len(refused))


def _insert_new(dialect: str) -> Insert:
    """An insert that skips events already written (by their ``event_id``)."""
    if dialect == "postgresql":
        return pg_insert(Event).on_conflict_do_nothing(index_elements=["event_id"])
    if dialect == "sqlite":
        return sqlite_insert(Event).on_conflict_do_nothing(index_elements=["event_id"])
    return insert(Event)
