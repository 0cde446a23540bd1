"""Figures for reviewers: computed in SQL, small cells suppressed, rendered as table, CSV or JSON.

Every figure belongs to an *entry* of a table: one period × one group (a *cell*), a period's
total over all groups, a group's total over the whole range, or the grand total. An entry's
population is the number of distinct children (pseudonyms) behind it. Entries whose population is
below k are shown as ``<k``, every figure of them, rates included. Because message counts add up
along rows and columns, hiding one cell of a line whose total is shown would let anyone work it
out by subtraction; :func:`suppress` therefore also hides complementary entries until no hidden
count can be computed exactly from what is shown (no hidden entry is a *bridge* of the graph of
hidden entries: see :func:`_bridges`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import (
    Date,
    Engine,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import Event

logger = logging.getLogger(__name__)

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
        f"Figures computed from fewer than {k} distinct children are shown as <{k}, rates "
        f"included. When a total is shown and only one entry of its row or column would be "
        f"hidden, the next smallest entry is hidden too (and so on), so that no hidden figure "
        f"can be worked out by subtracting shown figures from totals. A helpfulness rate also "
        f"needs {k} children who answered 'did this help?'."
    )


@dataclass(frozen=True)
class Filters:
    """Which events count: a date range (``until`` included), a locale and a country."""

    since: dt.date | None = None
    until: dt.date | None = None
    locale: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Figures:
    """The raw aggregates of one entry, as the database returns them."""

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
        """The entry as shown: numbers, ``None`` where a rate has no denominator, or ``"<k"``."""
        hidden = f"<{k}"
        f = self.figures
        row: dict[str, Any] = {
            "period": self.period.isoformat() if self.period else ALL,
            "group": self.group if self.group is not None else ALL,
        }
        if self.suppressed:
            row.update({name: hidden for name in COLUMNS[2:]})
            return row
        row.update(
            messages=f.messages,
            users=f.users,
            escalation_rate=_rate(f.escalations, f.messages),
            crisis_net_rate=_rate(f.crisis_net, f.messages),
            clarification_rate=_rate(f.clarified, f.text_messages),
            helpfulness_rate=_rate(f.helpful, f.feedback) if self.helpfulness_shown else hidden,
            rasa_fallbacks=f.fallbacks,
        )
        return row


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


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


# -- SQL ----------------------------------------------------------------------------------


def _period_start(dialect: str, period: str) -> ColumnElement[Any]:
    """The first day of the event's week (Monday) or month, in UTC."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if dialect == "postgresql":
        return cast(func.date_trunc(period, func.timezone("UTC", Event.hour)), Date)
    if period == "week":  # SQLite: the Monday on or before the day
        return func.date(Event.hour, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.date(Event.hour, literal_column("'start of month'"))


def _group_column(by: str) -> ColumnElement[Any]:
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    column = {"intent": Event.intent, "locale": Event.locale, "country": Event.country}[by]
    return func.coalesce(column, MISSING[by])


def _aggregates(dialect: str) -> list[ColumnElement[Any]]:
    # Byte order is enough to tell pseudonyms apart, and much quicker to sort than a locale's.
    pseudonym = Event.pseudonym.collate("C") if dialect == "postgresql" else Event.pseudonym

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    message = Event.kind != "feedback"
    answered = Event.helpful.is_not(None)
    return [
        func.count(distinct(pseudonym)),
        count_if(message),
        count_if(and_(message, Event.escalation != "none")),
        count_if(and_(message, Event.crisis_net.is_(True))),
        count_if(Event.kind == "text"),
        count_if(and_(Event.kind == "text", Event.clarified.is_(True))),
        count_if(Event.engine == "spacy-fallback"),
        count_if(answered),
        count_if(Event.helpful.is_(True)),
        func.count(distinct(case((answered, pseudonym)))),
    ]


def _where(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.since is not None:
        query = query.where(Event.hour >= _midnight(filters.since))
    if filters.until is not None:
        query = query.where(Event.hour < _midnight(filters.until + dt.timedelta(days=1)))
    if filters.locale is not None:
        query = query.where(Event.locale == filters.locale)
    if filters.country is not None:
        query = query.where(Event.country == filters.country)
    return query


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _figures(values: Sequence[Any]) -> Figures:
    return Figures(*(int(v or 0) for v in values))


@dataclass(frozen=True)
class Totals:
    """Per-period totals and the grand total: the same whatever the grouping."""

    period: str
    filters: Filters
    by_period: dict[dt.date, Figures]
    total: Figures


#: Independent queries run at once, each on its own connection (both databases allow it).
_MAX_PARALLEL = 4


def run_parallel(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """The results of independent queries, run in threads (they wait on the database)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(len(calls), _MAX_PARALLEL)) as pool:
        return list(pool.map(lambda call: call(), calls))


def query_period_totals(engine: Engine, period: str, filters: Filters) -> dict[dt.date, Figures]:
    """Totals per period over all groups."""
    dialect = engine.dialect.name
    start = _period_start(dialect, period).label("period")
    query = _where(select(start, *_aggregates(dialect)), filters).group_by(start)
    with engine.connect() as connection:
        return {_as_date(r[0]): _figures(r[1:]) for r in connection.execute(query)}


def query_grand_total(engine: Engine, filters: Filters) -> Figures:
    """The total over the whole range and every group."""
    query = _where(select(*_aggregates(engine.dialect.name)), filters)
    with engine.connect() as connection:
        return _figures(connection.execute(query).one())


def query_totals(engine: Engine, period: str, filters: Filters) -> Totals:
    """Totals per period and over the whole range."""
    by_period, total = run_parallel(
        [
            lambda: query_period_totals(engine, period, filters),
            lambda: query_grand_total(engine, filters),
        ]
    )
    return Totals(period, filters, by_period, total)


def query_group_totals(engine: Engine, by: str, filters: Filters) -> dict[str, Figures]:
    """Totals per group over the whole range."""
    group = _group_column(by).label("grp")
    query = _where(select(group, *_aggregates(engine.dialect.name)), filters).group_by(group)
    with engine.connect() as connection:
        return {str(r[0]): _figures(r[1:]) for r in connection.execute(query)}


def query_cells(
    engine: Engine, period: str, by: str, filters: Filters
) -> dict[tuple[dt.date, str], Figures]:
    """Figures per period × group."""
    dialect = engine.dialect.name
    start = _period_start(dialect, period).label("period")
    group = _group_column(by).label("grp")
    query = _where(select(start, group, *_aggregates(dialect)), filters).group_by(start, group)
    with engine.connect() as connection:
        return {(_as_date(r[0]), str(r[1])): _figures(r[2:]) for r in connection.execute(query)}


def stats_table(
    engine: Engine,
    *,
    period: str = "week",
    by: str = "intent",
    filters: Filters | None = None,
    k: int = 5,
    totals: Totals | None = None,
    group_totals: Mapping[str, Figures] | None = None,
) -> StatsTable:
    """Query and suppress one table. ``totals``/``group_totals`` reuse earlier query results."""
    chosen = filters = filters or Filters()
    stale = totals is None or totals.period != period or totals.filters != filters
    calls: dict[str, Callable[[], Any]] = {"cells": lambda: query_cells(engine, period, by, chosen)}
    if stale:
        calls["periods"] = lambda: query_period_totals(engine, period, chosen)
        calls["total"] = lambda: query_grand_total(engine, chosen)
    if group_totals is None:
        calls["groups"] = lambda: query_group_totals(engine, by, chosen)
    results = dict(zip(calls, run_parallel(list(calls.values())), strict=True))
    cells = results["cells"]
    if stale or totals is None:
        totals = Totals(period, filters, results["periods"], results["total"])
    if group_totals is None:
        group_totals = results["groups"]
    return build_table(
        period=period,
        by=by,
        filters=filters,
        k=k,
        cells=cells,
        period_totals=totals.by_period,
        group_totals=group_totals,
        total=totals.total,
    )


# -- suppression ----------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)
#: A node of the suppression graph: ("r", period) or ("c", group); ``_TOTAL`` for the margins.
Node = tuple[str, object]


class _Total:
    """The margin's place in the suppression graph (a group could be called anything)."""

    def __repr__(self) -> str:
        return ALL


_TOTAL = _Total()


def _order(key: object, figures: Figures) -> tuple[int, int, str]:
    """Which entry to hide first as a complement: the fewest children, then fewest messages."""
    return (figures.users, figures.messages, str(key))


def suppress_margin(entries: Mapping[K, Figures], total: Figures, k: int) -> set[K]:
    """Hidden totals along one margin (periods or groups) that adds up to the grand total.

    Depends on the margin alone, so a period's total is hidden in the same way whatever the
    grouping and a group's total in the same way whatever the period: two reports can never
    show what the other hides.
    """
    hidden = {key for key, figures in entries.items() if figures.users < k}
    if total.users >= k and len(hidden) == 1:
        rest = [key for key in entries if key not in hidden]
        if rest:
            hidden.add(min(rest, key=lambda key: _order(key, entries[key])))
    return hidden


def suppress(
    cells: Mapping[tuple[Any, Any], Figures],
    period_totals: Mapping[Any, Figures],
    group_totals: Mapping[Any, Figures],
    total: Figures,
    k: int,
) -> tuple[set[tuple[Any, Any]], set[Any], set[Any], bool]:
    """Decide which entries are hidden: (cells, period totals, group totals, grand total).

    The table, with its totals, is a set of linear equations (each row and column adds up to its
    total). Think of rows and columns as the nodes of a graph and of every hidden entry as an
    edge between its row and its column: a hidden entry can be computed exactly from the shown
    ones if and only if it is a bridge of that graph. Primary suppression hides entries of fewer
    than k children; then, while a bridge remains, the smallest shown cell that closes a cycle
    through it is hidden as well; failing that, the smallest in the line where the bridge is the
    only hidden entry, or else the smallest that extends its part of the graph.
    """
    total_hidden = total.users < k
    rows_hidden = suppress_margin(period_totals, total, k)
    cols_hidden = suppress_margin(group_totals, total, k)
    if total_hidden:  # every entry has at most as many children as the whole
        rows_hidden, cols_hidden = set(period_totals), set(group_totals)
    hidden_cells = {key for key, figures in cells.items() if figures.users < k}

    def entries() -> dict[tuple[Node, Node], tuple[tuple[int, int, str], bool]]:
        """Every entry as an edge, with its order and whether it is hidden."""
        found: dict[tuple[Node, Node], tuple[tuple[int, int, str], bool]] = {}
        for (p, g), figures in cells.items():
            found[(("r", p), ("c", g))] = (_order((p, g), figures), (p, g) in hidden_cells)
        for p, figures in period_totals.items():
            found[(("r", p), ("c", _TOTAL))] = (_order(p, figures), p in rows_hidden)
        for g, figures in group_totals.items():
            found[(("r", _TOTAL), ("c", g))] = (_order(g, figures), g in cols_hidden)
        found[(("r", _TOTAL), ("c", _TOTAL))] = (_order(ALL, total), total_hidden)
        return found

    def hide(edge: tuple[Node, Node]) -> None:
        nonlocal total_hidden
        (_, p), (_, g) = edge
        if p is not _TOTAL and g is not _TOTAL:
            hidden_cells.add((p, g))
        elif g is _TOTAL and p is not _TOTAL:
            rows_hidden.add(p)
        elif p is _TOTAL and g is not _TOTAL:
            cols_hidden.add(g)
        else:
            total_hidden = True

    allow_totals = False
    for _ in range(10 * (len(cells) + len(period_totals) + len(group_totals)) + 10):
        edges = entries()
        hidden_edges = [edge for edge, (_, is_hidden) in edges.items() if is_hidden]
        bridges = _bridges(hidden_edges)
        if not bridges:
            break
        bridge = min(bridges, key=lambda edge: edges[edge][0])
        side_a, side_b = _split(hidden_edges, bridge)
        both = side_a | side_b

        shown = [
            edge
            for edge, (_, is_hidden) in edges.items()
            if not is_hidden and (allow_totals or _TOTAL not in (edge[0][1], edge[1][1]))
        ]
        closing = [
            (row, col)
            for row, col in shown
            if (row in side_a and col in side_b) or (row in side_b and col in side_a)
        ]
        # A bridge with a lone hidden entry in its row or column: hide another in that line.
        lone = {node for node in bridge if sum(node in edge for edge in hidden_edges) == 1}
        in_lone_line = [(row, col) for row, col in shown if row in lone or col in lone]
        touching = [(row, col) for row, col in shown if row in both or col in both]
        choice = closing or in_lone_line or touching
        if choice:
            hide(min(choice, key=lambda edge: edges[edge][0]))
        elif not allow_totals:
            # Only totals are left to hide: reports grouped differently may then disagree.
            allow_totals = True
        else:  # pragma: no cover - every entry touching the bridge is hidden already
            logger.warning("suppression: an entry may still be computable from the totals")
            break
    return hidden_cells, rows_hidden, cols_hidden, total_hidden


def _bridges(edges: Iterable[tuple[Node, Node]]) -> list[tuple[Node, Node]]:
    """The bridges of an undirected simple graph (iterative Tarjan)."""
    adjacency: dict[Node, list[tuple[Node, int]]] = defaultdict(list)
    edge_list = list(edges)
    for index, (a, b) in enumerate(edge_list):
        adjacency[a].append((b, index))
        adjacency[b].append((a, index))
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    found: list[tuple[Node, Node]] = []
    counter = 0
    for root in sorted(adjacency, key=str):
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[Node, int, int]] = [(root, -1, 0)]
        while stack:
            node, via, position = stack[-1]
            neighbours = adjacency[node]
            if position < len(neighbours):
                stack[-1] = (node, via, position + 1)
                nxt, index = neighbours[position]
                if index == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, index, 0))
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(edge_list[via])
    return found


