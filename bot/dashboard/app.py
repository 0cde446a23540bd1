"""The reviewers' dashboard: a Starlette app; every page but the login needs a session."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.clock import Clock, system_clock
from bot.dashboard.auth import COOKIE_NAME, Auth, Outcome, Policy, SignedIn
from bot.dashboard.figures import COLUMNS, GLOSSARY, headings, hidden_words
from bot.dashboard.labels import DIMENSION_WORDS, MISSING_WORDS, Labels
from bot.dashboard.overview import MEASURES, DashboardData, Overview, Query, Report
from bot.dashboard.templates import environment
from bot.settings import Settings
from bot.stats import DIMENSIONS, PERIODS, format_rows_csv, perturbation_rule, suppression_rule
from bot.storage.database import session_factory

logger = logging.getLogger(__name__)

LOGIN_PATH = "/login"
#: Sent with every response: nothing is cached, framed, sniffed or loaded from elsewhere.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class Dashboard:
    """The pages, bound to one database and one set of settings."""

    def __init__(self, data: DashboardData, auth: Auth) -> None:
        self.data = data
        self.auth = auth
        self.templates = environment()

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page from a template."""
        context.setdefault("signed_in", None)
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code)

    async def login_page(self, request: Request) -> Response:
        """The login form (or the overview, for someone logged in already)."""
        signed_in = await run_in_threadpool(self.auth.signed_in, request.cookies.get(COOKIE_NAME))
        if signed_in is not None:
            return RedirectResponse("/", status_code=303)
        return self.render("login.html", message=None)

    async def login(self, request: Request) -> Response:
        """Check the form; the same message whether the username or the password was wrong."""
        form = await request.form()
        username = str(form.get("username") or "")[:200]
        password = str(form.get("password") or "")[:1000]
        address = self.auth.policy.client_address(
            request.client.host if request.client else None, request.headers.get("x-forwarded-for")
        )
        result = await run_in_threadpool(self.auth.login, username, password, address)
        if result.outcome is Outcome.LIMITED:
            logger.warning("dashboard: login refused, too many failed attempts")
            minutes = int(self.auth.policy.window.total_seconds() // 60)
            return self.render(
                "message.html",
                status_code=429,
                heading="Too many attempts",
                message=(
                    "There were too many failed logins for this account or from this "
                    f"computer. Please wait {minutes} minutes and try again."
                ),
            )
        if result.outcome is Outcome.FAILED or result.token is None:
            logger.info("dashboard: failed login")
            return self.render("login.html", status_code=401, message="Wrong username or password.")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE_NAME,
            result.token,
            max_age=int(self.auth.policy.absolute.total_seconds()),
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    async def logout(self, request: Request) -> Response:
        """End the session and go back to the login page."""
        await run_in_threadpool(self.auth.logout, request.cookies.get(COOKIE_NAME))
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return response

    def _page_context(self, query: Query, overview: Overview) -> dict[str, Any]:
        """What the overview and the report share."""
        return {
            "query": query,
            "overview": overview,
            "k": self.data.k,
            "hidden_words": hidden_words(self.data.k),
            "rule": suppression_rule(self.data.k).replace(f"<{self.data.k}", "hidden")
            + " "
            + perturbation_rule(self.data.k),
            "columns": COLUMNS,
            "headings": headings(query.period, query.by),
            "glossary": GLOSSARY,
            "missing_words": MISSING_WORDS,
            "dimension_words": DIMENSION_WORDS,
        }

    async def overview(self, request: Request) -> Response:
        """Filters, glossary, charts and the table."""
        query, problems = Query.parse(request.query_params, today=self.data.clock().date())
        overview = await run_in_threadpool(self.data.overview, query)
        options = await run_in_threadpool(self.data.options)
        return self.render(
            "overview.html",
            status_code=400 if problems else 200,
            signed_in=request.state.signed_in,
            problems=problems,
            periods=PERIODS,
            dimensions=DIMENSIONS,
            measures=MEASURES,
            options=options,
            rows=overview.figure_rows(),
            csv_params=urlencode(query.params()),
            report_params=urlencode(report_params(query, overview)),
            **self._page_context(query, overview),
        )

    async def report(self, request: Request) -> Response:
        """One month's figures by topic, compared with the month before, made for printing."""
        report, problems = Report.parse(request.query_params, self.data.clock().date())
        if problems:
            return PlainTextResponse("\n".join(problems), status_code=400)
        overview = await run_in_threadpool(self.data.overview, report.query)
        compared = await run_in_threadpool(self.data.overview, report.compared)
        rows = [row for row in compared.figure_rows() if row.cells["period"].text == report.label]
        return self.render(
            "report.html",
            signed_in=request.state.signed_in,
            report=report,
            rows=rows,
            **self._page_context(report.query, overview),
        )

    async def export_csv(self, request: Request) -> Response:
        """The table of the current filters as CSV, suppressed and worded exactly as on the page."""
        # Without dates the file covers what the page opens on (the recent weeks or months).
        query, problems = Query.parse(request.query_params, today=self.data.clock().date())
        if problems:
            return PlainTextResponse("\n".join(problems), status_code=400)
        overview = await run_in_threadpool(self.data.overview, query)
        names = headings(query.period, query.by)
        comment = (
            f"SafeBot statistics by {query.period} and {DIMENSION_WORDS[query.by]}; "
            f"{'; '.join(overview.filter_words())}; {hidden_words(self.data.k)} where a "
            f"figure is hidden"
        )
        text = format_rows_csv(
            comment,
            [names[c] for c in COLUMNS],
            ([row.cells[c].value for c in COLUMNS] for row in overview.figure_rows()),
        )
        signed_in = request.state.signed_in
        await run_in_threadpool(
            self.auth.audit,
            "export",
            signed_in.reviewer_id if signed_in is not None else None,
            f"csv {urlencode(query.params())}",
        )
        return Response(
            # A byte-order mark first: spreadsheet programs read the file as UTF-8 only with
            # one, and would show Cyrillic and Turkish names of countries as garbled letters.
            "\ufeff" + text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{csv_name(query)}"'},
        )


def csv_name(query: Query) -> str:
    """The CSV's file name: period, grouping and every filter (codes are letters, digits, _)."""
    f = query.filters
    parts = ["safebot-stats", query.period, "by", query.by]
    if f.since or f.until:
        parts += [f.since.isoformat() if f.since else "start", "to"]
        parts.append(f.until.isoformat() if f.until else "today")
    else:
        parts.append("all-dates")
    for name, value in (("language", f.locale), ("country", f.country), ("topic", f.intent)):
        if value:
            parts += [name, value]
    return "-".join(parts) + ".csv"


def report_params(query: Query, overview: Overview) -> dict[str, str]:
    """The monthly report's parameters for the overview's filters: its last whole month."""
    params = {
        name: value
        for name, value in query.params().items()
        if name in ("locale", "country", "intent")
    }
    for start, cover in reversed(list(overview.coverages().items())):
        if not cover.running and query.period == "month":
            params["month"] = start.strftime("%Y-%m")
            break
    return params


class Guard(BaseHTTPMiddleware):
    """Sends everyone without a live session to the login page; adds the security headers."""

    def __init__(self, app: Any, auth: Auth) -> None:
        super().__init__(app)
        self.auth = auth

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Check the session (and the origin of forms), then call the page."""
        response: Response
        origin = request.headers.get("origin")
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if request.method == "POST" and origin is not None and origin != expected:
            response = PlainTextResponse("Forms must come from this site.", status_code=403)
        elif request.url.path == LOGIN_PATH:
            response = await self._page(request, call_next)
        else:
            token = request.cookies.get(COOKIE_NAME)
            signed_in: SignedIn | None = None
            if token:
                signed_in = await run_in_threadpool(self.auth.signed_in, token)
            if signed_in is None:
                response = RedirectResponse(LOGIN_PATH, status_code=303)
                if token:
                    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
            else:
                request.state.signed_in = signed_in
                response = await self._page(request, call_next)
        response.headers.update(SECURITY_HEADERS)
        return response

    @staticmethod
    async def _page(request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            return await call_next(request)
        except Exception as error:  # the class only: a message could hold query values
            logger.error("dashboard: %s on %s", type(error).__name__, request.url.path)
            return PlainTextResponse("Something went wrong; please try again.", status_code=500)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    cache_seconds: float = 60.0,
    clock: Clock = system_clock,
    perturb: bool = True,
) -> Starlette:
    """The dashboard on an (already migrated) database engine.

    ``perturb=False`` shows true figures without the cell-key noise: for tests of exact figures.
    """
    auth = Auth(session_factory(engine), Policy.from_settings(settings))
    data = DashboardData(
        engine,
        k=settings.min_cell_users,
        labels=Labels.from_content(settings.content_dir),
        cache_seconds=cache_seconds,
        clock=clock,
        perturb=perturb,
    )
    dashboard = Dashboard(data, auth)
    routes = [
        Route(LOGIN_PATH, dashboard.login_page, methods=["GET"]),
        Route(LOGIN_PATH, dashboard.login, methods=["POST"]),
        Route("/logout", dashboard.logout, methods=["POST"]),
        Route("/", dashboard.overview, methods=["GET"]),
        Route("/report", dashboard.report, methods=["GET"]),
        Route("/export.csv", dashboard.export_csv, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, auth=auth)])
