"""Reviewer accounts: scrypt password hashes (stdlib), created and disabled from the CLI."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.storage.models import Reviewer, ReviewerSession

#: scrypt's cost parameters, OWASP's recommendation (N = 2^17, r = 8, p = 1: 128 MiB of memory
#: per hash); kept in every hash string, and older hashes are replaced at the next login.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_PREFIX = "scrypt"
MIN_PASSWORD_LENGTH = 12
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class ReviewerError(ValueError):
    """A reviewer account cannot be created or changed; the message says why."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """``scrypt$n$r$p$salt$hash`` with a random salt (base64 salt and hash)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, n, r, p, _KEY_BYTES)
    return f"{_PREFIX}${n}${r}${p}${_b64(salt)}${_b64(key)}"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r + 2**20
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash from :func:`hash_password` (constant-time compare)."""
    try:
        prefix, n, r, p, salt, key = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _scrypt(
            password, base64.b64decode(salt, validate=True), int(n), int(r), int(p), len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class ReviewerInfo:
    """What the CLI lists about an account (never the hash)."""

    id: int
    username: str
    created_at: dt.datetime
    disabled: bool


def normalise_username(name: str) -> str:
    """Lower-case, trimmed; refuses anything but letters, digits, dot, dash and underscore."""
    username = name.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ReviewerError(
            "A username is 1 to 64 characters: lower-case letters, digits, '.', '-' or '_', "
            "starting with a letter or digit."
        )
    return username


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than :data:`MIN_PASSWORD_LENGTH` characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ReviewerError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters "
            "(a few unrelated words are easy to remember)."
        )


def add_reviewer(
    sessions: sessionmaker[Session], name: str, password: str, *, clock: Clock = system_clock
) -> ReviewerInfo:
    """Create an account; refuses an existing username and short passwords."""
    username = normalise_username(name)
    check_password_strength(password)
    with sessions.begin() as session:
        if session.scalar(select(Reviewer.id).where(Reviewer.username == username)) is not None:
            raise ReviewerError(
                f"A reviewer called '{username}' exists already; "
                f"`safebot reviewer password {username}` sets a new password."
            )
        row = Reviewer(
            username=username,
            password_hash=hash_password(password),
            created_at=clock(),
            disabled=False,
        )
        session.add(row)
        session.flush()
        return ReviewerInfo(row.id, row.username, row.created_at, row.disabled)


def _find(session: Session, name: str) -> Reviewer:
    username = normalise_username(name)
    row = session.scalar(select(Reviewer).where(Reviewer.username == username))
    if row is None:
        raise ReviewerError(
            f"There is no reviewer called '{username}' (see `safebot reviewer list`)."
        )
    return row


def set_password(sessions: sessionmaker[Session], name: str, password: str) -> None:
    """Replace an account's password and end its sessions."""
    check_password_strength(password)
    with sessions.begin() as session:
        row = _find(session, name)
        row.password_hash = hash_password(password)
        session.execute(delete(ReviewerSession).where(ReviewerSession.reviewer_id == row.id))


def set_disabled(sessions: sessionmaker[Session], name: str, *, disabled: bool = True) -> None:
    """Disable (or enable again) an account; disabling also ends its sessions at once."""
    with sessions.begin() as session:
        row = _find(session, name)
        row.disabled = disabled
        if disabled:
            session.execute(delete(ReviewerSession).where(ReviewerSession.reviewer_id == row.id))


def list_reviewers(sessions: sessionmaker[Session]) -> list[ReviewerInfo]:
    """Every account, by username."""
    with sessions() as session:
        rows = session.scalars(select(Reviewer).order_by(Reviewer.username)).all()
        return [ReviewerInfo(r.id, r.username, r.created_at, r.disabled) for r in rows]


def authenticate(sessions: sessionmaker[Session], name: str, password: str) -> int | None:
    """The id of the enabled reviewer with this username and password, else None.

    Takes the same time whether or not the username exists or is disabled.
    """
    try:
        username = normalise_username(name)
    except ReviewerError:
        username = ""
    with sessions.begin() as session:
        row = session.scalar(select(Reviewer).where(Reviewer.username == username))
        stored = row.password_hash if row is not None else _dummy_hash()
        matches = verify_password(password, stored)
        if row is None or row.disabled or not matches:
            return None
        if needs_rehash(stored):
            row.password_hash = hash_password(password)  # weaker parameters of an older release
        return row.id


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with weaker scrypt parameters than today's."""
    try:
        _, n, r, p, _, _ = stored.split("$")
        return (int(n), int(r), int(p)) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    except ValueError:
        return True
