"""What the dashboard shows: the filters a reviewer chose, the suppressed figures, the charts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from markupsafe import Markup
from sqlalchemy import Engine

from bot.dashboard.charts import Bar, Series, bar_chart, line_chart
from bot.stats import (
    DIMENSIONS,
    MISSING,
    PERIODS,
    Entry,
    Figures,
    Filters,
    StatsTable,
    build_table,
    group_entries,
    query_cells,
    query_grand_total,
    query_group_totals,
    query_period_totals,
    run_parallel,
)

#: How many intents the trend chart draws (the most frequent; the table has them all).
TREND_LINES = 6
_CACHE_SIZE = 64


@dataclass(frozen=True)
class Query:
    """A reviewer's choice of figures, read from the page's GET parameters."""

    period: str = "week"
    by: str = "intent"
    filters: Filters = field(default_factory=Filters)

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> tuple[Query, list[str]]:
        """The query, and plain-language problems with parameters that were ignored."""
        problems: list[str] = []
        query = cls()
        period = params.get("period") or query.period
        if period in PERIODS:
            query = replace(query, period=period)
        else:
            problems.append(f"Period must be one of: {', '.join(PERIODS)}.")
        by = params.get("by") or query.by
        if by in DIMENSIONS:
            query = replace(query, by=by)
        else:
            problems.append(f"Group by must be one of: {', '.join(DIMENSIONS)}.")
        dates: dict[str, dt.date | None] = {}
        for name in ("since", "until"):
            value = (params.get(name) or "").strip()
            try:
                dates[name] = dt.date.fromisoformat(value) if value else None
            except ValueError:
                problems.append(f"'{name}' must be a date like 2026-01-31.")
                dates[name] = None
        codes: dict[str, str | None] = {}
        for name, longest in (("locale", 8), ("country", 3)):
            value = (params.get(name) or "").strip()
            if value and (len(value) > longest or not value.replace("_", "").isalnum()):
                problems.append(f"'{name}' is not a valid code.")
                value = ""
            codes[name] = value or None
        if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
            problems.append("'since' must not be after 'until'.")
            dates["until"] = None
        filters = Filters(dates["since"], dates["until"], codes["locale"], codes["country"])
        # Figures are published for whole weeks or months only: the page shows the range used.
        return replace(query, filters=filters.snapped(query.period)), problems

    def params(self) -> dict[str, str]:
        """The query as GET parameters (for the CSV link)."""
        f = self.filters
        values = {
            "period": self.period,
            "by": self.by,
            "since": f.since.isoformat() if f.since else "",
            "until": f.until.isoformat() if f.until else "",
            "locale": f.locale or "",
            "country": f.country or "",
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows for one query."""

    query: Query
    k: int
    table: StatsTable
    intents: StatsTable
    countries: dict[str, Entry]
    locales: dict[str, Entry]

    @property
    def total(self) -> Entry:
        """The grand total of the chosen range and filters."""
        return self.table.total

    def trend_chart(self) -> Markup:
        """Messages per period for the most frequent intents."""
        intents = self.intents
        shown = [
            (entry.figures.messages, group)
            for group, entry in intents.group_totals.items()
            if group != MISSING["intent"] and not entry.suppressed
        ]
        top = [group for _, group in sorted(shown, key=lambda item: (-item[0], item[1]))]
        series = []
        for group in top[:TREND_LINES]:
            values: list[float | None] = []
            for period in intents.periods:
                cell = intents.cells.get((period, group))
                if cell is None:
                    values.append(0.0)
                else:
                    values.append(None if cell.suppressed else float(cell.figures.messages))
            series.append(Series(group, tuple(values)))
        labels = [p.isoformat() for p in intents.periods]
        return line_chart(f"Messages per {self.query.period} by intent", labels, series)

    def country_chart(self) -> Markup:
        """Each country's share of messages; hidden countries together in one bar."""
        total = self.total
        bars: list[Bar] = []
        hidden = 0
        shown_share = 0.0
        for country, entry in self.countries.items():
            if entry.suppressed:
                hidden += 1
                continue
            share = (
                100.0 * entry.figures.messages / total.figures.messages
                if total.figures.messages
                else 0.0
            )
            shown_share += share
            bars.append(Bar(country, share))
        bars.sort(key=lambda bar: -(bar.value or 0.0))
        if hidden and not total.suppressed:
            bars.append(Bar(f"{hidden} hidden (<{self.k} each)", max(0.0, 100.0 - shown_share)))
        return bar_chart("Share of messages by country", bars, max_value=100.0)

    def helpfulness_chart(self) -> Markup:
        """Share of 👍 among 'did this help?' answers, per intent."""
        bars = []
        for intent, entry in self.intents.group_totals.items():
            if entry.figures.feedback == 0:
                continue
            value = entry.values(self.k)["helpfulness_rate"]
            bars.append(Bar(intent, value if isinstance(value, float) else None, f"<{self.k}"))
        return bar_chart("Helpful answers by intent (% 👍)", bars, max_value=100.0)

    def clarification_chart(self) -> Markup:
        """Share of written messages answered with topic buttons, per locale."""
        bars = []
        for locale, entry in self.locales.items():
            if entry.figures.text_messages == 0:
                continue
            value = entry.values(self.k)["clarification_rate"]
            bars.append(Bar(locale, value if isinstance(value, float) else None, f"<{self.k}"))
        top = max((b.value or 0.0 for b in bars), default=0.0)
        return bar_chart("Clarification rate by locale (%)", bars, max_value=max(10.0, top))


