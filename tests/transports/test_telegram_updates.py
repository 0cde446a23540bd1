"""A getUpdates batch reduced to what python-telegram-bot can read."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.error import NetworkError

from bot.transports.telegram_updates import readable_batch
from tests.support.botapi import button_press, private_message


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


def _broken(path: tuple[str, ...], value: object) -> dict[str, object]:
    update: dict[str, object] = {"update_id": 20, **private_message(5, "hi")}
    target: dict[str, object] = update
    for key in path[:-1]:
        target = target[key]  # type: ignore[assignment]
    target[path[-1]] = value
    return update


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # python-telegram-bot parses these, then its update fetcher dies on the list id (unhashable)
        (("message", "from", "id"), [5]),
        (("message", "chat", "id"), {"a": 1}),
        (("message", "chat", "type"), ["private"]),
        (("message", "text"), ["hi"]),
        (("message", "from", "language_code"), 7),
        (("message", "message_id"), "12"),
        (("message", "from", "id"), True),
        # python-telegram-bot's chat-type filter fails on a message without a chat
        (("message", "chat"), None),
        (("message", "date"), None),
        (("message", "from"), "Kid"),
    ],
)
def test_an_update_with_a_wrong_type_is_reduced_to_its_id(
    path: tuple[str, ...], value: object
) -> None:
    assert readable_batch([_broken(path, value)]) == [{"update_id": 20}]


def test_a_button_press_with_data_that_is_not_text_is_reduced_to_its_id() -> None:
    update = {"update_id": 21, **button_press(5, "c:GB")}
    update["callback_query"]["data"] = {"c": "GB"}
    assert readable_batch([update]) == [{"update_id": 21}]
    assert readable_batch([{"update_id": 22, **button_press(5, "c:GB")}])[0]["update_id"] == 22
