"""The one place the product reads the time, so that every caller can be handed another clock.

Code that needs "now" takes a ``clock`` (or a ``now``) argument defaulting to
:func:`system_clock`; tests pass a fixed clock to everything they drive, so no test depends on
the day it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

#: A source of the current time: an aware UTC datetime.
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The machine's current time in UTC."""
    return dt.datetime.now(dt.UTC)


def fixed_clock(moment: dt.datetime) -> Clock:
    """A clock that always reads ``moment`` (for tests and reproducible runs)."""
    if moment.tzinfo is None:
        raise ValueError("a fixed clock needs an aware datetime")

    def clock() -> dt.datetime:
        return moment

    return clock


def current_hour(now: dt.datetime | None = None) -> dt.datetime:
    """The current UTC time with minutes, seconds and microseconds dropped."""
    now = now or system_clock()
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
