"""Time as the anonymised log sees it: truncated to the hour."""

from __future__ import annotations

import datetime as dt


def current_hour(now: dt.datetime | None = None) -> dt.datetime:
    """The current UTC time with minutes, seconds and microseconds dropped."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
