"""Logging that cannot leak.

Library loggers that print requests are held at WARNING; what they still log, at any level,
keeps only the library's own wording (never its arguments, never an exception's message,
which can quote a whole update); and any secret (the bot token) is masked in every line and
in an uncaught exception's traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import TextIO

#: Loggers that print request URLs (with the token) or whole updates (with text and ids)
#: at INFO or DEBUG.
_NOISY = (
    "httpx",
    "httpcore",
    "telegram",
    "apscheduler",
    "hpack",
    "urllib3",
    "asyncio",
    "uvicorn.access",
)


#: Libraries whose records can carry update content: text, ids, names, usernames, the token.
_LIBRARIES = ("telegram", "httpx", "httpcore", "hpack", "apscheduler")
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[a-zA-Z%]")
_WITHHELD = "…"


def _from_library(name: str) -> bool:
    return any(name == lib or name.startswith(lib + ".") for lib in _LIBRARIES)


def safe_traceback(error: BaseException) -> str:
    """Where an exception (and its causes) happened, without any exception's message."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"{frames}{kind.__module__}.{kind.__qualname__} (message withheld)")
        current = current.__cause__ or current.__context__
    return "\nTraceback (most recent call last, causes after):\n" + "\n".join(parts)


class LibraryRecords(logging.Filter):
    """Keep only the wording of a library's record: its arguments and exception text go."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a record of the Telegram and HTTP libraries; never drops a record."""
        if not _from_library(record.name):
            return True
        template = record.msg if isinstance(record.msg, str) else "(a record of the library)"
        message = _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else _WITHHELD, template)
        if record.exc_info and record.exc_info[1] is not None:
            message += safe_traceback(record.exc_info[1])
        record.msg, record.args = message, None
        record.exc_info, record.exc_text = None, None
        return True


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


class JsonLinesFormatter(RedactingFormatter):
    """One JSON object per record (time, level, logger, message), secrets masked."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON; a traceback goes in ``exc_info``."""
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        text = json.dumps(entry, ensure_ascii=False)
        for secret in self._secrets:
            # The secret as it appears inside a JSON string too (escaped characters).
            for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
                text = text.replace(form, "[REDACTED]")
        return text


def configure_logging(
    level: str | int = "INFO",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    json_lines: bool = False,
) -> logging.Handler:
    """Set up one stderr handler for the process (JSON lines when asked); returns it."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_safebot", False):
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    secrets = list(secrets)
    handler.setFormatter(
        JsonLinesFormatter(secrets)
        if json_lines
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    handler.addFilter(LibraryRecords())
    handler.addFilter(RedactSecrets(secrets))
    handler._safebot = True  # type: ignore[attr-defined]
    _redact_uncaught(secrets, stream)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def _redact_uncaught(secrets: list[str], stream: TextIO | None) -> None:
    """An uncaught exception's traceback is printed with secrets masked."""
    if not any(secrets):
        return

    def excepthook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        for secret in secrets:
            if secret:
                text = text.replace(secret, "[REDACTED]")
        (stream or sys.stderr).write(text)

    sys.excepthook = excepthook
