"""The reviewers' dashboard: login, sessions, suppression on the page and in the CSV, charts.

The browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright against a real
``safebot dashboard`` process seeded with ``safebot demo-data``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.dashboard import create_app
from bot.dashboard.charts import Bar, Series, bar_chart, line_chart
from bot.reviewers import add_reviewer
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.database import make_engine, session_factory, upgrade
from bot.storage.models import AuditEntry
from tests.stats.test_stats import COMPLEMENT_HIDDEN, K, seed_complement_case
from tests.support.cli import safebot
from tests.support.dashboard_process import DashboardDidNotStart, dashboard_process

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
#: Tests that read or store times are marked ``time_sensitive`` (rerun a year ahead).

PASSWORD = "correct horse battery staple"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Every page and action of the dashboard except the login page.
PROTECTED = ["/", "/?period=month&by=country", "/export.csv", "/export.csv?by=locale", "/nope"]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'dashboard.sqlite3'}")
    upgrade(engine)
    add_reviewer(session_factory(engine), "alice", PASSWORD)
    yield engine
    engine.dispose()


def asgi_client(engine: Engine, tmp_path: Path, base_url: str) -> httpx.AsyncClient:
    app = create_app(Settings(data_dir=tmp_path), engine, cache_seconds=0)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def client(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(engine, tmp_path, "http://testserver") as client:
        yield client


async def log_in(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_every_page_but_the_login_redirects_without_a_session(
    client: httpx.AsyncClient,
) -> None:
    for path in PROTECTED:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login"
        assert response.headers["cache-control"] == "no-store"
    assert (await client.post("/logout")).headers["location"] == "/login"
    client.cookies.set("safebot_session", "made-up-token")
    assert (await client.get("/")).headers["location"] == "/login"
    login = await client.get("/login")
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"


async def test_every_response_is_marked_no_store(client: httpx.AsyncClient, engine: Engine) -> None:
    seed_complement_case(engine)
    await log_in(client)
    for path in ["/", "/export.csv", "/login", "/nope", "/?since=not-a-date"]:
        response = await client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_login_never_reveals_whether_a_username_exists(client: httpx.AsyncClient) -> None:
    wrong_password = await client.post(
        "/login", data={"username": "alice", "password": "nope nope"}
    )
    no_such_user = await client.post(
        "/login", data={"username": "mallory", "password": "nope nope"}
    )
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.text == no_such_user.text
    assert "Wrong username or password." in wrong_password.text
    assert "safebot_session" not in wrong_password.headers.get("set-cookie", "")


@pytest.mark.time_sensitive
async def test_failed_logins_end_in_a_polite_429(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (
            await client.post("/login", data={"username": "alice", "password": "x"})
        ).status_code == 401
    limited = await client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert limited.status_code == 429
    assert "Please wait 15 minutes" in limited.text
    assert limited.headers["cache-control"] == "no-store"


@pytest.mark.time_sensitive
async def test_session_cookie_flags_and_logout(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"username": "alice", "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/login")).headers["location"] == "/"
    assert (await client.post("/logout")).headers["location"] == "/login"
    client.cookies.set("safebot_session", re.search(r"safebot_session=([^;]+)", cookie)[1])  # type: ignore[index]
    assert (await client.get("/")).headers["location"] == "/login"


async def test_secure_cookie_over_https(engine: Engine, tmp_path: Path) -> None:
    async with asgi_client(engine, tmp_path, "https://testserver") as client:
        response = await client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


async def test_forms_from_other_sites_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD},
        headers={"origin": "https://elsewhere.example"},
    )
    assert response.status_code == 403


@pytest.mark.time_sensitive
async def test_page_and_csv_hide_small_and_complementary_cells(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_complement_case(engine)
    await log_in(client)
    page = await client.get("/", params={"since": "2026-11-01", "until": "2026-11-15"})
    assert page.status_code == 200
    assert "Small-cell rule." in page.text and "subtracting" in page.text
    assert "&lt;5" not in page.text
    assert page.text.count('<td class="hidden"') >= 9 * len(COMPLEMENT_HIDDEN)
    download = await client.get(
        "/export.csv", params={"since": "2026-11-01", "until": "2026-11-15"}
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.content.startswith(codecs.BOM_UTF8)  # spreadsheets read it as UTF-8
    lines = download.text.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("# ")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    words = f"hidden (fewer than {K} children or hidden to protect such a figure)"
    hidden = {(r["week starting"], r["topic (intent)"]) for r in rows if r["children"] == words}
    assert hidden == COMPLEMENT_HIDDEN
    for row in rows:
        if (row["week starting"], row["topic (intent)"]) in hidden:
            figures = [
                v
                for name, v in row.items()
                if name not in ("week starting", "topic (intent)", "days of data")
            ]
            assert all(
                v == f"hidden (fewer than {K} children or hidden to protect such a figure)"
                for v in figures
            ), row
        else:
            assert int(row["children"]) >= K, row
    bad = await client.get("/export.csv", params={"period": "year"})
    assert bad.status_code == 400


async def test_logins_failures_logouts_and_exports_are_audited_without_figures(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    seed_complement_case(engine)
    await client.post("/login", data={"username": "alice", "password": "wrong password!!"})
    await client.post("/login", data={"username": "nobody", "password": "wrong password!!"})
    await log_in(client)
    download = await client.get("/export.csv", params={"by": "intent", "period": "week"})
    assert download.status_code == 200
    await client.post("/logout")
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntry.action, AuditEntry.reviewer_id, AuditEntry.detail).order_by(
                AuditEntry.id
            )
        ).all()
    alice = 1
    assert [(action, who) for action, who, _ in rows] == [
        ("login_failed", alice),
        ("login_failed", None),  # no such account: nobody is named
        ("login", alice),
        ("export", alice),
        ("logout", alice),
    ]
    export_detail = str(rows[3][2])
    kind, _, filters = export_detail.partition(" ")
    # Which report (the filters a reviewer chose), never its figures.
    assert kind == "csv" and "by=intent" in filters and "period=week" in filters
    names = {pair.partition("=")[0] for pair in filters.split("&")}
    assert names <= {"period", "by", "since", "until", "locale", "country", "intent", "measure"}


@pytest.mark.time_sensitive
async def test_an_empty_database_and_bad_filters_are_explained(client: httpx.AsyncClient) -> None:
    await log_in(client)
    page = await client.get("/")
    assert page.status_code == 200 and "nothing can be shown" in page.text
    bad = await client.get("/", params={"since": "2026-12-01", "until": "2026-11-01", "by": "x"})
    assert bad.status_code == 400
    assert "&#39;since&#39; must not be after &#39;until&#39;." in bad.text
    assert "Group by must be one of" in bad.text


# -- charts -------------------------------------------------------------------------------------


def test_line_chart_leaves_gaps_for_hidden_values_and_escapes_names() -> None:
    svg = str(
        line_chart(
            "Trend",
            ["w1", "w2", "w3", "w4"],
            [Series("<script>", (10.0, None, 12.0, 14.0)), Series("b", (1.0, 2.0, 3.0, 4.0))],
            y_label="messages",
            x_label="week",
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count('class="point"') == 7  # the hidden value has no mark
    assert svg.count('class="series"') == 4  # 3 segments of "b", 1 of "<script>" after the gap
    assert svg.count('class="bridge"') == 1  # the gap, dotted


def test_bar_chart_shows_hidden_values_as_their_label_only() -> None:
    hidden = "hidden (fewer than 5 children or hidden to protect such a figure)"
    svg = str(
        bar_chart("Helpful", [Bar("privacy", 80.0), Bar("grooming", None, hidden)], axis_label="%")
    )
    assert svg.count('class="bar"') == 1
    assert hidden in svg and "80.0%" in svg


# -- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``safebot dashboard`` process on demo data, with the reviewer alice."""
    data_dir = tmp_path_factory.mktemp("dashboard")
    env = {"SAFEBOT_DATA_DIR": str(data_dir)}
    seeded = safebot("demo-data", "--seed", "7", env=env)
    assert seeded.returncode == 0, seeded.stderr
    added = safebot("reviewer", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n", env=env)
    assert added.returncode == 0, added.stderr
    try:
        with dashboard_process(data_dir, env) as url:
            yield url
    except DashboardDidNotStart as failed:
        pytest.fail(str(failed))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is needed at /usr/bin/chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.time_sensitive
def test_a_reviewer_logs_in_reads_charts_filters_and_downloads_csv(
    browser: object, dashboard_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(dashboard_url + "/")
        expect(page).to_have_url(dashboard_url + "/login")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(dashboard_url + "/")

        # Charts are inline SVG with data marks: lines and points, bars.
        trend = page.locator("#trend svg")
        expect(trend).to_be_visible()
        assert trend.locator("path.series").count() >= 3
        assert trend.locator("circle.point").count() >= 20
        assert page.locator("#countries svg rect.bar").count() >= 5
        assert page.locator("#helpfulness svg rect.bar").count() == 6
        assert page.locator("#clarification svg rect.bar").count() == 4
        expect(page.locator(".rule")).to_contain_text(f"fewer than {K} distinct children")
        expect(page.locator("#glossary")).to_contain_text("counts twice")

        # A filter: monthly figures by country, English-speaking children only.
        page.select_option("select[name=period]", "month")
        page.select_option("select[name=by]", "country")
        page.select_option("select[name=locale]", "en")
        page.click("button:has-text('Apply')")
        expect(page).to_have_url(re.compile(r"period=month.*by=country.*locale=en"))
        header = page.locator("#figures thead th").nth(1)
        expect(header).to_have_text("country")
        groups = set(page.locator("#figures tbody th:nth-child(2)").all_inner_texts())
        assert "United Kingdom" in groups and "Russia" not in groups
        expect(page.locator("#active-filters")).to_contain_text("language: English (en)")
        assert page.locator("#trend svg path.series").count() >= 3

        with page.expect_download() as info:
            page.click("#csv")
        path = tmp_path / "download.csv"
        info.value.save_as(path)
        assert info.value.suggested_filename.startswith("safebot-stats-month-by-country-")
        assert "language-en" in info.value.suggested_filename
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("# SafeBot statistics by month and country")
        rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
        assert rows and {len(r["month"]) for r in rows if r["month"] != "all months"} == {7}
        hidden = f"hidden (fewer than {K} children or hidden to protect such a figure)"
        for row in rows:
            if row["children"] == hidden:
                assert all(
                    v == hidden
                    for k, v in row.items()
                    if k not in ("month", "country", "days of data")
                )
            else:
                assert int(row["children"]) >= K, row
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        page.click("button:has-text('Log out')")
        expect(page).to_have_url(dashboard_url + "/login")
        page.goto(dashboard_url + "/")
        expect(page).to_have_url(dashboard_url + "/login")
    finally:
        context.close()


@pytest.mark.time_sensitive
def test_in_the_browser_every_page_but_the_login_leads_to_the_login(
    browser: object, dashboard_url: str
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context()
    try:
        page = context.new_page()
        for path in PROTECTED:
            response = page.goto(dashboard_url + path)
            assert response is not None and response.status == 200
            assert page.url == dashboard_url + "/login", path
            assert page.locator("input[name=password]").count() == 1
            assert page.locator("svg").count() == 0
    finally:
        context.close()


#: Screenshots of every view, kept for people to look at (CI keeps var/test-artifacts).
SCREENS = PROJECT_ROOT / "var" / "test-artifacts" / "screens"
#: Every view of the dashboard a reviewer reaches, by a file-name-safe name.
VIEWS = {
    "overview": "/",
    "monthly-by-country-english": "/?period=month&by=country&locale=en",
    "privacy-in-the-uk-per-day": "/?intent=privacy&country=GB&measure=per_day",
    "monthly-report": "/report",
}


def signed_in_context(browser: object, dashboard_url: str, **options: object) -> object:
    """A browser context logged in as alice."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(dashboard_url + "/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(dashboard_url + "/")
    page.close()
    return context


def axe_violations(page: object) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page (axe ships in its Python wheel)."""
    from importlib.resources import files

    from playwright.sync_api import Page

    assert isinstance(page, Page)
    script = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(script)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.time_sensitive
def test_every_view_at_two_widths_has_no_serious_accessibility_problem(
    browser: object, dashboard_url: str
) -> None:
    """axe-core on every view at 1280 and 390 px; each view's screenshot is saved."""
    from playwright.sync_api import Browser, BrowserContext

    assert isinstance(browser, Browser)
    SCREENS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict[str, object]]] = {}
    for width, height in ((1280, 900), (390, 844)):
        anonymous = browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=True
        )
        try:
            page = anonymous.new_page()
            page.goto(dashboard_url + "/login")
            page.screenshot(path=str(SCREENS / f"login-{width}.png"), full_page=True)
            found[f"login-{width}"] = axe_violations(page)
        finally:
            anonymous.close()
        context = signed_in_context(
            browser, dashboard_url, viewport={"width": width, "height": height}, bypass_csp=True
        )
        assert isinstance(context, BrowserContext)
        try:
            page = context.new_page()
            for name, path in VIEWS.items():
                response = page.goto(dashboard_url + path)
                assert response is not None and response.status == 200, path
                assert page.url.startswith(dashboard_url + path.split("?")[0]), path
                page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
                found[f"{name}-{width}"] = axe_violations(page)
                # Nothing wider than the window but the table, which scrolls in its own box.
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 1, (name, width, overflow)
                if page.locator("#figures").count():
                    _check_the_table_reads_on_this_width(page, width)
        finally:
            context.close()
    print(f"\nscreenshots: {SCREENS}")
    assert {view: problems for view, problems in found.items() if problems} == {}


