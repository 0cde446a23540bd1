"""Sending under faults: the real Application against a Bot API stand-in that answers 429, 5xx
or slowly. The real answer arrives exactly once; when it cannot, the helpline does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.service.runtime import build_runtime
from bot.transports.telegram import ALLOWED_UPDATES, build_application
from tests.conftest import TEST_KEY, make_settings
from tests.support.botapi import BotApiStandIn, Call, Fault, button_press, private_message

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-delivery"
CRISIS = "everyone would be better off without me"
SORRY = "something went wrong"


class Bot:
    """The running Application and the stand-in it talks to."""

    def __init__(self, api: BotApiStandIn, application: Application) -> None:
        self.api = api
        self.application = application

    async def wait_for(self, count: int, **kwargs: Any) -> list[Call]:
        # The stand-in waits on a thread condition; the bot runs on this loop meanwhile.
        return await asyncio.to_thread(self.api.wait_for, count, **kwargs)

    async def say(self, chat: int, update: dict[str, Any], total: int) -> list[str]:
        """Push an update; return every text sent to ``chat`` once there are ``total``."""
        self.api.push(update)
        return [c.params["text"] for c in await self.wait_for(total, chat_id=chat)]


async def start(application: Application) -> None:
    """What ``run_polling`` does, on the test's loop."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
    await application.start()


async def stop(application: Application) -> None:
    assert application.updater is not None
    await application.updater.stop()
    await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
    await application.shutdown()


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn().start()
    yield standin
    standin.stop()


async def running(api: BotApiStandIn, tmp_path: Path, models_dir: Path) -> Bot:
    settings = make_settings(
        tmp_path,
        models_dir,
        telegram_timeout_seconds=0.5,
        telegram_retry_seconds=0.05,
        telegram_send_attempts=3,
    )
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    application = build_application(runtime, token=TOKEN, base_url=api.base_url)
    await start(application)
    return Bot(api, application)


@pytest.fixture
async def bot(api: BotApiStandIn, tmp_path: Path, models_dir: Path) -> AsyncIterator[Bot]:
    started = await running(api, tmp_path, models_dir)
    yield started
    await stop(started.application)


async def test_a_429_on_the_crisis_answer_ends_with_the_crisis_answer(bot: Bot) -> None:
    chat = 2001
    bot.api.inject("sendMessage", Fault.too_many_requests(retry_after=1))
    texts = await bot.say(chat, private_message(chat, CRISIS), 1)
    assert "🚨" in texts[0] and SORRY not in texts[0]
    assert len(bot.api.rejected) == 1  # the 429 really happened


async def test_two_server_errors_in_a_row_then_the_real_answer(bot: Bot) -> None:
    chat = 2002
    bot.api.inject("sendMessage", Fault.server_error(502), Fault.server_error(500))
    first = await bot.say(chat, private_message(chat, "someone hacked my instagram"), 1)
    assert SORRY not in first[0]
    assert len(bot.api.rejected) == 2
    # Updates are handled in order: once the next one is answered, the first is done.
    both = await bot.say(chat, private_message(chat, "/help"), 2)
    assert both[0] == first[0] and len(both) == 2


async def test_a_slow_answer_is_not_followed_by_the_error_text_or_a_copy(bot: Bot) -> None:
    chat = 2003
    bot.api.inject("sendMessage", Fault.slow(2.0))  # four times the bot's read timeout
    first = await bot.say(chat, private_message(chat, "someone hacked my instagram"), 1)
    both = await bot.say(chat, private_message(chat, "/help"), 2)
    assert both[0] == first[0] and SORRY not in both[1]
    assert len(bot.api.sent(chat_id=chat)) == 2  # exactly once each


async def test_a_crisis_answer_lost_behind_a_read_timeout_is_sent_again(bot: Bot) -> None:
    # issue #12: after a read timeout nothing was sent again, so a crisis answer Telegram never
    # delivered left the child with nothing.
    chat = 2010
    bot.api.inject("sendMessage", Fault.lost(2.0))  # four times the bot's read timeout
    texts = await bot.say(chat, private_message(chat, CRISIS), 1)
    assert "🚨" in texts[0] and SORRY not in texts[0]
    assert len(bot.api.rejected) == 1  # the first try really was lost


async def test_a_crisis_answer_answered_late_twice_is_sent_twice_at_most(bot: Bot) -> None:
    # Delivered but answered late: the copy is the price of never missing a crisis answer;
    # it is paid once, not again and again.
    chat = 2011
    bot.api.inject("sendMessage", Fault.slow(2.0), Fault.slow(2.0))
    texts = await bot.say(chat, private_message(chat, CRISIS), 2)
    assert texts[0] == texts[1] and "🚨" in texts[0]
    both = await bot.say(chat, private_message(chat, "/help"), 3)
    assert len(both) == 3 and SORRY not in both[2]


async def test_an_ordinary_answer_lost_behind_a_read_timeout_is_not_sent_again(bot: Bot) -> None:
    chat = 2012
    bot.api.inject("sendMessage", Fault.lost(2.0))
    bot.api.push(private_message(chat, "someone hacked my instagram"))
    texts = await bot.say(chat, private_message(chat, "/help"), 1)
    assert len(bot.api.rejected) == 1 and SORRY not in texts[0]
    assert len(bot.api.sent(chat_id=chat)) == 1  # only the answer to /help


async def test_when_the_answer_cannot_be_sent_the_helpline_is(bot: Bot) -> None:
    chat = 2004
    await bot.say(chat, button_press(chat, "c:GB"), 1)  # the child lives in the UK
    bot.api.inject("sendMessage", *[Fault.server_error(500)] * 3)  # every attempt fails
    texts = await bot.say(chat, private_message(chat, "someone hacked my instagram"), 2)
    fallback = texts[1]
    assert "999" in fallback and "0800 1111" in fallback  # emergency number and Childline
    assert len(bot.api.rejected) == 3


async def test_a_crisis_answer_that_cannot_be_sent_still_leaves_the_numbers(bot: Bot) -> None:
    chat = 2005
    await bot.say(chat, button_press(chat, "c:UA"), 1)
    bot.api.inject("sendMessage", *[Fault.server_error(502)] * 3)
    texts = await bot.say(chat, private_message(chat, CRISIS), 2)
    assert "112" in texts[1] and "116 111" in texts[1]


@pytest.mark.parametrize(
    "fault", [Fault.too_many_requests(retry_after=3600), Fault.server_error(500)]
)
async def test_set_my_commands_failing_at_start_up_is_not_fatal(
    fault: Fault, api: BotApiStandIn, tmp_path: Path, models_dir: Path
) -> None:
    api.inject("setMyCommands", *[fault] * 10)
    started = await running(api, tmp_path, models_dir)
    try:
        chat = 2006
        texts = await started.say(chat, private_message(chat, "someone hacked my instagram"), 1)
        assert texts[0] and SORRY not in texts[0]
        assert api.rejected and all(c.method == "setMyCommands" for c in api.rejected)
    finally:
        await stop(started.application)


async def test_a_failing_button_acknowledgement_does_not_cost_the_answer(bot: Bot) -> None:
    chat = 2007
    bot.api.inject("answerCallbackQuery", *[Fault.server_error(502)] * 3)
    texts = await bot.say(chat, button_press(chat, "c:GB"), 1)
    assert len(bot.api.rejected) == 3
    assert SORRY not in texts[0]
