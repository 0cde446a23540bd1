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

from bot.clock import Clock, system_clock
from bot.dashboard.charts import Bar, Series, bar_chart, line_chart
from bot.dashboard.figures import FigureRows, Row, hidden_words, period_label
from bot.dashboard.labels import Labels
from bot.stats import (
    DIMENSIONS,
    MISSING,
    PERIODS,
    Coverage,
    DataSpan,
    Entry,
    Figures,
    Filters,
    StatsTable,
    build_table,
    coverage,
    group_entries,
    period_end,
    previous_start,
    query_cells,
    query_data_span,
    query_grand_total,
    query_group_totals,
    query_period_totals,
    run_parallel,
)

#: How many intents the trend chart draws besides the urgent ones (the most frequent; the table
#: has them all).
TREND_LINES = 6
#: What the trend chart can count.
MEASURES: tuple[str, ...] = ("messages", "per_day")
_CACHE_SIZE = 64


#: How many weeks or months the dashboard opens on (a year of weeks is a 5,000-pixel table).
RECENT_PERIODS = 12


def recent_start(today: dt.date, period: str) -> dt.date:
    """The first day of the last ``RECENT_PERIODS`` weeks or months, the current one included."""
    if period == "week":
        return today - dt.timedelta(days=today.weekday(), weeks=RECENT_PERIODS - 1)
    months = today.year * 12 + today.month - 1 - (RECENT_PERIODS - 1)
    return dt.date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class Query:
    """A reviewer's choice of figures, read from the page's GET parameters."""

    period: str = "week"
    by: str = "intent"
    filters: Filters = field(default_factory=Filters)
    #: What the trend chart counts: ``messages`` per period or messages ``per_day`` of data.
    measure: str = "messages"

    @classmethod
    def parse(
        cls, params: Mapping[str, str], *, today: dt.date | None = None
    ) -> tuple[Query, list[str]]:
        """The query, and plain-language problems with parameters that were ignored.

        With ``today``, a query that names no dates at all (a reviewer opening the dashboard)
        covers the last ``RECENT_PERIODS`` weeks or months, the current one included; an empty
        "since" (the form's field cleared) means from the first day of data.
        """
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
        measure = params.get("measure") or query.measure
        if measure in MEASURES:
            query = replace(query, measure=measure)
        else:
            problems.append(f"The trend must show one of: {', '.join(MEASURES)}.")
        dates: dict[str, dt.date | None] = {}
        for name in ("since", "until"):
            value = (params.get(name) or "").strip()
            try:
                dates[name] = dt.date.fromisoformat(value) if value else None
            except ValueError:
                problems.append(f"'{name}' must be a date like 2026-01-31.")
                dates[name] = None
        codes: dict[str, str | None] = {}
        for name, longest in (("locale", 8), ("country", 3), ("intent", 40)):
            value = (params.get(name) or "").strip()
            if value and (len(value) > longest or not value.replace("_", "").isalnum()):
                problems.append(f"'{name}' is not a valid code.")
                value = ""
            codes[name] = value or None
        if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
            problems.append("'since' must not be after 'until'.")
            dates["until"] = None
        if today is not None and "since" not in params and "until" not in params:
            dates["since"] = recent_start(today, query.period)
        filters = Filters(
            dates["since"], dates["until"], codes["locale"], codes["country"], codes["intent"]
        )
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
            "intent": f.intent or "",
            "measure": self.measure if self.measure != Query.measure else "",
        }
        # An empty "since" stays: it means "from the first day of data", where a link without
        # it would open on the recent default instead.
        return {name: value for name, value in values.items() if value or name == "since"}


