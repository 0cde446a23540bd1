"""Pseudonyms: keyed hashes (HMAC-SHA256) of platform user ids. The raw id is never kept."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import os
import secrets
from collections import Counter
from pathlib import Path

from pydantic import SecretStr


class Pseudonymizer:
    """Turns ``(platform, user id)`` into a stable pseudonym under a secret key."""

    def __init__(self, key: SecretStr) -> None:
        self._key = key.get_secret_value().encode("utf-8")

    def __call__(self, platform: str, user_id: int | str) -> str:
        """The pseudonym of one user: 64 hex characters."""
        message = f"{platform}:{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "Pseudonymizer(key=**********)"


MIN_PSEUDONYM_KEY_LENGTH = 32
#: Shannon entropy of the key's characters times its length: a random 32-character hex key
#: scores about 115 bits (never below 95 in 10,000 draws); "a" * 32 scores 0.
MIN_KEY_BITS = 90
_PLACEHOLDERS = ("changeme", "change-me", "secret", "password", "test", "example", "xxx")
_GENERATE = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


def _estimated_bits(value: str) -> float:
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())


def _patterned(value: str) -> bool:
    """A repeated piece ("abab...", "0123...0123..."), a run ("abcdef...") or few triples."""
    if any(value[period:] == value[:-period] for period in range(1, len(value) // 2 + 1)):
        return True
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(value)]
    if sum(step in (-1, 0, 1) for step in steps) * 2 >= len(steps):
        return True
    triples = [value[i : i + 3] for i in range(len(value) - 2)]
    return len(set(triples)) * 2 < len(triples)


def key_problem(value: str) -> str | None:
    """What makes a secret key too weak (short, a placeholder, not random), or None."""
    stripped = value.strip()
    if len(stripped) < MIN_PSEUDONYM_KEY_LENGTH:
        return f"it is shorter than {MIN_PSEUDONYM_KEY_LENGTH} characters"
    if any(stripped.lower().replace(p, "") == "" for p in _PLACEHOLDERS):
        return "it looks like a placeholder"
    if _estimated_bits(stripped) < MIN_KEY_BITS or _patterned(stripped):
        return "it is not random enough"
    return None


def pseudonym_key_problem(key: SecretStr | None) -> str | None:
    """Say what is wrong with a pseudonym key for production use, or None if it is fine."""
    if key is None:
        return (
            f"SAFEBOT_PSEUDONYM_KEY is not set. Generate one with `{_GENERATE}` and keep it secret."
        )
    problem = key_problem(key.get_secret_value())
    if problem:
        return f"SAFEBOT_PSEUDONYM_KEY is not a usable key: {problem}. Generate one with `{_GENERATE}`."
    return None


class KeyFileError(ValueError):
    """A key file is empty or holds a weak key; the message says what to do."""


def local_key(path: Path) -> SecretStr:
    """A key kept in a local file for the console chat; created on first use (mode 0600)."""
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        problem = key_problem(value)
        if problem:
            raise KeyFileError(
                f"The key file {path} is not usable ({problem}). Delete it and a new one is made."
            )
        return SecretStr(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return SecretStr(value)
