"""Rollups: the anonymous aggregates every statistic reads, kept up to date by the writers.

``dimensions`` maps events to rows, ``additive`` the additive figures per day and period, ``children``
the arithmetic of distinct children, ``upkeep`` what writers and ``/forget`` change, ``rebuild``
the recount from the events table, ``horizon`` and ``seal`` what the retention purge seals.
"""

from bot.storage.rollups.additive import ADDITIVE, DAY_MEASURES
from bot.storage.rollups.children import MEASURES, NO_PREVIOUS
from bot.storage.rollups.dimensions import (
    ALL,
    DIMENSIONS,
    GROUPINGS,
    MISSING,
    PERIODS,
    grouping_of,
    period_end,
    period_start,
)
from bot.storage.rollups.horizon import Horizon, read_horizon
from bot.storage.rollups.rebuild import Rebuilt, lock_rollups, rebuild, rebuild_children
from bot.storage.rollups.seal import seal
from bot.storage.rollups.upkeep import COUNTED, count_forgotten, count_written

__all__ = [
    "ADDITIVE",
    "ALL",
    "COUNTED",
    "DAY_MEASURES",
    "DIMENSIONS",
    "GROUPINGS",
    "MEASURES",
    "MISSING",
    "NO_PREVIOUS",
    "PERIODS",
    "Horizon",
    "Rebuilt",
    "count_forgotten",
    "count_written",
    "grouping_of",
    "lock_rollups",
    "period_end",
    "period_start",
    "read_horizon",
    "rebuild",
    "rebuild_children",
    "seal",
]
