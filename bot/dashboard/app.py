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

from bot.dashboard.auth import COOKIE_NAME, Auth, Outcome, Policy, SignedIn
from bot.dashboard.overview import DashboardData, Query
from bot.dashboard.templates import environment
from bot.settings import Settings
from bot.stats import (
    ALL,
    COLUMN_HELP,
    COLUMNS,
    DIMENSIONS,
    HEADINGS,
    PERIODS,
    format_csv,
    perturbation_rule,
    suppression_rule,
)
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

    async def overview(self, request: Request) -> Response:
        """Filters, charts and the table."""
        query, problems = Query.parse(request.query_params)
        overview = await run_in_threadpool(self.data.overview, query)
        locales, countries = await run_in_threadpool(self.data.options)
        return self.render(
            "overview.html",
            status_code=400 if problems else 200,
            signed_in=request.state.signed_in,
            query=query,
            problems=problems,
            overview=overview,
            k=self.data.k,
            rule=f"{suppression_rule(self.data.k)} {perturbation_rule(self.data.k)}",
            periods=PERIODS,
            dimensions=DIMENSIONS,
            locales=locales,
            countries=countries,
            rows=overview.table.rows(),
            columns=COLUMNS,
            headings={**HEADINGS, "group": query.by},
            column_help=COLUMN_HELP,
            all_label=ALL,
            csv_params=urlencode(query.params()),
        )

    async def export_csv(self, request: Request) -> Response:
        """The table of the current filters as CSV, suppressed exactly as on the page."""
        query, problems = Query.parse(request.query_params)
        if problems:
            return PlainTextResponse("\n".join(problems), status_code=400)
        overview = await run_in_threadpool(self.data.overview, query)
        text = format_csv(overview.table)
        name = f"safebot-stats-{query.period}-{query.by}.csv"
        signed_in = request.state.signed_in
        await run_in_threadpool(
            self.auth.audit,
            "export",
            signed_in.reviewer_id if signed_in is not None else None,
            f"csv {urlencode(query.params())}",
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


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


def create_app(settings: Settings, engine: Engine, *, cache_seconds: float = 60.0) -> Starlette:
    """The dashboard on an (already migrated) database engine."""
    auth = Auth(session_factory(engine), Policy.from_settings(settings))
    data = DashboardData(engine, k=settings.min_cell_users, cache_seconds=cache_seconds)
    dashboard = Dashboard(data, auth)
    routes = [
        Route(LOGIN_PATH, dashboard.login_page, methods=["GET"]),
        Route(LOGIN_PATH, dashboard.login, methods=["POST"]),
        Route("/logout", dashboard.logout, methods=["POST"]),
        Route("/", dashboard.overview, methods=["GET"]),
        Route("/export.csv", dashboard.export_csv, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, auth=auth)])
