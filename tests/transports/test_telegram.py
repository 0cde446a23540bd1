"""``safebot run`` as a real process, talking HTTP to a Bot API stand-in on 127.0.0.1."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.pseudonym import Pseudonymizer
from tests.conftest import TEST_KEY
from tests.support.bot_process import RunningBot, bot_process
from tests.support.botapi import (
    BotApiStandIn,
    Call,
    button_press,
    edited_message,
    group_message,
    photo_message,
    private_message,
    sticker_message,
)
from tests.support.waiting import wait_until

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-secret"
MARKER = "zebra-marker-4f1c9a"
CHILD = 987654321


@pytest.fixture(scope="module")
def running_bot(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[RunningBot]:
    api = BotApiStandIn().start()
    data_dir = tmp_path_factory.mktemp("bot-data")
    log_path = data_dir / "bot.log"
    db_path = data_dir / "bot.sqlite3"
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "SAFEBOT_PSEUDONYM_KEY": TEST_KEY.get_secret_value(),
        "SAFEBOT_DATA_DIR": str(data_dir),
        "SAFEBOT_MODELS_PATH": str(models_dir),
        "SAFEBOT_DATABASE_URL": f"sqlite:///{db_path}",
        "SAFEBOT_LOG_LEVEL": "DEBUG",
    }
    try:
        with bot_process(api, env, log_path) as process:
            yield RunningBot(api, process, log_path, db_path)
    finally:
        api.stop()


def texts(calls: list[Call]) -> list[str]:
    return [c.params["text"] for c in calls]


def test_uses_the_configured_base_url_and_registers_commands(running_bot: RunningBot) -> None:
    api = running_bot.api
    assert all(call.token == TOKEN for call in api.calls)
    commands = api.wait_for(1, method="setMyCommands")
    names = [c["command"] for c in commands[0].params["commands"]]
    assert names == ["start", "help", "privacy", "language", "country", "forget"]


def test_start_classified_message_and_button(running_bot: RunningBot) -> None:
    api, chat = running_bot.api, 1001
    api.push(private_message(chat, "/start"))
    first = api.wait_for(2, chat_id=chat)
    assert "bot, not a person" in first[0].params["text"]
    keyboard = first[1].params["reply_markup"]["inline_keyboard"]
    assert any(b.get("callback_data") == "c:GB" for row in keyboard for b in row)

    api.push(button_press(chat, "c:GB"))
    api.wait_for(1, method="answerCallbackQuery")
    api.wait_for(3, chat_id=chat)

    api.push(
        private_message(chat, "a guy from roblox keeps asking for pics and says its our secret")
    )
    answer = api.wait_for(4, chat_id=chat)[3]
    assert answer.params["parse_mode"] == "HTML"
    assert "0800 1111" in answer.params["text"]
    buttons = [b for row in answer.params["reply_markup"]["inline_keyboard"] for b in row]
    follow_up = next(
        b["callback_data"] for b in buttons if b.get("callback_data", "").startswith("a:")
    )

    api.push(button_press(chat, follow_up))
    api.wait_for(5, chat_id=chat)


def test_a_crisis_stays_open_across_okay_taps_never_mind_bye_and_start(
    running_bot: RunningBot,
) -> None:
    api, chat = running_bot.api, 1004
    sent = 0

    def step(update: dict[str, Any], replies: int = 1) -> list[str]:
        nonlocal sent
        api.push(update)
        sent += replies
        return texts(api.wait_for(sent, chat_id=chat)[-replies:])

    step(button_press(chat, "c:GB"))
    crisis = step(private_message(chat, "everyone would be better off without me"))
    assert "0800 1111" in crisis[0] and "999" in crisis[0]
    for update in (
        private_message(chat, "its fine i was joking"),
        button_press(chat, "ci:ok"),
        private_message(chat, "never mind"),
        button_press(chat, "ci:ok"),
        private_message(chat, "bye"),
    ):
        reply = step(update)
        assert "0800 1111" in reply[0], update
    restart = step(private_message(chat, "/start"), replies=2)
    assert "0800 1111" in "\n".join(restart)
    emergency = step(private_message(chat, "i took all my mums pills"))
    assert "999" in emergency[0].splitlines()[0]  # the emergency number first


def test_photo_and_sticker_get_a_kind_reply_and_are_not_downloaded(running_bot: RunningBot) -> None:
    api, chat = running_bot.api, 1002
    api.push(photo_message(chat))
    api.push(sticker_message(chat))
    replies = api.wait_for(2, chat_id=chat)
    assert all("can't open photos" in text for text in texts(replies))
    assert not api.sent(method="getFile")


def test_group_message_gets_a_short_note_and_nothing_is_logged(running_bot: RunningBot) -> None:
    api = running_bot.api
    group = -100200300
    api.push(group_message(5555, group, "/start"))
    note = api.wait_for(1, chat_id=group)
    assert "only talk in private chats" in note[0].params["text"]
    api.push(group_message(5555, group, "lol"))
    # Updates are handled in order: once the next /start is answered, "lol" has been handled.
    api.push(group_message(5555, group, "/start"))
    notes = api.wait_for(2, chat_id=group)
    assert [n.params["text"] for n in notes] == [note[0].params["text"]] * 2
    assert len(api.sent(chat_id=group)) == 2
    pseudonym = Pseudonymizer(TEST_KEY)("telegram", 5555)
    with sqlite3.connect(running_bot.db_path) as db:
        rows = db.execute(
            "select count(*) from events where pseudonym = ?", (pseudonym,)
        ).fetchone()
    assert rows[0] == 0


def test_an_edit_is_answered_only_when_it_becomes_a_crisis(running_bot: RunningBot) -> None:
    # Edits of ordinary messages are not answered again (tests/transports/test_telegram_faults.py).
    api, chat = running_bot.api, 1003
    api.push(edited_message(chat, "i want to kill myself"))
    reply = api.wait_for(1, chat_id=chat)
    assert "helpline" in reply[0].params["text"].lower() or "116" in reply[0].params["text"]


def test_privacy_no_text_no_id_no_token_in_database_or_logs(running_bot: RunningBot) -> None:
    api, chat = running_bot.api, 424242123
    api.push(private_message(chat, "/start"))
    api.push(private_message(chat, f"my friend {MARKER} keeps getting bullied on discord"))
    api.push(private_message(chat, f"i want to die {MARKER}"))
    api.push(private_message(chat, f"{MARKER} " * 500))
    api.wait_for(5, chat_id=chat)
    pseudonym = Pseudonymizer(TEST_KEY)("telegram", chat)

    def events_written() -> bool:  # the background event log writes soon after each reply
        with sqlite3.connect(running_bot.db_path) as db:
            query = "select count(*) from events where pseudonym = ?"
            return bool(db.execute(query, (pseudonym,)).fetchone()[0] >= 4)

    wait_until(events_written, what="the event log writing 4 events")
    with sqlite3.connect(running_bot.db_path) as db:
        assert (
            db.execute("select count(*) from events where pseudonym = ?", (pseudonym,)).fetchone()[
                0
            ]
            >= 4
        )
        dump = "\n".join(db.iterdump())
    raw = running_bot.db_path.read_bytes() + _wal(running_bot.db_path)
    logs = running_bot.logs()
    assert "DEBUG" in logs  # the bot really logged at DEBUG level
    for secret in (MARKER, str(chat), TOKEN, TOKEN.split(":")[1]):
        assert secret not in dump, secret
        assert secret.encode() not in raw, secret
        assert secret not in logs, secret


def _wal(db_path: Path) -> bytes:
    wal = db_path.with_name(db_path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_run_refuses_to_start_without_a_pseudonym_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEBOT_")}
    env.update({"TELEGRAM_TOKEN": TOKEN, "SAFEBOT_DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SAFEBOT_PSEUDONYM_KEY" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
