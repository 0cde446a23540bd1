"""Small-cell suppression: the privacy-critical part of the statistics.

Entries whose population is below k are shown as ``<k``, every figure of them, rates included.
Because message counts add up along rows and columns, hiding one cell of a line whose total is
shown would let anyone work it out by subtraction; :func:`suppress` therefore also hides
complementary entries until no hidden count can be computed exactly from what is shown (no hidden
entry is a *bridge* of the graph of hidden entries: see :func:`_bridges`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from bot.stats.perturbation import PTable
from bot.stats.perturbation import perturb as perturb_figures
from bot.stats.table import ALL, Entry, Figures, Filters, StatsTable

logger = logging.getLogger(__name__)

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


def _published(figures: Figures, k: int, perturb: bool) -> Figures:
    """The figures as shown: perturbed (see ``bot.stats.perturbation``), or true in tests."""
    return perturb_figures(figures, PTable(k)) if perturb else replace(figures, keys=None)


def _entry(
    period: dt.date | None, group: str | None, figures: Figures, hidden: bool, k: int, perturb: bool
) -> Entry:
    """An entry: hidden or not by its true figures, showing its published ones."""
    shown = _helpfulness_shown(figures, hidden, k)
    return Entry(period, group, _published(figures, k, perturb), hidden, shown)


def group_entries(
    group_totals: Mapping[str, Figures], total: Figures, k: int, *, perturb: bool = True
) -> dict[str, Entry]:
    """Totals per group over the whole range, suppressed as in every table's last rows."""
    hidden = set(group_totals) if total.users < k else suppress_margin(group_totals, total, k)
    return {
        group: _entry(None, group, f, group in hidden, k, perturb)
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
    notes: tuple[str, ...] = (),
    perturb: bool = True,
) -> StatsTable:
    """Apply small-cell suppression to queried figures, then the cell-key noise.

    Which entries are hidden depends on the true figures; every entry, totals included, is
    then perturbed by its own cell key (a total is never the sum of perturbed parts).
    """
    hidden_cells, rows_hidden, cols_hidden, total_hidden = suppress(
        cells, period_totals, group_totals, total, k
    )

    def entry(period_: dt.date | None, group: str | None, figures: Figures, hidden: bool) -> Entry:
        return _entry(period_, group, figures, hidden, k, perturb)

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
        notes=notes,
        perturbed=perturb,
    )
