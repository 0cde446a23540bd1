"""Polling that survives an update the Telegram library cannot read.

python-telegram-bot parses a whole ``getUpdates`` batch at once: one unreadable update makes
it log the raw batch (every child's text, id and name) and fetch the same batch again and again,
so no child after it is answered. Here each update of a batch is tried on its own first; one
that cannot be read is replaced by its bare ``update_id`` (logged by that number only), so the
offset moves past it and the others are handled as usual.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)


def _update_id(item: object) -> int | None:
    if isinstance(item, dict):
        value = item.get("update_id")
        if type(value) is int and value >= 0:
            return value
    return None


def readable_batch(result: object) -> list[dict[str, Any]]:
    """The batch with every unreadable update reduced to its ``update_id``.

    Raises :class:`telegram.error.NetworkError` (so polling backs off and tries again) when the
    answer is not a list or holds nothing with an ``update_id``.
    """
    if not isinstance(result, list):
        raise NetworkError("getUpdates answered with something other than a list")
    batch: list[dict[str, Any]] = []
    for item in result:
        update_id = _update_id(item)
        if update_id is None:
            logger.warning("skipped an update without an update_id")
            continue
        try:
            Update.de_json(item, None)
        except Exception as error:  # the message could quote the child: only its type is kept
            logger.warning(
                "skipped update %d that could not be read (%s)", update_id, type(error).__name__
            )
            item = {"update_id": update_id}
        batch.append(item)
    if result and not batch:
        raise NetworkError("getUpdates answered with updates that have no update_id")
    return batch


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
