"""``safebot run`` with many children at once: concurrent across children, in order within one.

A real bot process against the Bot API stand-in. A child whose answer is stuck in Telegram
must not hold up the other children, and must not get their next answers before the stuck one.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.support.bot_process import bot_process
from tests.support.botapi import BotApiStandIn, Fault, private_message

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-secret"
#: Commands whose answers are one message each and do not depend on what came before.
SEQUENCE = ["/help", "/privacy", "/language", "/country", "/help", "/privacy"]
CHILDREN = 30
_REFERENCE_CHATS = itertools.count(6900)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn().start()
    data_dir = tmp_path_factory.mktemp("bot-concurrency")
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": standin.base_url,
        "SAFEBOT_PSEUDONYM_KEY": TEST_KEY.get_secret_value(),
        "SAFEBOT_DATA_DIR": str(data_dir),
        "SAFEBOT_MODELS_PATH": str(models_dir),
        "SAFEBOT_DATABASE_URL": f"sqlite:///{data_dir / 'bot.sqlite3'}",
        # A held answer must stay held for the whole test, not time out.
        "SAFEBOT_TELEGRAM_TIMEOUT_SECONDS": "120",
    }
    try:
        with bot_process(standin, env, data_dir / "bot.log"):
            yield standin
    finally:
        standin.stop()


def _texts(api: BotApiStandIn, chat: int) -> list[str]:
    return [call.params["text"] for call in api.sent(chat)]


def test_a_child_stuck_in_telegram_holds_up_nobody_else_and_keeps_their_order(
    api: BotApiStandIn,
) -> None:
    stuck, other = 6001, 6002
    release = threading.Event()
    api.inject("sendMessage", Fault.held(release))
    try:
        api.push(private_message(stuck, "/help"))
        api.wait_for(1, chat_id=stuck)  # its answer reached Telegram, which does not reply
        api.push(private_message(stuck, "/privacy"))
        api.push(private_message(other, "/help"))
        api.wait_for(1, chat_id=other)  # answered while the first child is stuck
        # The stuck child's next message waits for its first: never answered out of order.
        assert len(api.sent(stuck)) == 1
    finally:
        release.set()
    api.wait_for(2, chat_id=stuck)
    assert _texts(api, stuck) == [_texts(api, other)[0], _reference(api, ["/privacy"])[0]]


def _reference(api: BotApiStandIn, commands: list[str]) -> list[str]:
    """The answers to ``commands`` from a child alone with the bot."""
    chat = next(_REFERENCE_CHATS)
    for command in commands:
        api.push(private_message(chat, command))
        api.wait_for(len(api.sent(chat)) + 1, chat_id=chat)
    return _texts(api, chat)


def test_many_children_at_once_are_all_answered_each_in_order(api: BotApiStandIn) -> None:
    expected = _reference(api, SEQUENCE)
    assert len(set(expected)) == len(set(SEQUENCE))  # the answers tell the messages apart
    children = [7000 + n for n in range(CHILDREN)]
    before = len(api.sent())
    for command in SEQUENCE:  # interleaved, as many children typing at once would be
        for child in children:
            api.push(private_message(child, command))
    api.wait_for(before + len(expected) * CHILDREN, timeout=120)
    for child in children:
        assert _texts(api, child) == expected, f"child {child}"
