"""Time the reviewers' statistics on generated events, on SQLite and on PostgreSQL.

    python benchmarks/stats_queries.py [--events 10000000] [--postgres URL] [--only sqlite]
                                       [--repeats 20] [--write]

Seeds demo events (52 weeks) into a temporary SQLite file and a temporary PostgreSQL database
(default: the server at 127.0.0.1:5432, user postgres) with bulk inserts (one executemany
transaction on SQLite, COPY on PostgreSQL), schema and indexes from the migrations; builds the
rollups through the migration's backfill (``bot.storage.rollups.rebuild``); then times every
report (``safebot stats``'s tables) and every dashboard page (requests to the dashboard app
itself, logged in, nothing cached) REPEATS times after a warm-up: median and 95th percentile.
Last, the rollups' upkeep: batches of 200 events (children coming back and new ones, in the
data's last week) written through the writers' own path (``write_events``), alternately with
the rollups and without them (the write as it was before), per 1,000 events; and the size of
the database. ``--write`` records the results in benchmarks/STATS_RESULTS.md, below the
1,000,000-event figures measured before the rollups.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import math
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.dashboard import create_app  # noqa: E402
from bot.demo_data import generate_events  # noqa: E402
from bot.reviewers import add_reviewer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.stats import Filters, format_csv, query_grand_total, stats_table  # noqa: E402
from bot.storage.database import make_engine, session_factory, upgrade  # noqa: E402
from bot.storage.event_writes import _insert_new, write_events  # noqa: E402
from bot.storage.forgotten import drop_refused, lock_for_write  # noqa: E402
from bot.storage.record_keys import KEY_RANGE, child_key  # noqa: E402
from bot.storage.rollups import rebuild, seal  # noqa: E402

WEEKS = 52
COLUMNS = (
    "hour",
    "pseudonym",
    "kind",
    "intent",
    "confidence_band",
    "locale",
    "country",
    "escalation",
    "button",
    "crisis_net",
    "clarified",
    "engine",
    "helpful",
    "record_key",
    "child_key",
)
END = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SEED = 20261123
#: The bot's CPU time per message (benchmarks/RESULTS.md), against which upkeep is compared.
MESSAGE_CPU_MS = 7.0
BATCH = 200
PASSWORD = "benchmark-password-not-a-secret"
ROLLUP_TABLES = ("rollup_days", "rollup_periods", "rollup_children")


def rows(count: int) -> Iterator[dict[str, Any]]:
    """``count`` demo events over 52 weeks (about 5.5 events per child), with their keys."""
    generated = generate_events(users=count, weeks=WEEKS, end=END, rng=random.Random(SEED))
    keys = random.Random(SEED + 1)
    last, key = "", 0
    for row in itertools.islice(generated, count):
        if row["pseudonym"] != last:
            last, key = row["pseudonym"], child_key(row["pseudonym"])
        row["record_key"] = keys.randrange(KEY_RANGE)
        row["child_key"] = key
        yield row


def seed_sqlite(path: Path, count: int) -> float:
    """Bulk-insert into SQLite with the stdlib driver, one transaction."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    placeholders = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({placeholders})"

    def values() -> Iterator[tuple[Any, ...]]:
        for row in rows(count):
            hour = row["hour"].strftime("%Y-%m-%d %H:%M:%S.000000")
            yield (hour, *(row[c] for c in COLUMNS[1:]))

    with connection:
        connection.executemany(sql, values())
    connection.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started


def seed_postgres(url: str, count: int) -> float:
    """Bulk-load into PostgreSQL with COPY."""
    import psycopg

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        copy_sql = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows(count):
                copy.write_row(tuple(row[c] for c in COLUMNS))
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE events")
    return time.perf_counter() - started


