"""Reviewers' statistics: figures computed in SQL on both databases, small cells suppressed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import math
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from bot.settings import Settings
from bot.stats import (
    ALL,
    MAX_NOISE,
    Figures,
    Filters,
    PTable,
    StatsTable,
    build_table,
    format_csv,
    format_json,
    format_table,
    stats_table,
    suppress,
)
from bot.storage.database import session_factory
from bot.storage.event_writes import write_events
from bot.storage.record_keys import KEY_RANGE

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
pytestmark = pytest.mark.time_sensitive

K = 5
W1 = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)  # a Monday
W2 = dt.datetime(2026, 11, 9, 10, tzinfo=dt.UTC)
W3 = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)


def event(hour: dt.datetime, pseudonym: str, **values: Any) -> dict[str, Any]:
    """One events row with plausible defaults."""
    row: dict[str, Any] = {
        "hour": hour,
        "pseudonym": pseudonym,
        "kind": "text",
        "intent": "privacy",
        "confidence_band": "high",
        "locale": "en",
        "country": "GB",
        "escalation": "none",
        "button": None,
        "crisis_net": False,
        "clarified": False,
        "engine": "spacy",
        "helpful": None,
    }
    row.update(values)
    return row


_serial = itertools.count()


def children(count: int) -> list[str]:
    """Fresh pseudonyms."""
    return [f"{next(_serial):064x}" for _ in range(count)]


def add(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Write rows as the event log does (the statistics read the rollups it keeps)."""
    with session_factory(engine).begin() as session:
        write_events(session, rows, dt.datetime.now(dt.UTC))


#: The complementary-cell case: only (W1, grooming) has fewer than 5 children.
COMPLEMENT_CASE = {
    (W1, "grooming"): 2,
    (W1, "privacy"): 6,
    (W1, "cyberbullying"): 9,
    (W2, "grooming"): 7,
    (W2, "privacy"): 8,
    (W2, "cyberbullying"): 10,
}
#: What must be hidden: the small cell, the next smallest of its week, and their partners in W2
#: (otherwise the grooming and privacy totals would give them away).
COMPLEMENT_HIDDEN = {
    ("2026-11-02", "grooming"),
    ("2026-11-02", "privacy"),
    ("2026-11-09", "grooming"),
    ("2026-11-09", "privacy"),
}


def seed_complement_case(engine: Engine) -> None:
    """Distinct children per cell as in COMPLEMENT_CASE, two messages each."""
    rows = []
    for (hour, intent), count in COMPLEMENT_CASE.items():
        for pseudonym in children(count):
            rows += [event(hour, pseudonym, intent=intent) for _ in range(2)]
    add(engine, rows)


def seed_small_total_case(engine: Engine) -> None:
    """The complement case plus a third week with only 3 children (its total is hidden)."""
    seed_complement_case(engine)
    add(engine, [event(W3, p, intent="privacy") for p in children(3)])


# -- figures ----------------------------------------------------------------------------------


def test_figures_per_week_and_intent(database: Engine) -> None:
    rows = []
    helpers = children(6)
    for i, p in enumerate(helpers):
        rows.append(
            event(
                W1,
                p,
                intent="grooming",
                escalation="helpline" if i < 3 else "none",
                crisis_net=i == 0,
                clarified=i < 2,
                engine="spacy-fallback" if i == 5 else "rasa",
            )
        )
        rows.append(event(W1, p, kind="feedback", intent="grooming", helpful=i < 4, engine=None))
        rows.append(event(W1, p, kind="button", intent="grooming", engine="button"))
    add(database, rows)
    table = stats_table(database, perturb=False, period="week", by="intent", k=K)
    assert table.periods == (dt.date(2026, 11, 2),)
    cell = table.cells[(dt.date(2026, 11, 2), "grooming")]
    assert cell.figures == Figures(
        users=6,
        messages=12,
        escalations=3,
        crisis_net=1,
        text_messages=6,
        clarified=2,
        fallbacks=1,
        feedback=6,
        helpful=4,
        feedback_users=6,
    )
    shown = cell.values(K)
    assert shown == {
        "period": "2026-11-02",
        "group": "grooming",
        "messages": 12,
        "users": 6,
        "escalation_rate": 25.0,
        "crisis_net_rate": 8.3,
        "clarification_rate": 33.3,
        "helpfulness_rate": 66.7,
        "rasa_fallbacks": 1,
    }
    assert table.total.values(K)["messages"] == 12


