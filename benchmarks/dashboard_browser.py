"""A new reviewer walks the dashboard in headless Chromium at ten million events, on both databases.

    python benchmarks/dashboard_browser.py [--events 10000000] [--walks 20]
                                           [--sqlite PATH] [--postgres-db NAME] [--write]

Seeds the events as ``benchmarks/stats_queries.py`` does (or reuses ``--sqlite PATH`` and
``--postgres-db NAME`` when they already hold them), adds a reviewer, starts the real
``safebot dashboard`` process on each database with its cache off (``SAFEBOT_DASHBOARD_CACHE_SECONDS
=0``: every page is computed afresh), and drives Debian's Chromium through Playwright as a reviewer
new to it would: open the dashboard (and land on the login page), log in, read the overview, pick
filters in the form and apply them, open the monthly report, download the CSV, log out. Each walk
is a new browser context (a new login). A step's time is the browser's own: from the click or the
address to the page's ``load`` event (Navigation Timing), or to the downloaded file.

What the reviewer sees is checked on every walk: the charts are drawn, the glossary is there, no
error is shown, and every figure of the table (messages and children per row, hidden or shown)
is the one ``safebot stats`` gives for the same filters; the pages of SQLite and PostgreSQL are
the same. ``--write`` records the times in benchmarks/STATS_RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import stats_queries  # noqa: E402
from sqlalchemy import Engine, create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.dashboard.overview import recent_start  # noqa: E402
from bot.reviewers import add_reviewer, list_reviewers  # noqa: E402
from bot.stats import Filters, stats_table  # noqa: E402
from bot.stats.table import StatsTable  # noqa: E402
from bot.storage.database import make_engine, session_factory  # noqa: E402
from bot.storage.models import Event  # noqa: E402
from tests.support.dashboard_process import dashboard_process  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REVIEWER = "walker"
PASSWORD = "benchmark-walker-password"
SINCE = (stats_queries.END - dt.timedelta(weeks=12)).date().isoformat()
MARKER = "## A new reviewer in headless Chromium"


@dataclass(frozen=True)
class View:
    """One view of the walk: the form's choices, and the filters ``safebot stats`` is given."""

    name: str
    choices: dict[str, str]
    period: str
    by: str
    filters: Filters


#: The views a reviewer picks in the form after the default one, in order.
VIEWS = (
    View(
        "overview, week × topic, the last 12 weeks",
        {},
        "week",
        "intent",
        Filters(since=recent_start(dt.date.today(), "week")),
    ),
    View(
        "filters: month × country, all data (the From date cleared)",
        {"period": "month", "by": "country", "since": ""},
        "month",
        "country",
        Filters(),
    ),
    View(
        "filters: week × language, English, last 12 weeks",
        {"period": "week", "by": "locale", "locale": "en", "since": SINCE},
        "week",
        "locale",
        Filters(locale="en", since=dt.date.fromisoformat(SINCE)),
    ),
    View(
        "filters: month × topic, United Kingdom, self-harm",
        {
            "period": "month",
            "by": "intent",
            "locale": "",
            "since": "",
            "country": "GB",
            "intent": "self_harm",
        },
        "month",
        "intent",
        Filters(country="GB", intent="self_harm"),
    ),
)
STEPS = (
    "open the dashboard (the login page)",
    "log in (the password checked, then the overview)",
    "the overview again (week × topic, the last 12 weeks)",
    *(view.name for view in VIEWS[1:]),
    "the monthly report",
    "download the CSV of the last view",
    "log out",
)


@dataclass
class Walked:
    """One database's walks: the times of each step, and what the table showed."""

    database: str
    events: int = 0
    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    answered: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    tables: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    checked_rows: int = 0


