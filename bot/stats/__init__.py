"""Reviewers' statistics: computed in SQL, small cells suppressed, rendered as table, CSV or JSON.

``table`` holds the shapes, ``queries`` the SQL, ``suppression`` the small-cell rule,
``perturbation`` the cell-key noise and ``formats`` the outputs.
"""

from bot.stats.formats import FORMATTERS, HEADINGS, format_csv, format_json, format_table
from bot.stats.perturbation import MAX_NOISE, PTable, perturb
from bot.stats.queries import (
    Totals,
    query_cells,
    query_grand_total,
    query_group_totals,
    query_period_totals,
    query_totals,
    run_parallel,
    snapping_notes,
    stats_table,
)
from bot.stats.suppression import build_table, group_entries, suppress, suppress_margin
from bot.stats.table import (
    ALL,
    COLUMN_HELP,
    COLUMNS,
    DIMENSIONS,
    FORMATS,
    MISSING,
    PERIODS,
    CellKeys,
    Entry,
    Figures,
    Filters,
    StatsTable,
    perturbation_rule,
    suppression_rule,
)

__all__ = [
    "ALL",
    "COLUMNS",
    "COLUMN_HELP",
    "DIMENSIONS",
    "FORMATS",
    "FORMATTERS",
    "HEADINGS",
    "MAX_NOISE",
    "MISSING",
    "PERIODS",
    "CellKeys",
    "Entry",
    "Figures",
    "Filters",
    "PTable",
    "StatsTable",
    "Totals",
    "build_table",
    "format_csv",
    "format_json",
    "format_table",
    "group_entries",
    "perturb",
    "perturbation_rule",
    "query_cells",
    "query_grand_total",
    "query_group_totals",
    "query_period_totals",
    "query_totals",
    "run_parallel",
    "snapping_notes",
    "stats_table",
    "suppress",
    "suppress_margin",
    "suppression_rule",
]
