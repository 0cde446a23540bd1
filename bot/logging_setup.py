"""Logging that cannot leak.

Library loggers that print requests are held at WARNING, and any secret (the bot token) is
masked in every line, whatever its level.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO

#: Loggers that print request URLs (with the token) or whole updates (with text and ids)
#: at INFO or DEBUG.
_NOISY = ("httpx", "httpcore", "telegram", "apscheduler", "hpack", "urllib3", "asyncio")


class RedactSecrets(logging.Filter):
    """Replace secret values in the formatted message with a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in the record's message; never drops the record."""
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        """Format, then mask secrets anywhere in the result."""
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return text


def configure_logging(
    level: str | int = "INFO", *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Set up one stderr handler for the process; returns it."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_safebot", False):
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    secrets = list(secrets)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    handler.addFilter(RedactSecrets(secrets))
    handler._safebot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