def _split(
    edges: Sequence[tuple[Node, Node]], bridge: tuple[Node, Node]
) -> tuple[set[Node], set[Node]]:
    """The two sides a bridge joins: the nodes reached from each end without it."""
    adjacency: dict[Node, list[Node]] = defaultdict(list)
    for a, b in edges:
        if (a, b) != bridge:
            adjacency[a].append(b)
            adjacency[b].append(a)

    def reach(start: Node) -> set[Node]:
        seen = {start}
        queue = deque([start])
        while queue:
            for nxt in adjacency[queue.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    return reach(bridge[0]), reach(bridge[1])


def _helpfulness_shown(figures: Figures, hidden: bool, k: int) -> bool:
    """A helpfulness rate needs k children who answered (with none, there is no rate at all)."""
    return not hidden and (figures.feedback_users == 0 or figures.feedback_users >= k)


def group_entries(group_totals: Mapping[str, Figures], total: Figures, k: int) -> dict[str, Entry]:
    """Totals per group over the whole range, suppressed as in every table's last rows."""
    hidden = set(group_totals) if total.users < k else suppress_margin(group_totals, total, k)
    return {
        group: Entry(None, group, f, group in hidden, _helpfulness_shown(f, group in hidden, k))
        for group, f in sorted(group_totals.items())
    }


def build_table(
    *,
    period: str,
    by: str,
    filters: Filters,
    k: int,
    cells: Mapping[tuple[dt.date, str], Figures],
    period_totals: Mapping[dt.date, Figures],
    group_totals: Mapping[str, Figures],
    total: Figures,
) -> StatsTable:
    """Apply small-cell suppression to queried figures."""
    hidden_cells, rows_hidden, cols_hidden, total_hidden = suppress(
        cells, period_totals, group_totals, total, k
    )

    def entry(period_: dt.date | None, group: str | None, figures: Figures, hidden: bool) -> Entry:
        return Entry(period_, group, figures, hidden, _helpfulness_shown(figures, hidden, k))

    return StatsTable(
        period=period,
        by=by,
        filters=filters,
        k=k,
        periods=tuple(sorted(period_totals)),
        groups=tuple(sorted(group_totals)),
        cells={key: entry(*key, f, key in hidden_cells) for key, f in cells.items()},
        period_totals={p: entry(p, None, f, p in rows_hidden) for p, f in period_totals.items()},
        group_totals={g: entry(None, g, f, g in cols_hidden) for g, f in group_totals.items()},
        total=entry(None, None, total, total_hidden),
    )


# -- output -----------------------------------------------------------------------------------

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
    return f" ({', '.join(parts)})" if parts else ""


def format_csv(table: StatsTable) -> str:
    """CSV with a header row; hidden figures are ``<k``, missing rates are empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table.rows():
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
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
        "min_cell_users": table.k,
        "suppression": suppression_rule(table.k),
        "columns": COLUMN_HELP,
        "rows": table.rows(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


FORMATTERS: dict[str, Callable[[StatsTable], str]] = {
    "table": format_table,
    "csv": format_csv,
    "json": format_json,
}
