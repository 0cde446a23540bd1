"""The statistics as reviewers read them: a terminal table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.stats.table import (
    COLUMN_HELP,
    COLUMNS,
    Filters,
    StatsTable,
    perturbation_rule,
    suppression_rule,
)

HEADINGS = {
    "period": "period",
    "group": "group",
    "messages": "messages",
    "users": "children",
    "escalation_rate": "escalated %",
    "crisis_net_rate": "crisis net %",
    "clarification_rate": "clarified %",
    "helpfulness_rate": "helpful %",
    "rasa_fallbacks": "Rasa fallbacks",
}


def _cell_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def format_table(table: StatsTable) -> str:
    """A plain-text table for the terminal."""
    headings = [HEADINGS[c] for c in COLUMNS]
    headings[1] = table.by
    lines: list[list[str]] = []
    previous: str | None = None
    for row in table.rows():
        if previous is not None and row["period"] != previous:
            lines.append([])
        previous = row["period"]
        lines.append([_cell_text(row[c]) for c in COLUMNS])
    widths = [
        max([len(h)] + [len(line[i]) for line in lines if line]) for i, h in enumerate(headings)
    ]

    def render(values: Sequence[str]) -> str:
        left = [f"{v:<{w}}" for v, w in zip(values[:2], widths[:2], strict=True)]
        right = [f"{v:>{w}}" for v, w in zip(values[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    out = [
        f"Statistics by {table.period} and {table.by}{_describe(table.filters)}",
        "",
        render(headings),
        render(["-" * w for w in widths]),
    ]
    out += [render(line) if line else "" for line in lines]
    out += ["", suppression_rule(table.k)]
    if table.perturbed:
        out.append(perturbation_rule(table.k))
    out += list(table.notes)
    return "\n".join(out)


def _describe(filters: Filters) -> str:
    parts = []
    if filters.since or filters.until:
        since = filters.since.isoformat() if filters.since else "the start"
        until = filters.until.isoformat() if filters.until else "today"
        parts.append(f"from {since} to {until}")
    if filters.locale:
        parts.append(f"locale {filters.locale}")
    if filters.country:
        parts.append(f"country {filters.country}")
    if filters.intent:
        parts.append(f"intent {filters.intent}")
    return f" ({', '.join(parts)})" if parts else ""


#: A text cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: ``'`` before text that would start a formula.

    Numbers stay numbers; only text (group names, labels) can carry a formula.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def format_csv(table: StatsTable) -> str:
    """CSV with a header row; hidden figures are ``<k``, missing rates are empty.

    Safe to open in a spreadsheet: no text cell is taken for a formula.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table.rows():
        writer.writerow(["" if row[c] is None else spreadsheet_safe(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def format_rows_csv(comment: str, headings: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV for people: a first line ``# comment`` (what the figures are), headings, the rows.

    Safe to open in a spreadsheet: no text cell, the comment included, is taken for a formula.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"# {comment}"])
    writer.writerow([spreadsheet_safe(h) for h in headings])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


def format_json(table: StatsTable) -> str:
    """JSON with the filters, the rule and one object per entry."""
    document = {
        "period": table.period,
        "by": table.by,
        "since": table.filters.since.isoformat() if table.filters.since else None,
        "until": table.filters.until.isoformat() if table.filters.until else None,
        "locale": table.filters.locale,
        "country": table.filters.country,
        "intent": table.filters.intent,
        "min_cell_users": table.k,
        "suppression": suppression_rule(table.k),
        "perturbation": perturbation_rule(table.k) if table.perturbed else None,
        "notes": list(table.notes),
        "columns": COLUMN_HELP,
        "rows": table.rows(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


FORMATTERS: dict[str, Callable[[StatsTable], str]] = {
    "table": format_table,
    "csv": format_csv,
    "json": format_json,
}
