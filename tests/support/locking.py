"""One worker at a time for work that shares files between parallel test workers."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import PROJECT_ROOT

LOCKS = PROJECT_ROOT / "var" / "test-locks"


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold a lock shared by every pytest worker on this machine (pytest-xdist runs several).

    Used around training and environment set-up, so two workers never write the same model.
    """
    LOCKS.mkdir(parents=True, exist_ok=True)
    path: Path = LOCKS / f"{name}.lock"
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