@contextmanager
def cacheless_dashboard(database_url: str) -> Iterator[str]:
    """The real ``safebot dashboard`` on ``database_url``, its cache off; yields its address."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            "SAFEBOT_DATA_DIR": data_dir,
            "SAFEBOT_DATABASE_URL": database_url,
            "SAFEBOT_DASHBOARD_CACHE_SECONDS": "0",
        }
        with dashboard_process(Path(data_dir), env, timeout=120) as url:
            yield url


def navigation_seconds(page: Any) -> tuple[float, float]:
    """The browser's times for the page just loaded, from the start of the navigation.

    To the load event's end (the page drawn), and to the answer's first byte (the server's
    work, a redirect before it included).
    """
    page.wait_for_load_state("load")
    entry = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return [n.startTime, n.loadEventEnd, n.responseStart]; }"
    )
    return float(entry[1] - entry[0]) / 1000.0, float(entry[2] - entry[0]) / 1000.0


def table_rows(page: Any) -> list[tuple[str, ...]]:
    """The figures table as the reviewer reads it: period, group code, messages, children."""
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#figures tbody tr')].map(tr => {
             const heads = tr.querySelectorAll('th'); const cells = tr.querySelectorAll('td');
             const group = heads[1].getAttribute('title') || heads[1].textContent.trim();
             return [heads[0].textContent.trim(), group,
                     cells[1].textContent.trim(), cells[4].textContent.trim()];
           })"""
    )
    return [tuple(row) for row in rows]


def shown_as(value: object) -> str:
    """A count as the page shows it: the number, or "hidden" where ``safebot stats`` says "<k"."""
    return "hidden" if str(value).startswith("<") else str(value)


def expected_rows(
    table: StatsTable, labels: dict[str, str]
) -> dict[tuple[str, str], tuple[str, str]]:
    """``safebot stats``'s figures by (period as shown, group code): messages and children."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for entry in table.entries():
        values = entry.values(table.k)
        if entry.period is None:
            period = labels["period"]
        elif table.period == "month":
            period = entry.period.strftime("%Y-%m")
        else:
            period = entry.period.isoformat()
        group = entry.group if entry.group is not None else labels["group"]
        found[(period, group)] = (shown_as(values["messages"]), shown_as(values["users"]))
    return found


def check_page(page: Any, view: View, engine: Engine, walked: Walked) -> None:
    """What a reviewer sees: charts, glossary, no error, and ``safebot stats``'s figures."""
    for selector in ("#trend svg", "#glossary", "#figures tbody tr", "#active-filters"):
        if page.locator(selector).count() == 0:
            raise AssertionError(f"{view.name}: no {selector} on the page")
    if page.locator(".error, .problems").count():
        raise AssertionError(f"{view.name}: the page shows an error")
    shown = table_rows(page)
    walked.tables.setdefault(view.name, shown)
    if walked.tables[view.name] != shown:
        raise AssertionError(f"{view.name}: the page changed between walks")
    table = stats_table(engine, period=view.period, by=view.by, filters=view.filters)
    all_periods = "all months" if view.period == "month" else "all weeks"
    expected = expected_rows(table, {"period": all_periods, "group": shown[-1][1]})
    for period, group, messages, children in shown:
        want = expected.get((period, group))
        if want is None:
            raise AssertionError(f"{view.name}: row {period} {group} is not in safebot stats")
        if (messages, children) != want:
            raise AssertionError(
                f"{view.name}: {period} {group} shows {messages}, {children}; "
                f"safebot stats gives {want}"
            )
        walked.checked_rows += 1


def apply_view(page: Any, view: View) -> None:
    """Pick the view's choices in the form and press Apply, as a reviewer does."""
    for name, value in view.choices.items():
        control = page.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.click("button:has-text('Apply')")