def test_weeks_start_on_monday_months_on_the_first_and_until_is_included(
    database: Engine,
) -> None:
    sunday_night = dt.datetime(2026, 11, 8, 23, tzinfo=dt.UTC)
    monday = dt.datetime(2026, 11, 9, 0, tzinfo=dt.UTC)
    december = dt.datetime(2026, 12, 1, 0, tzinfo=dt.UTC)
    add(database, [event(h, p) for h in (sunday_night, monday, december) for p in children(5)])
    weeks = stats_table(database, perturb=False, period="week", k=K)
    assert weeks.periods == (dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 30))
    months = stats_table(database, perturb=False, period="month", k=K)
    assert months.periods == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert months.period_totals[dt.date(2026, 11, 1)].figures.messages == 10
    until_sunday = stats_table(
        database, perturb=False, filters=Filters(until=dt.date(2026, 11, 8)), k=K
    )
    assert until_sunday.total.figures.messages == 5
    from_monday = stats_table(
        database, perturb=False, filters=Filters(since=dt.date(2026, 11, 9)), k=K
    )
    assert from_monday.total.figures.messages == 10


def test_groups_and_filters(database: Engine) -> None:
    rows = [event(W1, p, locale="en", country="GB") for p in children(5)]
    rows += [event(W1, p, locale="ru", country=None, intent=None) for p in children(6)]
    add(database, rows)
    by_country = stats_table(database, perturb=False, by="country", k=K)
    assert by_country.groups == ("(unknown)", "GB")
    by_intent = stats_table(database, perturb=False, by="intent", k=K)
    assert "(none)" in by_intent.groups
    only_ru = stats_table(database, perturb=False, by="locale", filters=Filters(locale="ru"), k=K)
    assert only_ru.groups == ("ru",) and only_ru.total.figures.users == 6
    only_gb = stats_table(database, perturb=False, by="locale", filters=Filters(country="GB"), k=K)
    assert only_gb.total.figures.users == 5


def test_distinct_children_are_counted_once_per_cell(database: Engine) -> None:
    one, two = children(2)
    add(database, [event(W1, one) for _ in range(9)] + [event(W2, one), event(W2, two)])
    table = stats_table(database, perturb=False, k=3)
    assert table.total.figures.users == 2 and table.total.figures.messages == 11
    assert table.period_totals[dt.date(2026, 11, 2)].figures.users == 1


# -- suppression ------------------------------------------------------------------------------


def hidden_keys(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(str(r["period"]), str(r["group"])) for r in rows if r["messages"] == f"<{K}"}


def check_rows(rows: list[dict[str, Any]], expected_hidden: set[tuple[str, str]]) -> None:
    """Hidden entries show <k in every column; shown entries have k children or more."""
    assert hidden_keys(rows) == expected_hidden
    for row in rows:
        key = (str(row["period"]), str(row["group"]))
        if key in expected_hidden:
            # Counts read "<k"; rates read "hidden", never "<k" (which would mean "under k %").
            assert all(row[c] == "hidden" for c in row if c.endswith("_rate")), row
            assert all(
                v == f"<{K}"
                for c, v in row.items()
                if c not in ("period", "group") and not c.endswith("_rate")
            ), row
        else:
            assert int(row["users"]) >= K, row
            # Each figure has its own noise: a shown cell may show up to 4 messages too few.
            assert int(row["messages"]) >= int(row["users"]) - 2 * MAX_NOISE


def parse_table(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("period"))
    names = [
        "period",
        "group",
        "messages",
        "users",
        "escalation_rate",
        "crisis_net_rate",
        "clarification_rate",
        "helpfulness_rate",
        "rasa_fallbacks",
    ]
    rows = []
    for line in lines[header + 2 :]:
        if not line.strip():
            continue
        if line.startswith("Counts computed"):
            break
        rows.append(dict(zip(names, line.split(), strict=True)))
    return rows


def all_formats(table: StatsTable) -> dict[str, list[dict[str, Any]]]:
    return {
        "table": parse_table(format_table(table)),
        "csv": list(csv.DictReader(io.StringIO(format_csv(table)))),
        "json": json.loads(format_json(table))["rows"],
    }


