"""Dashboard logins: server-side sessions and rate-limited failed logins.

The browser holds a random token; the database holds only its SHA-256, so a copy of the
database does not let anyone in. Failed logins are counted per username and per client address,
both stored as hashes, never as typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.reviewers import authenticate
from bot.settings import Settings
from bot.storage.models import LoginAttempt, Reviewer, ReviewerSession

COOKIE_NAME = "safebot_session"
#: ``last_seen`` is written at most this often, so reading pages does not mean writing rows.
_TOUCH_EVERY = dt.timedelta(seconds=30)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; everything we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _attempt_key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode('utf-8')).hexdigest()}"


@dataclass(frozen=True)
class Policy:
    """Session lifetimes and the failed-login limit."""

    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=8)
    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy configured by ``SAFEBOT_SESSION_*`` and ``SAFEBOT_LOGIN_*``."""
        return cls(
            idle=dt.timedelta(minutes=settings.session_idle_minutes),
            absolute=dt.timedelta(hours=settings.session_max_hours),
            max_failures=settings.login_max_failures,
            window=dt.timedelta(minutes=settings.login_window_minutes),
        )


class Outcome(Enum):
    """How a login attempt ended."""

    OK = "ok"
    FAILED = "failed"
    LIMITED = "limited"


@dataclass(frozen=True)
class LoginResult:
    """A login's outcome, with the new session token when it succeeded."""

    outcome: Outcome
    token: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """The reviewer behind a valid session."""

    reviewer_id: int
    username: str


class Auth:
    """Logs reviewers in and out and recognises their sessions."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: Policy,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self._sessions = sessions
        self.policy = policy
        self._clock = clock

    def _failures(self, session: Session, keys: list[str], since: dt.datetime) -> int:
        counts = [
            session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.key == key, LoginAttempt.at >= since)
            )
            or 0
            for key in keys
        ]
        return max(counts)

    def login(self, username: str, password: str, address: str) -> LoginResult:
        """Check a username and password, unless this name or address failed too often."""
        now = self._clock()
        user_key = _attempt_key("user", username)
        keys = [user_key, _attempt_key("addr", address)]
        with self._sessions.begin() as session:
            if self._failures(session, keys, now - self.policy.window) >= self.policy.max_failures:
                return LoginResult(Outcome.LIMITED)
        reviewer_id = authenticate(self._sessions, username, password)
        with self._sessions.begin() as session:
            if reviewer_id is None:
                session.execute(insert(LoginAttempt), [{"key": key, "at": now} for key in keys])
                return LoginResult(Outcome.FAILED)
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == user_key))
            token = secrets.token_urlsafe(32)
            session.add(
                ReviewerSession(
                    token_hash=token_hash(token),
                    reviewer_id=reviewer_id,
                    created_at=now,
                    last_seen=now,
                    expires_at=now + self.policy.absolute,
                )
            )
        return LoginResult(Outcome.OK, token)

    def signed_in(self, token: str | None) -> SignedIn | None:
        """The reviewer of a live session (and keep it alive), or None."""
        if not token:
            return None
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(ReviewerSession, token_hash(token))
            if row is None:
                return None
            reviewer = session.get(Reviewer, row.reviewer_id)
            idle = now - _aware(row.last_seen)
            if (
                reviewer is None
                or reviewer.disabled
                or now >= _aware(row.expires_at)
                or idle > self.policy.idle
            ):
                session.delete(row)
                return None
            if idle >= _TOUCH_EVERY:
                row.last_seen = now
            return SignedIn(reviewer.id, reviewer.username)

    def logout(self, token: str | None) -> None:
        """End a session (nothing happens for an unknown token)."""
        if token:
            with self._sessions.begin() as session:
                session.execute(
                    delete(ReviewerSession).where(ReviewerSession.token_hash == token_hash(token))
                )
