"""Retention: events and profiles older than ``SAFEBOT_RETENTION_DAYS`` are deleted.

``safebot purge`` runs :func:`purge` once; the running bot runs it once a day through
``bot.service.purge.DailyPurge``, started by ``Runtime.start``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, select

from bot.clock import current_hour, system_clock
from bot.storage.advisory_locks import PURGE
from bot.storage.forgotten import FORGOTTEN_KEPT
from bot.storage.models import (
    AnsweredMessage,
    Event,
    ForgottenPseudonym,
    HandledUpdate,
    LoginAttempt,
    ProfileRow,
    ReviewerSession,
)
from bot.storage.rollups import seal

#: Failed logins are only needed for rate limiting (minutes), expired sessions not at all.
LOGIN_RECORDS_KEPT = dt.timedelta(days=1)
#: Telegram keeps an unanswered update for at most 24 hours, so none comes back after that.
HANDLED_UPDATES_KEPT = dt.timedelta(days=2)
#: Crisis answers are remembered to judge edits of their message; edits come within days.
ANSWERED_MESSAGES_KEPT = dt.timedelta(days=7)


@dataclass(frozen=True)
class PurgeResult:
    """How many rows a purge deleted, and the cut-off it used."""

    cutoff: dt.datetime
    events: int
    profiles: int
    sessions: int
    login_attempts: int
    handled_updates: int = 0
    answered_messages: int = 0
    forgotten_pseudonyms: int = 0


def purge(
    engine: Engine,
    *,
    retention_days: int,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Delete events and profiles older than ``retention_days``, and stale bookkeeping rows.

    First the rollups are sealed up to the cut-off (``bot.storage.rollups.seal``): the
    statistics keep the anonymous counts of the deleted events, and nothing that links them to
    a child. Idempotent (a second run finds nothing more to delete). On PostgreSQL the
    transactions first take an advisory lock, so two purges at once (a CronJob overlapping a
    manual run) run one after the other instead of deleting the same rows side by side.
    """
    now = now or system_clock()
    cutoff = current_hour(now) - dt.timedelta(days=retention_days)
    with engine.begin() as connection:
        _one_at_a_time(connection)
        seal(connection, cutoff)
    with engine.begin() as connection:
        _one_at_a_time(connection)
        events = connection.execute(delete(Event).where(Event.hour < cutoff)).rowcount
        profiles = connection.execute(
            delete(ProfileRow).where(ProfileRow.updated_hour < cutoff)
        ).rowcount
        sessions = connection.execute(
            delete(ReviewerSession).where(ReviewerSession.expires_at < now)
        ).rowcount
        attempts = connection.execute(
            delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_RECORDS_KEPT)
        ).rowcount
        updates = connection.execute(
            delete(HandledUpdate).where(HandledUpdate.handled_hour < now - HANDLED_UPDATES_KEPT)
        ).rowcount
        answered = connection.execute(
            delete(AnsweredMessage).where(
                AnsweredMessage.answered_hour < now - ANSWERED_MESSAGES_KEPT
            )
        ).rowcount
        forgotten = connection.execute(
            delete(ForgottenPseudonym).where(ForgottenPseudonym.forgotten_at < now - FORGOTTEN_KEPT)
        ).rowcount
    return PurgeResult(cutoff, events, profiles, sessions, attempts, updates, answered, forgotten)


def _one_at_a_time(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # A batch job: no per-statement limit; wait for the other purge however long.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
        connection.execute(select(func.pg_advisory_xact_lock(PURGE)))
