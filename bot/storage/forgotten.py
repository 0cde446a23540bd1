"""Children who just used ``/forget``, known to every process that writes events.

One process's ``/forget`` cannot reach the events another process still holds (queued behind
a slow database, or in its spool). So the forget records the pseudonym and the time, and every
event writer refuses that child's events from the hour of the forget or before, for an hour;
events from later hours are a new conversation and are written.

On PostgreSQL the two sides take the advisory lock ``FORGET`` (the forget alone, writers
shared), so a write is wholly before a forget (whose delete finds its rows) or wholly after
(and sees the record). On SQLite the writer inserts first, which takes the database's one write
lock, and only then reads the records, with the same effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.advisory_locks import FORGET
from bot.storage.models import Event, ForgottenPseudonym

#: How long a forget is remembered: far longer than an event waits in a queue, and a spool
#: kept longer than this is drained by the process that holds it, which drops the child's rows
#: itself at the forget (``EventSpool.discard``) when the forget was its own.
FORGOTTEN_KEPT = dt.timedelta(hours=1)


def lock_for_forget(session: Session) -> None:
    """Wait until no event write is under way (PostgreSQL), and hold writes off until commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(FORGET)))


def lock_for_write(session: Session) -> None:
    """Wait until no forget is under way (PostgreSQL); writers do not wait for each other."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock_shared(FORGET)))


def record_forget(session: Session, pseudonym: str, now: dt.datetime) -> None:
    """Remember the forget for an hour, and let go of those older than that."""
    values = {"pseudonym": pseudonym, "forgotten_at": now}
    if session.get_bind().dialect.name == "postgresql":
        statement: postgresql.Insert | sqlite.Insert = postgresql.insert(ForgottenPseudonym)
    else:
        statement = sqlite.insert(ForgottenPseudonym)
    statement = statement.values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["pseudonym"], set_={"forgotten_at": statement.excluded.forgotten_at}
        )
    )
    session.execute(
        delete(ForgottenPseudonym).where(ForgottenPseudonym.forgotten_at < now - FORGOTTEN_KEPT)
    )


def drop_refused(
    session: Session, rows: Sequence[Mapping[str, Any]], now: dt.datetime
) -> list[Mapping[str, Any]]:
    """Delete what was just written (``rows``) of children forgotten since the rows' hour.

    Called after the insert, in its transaction; returns the rows of ``rows`` refused.
    """
    recent = session.execute(
        select(ForgottenPseudonym.pseudonym, ForgottenPseudonym.forgotten_at).where(
            ForgottenPseudonym.forgotten_at >= now - FORGOTTEN_KEPT
        )
    ).all()
    if not recent:
        return []  # nearly always: nobody used /forget in the last hour
    forgotten = {pseudonym: _aware(at) for pseudonym, at in recent}
    refused = [
        row
        for row in rows
        if row["pseudonym"] in forgotten and _aware(row["hour"]) <= forgotten[row["pseudonym"]]
    ]
    for pseudonym in {row["pseudonym"] for row in refused}:
        session.execute(
            delete(Event).where(Event.pseudonym == pseudonym, Event.hour <= forgotten[pseudonym])
        )
    return refused


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; everything we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
