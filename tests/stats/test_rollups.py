"""The rollups give every figure the event log gives, key sums included (issue #13 part 2).

Each test writes generated events the way the bot does (``write_events``: in batches, out of
time order, some children sharing a child key), then compares every query the statistics make,
for many filters, with the same query on the events table (``tests/support/raw_figures.py``,
the statistics' SQL from before the rollups): the same counts and the same key sums, so the same
noise. Then the same after a rebuild (the migration's backfill), the migration itself, a
/forget, a key rotation, a purge, and writers on several connections at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import Engine, column, func, insert, inspect, select, table, text

from bot.key_rotation import rehash_pseudonyms
from bot.stats import (
    DIMENSIONS,
    DataSpan,
    Figures,
    Filters,
    query_cells,
    query_data_span,
    query_grand_total,
    query_group_totals,
    query_period_totals,
    stats_table,
)
from bot.stats.table import period_end
from bot.storage.database import downgrade, session_factory, upgrade
from bot.storage.event_writes import write_events
from bot.storage.models import Base, Event, RollupChildren
from bot.storage.profiles import ProfileStore
from bot.storage.record_keys import KEY_RANGE, child_key
from bot.storage.retention import purge
from bot.storage.rollups import NO_PREVIOUS, read_horizon, rebuild
from bot.storage.rollups.children import Activity, Tally, atom, tally_key
from tests.support import raw_figures as raw

FIRST_MONDAY = dt.date(2026, 9, 21)
WEEKS = 10  # 21 September to 29 November: parts of three months
LOCALES = {"en": ("GB", "IE", None), "ru": ("RU", "UA"), "tr": ("TR",)}
INTENTS = ("grooming", "privacy", "self_harm", "greet", None)


def generated(seed: int, children: int = 90) -> list[dict[str, Any]]:
    """Events of children who come back over the weeks, in every kind the log knows."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for number in range(children):
        pseudonym = f"{seed:08x}{number:056x}"
        locale = rng.choice(list(LOCALES))
        country = rng.choice(LOCALES[locale])
        weeks = sorted(rng.sample(range(WEEKS), rng.choice((1, 1, 2, 3, 5))))
        for week in weeks:
            for _ in range(rng.randint(1, 3)):
                day = FIRST_MONDAY + dt.timedelta(days=7 * week + rng.randrange(7))
                hour = dt.datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=dt.UTC)
                intent = rng.choice(INTENTS)
                kind = rng.choices(("text", "button", "command", "media"), (6, 2, 1, 1))[0]
                rows.append(
                    {
                        "hour": hour,
                        "pseudonym": pseudonym,
                        "kind": kind,
                        "intent": intent,
                        "confidence_band": "high",
                        "locale": locale,
                        "country": country,
                        "escalation": rng.choice(("none", "none", "helpline", "crisis")),
                        "crisis_net": rng.random() < 0.1,
                        "clarified": rng.random() < 0.2,
                        "engine": rng.choice(("rasa", "spacy", "spacy-fallback", None)),
                        "helpful": None,
                        "record_key": rng.randrange(KEY_RANGE),
                    }
                )
                if rng.random() < 0.3:
                    rows.append(
                        {
                            **rows[-1],
                            "kind": "feedback",
                            "helpful": rng.random() < 0.7,
                            "record_key": rng.randrange(KEY_RANGE),
                        }
                    )
    # Two pairs of children share a child key (2^31 keys: it happens at a few thousand).
    keys = {row["pseudonym"]: child_key(row["pseudonym"]) for row in rows}
    pseudonyms = sorted(keys)
    for first, second in ((pseudonyms[0], pseudonyms[1]), (pseudonyms[2], pseudonyms[5])):
        keys[second] = keys[first]
    for row in rows:
        row["child_key"] = keys[row["pseudonym"]]
    rng.shuffle(rows)  # the writers see events out of order: late ones change earlier links
    return rows


def write(engine: Engine, rows: list[dict[str, Any]], batch: int = 37) -> None:
    """Write as the event log does, a batch per transaction."""
    sessions = session_factory(engine)
    for start in range(0, len(rows), batch):
        with sessions.begin() as session:
            write_events(session, rows[start : start + batch], dt.datetime.now(dt.UTC))


def exact(found: Mapping[Any, Figures] | Figures) -> Any:
    """Figures with their key sums (``Figures`` compares counts only)."""
    if isinstance(found, Figures):
        return (found, found.keys)
    return {key: (figures, figures.keys) for key, figures in found.items()}


def every_filter(period: str) -> Iterator[Filters]:
    """Ranges of whole periods (open, from, until, one, several) under many filters."""
    last = FIRST_MONDAY + dt.timedelta(days=7 * WEEKS - 1)
    first_start = FIRST_MONDAY if period == "week" else FIRST_MONDAY.replace(day=1)
    second = FIRST_MONDAY + dt.timedelta(days=14) if period == "week" else dt.date(2026, 10, 1)
    ranges = [
        (None, None),
        (second, None),
        (None, period_end(second, period)),
        (second, period_end(second, period)),
        (first_start, period_end(last, period)),
        (second, period_end(second + dt.timedelta(days=40), period)),
    ]
    dimensions = [
        (None, None, None),
        ("en", None, None),
        (None, "GB", None),
        ("ru", "UA", None),
        (None, None, "privacy"),
        ("en", "IE", "grooming"),
        ("tr", "GB", None),  # no such events
    ]
    for (since, until), (locale, country, intent) in itertools.product(ranges, dimensions):
        yield Filters(since, until, locale, country, intent)