def test_complementary_cells_are_hidden_in_every_format(database: Engine) -> None:
    seed_complement_case(database)
    table = stats_table(database, perturb=False, period="week", by="intent", k=K)
    for name, rows in all_formats(table).items():
        check_rows(rows, COMPLEMENT_HIDDEN)
        totals = {r["group"]: r for r in rows if r["period"] == ALL}
        assert str(totals["grooming"]["messages"]) == "18", name  # shown: 9 children
        # The shown figures cannot give the hidden cell back: two unknowns in every line.
        w1 = [r for r in rows if r["period"] == "2026-11-02"]
        assert sum(r["messages"] == f"<{K}" for r in w1 if r["group"] != ALL) == 2
    assert_not_computable(table)


def test_small_totals_are_hidden_in_every_format(database: Engine) -> None:
    seed_small_total_case(database)
    table = stats_table(database, perturb=False, period="week", by="intent", k=K)
    for rows in all_formats(table).values():
        hidden = hidden_keys(rows)
        assert ("2026-11-16", ALL) in hidden  # 3 children that week
        assert ("2026-11-16", "privacy") in hidden
        # One hidden week total next to a shown grand total: the next smallest week goes too.
        assert ("2026-11-02", ALL) in hidden
        check_rows(rows, hidden)
    assert_not_computable(table)


def test_rates_of_hidden_cells_and_small_feedback_groups_are_hidden(database: Engine) -> None:
    rows = []
    for i, p in enumerate(children(8)):
        rows.append(event(W1, p, intent="grooming"))
        if i < 4:  # only 4 children answered "did this help?"
            rows.append(event(W1, p, kind="feedback", intent="grooming", helpful=True))
    add(database, rows)
    table = stats_table(database, perturb=False, k=K)
    shown = table.total.values(K)
    assert shown["users"] == 8 and shown["escalation_rate"] == 0.0
    assert shown["helpfulness_rate"] == "hidden"


def test_a_larger_k_hides_more(database: Engine) -> None:
    seed_complement_case(database)
    table = stats_table(database, perturb=False, k=8)
    assert table.cells[(dt.date(2026, 11, 2), "privacy")].suppressed
    assert table.cells[(dt.date(2026, 11, 9), "cyberbullying")].suppressed is False


def test_k_below_three_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="MIN_CELL_USERS"):
        Settings(data_dir=tmp_path, min_cell_users=2)
    assert Settings(data_dir=tmp_path, min_cell_users=3).min_cell_users == 3


def test_the_next_smallest_cell_of_the_row_is_the_complement() -> None:
    w1, w2 = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
    users = {
        (w1, "a"): 2,
        (w1, "b"): 10,
        (w1, "c"): 20,
        (w2, "a"): 30,
        (w2, "b"): 40,
        (w2, "c"): 50,
    }
    cells = {key: Figures(users=n, messages=2 * n) for key, n in users.items()}
    table = build_table(
        period="week",
        by="intent",
        filters=Filters(),
        k=K,
        cells=cells,
        period_totals={w1: Figures(users=32, messages=64), w2: Figures(users=120, messages=240)},
        group_totals={g: Figures(users=100, messages=200) for g in "abc"},
        total=Figures(users=152, messages=304),
        perturb=False,
    )
    hidden = {key for key, entry in table.cells.items() if entry.suppressed}
    assert hidden == {(w1, "a"), (w1, "b"), (w2, "a"), (w2, "b")}
    assert not any(e.suppressed for e in table.period_totals.values())


def random_case(
    rng: random.Random,
) -> tuple[dict[Any, Figures], dict[Any, Figures], dict[Any, Figures], Figures]:
    """Children spread over random periods × groups, with their true distinct totals."""
    periods, groups = rng.randint(1, 7), rng.randint(1, 7)
    members: dict[tuple[int, int], set[int]] = {}
    for child in range(rng.choice([3, 12, 40, 150])):
        for _ in range(rng.randint(1, 3)):
            key = (rng.randrange(periods), min(groups - 1, int(rng.expovariate(0.7))))
            members.setdefault(key, set()).add(child)
    cells = {key: Figures(users=len(m), messages=2 * len(m)) for key, m in members.items()}

    def margin(index: int) -> dict[int, Figures]:
        found: dict[int, set[int]] = {}
        messages: dict[int, int] = {}
        for key, m in members.items():
            found.setdefault(key[index], set()).update(m)
            messages[key[index]] = messages.get(key[index], 0) + 2 * len(m)
        return {k: Figures(users=len(v), messages=messages[k]) for k, v in found.items()}

    everyone = set().union(*members.values()) if members else set()
    total = Figures(users=len(everyone), messages=sum(f.messages for f in cells.values()))
    return cells, margin(0), margin(1), total