def _check_the_table_reads_on_this_width(page: Any, width: int) -> None:
    """On a phone the table says it has more columns, and its periods stay in view when it
    is scrolled sideways to the children; on a wide screen no hint is needed."""
    hint = page.locator(".scroll-hint")
    wrap = page.locator(".table-wrap")
    scrolls = page.evaluate(
        "() => { const w = document.querySelector('.table-wrap'); "
        "return w.scrollWidth > w.clientWidth; }"
    )
    assert hint.is_visible() == (width < 600), width
    if not scrolls:
        return
    assert width < 600, "the table scrolls on a wide screen"
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    first = page.locator("#figures tbody tr").first.locator("th").first.bounding_box()
    box = wrap.bounding_box()
    assert first is not None and box is not None
    assert box["x"] - 1 <= first["x"] <= box["x"] + 2, (first, box)  # still at the left edge
    wrap.evaluate("w => { w.scrollLeft = 0; }")


@pytest.mark.time_sensitive
def test_the_keyboard_reaches_the_figures_first_and_focus_is_visible(
    browser: object, dashboard_url: str
) -> None:
    from playwright.sync_api import BrowserContext

    context = signed_in_context(browser, dashboard_url)
    assert isinstance(context, BrowserContext)
    try:
        page = context.new_page()
        page.goto(dashboard_url + "/")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        assert page.evaluate("document.activeElement.className") == "skip"
        box = skip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown when focused
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
        page.keyboard.press("Tab")  # the first control of the filters
        assert page.evaluate("document.activeElement.name") == "period"
    finally:
        context.close()


