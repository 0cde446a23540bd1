"""Updates of different chats handled at once, the updates of one chat strictly in order.

python-telegram-bot's ``concurrent_updates`` runs updates side by side in any order: a child
who writes twice quickly could get the answer to the second message first, and two turns of one
child would race for their profile. :class:`ChatOrderedProcessor` keeps one queue per chat,
worked through by one task at a time, so a child's turns never interleave while other children
are answered meanwhile. A chat holds one of the ``max_concurrent_updates`` slots while it has
work, however many messages it queued: one child writing fast cannot crowd out the others.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

ChatKey = tuple[str, int]


def chat_key(update: object) -> ChatKey | None:
    """Whose turn an update is: its chat, else its sender; None for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """At most ``max_concurrent_updates`` chats at once; each chat's updates one by one."""

    __slots__ = ("_queues",)

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._queues: dict[ChatKey, deque[Awaitable[Any]]] = {}

    @property
    def waiting(self) -> int:
        """Updates queued behind their chat's current one (for tests and metrics)."""
        return sum(len(queue) for queue in self._queues.values())

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update now, or queue it behind the one of its chat that is running."""
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        queue = self._queues.get(key)
        if queue is not None:
            # The chat's running task takes it next; this slot is free for another chat.
            queue.append(coroutine)
            return
        queue = self._queues[key] = deque([coroutine])
        try:
            while queue:
                current = queue.popleft()
                try:
                    await current
                except Exception as error:  # the Application's error handler saw it already
                    logger.error("update failed in its chat's queue (%s)", type(error).__name__)
        finally:
            # No await between the last empty check and here: no update can slip in unseen.
            self._queues.pop(key, None)
            _close(queue)  # left only when this task was cancelled (shutdown)

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Drop what is still queued (the Application waits for running updates first)."""
        for queue in self._queues.values():
            _close(queue)
        self._queues.clear()


def _close(queue: deque[Awaitable[Any]]) -> None:
    """Close coroutines that will never run, so none is reported as never awaited."""
    while queue:
        pending = queue.popleft()
        if isinstance(pending, Coroutine):
            pending.close()
