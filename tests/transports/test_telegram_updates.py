"""A getUpdates batch reduced to what python-telegram-bot can read."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.error import NetworkError

from bot.transports.telegram_updates import readable_batch
from tests.support.botapi import private_message


def test_an_unreadable_update_keeps_only_its_id_and_the_rest_is_untouched(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = {"update_id": 10, **private_message(5, "hi")}
    bad = {"update_id": 11, "message": "secret words"}
    batch = readable_batch([good, bad, {"text": "no id"}, {"update_id": "12"}])
    assert batch == [good, {"update_id": 11}]
    assert [Update.de_json(item, None).update_id for item in batch] == [10, 11]
    assert "skipped update 11 that could not be read (AttributeError)" in caplog.text
    assert "secret words" not in caplog.text and "no id" not in caplog.text


@pytest.mark.parametrize("answer", [{"update_id": 1}, "text", [{"text": "no id"}], [None]])
def test_an_answer_with_nothing_to_go_on_makes_polling_back_off(answer: object) -> None:
    with pytest.raises(NetworkError):  # python-telegram-bot waits longer after each of these
        readable_batch(answer)


def test_an_empty_batch_is_fine() -> None:
    assert readable_batch([]) == []