@dataclass(frozen=True)
class Report:
    """A monthly report: one month by topic, and the month before it to compare with."""

    month: dt.date
    query: Query
    compared: Query

    @property
    def label(self) -> str:
        """The month as the table names it."""
        return period_label(self.month, "month")

    @property
    def title(self) -> str:
        """The month in words."""
        return self.month.strftime("%B %Y")

    @classmethod
    def parse(cls, params: Mapping[str, str], today: dt.date) -> tuple[Report, list[str]]:
        """The report for ``month`` (2026-09; the last whole month when not given)."""
        problems: list[str] = []
        last_whole = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        value = (params.get("month") or "").strip()
        month = last_whole
        if value:
            try:
                month = dt.date.fromisoformat(value + "-01")
            except ValueError:
                problems.append("'month' must be a month like 2026-09.")
        base, found = Query.parse(
            {name: params[name] for name in ("locale", "country", "intent") if name in params}
        )
        problems += found
        end = period_end(month, "month")
        query = replace(
            base,
            period="month",
            by="intent",
            filters=replace(base.filters, since=month, until=end),
        )
        before = replace(query.filters, since=previous_start(month, "month"))
        return cls(month, query, replace(query, filters=before)), problems


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows for one query."""

    query: Query
    k: int
    table: StatsTable
    intents: StatsTable
    countries: dict[str, Entry]
    locales: dict[str, Entry]
    labels: Labels
    span: DataSpan | None
    today: dt.date

    @property
    def total(self) -> Entry:
        """The grand total of the chosen range and filters."""
        return self.table.total

    def figure_rows(self, table: StatsTable | None = None) -> list[Row]:
        """The rows of the table (or another of the same query) as shown."""
        return FigureRows(table or self.table, self.labels, self.span, self.today).rows()

    def coverages(self) -> dict[dt.date, Coverage]:
        """The days of data behind each period of the range."""
        f = self.query.filters
        return {p: coverage(p, self.query.period, self.span, f, self.today) for p in self.periods}

    @property
    def periods(self) -> tuple[dt.date, ...]:
        """The periods of the range that have figures."""
        return self.table.periods

    def partial_periods(self) -> list[str]:
        """The periods with fewer days of data than they have, as labels."""
        return [
            period_label(p, self.query.period) for p, c in self.coverages().items() if c.partial
        ]

    def filter_words(self) -> list[str]:
        """The active filters in plain words, for every chart and the CSV."""
        f, labels = self.query.filters, self.labels
        if f.since or f.until:
            since = f.since.isoformat() if f.since else "the first day of data"
            until = f.until.isoformat() if f.until else "today"
            dates = f"from {since} to {until}"
        elif self.periods:
            first = self.periods[0]
            last = min(period_end(self.periods[-1], self.query.period), self.today)
            if self.span is not None:
                first, last = max(first, self.span.first), min(last, self.span.last)
            dates = f"from {first.isoformat()} to {last.isoformat()} (all data)"
        else:
            dates = "all dates"
        return [
            dates,
            f"language: {labels.group('locale', f.locale) if f.locale else 'all'}",
            f"country: {labels.group('country', f.country) if f.country else 'all'}",
            f"topic: {f.intent if f.intent else 'all'}",
        ]

    def filter_line(self) -> str:
        """The filters as one line."""
        return " · ".join(self.filter_words())

    def trend_chart(self) -> Markup:
        """Messages (or messages per day) per period: the most frequent and the urgent intents.

        The urgent intents (the crisis and emergency answers) are drawn whatever their rank, so
        a rare self-harm topic never drops out of the chart; each intent keeps its colour.
        """
        intents, labels = self.intents, self.labels
        shown = [
            (entry.figures.messages, group)
            for group, entry in intents.group_totals.items()
            if group != MISSING["intent"] and not entry.suppressed
        ]
        top = [group for _, group in sorted(shown, key=lambda item: (-item[0], item[1]))]
        chosen = top[:TREND_LINES]
        only = self.query.filters.intent
        urgent = [i for i in labels.urgent if i not in chosen and (only is None or i == only)]
        coverages = self.coverages()
        per_day = self.query.measure == "per_day"
        series = []
        for group in chosen + urgent:
            values: list[float | None] = []
            for period in intents.periods:
                cell = intents.cells.get((period, group))
                days = coverages[period].covered
                if cell is None:
                    values.append(0.0)
                elif cell.suppressed:
                    values.append(None)
                else:
                    count = float(cell.figures.messages)
                    values.append(count / days if per_day and days else count)
            style = labels.style(group)
            note = ""
            if all(v is None for v in values):
                note = "(hidden)"
            elif all(v == 0.0 for v in values):
                note = "(no messages)"
            series.append(Series(group, tuple(values), style.colour, style.dash, note))
        labels_x = [
            period_label(p, self.query.period) + ("*" if coverages[p].partial else "")
            for p in intents.periods
        ]
        unit = "messages per day" if per_day else f"messages per {self.query.period}"
        x_label = "week starting" if self.query.period == "week" else "month"
        if any(c.partial for c in coverages.values()):
            x_label += " (* partial: fewer days of data)"
        return line_chart(
            self.trend_title(),
            labels_x,
            series,
            y_label=f"{unit} (not children)",
            x_label=x_label,
        )

    def trend_title(self) -> str:
        """The trend chart's title."""
        if self.query.measure == "per_day":
            return f"Messages per day of data, each {self.query.period}, by topic"
        return f"Messages per {self.query.period} by topic"

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
            bars.append(Bar(self.labels.group("country", country), share))
        bars.sort(key=lambda bar: -(bar.value or 0.0))
        if hidden and not total.suppressed:
            name = f"{hidden} more countries" if hidden > 1 else "1 more country"
            bars.append(
                Bar(
                    f"{name}, hidden (fewer than {self.k} children each)",
                    max(0.0, 100.0 - shown_share),
                )
            )
        return bar_chart(
            "Share of messages by country",
            bars,
            axis_label="% of the messages in these filters",
        )

    def helpfulness_chart(self) -> Markup:
        """Share of 👍 among 'did this help?' answers, per intent."""
        bars = []
        hidden = f"hidden (fewer than {self.k} children answered)"
        for intent, entry in self.intents.group_totals.items():
            if entry.figures.feedback == 0:
                continue
            value = entry.values(self.k)["helpfulness_rate"]
            name = self.labels.group("intent", intent)
            bars.append(Bar(name, value if isinstance(value, float) else None, hidden))
        return bar_chart(
            "Helpful answers by topic",
            bars,
            axis_label="% of 'did this help?' answers that were yes (thumbs up)",
        )

    def clarification_chart(self) -> Markup:
        """Share of written messages answered with topic buttons, per locale."""
        bars = []
        for locale, entry in self.locales.items():
            if entry.figures.text_messages == 0:
                continue
            value = entry.values(self.k)["clarification_rate"]
            name = self.labels.group("locale", locale)
            bars.append(
                Bar(name, value if isinstance(value, float) else None, hidden_words(self.k))
            )
        return bar_chart(
            "Asked to pick a topic, by language",
            bars,
            axis_label="% of written messages answered with topic buttons",
        )