def walk(browser: Any, url: str, engine: Engine, walked: Walked, downloads: Path) -> None:
    """One new reviewer's walk, timed step by step."""
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        steps = iter(STEPS)

        def record(seconds: float | tuple[float, float]) -> None:
            step = next(steps)
            loaded, answered = seconds if isinstance(seconds, tuple) else (seconds, seconds)
            walked.times[step].append(loaded)
            walked.answered[step].append(answered)

        page.goto(url + "/")
        if not page.url.endswith("/login"):
            raise AssertionError("a new reviewer is not sent to the login page")
        record(navigation_seconds(page))
        page.fill("input[name=username]", REVIEWER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")
        record(navigation_seconds(page))
        page.reload()
        record(navigation_seconds(page))
        check_page(page, VIEWS[0], engine, walked)
        for view in VIEWS[1:]:
            apply_view(page, view)
            page.wait_for_url(re.compile(re.escape(url) + r"/\?"))
            record(navigation_seconds(page))
            check_page(page, view, engine, walked)
        csv_href = page.locator("#csv").get_attribute("href") or ""
        page.click("a[href^='/report']")
        page.wait_for_url(re.compile(re.escape(url) + r"/report"))
        record(navigation_seconds(page))
        if page.locator("h1").count() == 0 or page.locator("table").count() == 0:
            raise AssertionError("the monthly report shows no table")
        page.goto(url + "/?" + csv_href.split("?", 1)[1])
        page.wait_for_load_state("load")
        started = time.perf_counter()
        with page.expect_download() as info:
            page.click("#csv")
        saved = downloads / "export.csv"
        info.value.save_as(saved)
        record(time.perf_counter() - started)
        lines = saved.read_text(encoding="utf-8-sig").splitlines()
        if not lines[0].startswith("# SafeBot statistics") or len(lines) < 3:
            raise AssertionError("the CSV is not the table")
        page.click("button:has-text('Log out')")
        page.wait_for_url(url + "/login")
        record(navigation_seconds(page))
    finally:
        context.close()


def ensure_reviewer(engine: Engine) -> None:
    sessions = session_factory(engine)
    if not any(r.username == REVIEWER for r in list_reviewers(sessions)):
        add_reviewer(sessions, REVIEWER, PASSWORD)


def event_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Event)).scalar_one())


def prepared_sqlite(path: Path, events: int) -> str:
    if not path.exists():
        print(f"SQLite: seeding {events:,} events into {path}...", flush=True)
        stats_queries.seed_sqlite(path, events)
        stats_queries.build_rollups(make_engine(f"sqlite:///{path}", timeout_seconds=600))
    return f"sqlite:///{path}"


def prepared_postgres(admin_url: str, name: str, events: int) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    if exists is None:
        print(f"PostgreSQL: seeding {events:,} events into {name}...", flush=True)
        stats_queries.seed_postgres(url, events)
        stats_queries.build_rollups(make_engine(url, timeout_seconds=600))
    return url


