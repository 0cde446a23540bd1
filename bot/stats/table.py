"""The shape of the reviewers' statistics: filters, figures, entries and tables.

Every figure belongs to an *entry* of a table: one period × one group (a *cell*), a period's
total over all groups, a group's total over the whole range, or the grand total. An entry's
population is the number of distinct children (pseudonyms) behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.storage.rollups import period_end, period_start

PERIODS: tuple[str, ...] = ("week", "month")
DIMENSIONS: tuple[str, ...] = ("intent", "locale", "country")
FORMATS: tuple[str, ...] = ("table", "csv", "json")
#: The label of a total over all periods or all groups.
ALL = "(all)"
#: The label of events without a value in the grouping column (e.g. commands have no intent).
MISSING = {"intent": "(none)", "locale": "(unknown)", "country": "(unknown)"}
#: The columns of every output, in order.
COLUMNS: tuple[str, ...] = (
    "period",
    "group",
    "messages",
    "users",
    "escalation_rate",
    "crisis_net_rate",
    "clarification_rate",
    "helpfulness_rate",
    "rasa_fallbacks",
)
#: The columns that hold a percentage: hidden, they read "hidden", never "<k" ("under k %").
RATE_COLUMNS: frozenset[str] = frozenset(name for name in COLUMNS if name.endswith("_rate"))
RATE_HIDDEN = "hidden"
#: What each column means, for the dashboard, the README and ``--format json``.
COLUMN_HELP: dict[str, str] = {
    "messages": "messages handled (feedback answers not counted)",
    "users": "distinct children (pseudonyms)",
    "escalation_rate": "% of messages whose answer showed a helpline or the crisis answer",
    "crisis_net_rate": "% of messages caught by the crisis safety net",
    "clarification_rate": "% of written messages answered with topic buttons (low confidence)",
    "helpfulness_rate": "% of 👍 among the 'did this help?' answers",
    "rasa_fallbacks": "messages the embedded classifier answered because Rasa did not",
}


def suppression_rule(k: int) -> str:
    """The suppression rule in plain words, as shown on every output."""
    return (
        f"Counts computed from fewer than {k} distinct children are shown as <{k}, and rates "
        f"computed from them as {RATE_HIDDEN!r} (a rate is a percentage: <{k} there would read as "
        f"'under {k} %'). When a total is shown and only one entry of its row or column would be "
        f"hidden, the next smallest entry is hidden too (and so on), so that no hidden figure "
        f"can be worked out by subtracting shown figures from totals. A helpfulness rate also "
        f"needs {k} children who answered 'did this help?'."
    )


def perturbation_rule(k: int) -> str:
    """The perturbation in plain words, as shown on every output."""
    return (
        f"Every figure has a small fixed noise added (cell-key method): a count of {k} or more "
        f"is at most 3 (in 99 % of figures 2) away from the true count, a smaller count is shown as 0 or {k}. The same "
        f"figure always shows the same value; totals carry their own noise, so parts may not "
        f"add up to them exactly: a total can be a little below the sum of its parts, or "
        f"above it, and now and then even below its largest part. Each figure has its own noise, so "
        f"figures of one row need not fit together exactly either (a row can show one child "
        f"more than messages)."
    )


@dataclass(frozen=True)
class Filters:
    """Which events count: a date range (``until`` included), a locale, a country, an intent."""

    since: dt.date | None = None
    until: dt.date | None = None
    locale: str | None = None
    country: str | None = None
    intent: str | None = None

    def snapped(self, period: str) -> Filters:
        """The range widened to whole periods: from a Monday to a Sunday, or whole months.

        Published figures always cover whole weeks or months, so no two ranges differ by a
        few days (whose figures would otherwise follow by subtraction, noise aside).
        """
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        since, until = self.since, self.until
        if since is not None:
            since = period_start(since, period)
        if until is not None:
            until = period_end(until, period)
        return replace(self, since=since, until=until)


@dataclass(frozen=True)
class CellKeys:
    """For each count of :class:`Figures`, the sum of the keys of what it counts.

    Record keys for counts of events, child keys (once per child) for counts of children; they
    pick each count's noise (``bot.stats.perturbation``).
    """

    users: int = 0
    messages: int = 0
    escalations: int = 0
    crisis_net: int = 0
    text_messages: int = 0
    clarified: int = 0
    fallbacks: int = 0
    feedback: int = 0
    helpful: int = 0
    feedback_users: int = 0


@dataclass(frozen=True)
class Figures:
    """The aggregates of one entry: true (with their key sums) or as published (without)."""

    users: int = 0
    messages: int = 0
    escalations: int = 0
    crisis_net: int = 0
    text_messages: int = 0
    clarified: int = 0
    fallbacks: int = 0
    feedback: int = 0
    helpful: int = 0
    feedback_users: int = 0
    #: The key sums of the true figures; ``None`` once published.
    keys: CellKeys | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Entry:
    """One entry of a table; ``None`` for period or group means all of them."""

    period: dt.date | None
    group: str | None
    figures: Figures
    suppressed: bool
    helpfulness_shown: bool

    @property
    def is_total(self) -> bool:
        """Whether this entry is a total over periods or groups."""
        return self.period is None or self.group is None

    def values(self, k: int) -> dict[str, Any]:
        """The entry as shown: numbers, ``None`` where a rate has no denominator, or hidden.

        A hidden count reads ``"<k"``, a hidden rate ``"hidden"``.
        """
        hidden = f"<{k}"
        f = self.figures
        row: dict[str, Any] = {
            "period": self.period.isoformat() if self.period else ALL,
            "group": self.group if self.group is not None else ALL,
        }
        if self.suppressed:
            row.update(
                {name: RATE_HIDDEN if name in RATE_COLUMNS else hidden for name in COLUMNS[2:]}
            )
            return row
        row.update(
            messages=f.messages,
            users=f.users,
            escalation_rate=_rate(f.escalations, f.messages),
            crisis_net_rate=_rate(f.crisis_net, f.messages),
            clarification_rate=_rate(f.clarified, f.text_messages),
            helpfulness_rate=(
                _rate(f.helpful, f.feedback) if self.helpfulness_shown else RATE_HIDDEN
            ),
            rasa_fallbacks=f.fallbacks,
        )
        return row


def _rate(part: int, whole: int) -> float | None:
    # Perturbed independently, a part can come out larger than its whole: at most 100 %.
    return round(100.0 * min(part, whole) / whole, 1) if whole > 0 else None


@dataclass(frozen=True)
class StatsTable:
    """Figures per period × group, with period totals, group totals and the grand total."""

    period: str
    by: str
    filters: Filters
    k: int
    periods: tuple[dt.date, ...]
    groups: tuple[str, ...]
    cells: Mapping[tuple[dt.date, str], Entry]
    period_totals: Mapping[dt.date, Entry]
    group_totals: Mapping[str, Entry]
    total: Entry
    notes: tuple[str, ...] = field(default=())
    #: Whether the figures carry cell-key noise (always, except in tests of the exact figures).
    perturbed: bool = True

    def entries(self) -> list[Entry]:
        """Every entry in reading order: each period's cells then its total; then the range."""
        ordered: list[Entry] = []
        for period in self.periods:
            ordered += [self.cells[(period, g)] for g in self.groups if (period, g) in self.cells]
            ordered.append(self.period_totals[period])
        ordered += [self.group_totals[g] for g in self.groups]
        ordered.append(self.total)
        return ordered

    def rows(self) -> list[dict[str, Any]]:
        """Every entry as shown to reviewers."""
        return [entry.values(self.k) for entry in self.entries()]
