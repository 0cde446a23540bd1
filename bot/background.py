"""One shape for every task that runs beside the bot: ``start``, ``flush``, ``stop``.

The event log writer, the content and model watcher and the daily purge all follow it, so the
runtime starts and stops them alike and tests can wait for them without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod


class BackgroundService(ABC):
    """A task on the running event loop, started and stopped by the runtime."""

    #: The asyncio task's name (shown in debuggers and task dumps).
    task_name = "safebot-background"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the task has been started and not stopped."""
        return self._task is not None

    async def start(self) -> None:
        """Start the task on the running loop (once; starting again does nothing)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def flush(self) -> None:
        """Finish the work that is pending now (nothing, unless a service says otherwise)."""
        return None

    async def stop(self) -> None:
        """Cancel the task and wait for it to end (a service that must not lose work flushes)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @abstractmethod
    async def _run(self) -> None:
        """The work itself, until cancelled."""
