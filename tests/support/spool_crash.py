"""A bot process that dies between writing its spool into the database and emptying the spool.

Run as ``python -m tests.support.spool_crash <database url> <spool file>``: the real event log
starts, finds the spool left by an earlier run and drains it; right after the database has
committed the rows, and before the spool file is truncated, the process kills itself with
SIGKILL, as a power cut or the out-of-memory killer would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bot.storage.database import make_engine, session_factory
from bot.storage.events import EventLog
from bot.storage.spool import EventSpool, Row


class CrashingSpool(EventSpool):
    """A spool whose drain dies once the write has returned (the rows are committed)."""

    def drain(self, write: Callable[[list[Row]], None]) -> int:
        def write_then_die(rows: list[Row]) -> None:
            write(rows)
            os.kill(os.getpid(), signal.SIGKILL)

        return super().drain(write_then_die)


async def main(url: str, spool_path: str) -> None:
    log = EventLog(session_factory(make_engine(url)), spool=CrashingSpool(Path(spool_path)))
    await log.start()
    await asyncio.sleep(60)  # the drain kills the process long before this ends


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
