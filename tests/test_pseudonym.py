"""Pseudonym keys: long and random enough, kept in files only their owner can read."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.pseudonym import local_key, pseudonym_key_problem
from tests.conftest import TEST_KEY
from tests.support.cli import safebot

WEAK = [
    "a" * 32,
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "ab" * 16,
    "0123456789abcdef" * 2,
    "abc",
    "",
    "changeme" * 4,
    " " * 40,
]


@pytest.mark.parametrize("value", WEAK)
def test_weak_keys_are_refused_with_a_plain_reason(value: str) -> None:
    problem = pseudonym_key_problem(SecretStr(value))
    assert problem is not None
    assert "SAFEBOT_PSEUDONYM_KEY" in problem
    assert not value.strip() or value not in problem  # the key itself is never repeated


def test_random_keys_are_accepted() -> None:
    for _ in range(200):
        assert pseudonym_key_problem(SecretStr(secrets.token_hex(16))) is None
        assert pseudonym_key_problem(SecretStr(secrets.token_urlsafe(32))) is None
    assert pseudonym_key_problem(TEST_KEY) is None


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_console_key_file_is_made_owner_only_and_an_empty_one_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "console-pseudonym.key"
    key = local_key(path)
    assert pseudonym_key_problem(key) is None
    assert _mode(path) == 0o600
    assert local_key(path) == key
    path.write_text("")
    with pytest.raises(ValueError, match=r"console-pseudonym\.key"):
        local_key(path)


@pytest.mark.parametrize("command", ["chat", "run"])
@pytest.mark.parametrize("key", ["a" * 32, "abc"])
def test_chat_and_run_refuse_a_weak_key(tmp_path: Path, command: str, key: str) -> None:
    env = {"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_PSEUDONYM_KEY": key, "TELEGRAM_TOKEN": "1:x"}
    result = safebot(command, stdin="hello\n", env=env)
    assert result.returncode == 2, result.stderr
    assert "SAFEBOT_PSEUDONYM_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_chat_refuses_an_empty_console_key_file(tmp_path: Path) -> None:
    (tmp_path / "console-pseudonym.key").write_text("")
    env = {"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_PSEUDONYM_KEY": ""}
    result = safebot("chat", stdin="hello\n", env=env)
    assert result.returncode == 2, result.stderr
    assert "console-pseudonym.key" in result.stderr
    assert "Traceback" not in result.stderr
