"""Reviewer accounts, password hashing, dashboard sessions and login rate limiting."""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.dashboard.auth import Auth, Outcome, Policy, token_hash
from bot.reviewers import (
    ReviewerError,
    add_reviewer,
    authenticate,
    hash_password,
    list_reviewers,
    set_disabled,
    set_password,
    verify_password,
)
from bot.storage.database import make_engine, session_factory
from bot.storage.models import LoginAttempt, Reviewer, ReviewerSession
from tests.support.cli import safebot

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
pytestmark = pytest.mark.time_sensitive

PASSWORD = "correct horse battery staple"


@pytest.fixture
def sessions(database: Engine) -> sessionmaker[Session]:
    return session_factory(database)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


# -- passwords --------------------------------------------------------------------------------


def test_password_hash_is_scrypt_with_its_parameters_and_a_random_salt() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # a new salt each time
    prefix, n, r, p, salt, key = first.split("$")
    assert (prefix, n, r, p) == ("scrypt", "131072", "8", "1")  # OWASP's N = 2^17
    assert len(salt) >= 20 and len(key) >= 40
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)
    assert not verify_password(PASSWORD, first.replace("scrypt", "md5"))
    assert not verify_password(PASSWORD, "scrypt$16384$8$1$not-base64$???")


def test_the_parameters_stored_in_the_hash_are_used() -> None:
    cheap = hash_password(PASSWORD, n=2**10, r=8, p=1)
    assert cheap.startswith("scrypt$1024$8$1$")
    assert verify_password(PASSWORD, cheap)


def test_accounts(sessions: sessionmaker[Session]) -> None:
    info = add_reviewer(sessions, "Alice", PASSWORD)
    assert info.username == "alice" and not info.disabled
    with pytest.raises(ReviewerError, match="exists already"):
        add_reviewer(sessions, "alice", PASSWORD)
    with pytest.raises(ReviewerError, match="at least 12"):
        add_reviewer(sessions, "bob", "short")
    with pytest.raises(ReviewerError, match="username"):
        add_reviewer(sessions, "bob smith", PASSWORD)
    assert authenticate(sessions, "alice", PASSWORD) == info.id
    assert authenticate(sessions, "ALICE ", PASSWORD) == info.id
    assert authenticate(sessions, "alice", "wrong password!!") is None
    assert authenticate(sessions, "nobody", PASSWORD) is None
    set_disabled(sessions, "alice")
    assert authenticate(sessions, "alice", PASSWORD) is None
    assert list_reviewers(sessions)[0].disabled
    set_disabled(sessions, "alice", disabled=False)
    set_password(sessions, "alice", "another long passphrase")
    assert authenticate(sessions, "alice", PASSWORD) is None
    assert authenticate(sessions, "alice", "another long passphrase") == info.id
    with pytest.raises(ReviewerError, match="no reviewer"):
        set_disabled(sessions, "carol")


# -- sessions and rate limiting -------------------------------------------------------------


def test_sessions_keep_only_a_hash_and_expire(sessions: sessionmaker[Session]) -> None:
    add_reviewer(sessions, "alice", PASSWORD)
    clock = Clock()
    auth = Auth(sessions, Policy(), clock=clock)
    result = auth.login("alice", PASSWORD, "127.0.0.1")
    assert result.outcome is Outcome.OK and result.token
    with sessions() as session:
        stored = session.scalars(select(ReviewerSession.token_hash)).all()
    assert stored == [token_hash(result.token)] and result.token not in stored
    signed_in = auth.signed_in(result.token)
    assert signed_in is not None and signed_in.username == "alice"
    assert auth.signed_in("forged-token") is None

    # Idle: 31 minutes without a request ends the session.
    clock.advance(minutes=31)
    assert auth.signed_in(result.token) is None

    # Absolute: even a busy session ends after 8 hours.
    busy = auth.login("alice", PASSWORD, "127.0.0.1").token
    for _ in range(7 * 3 + 2):  # every 20 minutes for 7 h 40 min
        clock.advance(minutes=20)
        assert auth.signed_in(busy) is not None
    clock.advance(minutes=20)
    assert auth.signed_in(busy) is None

    # Logout and disabling end sessions at once.
    token = auth.login("alice", PASSWORD, "127.0.0.1").token
    auth.logout(token)
    assert auth.signed_in(token) is None
    token = auth.login("alice", PASSWORD, "127.0.0.1").token
    set_disabled(sessions, "alice")
    assert auth.signed_in(token) is None