class DashboardData:
    """Runs the queries for the dashboard, keeping results for a short while."""

    def __init__(self, engine: Engine, *, k: int, cache_seconds: float = 60.0) -> None:
        self._engine = engine
        self.k = k
        self._cache_seconds = cache_seconds
        self._cache: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: object) -> object | None:
        with self._lock:
            found = self._cache.get(key)
        if found is not None and time.monotonic() - found[0] < self._cache_seconds:
            return found[1]
        return None

    def _keep(self, key: object, value: object) -> None:
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE:
                oldest = min(self._cache, key=lambda k: self._cache[k][0])
                del self._cache[oldest]
            self._cache[key] = (time.monotonic(), value)

    def overview(self, query: Query) -> Overview:
        """All figures of the overview page for a query (suppressed)."""
        key = ("overview", query)
        found = self._cached(key)
        if isinstance(found, Overview):
            return found
        filters, k, period, engine = query.filters, self.k, query.period, self._engine
        calls: dict[str, Callable[[], Any]] = {
            "periods": lambda: query_period_totals(engine, period, filters),
            "total": lambda: query_grand_total(engine, filters),
        }
        for by in DIMENSIONS:
            calls[f"groups:{by}"] = partial(query_group_totals, engine, by, filters)
        for by in {"intent", query.by}:
            calls[f"cells:{by}"] = partial(query_cells, engine, period, by, filters)
        results = dict(zip(calls, run_parallel(list(calls.values())), strict=True))
        total: Figures = results["total"]
        tables = {
            by: build_table(
                period=period,
                by=by,
                filters=filters,
                k=k,
                cells=results[f"cells:{by}"],
                period_totals=results["periods"],
                group_totals=results[f"groups:{by}"],
                total=total,
            )
            for by in {"intent", query.by}
        }
        overview = Overview(
            query=query,
            k=k,
            table=tables[query.by],
            intents=tables["intent"],
            countries=group_entries(results["groups:country"], total, k),
            locales=group_entries(results["groups:locale"], total, k),
        )
        self._keep(key, overview)
        return overview

    def options(self) -> tuple[list[str], list[str]]:
        """Locales and countries to offer as filters: those with at least k children overall."""
        found = self._cached("options")
        if isinstance(found, tuple):
            return found
        engine, everything = self._engine, Filters()
        total, locales, countries = run_parallel(
            [
                lambda: query_grand_total(engine, everything),
                lambda: query_group_totals(engine, "locale", everything),
                lambda: query_group_totals(engine, "country", everything),
            ]
        )
        choices = []
        for by, totals in (("locale", locales), ("country", countries)):
            entries = group_entries(totals, total, self.k)
            choices.append([g for g, e in entries.items() if not e.suppressed and g != MISSING[by]])
        result = (choices[0], choices[1])
        self._keep("options", result)
        return result
