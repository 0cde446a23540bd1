"""Dashboard logins: server-side sessions and rate-limited failed logins.

The browser holds a random token; the database holds only its SHA-256, so a copy of the
database does not let anyone in. Failed logins are counted per username and per client address,
both stored as hashes, never as typed: per account and address, and per address.
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
from bot.reviewers import ReviewerError, authenticate, normalise_username
from bot.settings import Settings
from bot.storage.models import AuditEntry, LoginAttempt, Reviewer, ReviewerSession

COOKIE_NAME = "safebot_session"
#: ``last_seen`` is written at most this often, so reading pages does not mean writing rows.
_TOUCH_EVERY = dt.timedelta(seconds=30)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; everything we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


#: One client address may fail this many times the per-account limit (several reviewers can
#: share an office's address).
ADDRESS_LIMIT_FACTOR = 4


def _attempt_key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode('utf-8')).hexdigest()}"


@dataclass(frozen=True)
class Policy:
    """Session lifetimes and the failed-login limit."""

    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=8)
    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)
    #: Proxies whose X-Forwarded-For header names the client.
    trusted_proxies: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy configured by ``SAFEBOT_SESSION_*`` and ``SAFEBOT_LOGIN_*``."""
        return cls(
            idle=dt.timedelta(minutes=settings.session_idle_minutes),
            absolute=dt.timedelta(hours=settings.session_max_hours),
            max_failures=settings.login_max_failures,
            window=dt.timedelta(minutes=settings.login_window_minutes),
            trusted_proxies=frozenset(
                part.strip()
                for part in settings.dashboard_trusted_proxies.split(",")
                if part.strip()
            ),
        )

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: the peer's, or the one a trusted proxy forwarded.

        Behind a trusted proxy it is the last address in X-Forwarded-For that is not one of our
        proxies; the ones before it can be forged by the client.
        """
        if peer is None:
            return "unknown"
        if peer not in self.trusted_proxies or not forwarded_for:
            return peer
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            if hop and hop not in self.trusted_proxies:
                return hop
        return peer


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

    def _attempts(self, session: Session, key: str, since: dt.datetime) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.key == key, LoginAttempt.at >= since)
            )
            or 0
        )

    def login(self, username: str, password: str, address: str) -> LoginResult:
        """Check a username and password, unless there were too many tries.

        Every try is recorded (and committed) before the limit is checked, so tries made at the
        same moment all count: of any number of simultaneous tries, at most the limit reach the
        password check. Tries are limited per account *and client address* (nobody elsewhere
        can lock a reviewer out) and, more loosely, per address.
        """
        now = self._clock()
        pair_key = _attempt_key("pair", f"{username.strip().lower()}\n{address}")
        address_key = _attempt_key("addr", address)
        with self._sessions.begin() as session:
            recorded = list(
                session.scalars(
                    insert(LoginAttempt).returning(LoginAttempt.id),
                    [{"key": key, "at": now} for key in (pair_key, address_key)],
                )
            )
        since = now - self.policy.window
        with self._sessions.begin() as session:
            limited = (
                self._attempts(session, pair_key, since) > self.policy.max_failures
                or self._attempts(session, address_key, since)
                > self.policy.max_failures * ADDRESS_LIMIT_FACTOR
            )
        if limited:
            self.audit("login_limited", self._account_id(username))
            return LoginResult(Outcome.LIMITED)
        reviewer_id = authenticate(self._sessions, username, password)
        if reviewer_id is None:
            self.audit("login_failed", self._account_id(username))
            return LoginResult(Outcome.FAILED)
        self.audit("login", reviewer_id)
        with self._sessions.begin() as session:
            # A success is not a failure: this try and the pair's earlier ones are cleared.
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == pair_key))
            session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(recorded)))
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
                row = session.get(ReviewerSession, token_hash(token))
                if row is not None:
                    session.delete(row)
                    session.add(
                        AuditEntry(at=self._clock(), action="logout", reviewer_id=row.reviewer_id)
                    )

    def audit(self, action: str, reviewer_id: int | None, detail: str | None = None) -> None:
        """Note a login, failed login, logout or export (who and when; never a figure)."""
        with self._sessions.begin() as session:
            session.add(
                AuditEntry(
                    at=self._clock(),
                    action=action,
                    reviewer_id=reviewer_id,
                    detail=detail[:200] if detail else None,
                )
            )

    def _account_id(self, username: str) -> int | None:
        """The id of the account a login names, if there is one."""
        try:
            name = normalise_username(username)
        except ReviewerError:
            return None
        with self._sessions() as session:
            return session.scalar(select(Reviewer.id).where(Reviewer.username == name))
