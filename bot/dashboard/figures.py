"""The figures table as the page and its CSV show it: plain headings, hidden cells in words.

Every value is computed from suppressed entries only: a hidden entry shows "hidden" in every
column (never ``<5``, which reads as "under 5 %" in a percentage column), and a change against
the previous period is shown only when both figures it compares are shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.dashboard.labels import ALL_WORDS, DIMENSION_WORDS, Labels
from bot.stats import Coverage, DataSpan, Entry, StatsTable, coverage, previous_start

#: The page's columns, in order; the CSV has the same ones with the same headings.
COLUMNS: tuple[str, ...] = (
    "period",
    "group",
    "days",
    "messages",
    "per_day",
    "change",
    "users",
    "users_change",
    "escalation_rate",
    "crisis_net_rate",
    "clarification_rate",
    "helpfulness_rate",
    "fallbacks",
)
#: Headings that do not depend on the chosen period or grouping.
_HEADINGS = {
    "days": "days of data",
    "messages": "messages",
    "per_day": "messages per day",
    "users": "children",
    "escalation_rate": "shown a helpline or crisis answer %",
    "crisis_net_rate": "caught by the crisis safety net %",
    "clarification_rate": "asked to pick a topic %",
    "helpfulness_rate": "found the answer helpful %",
    "fallbacks": "answered by the backup classifier",
}
#: What every column means: the glossary at the top of the page.
GLOSSARY = {
    "days": (
        "days the figures cover: a period that started before the bot collected data, or that "
        "is still running, is marked partial; compare messages per day, not messages"
    ),
    "messages": "messages and button presses the bot answered (answers to 'did this help?' not "
    "counted). One child can send many messages: this is not a count of children",
    "per_day": "messages divided by the days of data: comparable between whole and partial periods",
    "change": "change of messages per day against the period before; shown only when both "
    "periods' figures are shown",
    "users": "different children (counted by pseudonym, never by name or account); a total "
    "counts each child once, so it is smaller than the sum of its rows when children wrote in "
    "several periods or about several topics; over dates "
    "reaching back further than messages are kept (a year by default), a child who wrote both "
    "before and after that counts twice",
    "users_change": "change of the number of children against the period before; shown only "
    "when both periods are whole (a partial period has fewer days in which children could "
    "write) and both figures are shown",
    "escalation_rate": "share of messages whose answer showed a helpline or the crisis answer",
    "crisis_net_rate": "share of messages caught by the crisis safety net (words that always "
    "lead to the crisis answer, whatever the classifier thought)",
    "clarification_rate": "share of written messages the bot was unsure about and answered with "
    "topic buttons: a high share points at gaps in the training data",
    "helpfulness_rate": "share of yes (thumbs up) among the answers to 'did this help?'",
    "fallbacks": "messages answered by the backup classifier built into the bot, because the "
    "main one (Rasa) did not answer in time",
}
_RATES = ("escalation_rate", "crisis_net_rate", "clarification_rate", "helpfulness_rate")


def hidden_words(k: int) -> str:
    """What a hidden figure means, in full."""
    # A cell hidden only so that a small one cannot be worked out by subtraction has more
    # children; which of the two a cell is must not be told, so both read the same.
    return f"hidden (fewer than {k} children or hidden to protect such a figure)"


def headings(period: str, by: str) -> dict[str, str]:
    """Every column's heading for a table by ``period`` and ``by``."""
    return {
        "period": "week starting" if period == "week" else "month",
        "group": DIMENSION_WORDS[by],
        "change": f"change per day vs previous {period} %",
        "users_change": f"change in children vs previous {period} %",
        **_HEADINGS,
    }


@dataclass(frozen=True)
class Cell:
    """One value: ``text`` on the page, ``value`` in the CSV, ``note`` as its tooltip."""

    text: str
    value: str | int | float
    hidden: bool = False
    note: str = ""


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    cells: dict[str, Cell]
    total: bool
    partial: bool


def period_label(start: dt.date, period: str) -> str:
    """A period as the page names it: a week by its Monday, a month as 2026-09."""
    return start.isoformat() if period == "week" else start.strftime("%Y-%m")


def _number(value: float) -> str:
    return f"{value:,.1f}".replace(",", " ")


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return round(100.0 * (now - before) / before, 1)