class DashboardData:
    """Runs the queries for the dashboard, keeping results for a short while."""

    def __init__(
        self,
        engine: Engine,
        *,
        k: int,
        labels: Labels | None = None,
        cache_seconds: float = 60.0,
        clock: Clock = system_clock,
        perturb: bool = True,
    ) -> None:
        self._engine = engine
        self.k = k
        #: The cell-key noise on every published figure; off only in tests of exact figures.
        self.perturb = perturb
        self.labels = labels or Labels()
        self.clock = clock
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
            "span": lambda: query_data_span(engine),
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
                perturb=self.perturb,
            )
            for by in {"intent", query.by}
        }
        overview = Overview(
            query=query,
            k=k,
            table=tables[query.by],
            intents=tables["intent"],
            countries=group_entries(results["groups:country"], total, k, perturb=self.perturb),
            locales=group_entries(results["groups:locale"], total, k, perturb=self.perturb),
            labels=self.labels,
            span=results["span"],
            today=self.clock().date(),
        )
        self._keep(key, overview)
        return overview

    def options(self) -> dict[str, list[tuple[str, str]]]:
        """Filter choices as (code, name): groups with at least k children overall.

        The urgent intents are always offered: that they exist is known from the content.
        """
        found = self._cached("options")
        if isinstance(found, dict):
            return found
        engine, everything = self._engine, Filters()
        calls: list[Callable[[], Any]] = [lambda: query_grand_total(engine, everything)]
        calls += [partial(query_group_totals, engine, by, everything) for by in DIMENSIONS]
        total, *totals = run_parallel(calls)
        result: dict[str, list[tuple[str, str]]] = {}
        for by, group_totals in zip(DIMENSIONS, totals, strict=True):
            entries = group_entries(group_totals, total, self.k)
            codes = [g for g, e in entries.items() if not e.suppressed and g != MISSING[by]]
            if by == "intent":
                codes = sorted(set(codes) | set(self.labels.urgent))
            names = [(code, self.labels.group(by, code)) for code in codes]
            result[by] = sorted(names, key=lambda pair: pair[1].casefold())
        self._keep("options", result)
        return result