def assert_same_as_the_events(engine: Engine, periods: tuple[str, ...] = ("week", "month")) -> int:
    """Every query the statistics make gives what the events give; returns how many figures."""
    compared = 0
    for period in periods:
        for filters in every_filter(period):
            total = query_grand_total(engine, filters)
            assert exact(total) == exact(raw.query_grand_total(engine, filters)), filters
            periods_found = query_period_totals(engine, period, filters)
            assert exact(periods_found) == exact(
                raw.query_period_totals(engine, period, filters)
            ), (period, filters)
            compared += 1 + len(periods_found)
            for by in DIMENSIONS:
                groups = query_group_totals(engine, by, filters)
                assert exact(groups) == exact(raw.query_group_totals(engine, by, filters)), (
                    by,
                    filters,
                )
                cells = query_cells(engine, period, by, filters)
                assert exact(cells) == exact(raw.query_cells(engine, period, by, filters)), (
                    period,
                    by,
                    filters,
                )
                compared += len(groups) + len(cells)
    return compared


def test_the_rollups_give_the_figures_and_keys_the_events_give(database: Engine) -> None:
    write(database, generated(1))
    assert assert_same_as_the_events(database) > 3000
    # The migration's backfill (a recount from the events table) gives the same rows.
    written = rollup_rows(database)
    with database.begin() as connection:
        rebuild(connection)
    assert rollup_rows(database) == written
    assert_same_as_the_events(database, ("month",))


