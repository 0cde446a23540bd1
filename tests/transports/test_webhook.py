"""The webhook app in this process: secret, readiness, once-only answers, metrics, bad bodies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.logging_setup import configure_logging
from bot.service.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.database import make_engine, upgrade
from bot.transports.webhook import (
    SECRET_HEADER,
    WebhookServer,
    build_webhook_app,
    webhook_secret_problem,
)
from tests.conftest import TEST_KEY, make_settings
from tests.support.botapi import BotApiStandIn, private_message

TOKEN = "123456789:AAHwebhook-in-process-token"
SECRET = "Wh00k_s3cret-Zq8xY2kP7mNv4Lr9Tb1Wc6Hd"
MARKER = "okapi-marker-77d2"
CHILD = 918273645


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn().start()
    yield standin
    standin.stop()


def settings_for(tmp_path: Path, models_dir: Path, api: BotApiStandIn, **extra: object) -> Settings:
    return make_settings(
        tmp_path,
        models_dir,
        telegram_base_url=api.base_url,
        reload_seconds=0,
        **extra,
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, WebhookServer]]:
    def runtime() -> Runtime:
        return build_runtime(
            settings, pseudonym_key=TEST_KEY, migrate=False, train=False, daily_purge=False
        )

    server = WebhookServer(settings=settings, token=TOKEN, secret=SECRET, build_runtime=runtime)
    app = build_webhook_app(server)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://webhook") as client:
            yield client, server


def migrate(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    engine.dispose()


async def post(
    client: httpx.AsyncClient, body: object, secret: str | None = SECRET
) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/telegram", content=content, headers=headers)


def test_the_secret_must_be_long_random_and_in_telegrams_alphabet() -> None:
    assert "not set" in (webhook_secret_problem(None) or "")
    assert "shorter" in (webhook_secret_problem(SecretStr("abc")) or "")
    assert "A-Z" in (webhook_secret_problem(SecretStr(SECRET + "!")) or "")
    assert "random" in (webhook_secret_problem(SecretStr("ab" * 20)) or "")
    assert webhook_secret_problem(SecretStr(SECRET)) is None


async def test_not_ready_until_migrated_then_answers_once(
    tmp_path: Path, models_dir: Path, api: BotApiStandIn
) -> None:
    settings = settings_for(tmp_path, models_dir, api)
    async with serving(settings) as (client, _):
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "safebot migrate" in ready.json()["reason"]
        update = {"update_id": 10, **private_message(CHILD, "hi")}
        assert (await post(client, update)).status_code == 503  # Telegram sends it again later

        migrate(settings)
        assert (await client.get("/readyz")).json() == {"ready": True}
        first = await post(client, update)
        assert first.status_code == 200 and first.json()["outcome"] == "answered"
        assert len(api.sent(CHILD)) == 1  # sent before the request was answered
        again = await post(client, update)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        assert len(api.sent(CHILD)) == 1

        metrics = (await client.get("/metrics")).text
        assert 'safebot_updates_total{outcome="answered"} 1.0' in metrics
        assert 'safebot_updates_total{outcome="duplicate"} 1.0' in metrics
        assert 'safebot_classifications_total{engine="spacy"} 1.0' in metrics
        assert "safebot_reply_seconds_count 1.0" in metrics
        assert str(CHILD) not in metrics
        assert not any(word in metrics for word in ("chat", "user", "pseudonym"))
    # A replica never publishes the command menu (``safebot webhook set`` does, once per deploy).
    assert api.sent(method="setMyCommands") == []


async def test_wrong_secret_and_bad_bodies(
    tmp_path: Path, models_dir: Path, api: BotApiStandIn
) -> None:
    settings = settings_for(tmp_path, models_dir, api)
    migrate(settings)
    update = {"update_id": 11, **private_message(78, MARKER)}
    logs = io.StringIO()
    handler = configure_logging("DEBUG", secrets=[TOKEN, SECRET], stream=logs, json_lines=True)
    try:
        async with serving(settings) as (client, _):
            assert (await post(client, update, secret=None)).status_code == 403
            assert (await post(client, update, secret=SECRET[:-1] + "x")).status_code == 403
            assert api.sent(78) == []
            assert (await post(client, b"{not json " + MARKER.encode())).status_code == 400
            assert (await post(client, {"text": MARKER})).status_code == 400
            unreadable = {"update_id": 12, "message": {"chat": [MARKER], "text": MARKER}}
            answer = await post(client, unreadable)
            assert answer.status_code == 200 and answer.json()["outcome"] == "unreadable"
            assert (await post(client, b"x" * (1 << 21))).status_code == 413
            assert (await post(client, update)).json()["outcome"] == "answered"
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert any(
        line["message"] == "skipped update 12 that could not be read (KeyError)" for line in lines
    )
    text = logs.getvalue()
    assert MARKER not in text and SECRET not in text and TOKEN not in text


async def test_a_missing_model_is_not_trained_but_named(tmp_path: Path, api: BotApiStandIn) -> None:
    settings = settings_for(tmp_path, tmp_path / "no-models", api)
    async with serving(settings) as (client, _):
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "safebot train" in ready.json()["reason"]
        assert (await post(client, {"update_id": 1, **private_message(1, "hi")})).status_code == 503
    assert not (tmp_path / "no-models").exists()
