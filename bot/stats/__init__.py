"""Reviewers' statistics: computed in SQL, small cells suppressed, rendered as table, CSV or JSON.

``table`` holds the shapes, ``queries`` the SQL, ``suppression`` the privacy rule and
``formats`` the outputs.
"""

from bot.stats.coverage import (
    Coverage,
    DataSpan,
    coverage,
    period_end,
    previous_start,
    query_data_span,
)
from bot.stats.formats import (
    FORMATTERS,
    HEADINGS,
    format_csv,
    format_json,
    format_rows_csv,
    format_table,
)
from bot.stats.queries import (
    Totals,
    query_cells,
    query_grand_total,
    query_group_totals,
    query_period_totals,
    query_totals,
    run_parallel,
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
    Entry,
    Figures,
    Filters,
    StatsTable,
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
    "MISSING",
    "PERIODS",
    "Coverage",
    "DataSpan",
    "Entry",
    "Figures",
    "Filters",
    "StatsTable",
    "Totals",
    "build_table",
    "coverage",
    "format_csv",
    "format_json",
    "format_rows_csv",
    "format_table",
    "group_entries",
    "period_end",
    "previous_start",
    "query_cells",
    "query_data_span",
    "query_grand_total",
    "query_group_totals",
    "query_period_totals",
    "query_totals",
    "run_parallel",
    "stats_table",
    "suppress",
    "suppress_margin",
    "suppression_rule",
]
