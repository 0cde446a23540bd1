"""``safebot run`` as a real process against the Bot API stand-in, stopped as Ctrl-C stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.botapi import BotApiStandIn


@dataclass
class RunningBot:
    """A running ``safebot run``, its Bot API stand-in, its log and its database file."""

    api: BotApiStandIn
    process: subprocess.Popen[bytes]
    log_path: Path
    db_path: Path

    def logs(self) -> str:
        """Everything the process has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def bot_process(
    api: BotApiStandIn,
    env: Mapping[str, str],
    log_path: Path,
    *,
    ready_timeout: float = 90,
    stop_timeout: float = 30,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start the bot with its output in ``log_path``; yield once it polls for updates."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        api.wait_for(1, method="getUpdates", timeout=ready_timeout)
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