def rollup_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row that counts something (a writer may leave rows of zeros), in order."""
    found = {}
    with engine.connect() as connection:
        for name in ("rollup_days", "rollup_periods", "rollup_children"):
            table = Base.metadata.tables[name]
            keys = len(table.primary_key.columns)
            rows = connection.execute(select(table)).all()
            found[table.name] = sorted(tuple(r) for r in rows if any(r[keys:]))
    return found


def test_a_range_counts_each_child_once_whatever_its_bounds() -> None:
    """The link arithmetic against a plain distinct count, for every range of weeks."""
    rng = random.Random(3)
    weeks = [FIRST_MONDAY + dt.timedelta(days=7 * i) for i in range(12)]
    active = {child: set(rng.sample(weeks, rng.randint(1, 6))) for child in range(40)}
    tally = Tally()
    for child, starts in active.items():
        activity = Activity()
        for start in starts:
            activity.add(atom(start, "en", "GB", "privacy"), answered=False)
        tally_key(tally, {f"{child}": activity}, child + 1, {"week": None, "month": None})
    links = [(link, values) for link, values in tally.items() if link[0] == "week" and link[1] == 0]
    for a, b in itertools.combinations_with_replacement(weeks, 2):
        counted = sum(
            v[0] for (*_, start, previous), v in links if a <= start <= b and previous < a
        )
        keys = sum(v[1] for (*_, start, previous), v in links if a <= start <= b and previous < a)
        present = [c for c, starts in active.items() if any(a <= s <= b for s in starts)]
        assert counted == len(present)
        assert keys == sum(c + 1 for c in present)


async def test_forget_takes_the_child_out_of_every_figure(database: Engine) -> None:
    rows = generated(2, children=40)
    write(database, rows)
    store = ProfileStore(session_factory(database), timeout_seconds=5)
    # One child alone under their key, and one of a pair that shares a key.
    by_key: dict[int, set[str]] = {}
    for row in rows:
        by_key.setdefault(row["child_key"], set()).add(row["pseudonym"])
    alone = min(next(ps for ps in by_key.values() if len(ps) == 1))
    shared = min(next(ps for ps in by_key.values() if len(ps) == 2))
    last = max(rows, key=lambda row: row["hour"])["pseudonym"]  # the days of data change too
    for pseudonym in {alone, shared, last}:
        assert await store.forget(pseudonym) > 0
    with database.connect() as connection:
        left = connection.execute(select(Event.id).where(Event.pseudonym.in_([alone, shared])))
        assert not left.all()
        first, latest = connection.execute(select(func.min(Event.hour), func.max(Event.hour))).one()
    assert query_data_span(database) == DataSpan(first.date(), latest.date())
    assert_same_as_the_events(database, ("week",))


def test_a_key_rotation_recounts_the_children_with_the_new_keys(database: Engine) -> None:
    write(database, generated(4, children=40))
    before = stats_table(database, period="month", by="country", k=5, perturb=False)
    rehash_pseudonyms(database)
    assert_same_as_the_events(database, ("month",))
    after = stats_table(database, period="month", by="country", k=5, perturb=False)
    assert after.rows() == before.rows()  # the same figures; only their noise is new


def test_the_purge_seals_what_it_deletes_and_the_rest_stays_exact(database: Engine) -> None:
    rows = generated(5)
    # Two children who write in the first week and again after the purge's cut-off.
    for number, pseudonym in enumerate(("a" * 64, "b" * 64)):
        for day in (FIRST_MONDAY, FIRST_MONDAY + dt.timedelta(days=7 * WEEKS - 1)):
            rows.append(
                {
                    **rows[0],
                    "hour": dt.datetime(day.year, day.month, day.day, 9 + number, tzinfo=dt.UTC),
                    "pseudonym": pseudonym,
                    "child_key": child_key(pseudonym),
                    "kind": "text",
                    "helpful": None,
                }
            )
    write(database, rows)
    everything = Filters()
    before = query_grand_total(database, everything)
    weekly_before = query_period_totals(database, "week", everything)
    # A cut-off on a Wednesday of the fourth week: the first four weeks are sealed.
    cutoff_day = FIRST_MONDAY + dt.timedelta(days=7 * 3 + 2)
    now = dt.datetime(cutoff_day.year, cutoff_day.month, cutoff_day.day, 5, tzinfo=dt.UTC)
    result = purge(database, retention_days=0, now=now)
    assert result.events > 0
    bound = FIRST_MONDAY + dt.timedelta(days=7 * 4)
    with database.connect() as connection:
        assert read_horizon(connection).bound("week") == bound
        # No link from a period still followed back into a sealed one.
        back = connection.execute(
            select(func.count())
            .select_from(RollupChildren)
            .where(
                RollupChildren.period == "week",
                RollupChildren.start >= bound,
                RollupChildren.previous > NO_PREVIOUS,
                RollupChildren.previous < bound,
            )
        ).scalar_one()
    assert back == 0
    # Whole weeks after the seal: exactly what the events still held give.
    kept = Filters(since=bound)
    assert exact(query_grand_total(database, kept)) == exact(raw.query_grand_total(database, kept))
    assert exact(query_cells(database, "week", "intent", kept)) == exact(
        raw.query_cells(database, "week", "intent", kept)
    )
    # Sealed weeks keep their counts (their events are gone), with new key sums.
    weekly_after = query_period_totals(database, "week", everything)
    for start, figures in weekly_before.items():
        assert weekly_after[start] == figures  # counts
        if start < bound:
            assert weekly_after[start].keys != figures.keys
        else:
            assert weekly_after[start].keys == figures.keys
    # Over every week, children who came back after the cut-off count as new: those with
    # events on both sides of it count twice, messages once.
    after = query_grand_total(database, everything)
    assert after.messages == before.messages
    assert after.users > before.users  # at least "a" and "b", who wrote on both sides
    # The purge runs daily: the second one finds the rollups sealed already.
    purge(database, retention_days=0, now=now)
    assert query_grand_total(database, everything) == after


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_writers_at_once_on_postgresql_count_every_event_once(database: Engine) -> None:
    """Several replicas' event logs writing the same children's events at the same time."""
    rows = generated(6, children=60)
    writers = 6
    share = [rows[i::writers] for i in range(writers)]  # every child in every writer's share
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def run(part: list[dict[str, Any]]) -> None:
        try:
            start.wait()
            write(database, part, batch=5)
        except BaseException as error:  # reported below, with its class
            failures.append(error)

    threads = [threading.Thread(target=run, args=(part,)) for part in share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, [type(f).__name__ for f in failures]
    with database.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Event)).scalar() == len(rows)
    assert_same_as_the_events(database, ("week",))


def test_a_spool_drained_after_an_outage_is_counted_in_one_write(database: Engine) -> None:
    """Thousands of children in one write (the keys are read a few hundred at a time)."""
    rows = generated(8, children=1200)
    write(database, rows, batch=len(rows))
    for filters in (Filters(), Filters(locale="ru")):
        total = query_grand_total(database, filters)
        assert exact(total) == exact(raw.query_grand_total(database, filters))
        assert total.users == len(
            {row["pseudonym"] for row in rows if filters.locale in (None, row["locale"])}
        )


def test_the_migration_counts_the_events_held_and_goes_back(database: Engine) -> None:
    downgrade(database, "0010")
    rows = generated(7, children=30)
    # The events table as revision 0010 has it (Event, the model, is at the latest revision).
    events = table("events", *(column(name, Event.__table__.c[name].type) for name in rows[0]))
    with database.begin() as connection:
        connection.execute(insert(events), rows)
    upgrade(database)  # the backfill
    assert_same_as_the_events(database, ("month",))
    downgrade(database, "0010")
    tables = set(inspect(database).get_table_names())
    assert not {"rollup_days", "rollup_periods", "rollup_children", "rollup_horizon"} & tables
    assert "ix_events_child_key" not in {i["name"] for i in inspect(database).get_indexes("events")}
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == len(rows)
    upgrade(database)
    assert_same_as_the_events(database, ("week",))
