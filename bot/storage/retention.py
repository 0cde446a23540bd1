"""Retention: events and profiles older than ``SAFEBOT_RETENTION_DAYS`` are deleted.

``safebot purge`` runs :func:`purge` once; the running bot runs it once a day through
``bot.service.purge.DailyPurge``, started by ``Runtime.start``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete

from bot.clock import current_hour, system_clock
from bot.storage.models import Event, LoginAttempt, ProfileRow, ReviewerSession

#: Failed logins are only needed for rate limiting (minutes), expired sessions not at all.
LOGIN_RECORDS_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class PurgeResult:
    """How many rows a purge deleted, and the cut-off it used."""

    cutoff: dt.datetime
    events: int
    profiles: int
    sessions: int
    login_attempts: int


def purge(
    engine: Engine,
    *,
    retention_days: int,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Delete events and profiles older than ``retention_days``, and stale login records."""
    now = now or system_clock()
    cutoff = current_hour(now) - dt.timedelta(days=retention_days)
    with engine.begin() as connection:
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
    return PurgeResult(cutoff, events, profiles, sessions, attempts)
