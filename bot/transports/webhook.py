"""The webhook server (``safebot serve``): one Starlette app, stateless, as many replicas as needed.

- ``POST /telegram``: Telegram's webhook. The secret header is compared in constant time (403
  otherwise). The update is answered **before** the request is (so Telegram, which waits for the
  answer, keeps each chat's order); a redelivered ``update_id`` is answered once
  (``bot.storage.update_ledger``); a child's turns never interleave, in this process (a lock
  per chat) or across replicas (a PostgreSQL advisory lock on the child's pseudonym).
- ``GET /healthz``: the process lives. ``GET /readyz``: database reachable at the current
  schema, content and models loaded (503 with the reason otherwise).
- ``GET /metrics``: Prometheus metrics from a registry of this app only.

Nothing of an update's content is logged: an unreadable one by its ``update_id`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.pseudonym import key_problem
from bot.service.runtime import Runtime, StartupError
from bot.settings import Settings
from bot.storage.advisory_locks import child_key
from bot.storage.database import schema_problem, upgrade
from bot.storage.update_ledger import (
    LedgerUnavailable,
    LockTimeout,
    UpdateLedger,
    open_update_ledger,
)
from bot.transports.chat_locks import ChatLocks
from bot.transports.chat_order import chat_key
from bot.transports.telegram import PLATFORM, build_application, start_services, stop_services
from bot.transports.telegram_updates import readable_update, update_id_of
from bot.transports.webhook_metrics import CONTENT_TYPE, WebhookMetrics

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's updates are a few kilobytes; anything far bigger is not from Telegram.
MAX_BODY_BYTES = 1 << 20
#: Telegram's rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
_SECRET_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
#: Pauses between tries to reach Telegram (getMe) when it failed at start-up.
_TELEGRAM_RETRY_SECONDS = 5.0
#: How long a known-current schema is believed before /readyz asks the database again.
_SCHEMA_RECHECK_SECONDS = 1.0
_GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def webhook_secret_problem(secret: SecretStr | None) -> str | None:
    """What makes the webhook secret unusable (missing, weak, not Telegram's alphabet), or None."""
    if secret is None or not secret.get_secret_value():
        return f"TELEGRAM_WEBHOOK_SECRET is not set. Generate one with `{_GENERATE}`."
    value = secret.get_secret_value()
    if len(value) > 256 or not set(value) <= _SECRET_CHARACTERS:
        return (
            "TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (at most 256 "
            f"characters), as Telegram requires. Generate one with `{_GENERATE}`."
        )
    problem = key_problem(value)
    if problem:
        return f"TELEGRAM_WEBHOOK_SECRET is not usable: {problem}. Generate one with `{_GENERATE}`."
    return None


def _json(status: int, **body: object) -> JSONResponse:
    return JSONResponse(body, status_code=status)


@dataclass
class WebhookServer:
    """The state behind the app: runtime, Telegram application, ledger, locks, metrics."""

    settings: Settings
    token: str
    secret: str
    build_runtime: Callable[[], Runtime]
    metrics: WebhookMetrics = field(default_factory=WebhookMetrics)
    runtime: Runtime | None = None
    application: Application | None = None
    ledger: UpdateLedger | None = None
    #: Why the server cannot answer children (models, content, Telegram), or None.
    problem: str | None = "starting"
    _telegram_ready: bool = False
    _schema_checked_at: float = float("-inf")
    _locks: ChatLocks = field(default_factory=ChatLocks)
    _slots: asyncio.Semaphore | None = None
    _retry: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Build everything; a problem a person must fix leaves the server up but not ready."""
        settings = self.settings
        self._slots = asyncio.Semaphore(settings.telegram_concurrent_updates)
        try:
            self.runtime = await asyncio.to_thread(self.build_runtime)
        except StartupError as error:
            self.problem = str(error)
            logger.error("not ready: %s", error)
            return
        runtime = self.runtime
        runtime.service.observers.append(self.metrics.observe_event)
        if settings.migrate_on_start:
            try:
                await asyncio.to_thread(upgrade, runtime.database)
            except Exception as error:  # the class only: a driver message may hold the URL
                logger.warning("could not migrate at start (%s)", type(error).__name__)
        self.ledger = open_update_ledger(
            runtime.database,
            connections=settings.telegram_concurrent_updates,
            lock_timeout_seconds=settings.webhook_lock_timeout_seconds,
            timeout_seconds=settings.db_timeout_seconds,
        )
        self.application = build_application(
            runtime, token=self.token, base_url=settings.telegram_base_url, webhook=True
        )
        self.problem = None
        if not await self._initialize_telegram():
            self._retry = asyncio.create_task(self._retry_telegram(), name="safebot-telegram-init")

    async def _initialize_telegram(self) -> bool:
        assert self.application is not None
        try:
            await self.application.initialize()  # getMe: the bot's own name, for group commands
        except Exception as error:  # the class only: the message can quote the token
            logger.warning("could not reach Telegram (%s); trying again", type(error).__name__)
            return False
        await start_services(self.application, publish_menu=False)  # `webhook set` does
        self._telegram_ready = True
        return True

    async def _retry_telegram(self) -> None:
        while not await self._initialize_telegram():
            await asyncio.sleep(_TELEGRAM_RETRY_SECONDS)

    async def stop(self) -> None:
        """Stop background work, flush the event log, close connections."""
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
        if self.application is not None and self._telegram_ready:
            await stop_services(self.application)  # the runtime's work, the event log flushed
            await self.application.shutdown()
        elif self.runtime is not None:
            await self.runtime.aclose()
        if self.ledger is not None:
            await self.ledger.aclose()

    # -- readiness ---------------------------------------------------------------------------

    async def readiness_problem(self, *, for_update: bool = False) -> str | None:
        """Why updates cannot be answered now, or None.

        ``for_update``: a schema known current a moment ago is believed, and an unreachable
        database is no reason (the child is answered with defaults, as in polling mode).
        """
        if self.problem is not None:
            return self.problem
        if not self._telegram_ready:
            return "Telegram could not be reached (getMe); trying again"
        assert self.runtime is not None
        now = time.monotonic()
        if for_update and now - self._schema_checked_at < _SCHEMA_RECHECK_SECONDS:
            return None
        try:
            problem = await asyncio.wait_for(
                asyncio.to_thread(self._database_problem), self.settings.db_timeout_seconds * 2
            )
        except Exception as error:  # the class only: a driver message may hold the URL
            if for_update:
                self._schema_checked_at = now  # not asked again for every update meanwhile
                return None
            self._schema_checked_at = float("-inf")
            return f"the database cannot be reached ({type(error).__name__})"
        self._schema_checked_at = now if problem is None else float("-inf")
        return problem

    def _database_problem(self) -> str | None:
        assert self.runtime is not None
        with self.runtime.database.connect() as connection:
            connection.execute(text("SELECT 1"))
        return schema_problem(self.runtime.database)

    # -- updates -----------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        """``POST /telegram``."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret.encode()):
            self.metrics.updates.labels(outcome="forbidden").inc()
            return _json(403, ok=False, reason="wrong or missing secret token")
        started = time.perf_counter()
        problem = await self.readiness_problem(for_update=True)
        if problem is not None:
            self.metrics.updates.labels(outcome="not_ready").inc()
            return _json(503, ok=False, reason=problem)  # Telegram sends it again later
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            self.metrics.updates.labels(outcome="malformed").inc()
            return _json(413, ok=False, reason="too large for an update")
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            self.metrics.updates.labels(outcome="malformed").inc()
            return _json(400, ok=False, reason="not JSON")
        update_id = update_id_of(data)
        if update_id is None:
            self.metrics.updates.labels(outcome="malformed").inc()
            return _json(400, ok=False, reason="not an update")
        assert self.application is not None
        update = readable_update(data, self.application.bot)
        if update is None:
            # Like polling: skipped by its number, so Telegram does not send it again and again.
            self.metrics.updates.labels(outcome="unreadable").inc()
            return _json(200, ok=True, outcome="unreadable")
        outcome = await self._answer(update, update_id)
        self.metrics.updates.labels(outcome=outcome).inc()
        if outcome == "busy":
            return _json(503, ok=False, reason="the child's previous message is still in work")
        if outcome in ("answered", "unguarded"):
            self.metrics.reply_seconds.observe(time.perf_counter() - started)
        return _json(200, ok=True, outcome=outcome)

    async def _answer(self, update: Update, update_id: int) -> str:
        """Answer one update in its chat's turn; the outcome, for the metrics."""
        assert self.application is not None and self.ledger is not None and self._slots
        key: Hashable = chat_key(update) or ("update", update_id)
        async with self._locks.hold(key), self._slots:
            try:
                async with self.ledger.claim(update_id, self._lock_key(update, update_id)) as ours:
                    if not ours:
                        return "duplicate"
                    await self.application.process_update(update)
                    return "answered"
            except LockTimeout:
                logger.warning("update %d: the child's turn is held elsewhere; 503", update_id)
                return "busy"
            except LedgerUnavailable as error:
                # The child's answer comes first: answered without the once-only guarantee.
                logger.warning("update %d answered without the ledger (%s)", update_id, error)
                await self.application.process_update(update)
                return "unguarded"

    def _lock_key(self, update: Update, update_id: int) -> int:
        """The advisory lock key: the child's pseudonym, else the update itself."""
        assert self.runtime is not None
        user = update.effective_user
        if user is not None:
            return child_key(self.runtime.service.pseudonym(PLATFORM, user.id))
        return child_key(hashlib.sha256(f"update:{update_id}".encode()).hexdigest())

    # -- the other endpoints -----------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        """``GET /healthz``: the process lives."""
        return _json(200, alive=True)

    async def readyz(self, request: Request) -> Response:
        """``GET /readyz``: 200 when updates can be answered, else 503 and the reason."""
        problem = await self.readiness_problem()
        if problem is not None:
            return _json(503, ready=False, reason=problem)
        return _json(200, ready=True)

    async def metrics_page(self, request: Request) -> Response:
        """``GET /metrics``."""
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE)


def build_webhook_app(server: WebhookServer) -> Starlette:
    """The Starlette app around a :class:`WebhookServer`."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    routes = [
        Route("/telegram", server.handle, methods=["POST"]),
        Route("/healthz", server.healthz, methods=["GET"]),
        Route("/readyz", server.readyz, methods=["GET"]),
        Route("/metrics", server.metrics_page, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.server = server
    return app
