"""``safebot webhook set|info|delete`` against the Bot API stand-in; ``serve`` refusing to start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.transports.telegram import ALLOWED_UPDATES
from tests.conftest import TEST_KEY
from tests.support.botapi import BotApiStandIn
from tests.support.cli import safebot

TOKEN = "123456789:AAHwebhook-cli-token-secret"
SECRET = "cLi-Secret_9xQ2mV7pL4rT8wB1nF6hJ0cD5gZk3"


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn().start()
    yield standin
    standin.stop()


def env(api: BotApiStandIn, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        **extra,
    }


def test_set_info_delete(api: BotApiStandIn) -> None:
    url = "https://bot.example.org/telegram"
    result = safebot("webhook", "set", url, "--max-connections", "60", env=env(api))
    assert result.returncode == 0, result.stderr
    assert api.webhook["url"] == url
    assert api.webhook["secret_token"] == SECRET
    assert api.webhook["allowed_updates"] == ALLOWED_UPDATES
    assert int(api.webhook["max_connections"]) == 60
    # The command menu is published here, once per deploy: each language and the default.
    menus = api.sent(method="setMyCommands")
    assert sorted(str(c.params.get("language_code", "")) for c in menus) == [
        "",
        "en",
        "ru",
        "tr",
        "uk",
    ]
    assert all("forget" in str(c.params["commands"]) for c in menus)

    info = safebot("webhook", "info", env=env(api))
    assert info.returncode == 0, info.stderr
    assert url in info.stdout and "60" in info.stdout and "callback_query" in info.stdout
    assert SECRET not in info.stdout + info.stderr and TOKEN not in info.stdout + info.stderr

    deleted = safebot("webhook", "delete", env=env(api))
    assert deleted.returncode == 0, deleted.stderr
    assert api.webhook == {}
    assert "(none" in safebot("webhook", "info", env=env(api)).stdout


def test_set_refuses_plain_http_and_a_weak_secret(api: BotApiStandIn) -> None:
    plain = safebot("webhook", "set", "http://bot.example.org/telegram", env=env(api))
    assert plain.returncode == 2 and "https://" in plain.stderr
    weak = safebot(
        "webhook",
        "set",
        "https://bot.example.org/telegram",
        env=env(api, TELEGRAM_WEBHOOK_SECRET="short"),
    )
    assert weak.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in weak.stderr
    assert api.sent(method="setWebhook") == []


def test_serve_refuses_to_start_without_a_secret(api: BotApiStandIn) -> None:
    result = safebot(
        "serve",
        env={
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "TELEGRAM_WEBHOOK_SECRET": "",
            "SAFEBOT_PSEUDONYM_KEY": TEST_KEY.get_secret_value(),
        },
    )
    assert result.returncode == 2
    assert "Refusing to start: TELEGRAM_WEBHOOK_SECRET is not set" in result.stderr
