"""Events that could not be written yet, kept on disk until the database is back.

One JSON line per event with exactly the columns of the event log (event id, hour, pseudonym,
intent...), never text or platform ids. Draining is idempotent: the database keeps one row per
event id, so a crash after the write and before the file is emptied writes nothing twice. The file is created 0600 and locked while in use, so two processes
sharing a data directory neither interleave lines nor drain the same events twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

Row = dict[str, Any]


def _encode(row: Row) -> str:
    values = {**row, "hour": row["hour"].isoformat(), "event_id": str(row["event_id"])}
    return json.dumps(values, ensure_ascii=True, sort_keys=True)


def _decode(line: str) -> Row:
    row: Row = json.loads(line)
    row["hour"] = dt.datetime.fromisoformat(row["hour"])
    # A line spooled before events had ids gets one now (it can be written twice, as before).
    row["event_id"] = uuid.UUID(row["event_id"]) if row.get("event_id") else uuid.uuid4()
    return row


class EventSpool:
    """An append-only file of event rows, drained in one go."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _open(self, flags: int, mode: str) -> Iterator[IO[str]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, flags | os.O_CREAT, 0o600)
        with self._lock, os.fdopen(descriptor, mode, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def pending(self) -> bool:
        """Whether any row waits."""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def append(self, rows: list[Row]) -> None:
        """Keep rows until the database is back."""
        with self._open(os.O_WRONLY | os.O_APPEND, "a") as handle:
            handle.write("".join(_encode(row) + "\n" for row in rows))
            handle.flush()
            os.fsync(handle.fileno())

    def drain(self, write: Callable[[list[Row]], None]) -> int:
        """Hand every kept row to ``write``; the file is emptied only if it succeeds."""
        with self._open(os.O_RDWR, "r+") as handle:
            rows = [_decode(line) for line in handle.read().splitlines() if line.strip()]
            if rows:
                write(rows)
            handle.seek(0)
            handle.truncate()
            return len(rows)

    def discard(self, pseudonym: str) -> int:
        """Drop a child's kept rows (``/forget``); returns how many."""
        if not self.pending():
            return 0
        with self._open(os.O_RDWR, "r+") as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
            kept = [line for line in lines if _decode(line)["pseudonym"] != pseudonym]
            handle.seek(0)
            handle.truncate()
            handle.write("".join(line + "\n" for line in kept))
            return len(lines) - len(kept)