def test_failed_logins_are_limited_per_account_and_address_and_per_address(
    sessions: sessionmaker[Session],
) -> None:
    add_reviewer(sessions, "alice", PASSWORD)
    add_reviewer(sessions, "bob", PASSWORD)
    clock = Clock()
    auth = Auth(sessions, Policy(max_failures=5, window=dt.timedelta(minutes=15)), clock=clock)
    for attempt in range(5):
        assert auth.login("alice", f"guess {attempt}", "10.0.0.1").outcome is Outcome.FAILED
    # Five failures for alice from one address: even the right password is refused from there…
    assert auth.login("alice", PASSWORD, "10.0.0.1").outcome is Outcome.LIMITED
    # …but nobody elsewhere can lock alice out (issue #13).
    assert auth.login("alice", PASSWORD, "10.9.9.9").outcome is Outcome.OK
    clock.advance(minutes=16)
    assert auth.login("alice", PASSWORD, "10.0.0.1").outcome is Outcome.OK

    # One address trying many usernames is stopped too, at four times the per-account limit.
    for number in range(20):
        assert auth.login(f"a{number}", "guess", "192.0.2.7").outcome is Outcome.FAILED
    assert auth.login("bob", PASSWORD, "192.0.2.7").outcome is Outcome.LIMITED
    assert auth.login("bob", PASSWORD, "192.0.2.8").outcome is Outcome.OK

    # Neither usernames nor addresses are stored as typed.
    with sessions() as session:
        keys = session.scalars(select(LoginAttempt.key)).all()
    assert keys and all(re.fullmatch(r"(pair|addr):[0-9a-f]{64}", key) for key in keys)


def test_simultaneous_tries_never_pass_the_limit(sessions: sessionmaker[Session]) -> None:
    # issue #13: the limit was checked before a failure was recorded, so 19 of 40 tries at once
    # were checked against a limit of 5. Each try is now recorded before the check.
    add_reviewer(sessions, "alice", PASSWORD)
    auth = Auth(sessions, Policy(max_failures=5), clock=Clock())
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(
            pool.map(lambda n: auth.login("alice", f"guess {n}", "10.0.0.1").outcome, range(50))
        )
    assert outcomes.count(Outcome.FAILED) <= 5
    assert outcomes.count(Outcome.FAILED) + outcomes.count(Outcome.LIMITED) == 50


def test_an_older_hash_is_replaced_at_the_next_login(sessions: sessionmaker[Session]) -> None:
    add_reviewer(sessions, "alice", PASSWORD)
    with sessions.begin() as session:
        row = session.scalars(select(Reviewer)).one()
        row.password_hash = hash_password(PASSWORD, n=2**14)  # what an older release stored
    assert authenticate(sessions, "alice", PASSWORD) is not None
    with sessions() as session:
        stored = session.scalars(select(Reviewer.password_hash)).one()
    assert stored.split("$")[1] == str(2**17) and verify_password(PASSWORD, stored)


def test_the_client_address_is_believed_from_trusted_proxies_only() -> None:
    policy = Policy(trusted_proxies=frozenset({"10.1.0.2"}))
    # Behind our proxy: the last address it appended (a client can forge the ones before).
    assert policy.client_address("10.1.0.2", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert policy.client_address("10.1.0.2", "203.0.113.9, 10.1.0.2") == "203.0.113.9"
    # Straight from a client, the header is ignored.
    assert policy.client_address("198.51.100.4", "203.0.113.9") == "198.51.100.4"
    assert Policy().client_address("10.1.0.2", "203.0.113.9") == "10.1.0.2"
    assert policy.client_address(None, None) == "unknown"


def test_unknown_and_disabled_names_fail_like_wrong_passwords(
    sessions: sessionmaker[Session],
) -> None:
    add_reviewer(sessions, "alice", PASSWORD)
    add_reviewer(sessions, "carol", PASSWORD)
    set_disabled(sessions, "carol")
    auth = Auth(sessions, Policy(), clock=Clock())
    outcomes = {
        auth.login(name, password, "127.0.0.1").outcome
        for name, password in (
            ("alice", "wrong password!!"),
            ("nobody", PASSWORD),
            ("carol", PASSWORD),
        )
    }
    assert outcomes == {Outcome.FAILED}


# -- the CLI ------------------------------------------------------------------------------------


def test_reviewer_commands(tmp_path: Path) -> None:
    env = {"SAFEBOT_DATA_DIR": str(tmp_path)}
    added = safebot("reviewer", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n", env=env)
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    again = safebot("reviewer", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n", env=env)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert "Traceback" not in again.stderr
    short = safebot("reviewer", "add", "bob", "--password-stdin", stdin="short\n", env=env)
    assert short.returncode == 2 and "at least 12" in short.stderr
    disabled = safebot("reviewer", "disable", "alice", env=env)
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    listing = safebot("reviewer", "list", env=env)
    assert "alice" in listing.stdout and "disabled" in listing.stdout
    missing = safebot("reviewer", "disable", "nobody", env=env)
    assert missing.returncode == 2 and "no reviewer called 'nobody'" in missing.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'safebot.sqlite3'}")
    try:
        assert authenticate(session_factory(engine), "alice", PASSWORD) is None  # disabled
    finally:
        engine.dispose()