class FigureRows:
    """Builds the rows of one suppressed table."""

    def __init__(
        self, table: StatsTable, labels: Labels, span: DataSpan | None, today: dt.date
    ) -> None:
        self.table = table
        self.labels = labels
        self.k = table.k
        self.coverages = {
            p: coverage(p, table.period, span, table.filters, today) for p in table.periods
        }
        self.whole_days = sum(c.covered for c in self.coverages.values())

    def hidden(self) -> Cell:
        """A hidden figure."""
        return Cell("hidden", hidden_words(self.k), True, hidden_words(self.k))

    def per_day(self, entry: Entry, days: int) -> float | None:
        """Messages per day of data of a shown entry."""
        if entry.suppressed or days <= 0:
            return None
        return entry.figures.messages / days

    def rows(self) -> list[Row]:
        """Every entry of the table in reading order."""
        return [self.row(entry) for entry in self.table.entries()]

    def row(self, entry: Entry) -> Row:
        """One entry as shown."""
        table = self.table
        cover = self.coverages.get(entry.period) if entry.period is not None else None
        cells: dict[str, Cell] = {}
        if entry.period is None:
            text = f"all {table.period}s"
            cells["period"] = Cell(text, text)
        else:
            text = period_label(entry.period, table.period)
            cells["period"] = Cell(text, text)
        if entry.group is None:
            text = ALL_WORDS[table.by]
            cells["group"] = Cell(text, text)
        else:
            name = self.labels.group(table.by, entry.group)
            cells["group"] = Cell(name, name, note=entry.group if name != entry.group else "")
        days = cover.covered if cover is not None else self.whole_days
        cells["days"] = self._days(cover)
        if entry.suppressed:
            for column in COLUMNS[3:]:
                cells[column] = self.hidden()
            return Row(cells, entry.is_total, cover is not None and cover.partial)
        values = entry.values(self.k)
        figures = entry.figures
        per_day = self.per_day(entry, days)
        cells["messages"] = Cell(str(figures.messages), figures.messages)
        cells["per_day"] = (
            Cell(_number(per_day), round(per_day, 1)) if per_day is not None else Cell("—", "")
        )
        cells["change"] = self._change_cell(entry, per_day)
        cells["users"] = Cell(str(figures.users), figures.users)
        cells["users_change"] = self._users_change_cell(entry, cover)
        for column in _RATES:
            value = values[column]
            if column == "helpfulness_rate" and not entry.helpfulness_shown:
                words = f"hidden (fewer than {self.k} children answered)"
                cells[column] = Cell("hidden", words, True, words)
            elif isinstance(value, float):
                cells[column] = Cell(_number(value), value)
            else:
                cells[column] = Cell("—", "", note="no messages to count this from")
        cells["fallbacks"] = Cell(str(figures.fallbacks), figures.fallbacks)
        return Row(cells, entry.is_total, cover is not None and cover.partial)

    def _days(self, cover: Coverage | None) -> Cell:
        if cover is None:
            return Cell(str(self.whole_days), self.whole_days)
        text = f"{cover.covered} of {cover.days}"
        if cover.running:
            text += " (so far)"
        elif cover.partial:
            text += " (partial)"
        return Cell(text, text)

    def _previous(self, entry: Entry) -> tuple[Entry, Coverage] | Cell:
        """The same group's entry in the period before, or the cell that says why there is none."""
        if entry.period is None:
            return Cell("—", "", note="a total over every period has nothing to compare with")
        before_start = previous_start(entry.period, self.table.period)
        before_cover = self.coverages.get(before_start)
        if before_cover is None:
            return Cell("—", "", note="the previous period is outside the chosen dates")
        if entry.group is None:
            before = self.table.period_totals.get(before_start)
        else:
            before = self.table.cells.get((before_start, entry.group))
        if before is None:
            return Cell("—", "", note="no messages in the previous period")
        if before.suppressed:
            words = "not compared (previous period hidden)"
            return Cell(words, words, note="the previous period's figure is hidden")
        return before, before_cover

    def _change_cell(self, entry: Entry, per_day: float | None) -> Cell:
        """Messages per day against the previous period, when both are shown."""
        previous = self._previous(entry)
        if isinstance(previous, Cell):
            return previous
        before, before_cover = previous
        return _change_text(_change(per_day, self.per_day(before, before_cover.covered)))

    def _users_change_cell(self, entry: Entry, cover: Coverage | None) -> Cell:
        """Children against the previous period, when both are shown and both periods whole."""
        previous = self._previous(entry)
        if isinstance(previous, Cell):
            return previous
        before, before_cover = previous
        if (cover is not None and cover.partial) or before_cover.partial:
            # Said on the cell itself, not only in a tooltip a phone never shows.
            words = "not compared (partial period)"
            return Cell(
                words, words, note="a partial period has fewer days in which children could write"
            )
        return _change_text(_change(entry.figures.users, before.figures.users))


def _change_text(change: float | None) -> Cell:
    """A change in per cent, signed, or a dash where there is nothing to compare with."""
    if change is None:
        return Cell("—", "")
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return Cell(f"{sign}{_number(abs(change))}", change)