@pytest.mark.time_sensitive
def test_the_monthly_report_prints_to_a_pdf(
    browser: object, dashboard_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import BrowserContext

    context = signed_in_context(browser, dashboard_url)
    assert isinstance(context, BrowserContext)
    try:
        page = context.new_page()
        page.goto(dashboard_url + "/report")
        heading = page.locator("#report-heading").inner_text()
        assert heading.startswith("Monthly report: ")
        page.emulate_media(media="print")
        hidden_in_print = page.evaluate(
            "['header nav', 'header form', 'a.skip'].map("
            "s => getComputedStyle(document.querySelector(s)).display)"
        )
        assert hidden_in_print == ["none", "none", "none"]
        assert page.locator("#figures").is_visible()
        assert page.locator("#glossary dl").is_visible()
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and len(data) > 20_000
        # The document title (the month) is in the PDF's metadata, as text or UTF-16.
        title = page.title()
        assert title.startswith("Monthly report ")
        month = title.removeprefix("Monthly report ").split(" · ")[0]
        assert month.encode() in data or month.encode("utf-16-be").hex().upper().encode() in (
            data.upper()
        )
        SCREENS.mkdir(parents=True, exist_ok=True)
        (SCREENS / "monthly-report.pdf").write_bytes(data)
    finally:
        context.close()