def build_rollups(engine: Engine) -> float:
    """The migration's backfill, timed."""
    started = time.perf_counter()
    with engine.begin() as connection:
        rebuild(connection)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE rollup_days"))
            connection.execute(text("VACUUM ANALYZE rollup_periods"))
            connection.execute(text("VACUUM ANALYZE rollup_children"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def reports(engine: Engine) -> dict[str, Callable[[], object]]:
    """``safebot stats`` as reviewers run it, by name."""
    recent = Filters(since=(END - dt.timedelta(weeks=12)).date(), locale="en")
    return {
        "stats, week × intent, all data": lambda: stats_table(engine, period="week", by="intent"),
        "stats, month × country, all data": lambda: stats_table(
            engine, period="month", by="country"
        ),
        "stats, week × locale, last 12 weeks, locale en": lambda: stats_table(
            engine, period="week", by="locale", filters=recent
        ),
        "stats, month × intent, country GB, CSV": lambda: format_csv(
            stats_table(engine, period="month", by="intent", filters=Filters(country="GB"))
        ),
    }


#: Dashboard pages, by name: what a reviewer's browser asks for.
PAGES = {
    "page /, default (week × topic, all data)": "/",
    "page /, month × country": "/?period=month&by=country",
    "page /, week × language, en, last 12 weeks": "/?period=week&by=locale&locale=en&since="
    + (END - dt.timedelta(weeks=12)).date().isoformat(),
    "page /, month × topic, GB, self_harm": "/?period=month&by=intent&country=GB&intent=self_harm",
    "page /report, one month": "/report?month=2026-10",
    "download /export.csv, month × country": "/export.csv?period=month&by=country",
}


def percentile(times: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 95th percentile of ``repeats`` runs after one warm-up, in seconds."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), percentile(times, 0.95)


def time_reports(engine: Engine, repeats: int) -> dict[str, tuple[float, float]]:
    """Every report, timed."""
    results = {}
    for name, run in reports(engine).items():
        results[name] = timed(run, repeats)
        print(f"  {name}: median {results[name][0]:.3f} s, p95 {results[name][1]:.3f} s")
    return results


def time_pages(engine: Engine, repeats: int) -> dict[str, tuple[float, float]]:
    """Every dashboard page through the dashboard app, logged in, nothing cached."""
    add_reviewer(session_factory(engine), "bench", PASSWORD)
    results: dict[str, tuple[float, float]] = {}

    async def run_all() -> None:
        with tempfile.TemporaryDirectory() as directory:
            app = create_app(Settings(data_dir=Path(directory)), engine, cache_seconds=0)
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", timeout=600
            ) as client:
                login = await client.post(
                    "/login", data={"username": "bench", "password": PASSWORD}
                )
                assert login.status_code == 303, login.status_code
                for name, path in PAGES.items():
                    times = []
                    for attempt in range(repeats + 1):
                        started = time.perf_counter()
                        response = await client.get(path)
                        elapsed = time.perf_counter() - started
                        assert response.status_code == 200, (path, response.status_code)
                        if attempt:  # the first is the warm-up
                            times.append(elapsed)
                    results[name] = (statistics.median(times), percentile(times, 0.95))
                    print(
                        f"  {name}: median {results[name][0]:.3f} s, p95 {results[name][1]:.3f} s"
                    )

    asyncio.run(run_all())
    return results


def upkeep_events(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Events of the data's last week as the event log writes them: half of the children come
    back (their earlier events are in the database), half are new."""
    known: list[str] = []
    for row in generate_events(users=5_000, weeks=WEEKS, end=END, rng=random.Random(SEED)):
        if not known or known[-1] != row["pseudonym"]:
            known.append(row["pseudonym"])
        if len(known) >= 5_000:
            break
    fresh = generate_events(users=count, weeks=1, end=END, rng=rng)
    events: list[dict[str, Any]] = []
    renamed: dict[str, str] = {}
    for row in fresh:
        if row["pseudonym"] not in renamed:
            returning = rng.random() < 0.5
            renamed[row["pseudonym"]] = rng.choice(known) if returning else row["pseudonym"]
        row["pseudonym"] = renamed[row["pseudonym"]]
        row["event_id"] = uuid.UUID(int=rng.getrandbits(128))
        events.append(row)
        if len(events) >= count:
            break
    return events


def write_before_rollups(session: Session, rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """The event log's write as it was before the rollups: insert, refuse forgotten children."""
    lock_for_write(session)
    session.execute(_insert_new(session.get_bind().dialect.name), rows)
    drop_refused(session, rows, now)


@dataclass
class Upkeep:
    """Wall and CPU seconds per 1,000 events written, without and with the rollups."""

    wall: dict[str, list[float]] = field(default_factory=lambda: {"without": [], "with": []})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {"without": [], "with": []})

    def per_thousand(self, kind: str, mode: str) -> float:
        """Median seconds per 1,000 events."""
        found = self.wall if kind == "wall" else self.cpu
        return statistics.median(found[mode]) * 1000 / BATCH

    def extra_ms_per_event(self, kind: str) -> float:
        """What the rollups add per event, in milliseconds."""
        return self.per_thousand(kind, "with") - self.per_thousand(kind, "without")


def time_upkeep(engine: Engine, batches: int) -> Upkeep:
    """Batches of events written alternately without and with the rollups."""
    rng = random.Random(SEED + 2)
    events = upkeep_events(2 * batches * BATCH, rng)
    sessions = session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    found = Upkeep()
    for number in range(2 * batches):
        batch = events[number * BATCH : (number + 1) * BATCH]
        mode = "with" if number % 2 else "without"
        wall, cpu = time.perf_counter(), time.process_time()
        with sessions.begin() as session:
            if mode == "with":
                write_events(session, batch, now)
            else:
                write_before_rollups(session, batch, now)
        found.wall[mode].append(time.perf_counter() - wall)
        found.cpu[mode].append(time.process_time() - cpu)
    for kind in ("wall", "cpu"):
        print(
            f"  upkeep ({kind}): {found.per_thousand(kind, 'without'):.3f} s per 1,000 events "
            f"without the rollups, {found.per_thousand(kind, 'with'):.3f} s with them"
        )
    return found


def time_seals(engine: Engine) -> tuple[float, float]:
    """The purge's extra work: sealing the rollups at a cut-off half-way through the data (the
    first purge), then one day later (every purge after)."""
    cutoff = END - dt.timedelta(weeks=WEEKS // 2)
    found = []
    for moved in (cutoff, cutoff + dt.timedelta(days=1)):
        started = time.perf_counter()
        with engine.begin() as connection:
            seal(connection, moved)
        found.append(time.perf_counter() - started)
    print(f"  sealing: {found[0]:.2f} s the first time, {found[1]:.2f} s a day later")
    return found[0], found[1]


def sizes(engine: Engine, path: Path | None) -> dict[str, int]:
    """Bytes of the whole database, the events table and the rollups (indexes included)."""
    if path is not None:
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            found: dict[str, int] = {"database": path.stat().st_size}
            try:
                query = "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
                tables: dict[str, int] = {
                    str(name): int(size) for name, size in connection.execute(text(query))
                }
            except sqlalchemy.exc.OperationalError:  # SQLite built without dbstat
                return found
        indexes = {
            "events": [n for n in tables if n == "events" or n.startswith("ix_events")],
            **{table: [n for n in tables if table in n] for table in ROLLUP_TABLES},
        }
        for table, names in indexes.items():
            found[table] = sum(int(tables[n]) for n in names)
        return found
    with engine.connect() as connection:
        found = {
            "database": int(
                connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
        }
        for table in ("events", *ROLLUP_TABLES):
            found[table] = int(
                connection.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar_one()
            )
        return found


@dataclass
class Measured:
    """One database's figures."""

    seeding: float = 0.0
    rollups: float = 0.0
    children: int = 0
    reports: dict[str, tuple[float, float]] = field(default_factory=dict)
    pages: dict[str, tuple[float, float]] = field(default_factory=dict)
    upkeep: Upkeep = field(default_factory=Upkeep)
    sizes: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seals: tuple[float, float] = (0.0, 0.0)
    #: The one-minute load average when the timing began (other work on the machine).
    load: float = 0.0
    version: str = ""


def measure(engine: Engine, path: Path | None, args: argparse.Namespace, found: Measured) -> None:
    """Everything but the seeding, on one seeded database."""
    print("  building the rollups (the migration's backfill)...", flush=True)
    found.rollups = build_rollups(engine)
    print(f"  built in {found.rollups:.1f} s", flush=True)
    with engine.connect() as connection:
        for table in ("events", "rollup_days", "rollup_periods", "rollup_children"):
            found.rows[table] = int(
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            )
    found.children = query_grand_total(engine, Filters()).users
    found.load = os.getloadavg()[0]
    found.reports = time_reports(engine, args.repeats)
    found.pages = time_pages(engine, args.repeats)
    found.upkeep = time_upkeep(engine, args.batches)
    found.sizes = sizes(engine, path)
    found.seals = time_seals(engine)


def main() -> int:
    """Seed, build, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batches", type=int, default=50, help="upkeep batches of each kind")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SAFEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin URL; a temporary database is created next to it",
    )
    parser.add_argument("--write", action="store_true", help="write benchmarks/STATS_RESULTS.md")
    args = parser.parse_args()

    measured: dict[str, Measured] = {}
    if args.only in (None, "sqlite"):
        found = measured["SQLite"] = Measured(version=sqlite3.sqlite_version)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "bench.sqlite3"
            print(f"SQLite: seeding {args.events:,} events...", flush=True)
            found.seeding = seed_sqlite(path, args.events)
            print(f"  seeded in {found.seeding:.1f} s", flush=True)
            engine = make_engine(f"sqlite:///{path}", timeout_seconds=600)
            measure(engine, path, args, found)
            engine.dispose()

    if args.only in (None, "postgresql"):
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"safebot_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            found = measured["PostgreSQL"] = Measured()
            print(f"PostgreSQL: seeding {args.events:,} events...", flush=True)
            found.seeding = seed_postgres(url, args.events)
            print(f"  seeded in {found.seeding:.1f} s", flush=True)
            engine = make_engine(url, timeout_seconds=600)
            with engine.connect() as connection:
                found.version = str(connection.execute(text("SHOW server_version")).scalar_one())
            measure(engine, None, args, found)
            engine.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    if args.write:
        write_results(args, measured)
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _mb(value: int) -> str:
    return f"{value / 1e6:,.0f} MB"


def write_results(args: argparse.Namespace, measured: dict[str, Measured]) -> None:
    """Record the figures in benchmarks/STATS_RESULTS.md, keeping the 1M section as before."""
    target = ROOT / "benchmarks" / "STATS_RESULTS.md"
    before = target.read_text(encoding="utf-8")
    marker = "## Before the rollups"
    old = before[before.index(marker) :] if marker in before else _as_before(before)
    dbs = list(measured)
    first = measured[dbs[0]]
    lines = [
        f"# Statistics at {args.events:,} events",
        "",
        f"Measured {dt.date.today().isoformat()} by `python benchmarks/stats_queries.py "
        f"--events {args.events} --write` on {os.cpu_count()} cores ({_cpu_model()}; load "
        f"average {', '.join(f'{m.load:.1f}' for m in measured.values())} when each database's "
        f"timing began), Python {platform.python_version()}, "
        f"SQLAlchemy {sqlalchemy.__version__}, "
        + ", ".join(f"{db} {m.version}" for db, m in measured.items())
        + f". {args.events:,} demo events over {WEEKS} weeks ({first.children:,} made-up "
        "children), schema and indexes from the migrations, seeded in bulk, then the rollups "
        f"built by the migration's backfill. Every figure is the median and the 95th percentile "
        f"(nearest rank) of {args.repeats} runs after one warm-up: reports are `safebot "
        "stats`'s tables (queries, suppression, noise); pages are requests to the dashboard app "
        "itself, logged in, with its one-minute cache off (queries, charts, HTML or CSV).",
        "",
        "| Report or page | " + " | ".join(f"{db} median | {db} p95" for db in dbs) + " |",
        "| --- | " + " | ".join("---: | ---:" for _ in dbs) + " |",
    ]
    for name in [*first.reports, *first.pages]:
        cells = []
        for db in dbs:
            median, p95 = {**measured[db].reports, **measured[db].pages}[name]
            cells += [f"{median * 1000:.0f} ms", f"{p95 * 1000:.0f} ms"]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines += [
        "",
        "**Upkeep of the rollups.** Batches of 200 events of the data's last week (half of the "
        "children coming back, with their earlier events in the database; half new) written "
        "through `write_events`, the writers' own path, alternately with the rollups and as the "
        f"write was before them; median of {args.batches} batches of each. The bot spends about "
        f"{MESSAGE_CPU_MS:.0f} ms of CPU per message (benchmarks/RESULTS.md).",
        "",
        "| Database | without rollups, per 1,000 events | with rollups | rollups' share per "
        "event | against 7 ms per message |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for db, m in measured.items():
        for kind, words in (("wall", "wall clock"), ("cpu", "bot process CPU")):
            extra = m.upkeep.extra_ms_per_event(kind)
            lines.append(
                f"| {db}, {words} | {m.upkeep.per_thousand(kind, 'without') * 1000:.0f} ms | "
                f"{m.upkeep.per_thousand(kind, 'with') * 1000:.0f} ms | {extra:.3f} ms | "
                f"{100 * extra / MESSAGE_CPU_MS:.1f} % |"
            )
    lines += [
        "",
        "The upkeep reads a child's earlier events through `ix_events_child_key`, an index added "
        "with the rollups; it is in the database in both columns above. Measured apart "
        "(1,000,000 events, SQLite, batches alternating between a copy with it and one without): "
        "about 0.01 ms per event written, and 15 MB per million events.",
        "",
        "**Building, sealing and size.** "
        + "; ".join(
            f"{db}: seeded in {m.seeding:.0f} s, rollups built by the backfill in "
            f"{m.rollups:.0f} s ({m.rows.get('rollup_days', 0):,} day rows, "
            f"{m.rows.get('rollup_periods', 0):,} period rows, "
            f"{m.rows.get('rollup_children', 0):,} children rows); the purge's sealing took "
            f"{m.seals[0]:.1f} s the first time (half the data) and {m.seals[1]:.1f} s a day "
            f"later; database {_mb(m.sizes.get('database', 0))}"
            + (
                f", of which events {_mb(m.sizes['events'])}, rollups "
                f"{_mb(sum(m.sizes[t] for t in ROLLUP_TABLES))} (indexes included)"
                if "events" in m.sizes
                else ""
            )
            for db, m in measured.items()
        )
        + ".",
        "",
        "Every statistic now adds up rollup rows: day rows for the counts, children rows (links to "
        "each child's previous period, see bot/storage/rollups/children.py) for distinct "
        "children; nothing reads the event log, so the time no longer grows with the number of "
        "events but with the number of days, cells and periods.",
        "",
        old.rstrip(),
        "",
    ]
    target.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {target}")


def _as_before(text_before: str) -> str:
    """The 1,000,000-event results measured before the rollups, as a section of their own."""
    body = text_before.split("\n", 1)[1] if text_before.startswith("# ") else text_before
    return (
        "## Before the rollups: 1,000,000 events, straight from the event log\n\n"
        "The figures below were measured before issue #13 part 2, when every statistic was a "
        "GROUP BY over the events themselves; kept for comparison.\n" + body
    )


if __name__ == "__main__":
    sys.exit(main())