def run_walks(name: str, database_url: str, walks: int) -> Walked:
    from playwright.sync_api import sync_playwright

    engine = make_engine(database_url, timeout_seconds=600)
    ensure_reviewer(engine)
    walked = Walked(name, events=event_count(engine))
    print(f"{name}: {walked.events:,} events; {walks} walks after a warm-up", flush=True)
    with (
        cacheless_dashboard(database_url) as url,
        sync_playwright() as playwright,
        tempfile.TemporaryDirectory() as downloads,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            walk(browser, url, engine, Walked(name), Path(downloads))  # warm-up, not counted
            for _ in range(walks):
                walk(browser, url, engine, walked, Path(downloads))
        finally:
            browser.close()
    engine.dispose()
    return walked


def summary(walked: dict[str, Walked]) -> list[str]:
    dbs = list(walked)
    lines = [
        "| Step | "
        + " | ".join(f"{db} answered, p95 | {db} drawn, median | {db} drawn, p95" for db in dbs)
        + " |",
        "| --- | " + " | ".join("---: | ---: | ---:" for _ in dbs) + " |",
    ]
    for step in STEPS:
        cells = []
        for db in dbs:
            times = walked[db].times[step]
            cells += [
                f"{stats_queries.percentile(walked[db].answered[step], 0.95) * 1000:.0f} ms",
                f"{statistics.median(times) * 1000:.0f} ms",
                f"{stats_queries.percentile(times, 0.95) * 1000:.0f} ms",
            ]
        lines.append(f"| {step} | {' | '.join(cells)} |")
    return lines


def write_results(args: argparse.Namespace, walked: dict[str, Walked], same: bool) -> None:
    target = ROOT / "benchmarks" / "STATS_RESULTS.md"
    before = target.read_text(encoding="utf-8")
    start = before.find(MARKER)
    if start >= 0:
        end = before.find("\n## ", start + len(MARKER))
        before = before[:start] + (before[end + 1 :] if end >= 0 else "")
    anchor = before.find("## Before the rollups")
    section = [
        MARKER,
        "",
        f"Measured {dt.date.today().isoformat()} by `python benchmarks/dashboard_browser.py "
        f"--walks {args.walks} --write` on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Debian's Chromium through Playwright, headless; "
        + ", ".join(f"{db} with {w.events:,} events" for db, w in walked.items())
        + " (the data above). The real `safebot dashboard` process ran with its cache off, so "
        "every page was computed afresh. Each walk is a new reviewer (a new browser context): "
        "open the dashboard, log in, read the overview, pick three sets of filters in the form, "
        "open the monthly report, download the CSV, log out. A step's times are the browser's "
        "own (Navigation Timing), from the address or the click: *answered* to the first byte "
        "of the page (the server's work), *drawn* to the page's load event (the page read, "
        "laid out and its charts drawn); a download's time is to the saved file; "
        f"median and 95th percentile (nearest rank) of {args.walks} walks after a warm-up. "
        "Logging in includes checking the password with scrypt at OWASP's parameters (about half "
        "a second of CPU, by design); Chromium, the server and this script share the cores.",
        "",
        *summary(walked),
        "",
        "On every walk the charts, the glossary and the filters line were on the page, no error "
        "was shown, and each row of the figures table (messages and children, shown or "
        "hidden) was the one `safebot stats` gives for the same filters: "
        + ", ".join(f"{w.checked_rows:,} rows on {db}" for db, w in walked.items())
        + (
            "; the pages of the two databases were the same, figure for figure."
            if same and len(walked) > 1
            else "."
        ),
        "",
    ]
    text_out = before[:anchor] + "\n".join(section) + "\n" + before[anchor:]
    target.write_text(text_out, encoding="utf-8")
    print(f"wrote {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="when seeding")
    parser.add_argument("--walks", type=int, default=20)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument("--sqlite", type=Path, default=None, help="a seeded file, or where to seed")
    parser.add_argument("--postgres-db", default=None, help="a seeded database, or its new name")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SAFEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin URL",
    )
    parser.add_argument("--write", action="store_true", help="write benchmarks/STATS_RESULTS.md")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print("Chromium is needed at /usr/bin/chromium: apt-get install -y chromium")
        return 1

    walked: dict[str, Walked] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if args.only in (None, "sqlite"):
            path = args.sqlite or Path(scratch) / "walk.sqlite3"
            walked["SQLite"] = run_walks("SQLite", prepared_sqlite(path, args.events), args.walks)
        if args.only in (None, "postgresql"):
            name = args.postgres_db or "safebot_walk"
            url = prepared_postgres(args.postgres, name, args.events)
            walked["PostgreSQL"] = run_walks("PostgreSQL", url, args.walks)
    same = len({repr(sorted(w.tables.items())) for w in walked.values()}) == 1
    for line in summary(walked):
        print(line)
    print("checked rows:", {db: w.checked_rows for db, w in walked.items()}, "same pages:", same)
    if args.write:
        write_results(args, walked, same)
    return 0


if __name__ == "__main__":
    sys.exit(main())
