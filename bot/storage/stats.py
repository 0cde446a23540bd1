"""Counts for reviewers, computed in SQL, with small counts suppressed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import Event

#: Counts below this are shown as "<5" so that no single child stands out.
MIN_CELL = 5


def suppress(count: int, k: int = MIN_CELL) -> str:
    """A count as shown to reviewers."""
    return f"<{k}" if 0 < count < k else str(count)


@dataclass(frozen=True)
class Counts:
    """Message counts by intent and by ISO week (the Monday it starts)."""

    by_intent: list[tuple[str, int]]
    by_week: list[tuple[dt.date, int]]
    total: int


def _week_start(engine: Engine) -> ColumnElement[object]:
    if engine.dialect.name == "postgresql":
        return func.date(func.date_trunc("week", Event.hour))
    # SQLite: the Monday on or before the day.
    return func.date(Event.hour, literal_column("'weekday 0'"), literal_column("'-6 days'"))


def message_counts(engine: Engine) -> Counts:
    """Counts of handled text and button messages, by intent and by week."""
    intent = func.coalesce(Event.intent, "(none)")
    by_intent_q = (
        select(intent, func.count()).group_by(intent).order_by(func.count().desc(), intent)
    )
    week = _week_start(engine)
    by_week_q = select(week, func.count()).group_by(week).order_by(week)
    with engine.connect() as connection:
        by_intent = [(str(name), int(n)) for name, n in connection.execute(by_intent_q)]
        by_week = []
        for start, n in connection.execute(by_week_q):
            day = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
            by_week.append((day, int(n)))
        total = int(connection.execute(select(func.count()).select_from(Event)).scalar_one())
    return Counts(by_intent, by_week, total)


def format_counts(counts: Counts, k: int = MIN_CELL) -> str:
    """A plain-text report."""
    lines = ["Messages by intent", "------------------"]
    lines += [f"{name:<18} {suppress(n, k):>8}" for name, n in counts.by_intent]
    lines += ["", "Messages by week (starting Monday)", "----------------------------------"]
    lines += [f"{start.isoformat():<18} {suppress(n, k):>8}" for start, n in counts.by_week]
    lines += ["", f"{'total':<18} {suppress(counts.total, k):>8}"]
    lines.append(f"(counts below {k} are shown as <{k})")
    return "\n".join(lines)