def computable(
    cells: dict[Any, Figures],
    rows: dict[Any, Figures],
    cols: dict[Any, Figures],
    hidden: tuple[set[Any], set[Any], set[Any], bool],
) -> list[object]:
    """Hidden entries that the row, column and grand-total equations determine exactly."""
    hidden_cells, hidden_rows, hidden_cols, hidden_total = hidden
    unknowns: list[object] = [("cell", c) for c in sorted(hidden_cells)]
    unknowns += [("row", r) for r in sorted(hidden_rows)] + [
        ("col", c) for c in sorted(hidden_cols)
    ]
    if hidden_total:
        unknowns.append(("total", None))
    if not unknowns:
        return []
    index = {u: i for i, u in enumerate(unknowns)}
    equations = []

    def equation(parts: list[object], whole: object) -> None:
        row = np.zeros(len(unknowns))
        for part in parts:
            if part in index:
                row[index[part]] += 1
        if whole in index:
            row[index[whole]] -= 1
        equations.append(row)

    for r in rows:
        equation([("cell", c) for c in cells if c[0] == r], ("row", r))
    for g in cols:
        equation([("cell", c) for c in cells if c[1] == g], ("col", g))
    equation([("row", r) for r in rows], ("total", None))
    equation([("col", g) for g in cols], ("total", None))
    matrix = np.array(equations)
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for unknown, i in index.items():
        probe = np.zeros(len(unknowns))
        probe[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, probe])) == rank:
            found.append(unknown)
    return found


def assert_not_computable(table: StatsTable) -> None:
    cells = {key: entry.figures for key, entry in table.cells.items()}
    rows = {key: entry.figures for key, entry in table.period_totals.items()}
    cols = {key: entry.figures for key, entry in table.group_totals.items()}
    hidden = (
        {key for key, entry in table.cells.items() if entry.suppressed},
        {key for key, entry in table.period_totals.items() if entry.suppressed},
        {key for key, entry in table.group_totals.items() if entry.suppressed},
        table.total.suppressed,
    )
    assert computable(cells, rows, cols, hidden) == []


def test_no_hidden_figure_can_be_computed_from_the_shown_ones() -> None:
    rng = random.Random(5)
    for _ in range(300):
        cells, rows, cols, total = random_case(rng)
        hidden = suppress(cells, rows, cols, total, K)
        hidden_cells = hidden[0]
        assert {key for key, f in cells.items() if f.users < K} <= hidden_cells
        assert {key for key, f in rows.items() if f.users < K} <= hidden[1]
        assert computable(cells, rows, cols, hidden) == []


def test_csv_cells_never_start_a_formula_in_a_spreadsheet(database: Engine) -> None:
    # Group values a spreadsheet would run (issue #13; the country column holds 3 characters).
    hostile = ["=1", "+1", "-1+", "@A1"]
    for value in hostile:
        add(database, [event(W1, p, country=value) for p in children(6)])
    table = stats_table(database, by="country", k=K)
    rows = list(csv.DictReader(io.StringIO(format_csv(table))))
    groups = {row["group"] for row in rows}
    assert {"'" + value for value in hostile} <= groups
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "@")), cell
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit(), cell


def test_the_noise_of_a_key_is_the_one_its_fraction_picks() -> None:
    """Published values are found with whole-number thresholds: the same as with fractions,
    at each threshold and either side of it."""
    for k in (3, 5, 8):
        table = PTable(k)
        for true in range(0, 25):
            reached = Fraction(0)
            keys = [0, KEY_RANGE - 1, 3 * KEY_RANGE + 17]
            for _, probability in table.row(true):
                reached += probability
                edge = reached * KEY_RANGE
                keys += [
                    math.floor(edge) - 1,
                    math.floor(edge),
                    math.ceil(edge),
                    math.ceil(edge) + 1,
                ]
            for key in (key for key in keys if key >= 0):
                cell_key, found = Fraction(key % KEY_RANGE, KEY_RANGE), Fraction(0)
                expected = table.row(true)[-1][0]
                for value, probability in table.row(true):
                    found += probability
                    if cell_key < found:
                        expected = value
                        break
                assert table.publish(true, key) == expected, (k, true, key)
