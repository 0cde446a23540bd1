"""Polling that survives an update the Telegram library cannot read.

python-telegram-bot parses a whole ``getUpdates`` batch at once: one unreadable update makes
it log the raw batch (every child's text, id and name) and fetch the same batch again and again,
so no child after it is answered. Here each update of a batch is tried on its own first; one
that cannot be read, or whose ids, chat or text have the wrong type (the library does not check
types, and a list as a user id later stops its update fetcher), is replaced by its bare
``update_id`` (logged by that number only), so the offset moves past it and the others are
handled as usual.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from telegram import Bot, Chat, Update, User
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)


def update_id_of(item: object) -> int | None:
    """The ``update_id`` of a decoded update, or None when it has none (or not a number)."""
    if isinstance(item, dict):
        value = item.get("update_id")
        if type(value) is int and value >= 0:
            return value
    return None


def _expect(value: object, kind: type | tuple[type, ...], *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if type(value) is bool or not isinstance(value, kind):  # True is an int, but not an id
        raise TypeError("a field of the wrong type")


def _check_types(update: Update) -> None:
    """Raise TypeError when a field the bot or the library relies on has the wrong type.

    python-telegram-bot does not check types when it parses: a list as a user id passes, and
    later makes its update fetcher fail (ids go into a set), which stops polling for everyone.
    """
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    query = update.callback_query
    for each in (message, query.message if query is not None else None):
        if each is not None:  # the library's own filters read these without looking
            _expect(each.chat, Chat)
            _expect(each.date, dt.datetime)
    if query is not None:
        _expect(query.from_user, User)
    if user is not None:
        _expect(user.id, int)
        _expect(user.first_name, str)
        _expect(user.language_code, str, optional=True)
        _expect(user.username, str, optional=True)
    if chat is not None:
        _expect(chat.id, int)
        _expect(chat.type, str)
    if message is not None:
        _expect(message.message_id, int)
        _expect(message.text, str, optional=True)
        _expect(message.caption, str, optional=True)
        for entity in message.entities:
            _expect(entity.type, str)
            _expect(entity.offset, int)
            _expect(entity.length, int)
    if query is not None:
        _expect(query.id, str)
        _expect(query.data, str, optional=True)


def readable_batch(result: object) -> list[dict[str, Any]]:
    """The batch with every unreadable update reduced to its ``update_id``.

    Raises :class:`telegram.error.NetworkError` (so polling backs off and tries again) when the
    answer is not a list or holds nothing with an ``update_id``.
    """
    if not isinstance(result, list):
        raise NetworkError("getUpdates answered with something other than a list")
    batch: list[dict[str, Any]] = []
    for item in result:
        update_id = update_id_of(item)
        if update_id is None:
            logger.warning("skipped an update without an update_id")
            continue
        try:
            _check_types(Update.de_json(item, None))
        except Exception as error:  # the message could quote the child: only its type is kept
            logger.warning(
                "skipped update %d that could not be read (%s)", update_id, type(error).__name__
            )
            item = {"update_id": update_id}
        batch.append(item)
    if result and not batch:
        raise NetworkError("getUpdates answered with updates that have no update_id")
    return batch


def readable_update(item: dict[str, Any], bot: Bot) -> Update | None:
    """One decoded update (a webhook's body) as an :class:`Update`, or None when unreadable.

    Only the ``update_id`` of an unreadable update is logged, never its content.
    """
    try:
        update = Update.de_json(item, bot)
        _check_types(update)
    except Exception as error:  # the message could quote the child: only its type is kept
        logger.warning(
            "skipped update %s that could not be read (%s)",
            update_id_of(item),
            type(error).__name__,
        )
        return None
    return update


class ReadableUpdatesRequest(HTTPXRequest):
    """The request object for ``getUpdates``: hands python-telegram-bot readable batches only."""

    def __init__(self) -> None:
        # The same single connection python-telegram-bot gives getUpdates by default.
        super().__init__(connection_pool_size=1)

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Request as usual; a ``getUpdates`` answer comes back with unreadable updates reduced."""
        status, payload = await super().do_request(url, *args, **kwargs)
        if status != 200 or not url.rstrip("/").endswith("/getUpdates"):
            return status, payload
        try:
            answer = json.loads(payload)
        except ValueError:
            return status, payload  # python-telegram-bot reports it (without the payload)
        if isinstance(answer, dict) and answer.get("ok") is True:
            answer["result"] = readable_batch(answer.get("result"))
            payload = json.dumps(answer).encode()
        return status, payload
