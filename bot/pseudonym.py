"""Pseudonyms: keyed hashes (HMAC-SHA256) of platform user ids. The raw id is never kept."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
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


def local_key(path: Path) -> SecretStr:
    """A key kept in a local file for the console chat; created on first use (mode 0600)."""
    if path.is_file():
        return SecretStr(path.read_text(encoding="utf-8").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return SecretStr(value)
