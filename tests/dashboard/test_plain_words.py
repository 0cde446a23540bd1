"""The dashboard for people who are not analysts: words for hidden cells, partial periods, names,
filters repeated, an intent filter, a change column that respects suppression, a plain CSV."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.clock import fixed_clock
from bot.dashboard import create_app
from bot.dashboard.charts import Bar, Series, bar_chart, line_chart
from bot.reviewers import add_reviewer
from bot.settings import Settings
from bot.storage.database import make_engine, session_factory, upgrade
from tests.stats.test_stats import COMPLEMENT_HIDDEN, add, children, event, seed_complement_case

pytestmark = pytest.mark.time_sensitive

PASSWORD = "correct horse battery staple"
TODAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'dashboard.sqlite3'}")
    upgrade(engine)
    add_reviewer(session_factory(engine), "alice", PASSWORD)
    yield engine
    engine.dispose()


@pytest.fixture
async def client(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(data_dir=tmp_path),
        engine,
        cache_seconds=0,
        clock=fixed_clock(TODAY),
        perturb=False,
    )
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/login", data={"username": "alice", "password": PASSWORD})
        assert response.status_code == 303
        yield client


def seed_august_and_partial_september(engine: Engine) -> None:
    """Grooming in Ukraine: August every day (31 messages), September 1-24 twice a day (48).

    The log starts on 1 August and ends on 24 September: September has 24 days of data.
    Per day the change is +100 %; in whole-month counts it looks like +55 %.
    """
    august, september = children(10), children(12)
    rows = []
    for day in range(31):
        hour = dt.datetime(2026, 8, 1, 9, tzinfo=dt.UTC) + dt.timedelta(days=day)
        rows.append(event(hour, august[day % 10], intent="grooming", country="UA", locale="uk"))
    for day in range(24):
        for twice in range(2):
            hour = dt.datetime(2026, 9, 1, 9 + twice, tzinfo=dt.UTC) + dt.timedelta(days=day)
            pseudonym = september[(2 * day + twice) % 12]
            rows.append(event(hour, pseudonym, intent="grooming", country="UA", locale="uk"))
    add(engine, rows)


def table_rows(page: str) -> list[dict[str, str]]:
    """The figures table of a page as {heading: text}."""
    table = page[page.index('<table id="figures">') :]
    table = table[: table.index("</table>")]
    headings = [html.unescape(h) for h in re.findall(r'<th scope="col">(.*?)</th>', table)]
    body = table[table.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [html.unescape(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        rows.append(dict(zip(headings, cells, strict=True)))
    return rows


async def test_hidden_cells_are_words_never_less_than_k(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_complement_case(engine)
    page = await client.get("/", params={"since": "2026-11-01", "until": "2026-11-15"})
    assert page.status_code == 200
    assert "&lt;5" not in page.text and "<5" not in page.text
    rows = table_rows(page.text)
    hidden = [r for r in rows if r["children"] == "hidden"]
    assert {(r["week starting"], r["topic (intent)"]) for r in hidden} == COMPLEMENT_HIDDEN
    for row in hidden:
        percentages = [v for name, v in row.items() if name.endswith("%")]
        assert percentages and all(v == "hidden" for v in percentages), row
    assert "hidden (fewer than 5 children or hidden to protect such a figure)" in page.text


async def test_a_partial_month_is_marked_and_compared_per_day(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_august_and_partial_september(engine)
    page = await client.get("/", params={"period": "month", "by": "intent"})
    assert page.status_code == 200
    rows = {(r["month"], r["topic (intent)"]): r for r in table_rows(page.text)}
    september, august = rows[("2026-09", "grooming")], rows[("2026-08", "grooming")]
    assert august["days of data"] == "31 of 31"
    assert september["days of data"] == "24 of 30 (partial)"
    assert (august["messages"], september["messages"]) == ("31", "48")
    assert (august["messages per day"], september["messages per day"]) == ("1.0", "2.0")
    assert september["change per day vs previous month %"] == "+100.0"
    # Children of a partial month are not compared: it had fewer days in which to write, and
    # the cell says so in words (a tooltip is never seen on a phone), in the CSV too.
    assert september["change in children vs previous month %"] == "not compared (partial period)"
    csv_text = (await client.get("/export.csv", params={"period": "month", "by": "intent"})).text
    lines = csv_text.lstrip("\ufeff").splitlines()
    in_csv = next(
        r
        for r in csv.DictReader(io.StringIO("\n".join(lines[1:])))
        if r["month"] == "2026-09" and r["topic (intent)"] == "grooming"
    )
    assert in_csv["change in children vs previous month %"] == "not compared (partial period)"
    assert "below its largest part" in page.text  # noisy totals are explained on the page
    assert "a row can show one child more than messages" in page.text
    assert "Partial periods (fewer days of data than the period):" in page.text
    trend = page.text[page.text.index('id="trend"') :]
    assert "2026-09*" in trend[: trend.index("</figure>")]


async def test_filters_are_repeated_with_names_and_an_intent_filter(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_august_and_partial_september(engine)
    add(engine, [event(TODAY - dt.timedelta(days=80), p, intent="privacy") for p in children(6)])
    page = await client.get(
        "/", params={"period": "month", "country": "UA", "intent": "grooming", "by": "country"}
    )
    assert page.status_code == 200
    active = re.search(r'id="active-filters">(.*?)</p>', page.text, re.S)
    assert active is not None
    assert "country: Ukraine" in active[1] and "topic: grooming" in active[1]
    assert "language: Українська (uk)" in active[1] or "language: all" in active[1]
    # Every chart repeats the filters.
    for chart in ("trend", "countries", "helpfulness", "clarification"):
        figure = page.text[page.text.index(f'id="{chart}"') :]
        assert "country: Ukraine" in figure[: figure.index("</figure>")], chart
    groups = {r["country"] for r in table_rows(page.text)}
    assert groups == {"Ukraine", "all countries"}
    # The intent filter leaves privacy out of every figure.
    assert sum(int(r["messages"]) for r in table_rows(page.text) if r["month"] == "all months") == (
        2 * 79
    )
    assert "(none)" not in page.text and "Rasa fallbacks" not in page.text
    # The glossary comes before the charts.
    assert page.text.index('id="glossary"') < page.text.index('id="trend"')
    # It says what "children" means over dates longer than the events are kept (the rollups).
    glossary = page.text[page.text.index('id="glossary"') :]
    assert "a child who wrote both before and after that counts twice" in glossary
    assert "a total counts each child once" in glossary  # why totals are below their rows


async def test_change_is_shown_only_when_both_periods_are_shown(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_complement_case(engine)
    page = await client.get("/", params={"since": "2026-11-01", "until": "2026-11-15"})
    rows = table_rows(page.text)
    by_key = {(r["week starting"], r["topic (intent)"]): r for r in rows}
    change = "change per day vs previous week %"
    shown = 0
    for (week, group), row in by_key.items():
        if week == "all weeks" or week == "2026-11-02":
            assert row[change] in ("—", "hidden"), row
            continue
        before = by_key[("2026-11-02", group)]
        if row["children"] == "hidden":
            assert row[change] == "hidden", row
        elif before["children"] == "hidden":
            # Said as what it is: this row's children are shown, the previous week's are not.
            assert row[change] == "not compared (previous period hidden)", row
        else:
            assert re.fullmatch(r"[+−±][0-9.]+", row[change]), row
            shown += 1
    assert shown >= 2  # cyberbullying and the weeks' total


async def test_the_dashboard_opens_on_the_last_twelve_weeks_and_shows_all_on_request(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    """A year of weeks by topic is a 5,000-pixel table: the first view is the recent one."""
    add(engine, [event(dt.datetime(2026, 8, 3, 9, tzinfo=dt.UTC), p) for p in children(6)])
    add(engine, [event(dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC), p) for p in children(7)])
    opened = await client.get("/")
    assert opened.status_code == 200
    active = re.search(r'id="active-filters">(.*?)</p>', opened.text, re.S)
    assert active is not None and "from 2026-09-14 to today" in active[1]
    assert 'name="since" value="2026-09-14"' in opened.text  # the form says so, and can change it
    weeks = {r["week starting"] for r in table_rows(opened.text)} - {"all weeks"}
    assert min(weeks) >= "2026-09-14" and "2026-10-05" in weeks
    assert "since=2026-09-14" in opened.text  # the CSV link is the same view
    # The form's "From" cleared: from the first day of data.
    everything = await client.get("/", params={"since": "", "until": ""})
    assert "2026-08-03" in {r["week starting"] for r in table_rows(everything.text)}
    assert "(all data)" in everything.text
    # The CSV says the same as the page: the recent weeks without dates, all data via the link
    # of the page whose "From" was cleared.
    recent_csv = await client.get("/export.csv")
    assert "2026-10-05" in recent_csv.text and "2026-08-03" not in recent_csv.text
    link = re.search(r'href="/export.csv\?([^"]*)"', everything.text)
    assert link is not None
    all_csv = await client.get("/export.csv?" + html.unescape(link[1]))
    assert "2026-08-03" in all_csv.text and "2026-10-05" in all_csv.text
    # Months: the last twelve, this one included.
    monthly = await client.get("/", params={"period": "month"})
    assert 'name="since" value="2025-12-01"' in monthly.text


async def test_children_are_compared_between_whole_periods(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    """How many children asked about grooming in Ukraine last month, and how that changed."""
    july, august = children(10), children(15)
    rows = []
    for day in range(31):
        for month, group in ((7, july), (8, august)):
            hour = dt.datetime(2026, month, 1 + day, 9, tzinfo=dt.UTC)
            rows.append(event(hour, group[day % len(group)], intent="grooming", country="UA"))
    add(engine, rows)
    page = await client.get(
        "/", params={"period": "month", "by": "intent", "country": "UA", "intent": "grooming"}
    )
    assert page.status_code == 200
    found = {(r["month"], r["topic (intent)"]): r for r in table_rows(page.text)}
    july_row, august_row = found[("2026-07", "grooming")], found[("2026-08", "grooming")]
    assert (july_row["children"], august_row["children"]) == ("10", "15")
    assert (july_row["days of data"], august_row["days of data"]) == ("31 of 31", "31 of 31")
    assert august_row["change in children vs previous month %"] == "+50.0"
    assert august_row["change per day vs previous month %"] == "±0.0"
    assert july_row["change in children vs previous month %"] == "—"
    glossary = page.text[page.text.index('id="glossary"') :]
    assert "change of the number of children against the period before" in glossary
    csv_text = (
        await client.get(
            "/export.csv",
            params={"period": "month", "by": "intent", "country": "UA", "intent": "grooming"},
        )
    ).text
    lines = csv_text.lstrip("\ufeff").splitlines()
    table = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    august_csv = next(
        r for r in table if r["month"] == "2026-08" and r["topic (intent)"] == "grooming"
    )
    assert august_csv["change in children vs previous month %"] == "50.0"


async def test_csv_names_period_and_filters_with_the_page_columns(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_august_and_partial_september(engine)
    add(
        engine,
        [event(TODAY - dt.timedelta(days=80), p, intent="=cmd|' /C calc'!A0") for p in children(6)],
    )
    params = {"period": "month", "by": "intent", "country": "UA", "since": "2026-08-01"}
    page = await client.get("/", params=params)
    download = await client.get("/export.csv", params=params)
    assert download.status_code == 200
    name = re.search(r'filename="([^"]+)"', download.headers["content-disposition"])
    assert name is not None
    assert name[1] == "safebot-stats-month-by-intent-2026-08-01-to-today-country-UA.csv"
    assert download.content.startswith(codecs.BOM_UTF8)  # spreadsheets read it as UTF-8
    lines = download.text.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("# SafeBot statistics by month")
    assert "country: Ukraine" in lines[0] and "from 2026-08-01 to today" in lines[0]
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    page_headings = list(table_rows(page.text)[0])
    assert rows[0] == page_headings
    assert "users" not in rows[0] and "children" in rows[0]
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
        assert "<5" not in row


async def test_trend_draws_urgent_intents_with_fixed_colours(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    week = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    rows = []
    for n, intent in enumerate(
        ["greet", "privacy", "thanks", "goodbye", "human", "about_bot", "doxxing"]
    ):
        for p in children(20 + n):
            rows.append(event(week, p, intent=intent, country="GB"))
    for p in children(6):
        rows.append(event(week, p, intent="self_harm", country="UA", locale="uk"))
        rows.append(event(week + dt.timedelta(days=7), p, intent="self_harm", country="UA"))
    add(engine, rows)
    whole = (await client.get("/")).text
    ukraine = (await client.get("/", params={"country": "UA"})).text

    def legend_colour(page: str, name: str) -> str:
        trend = page[page.index('id="trend"') :]
        found = re.search(
            r'<line [^>]*stroke="(#[0-9A-Fa-f]{6})"[^>]*/><text class="legend"[^>]*>'
            + re.escape(name),
            trend,
        )
        assert found is not None, name
        return found[1]

    assert legend_colour(whole, "self_harm") == legend_colour(ukraine, "self_harm")
    trend = whole[whole.index('id="trend"') :]
    styles = re.findall(r'<line x1[^>]*stroke="(#\w+)" stroke-width="3"([^/]*)/>', trend)
    # The six most frequent (doxxing, the seventh, is left out) and the five urgent topics.
    assert len(styles) == 11 and len(set(styles)) == len(styles)  # no two lines alike
    assert "(not children)" in whole and "week starting" in whole


def test_a_line_with_hidden_values_stays_a_line() -> None:
    svg = str(
        line_chart(
            "Trend",
            ["w1", "w2", "w3", "w4", "w5"],
            [Series("a", (1.0, None, 3.0, None, 5.0))],
            y_label="messages per week (not children)",
            x_label="week starting",
        )
    )
    assert svg.count('class="bridge"') == 2  # across each hidden week, dotted
    assert svg.count('class="series"') == 0
    assert "messages per week (not children)" in svg and "week starting" in svg


def test_rate_bars_share_one_scale() -> None:
    small = str(bar_chart("Low", [Bar("x", 8.0)], axis_label="%"))
    large = str(bar_chart("High", [Bar("x", 80.0)], axis_label="%"))

    def width(svg: str) -> float:
        found = re.search(r'class="bar"[^>]*width="([0-9.]+)"', svg)
        assert found is not None
        return float(found[1])

    assert width(large) == pytest.approx(10 * width(small))
    assert ">100%<" in small


async def test_the_monthly_report_compares_with_the_month_before(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_august_and_partial_september(engine)
    page = await client.get("/report", params={"month": "2026-09", "country": "UA"})
    assert page.status_code == 200
    assert "Monthly report: September 2026" in page.text
    rows = table_rows(page.text)
    assert {r["month"] for r in rows} == {"2026-09"}
    grooming = next(r for r in rows if r["topic (intent)"] == "grooming")
    assert grooming["change per day vs previous month %"] == "+100.0"
    assert grooming["days of data"] == "24 of 30 (partial)"
    assert "country: Ukraine" in page.text and "from 2026-09-01 to 2026-09-30" in page.text
    assert (await client.get("/report", params={"month": "September"})).status_code == 400
