"""``safebot run`` fed fuzzed updates through the Bot API stand-in, and what it left behind.

Shared by tests/transports/test_fuzz_updates.py (a small sample) and benchmarks/fuzz_updates.py
(100,000 updates). The bot runs as a real process with the log at DEBUG in a file; afterwards
the log, the SQLite files (database, WAL and shared memory) and the event spool are searched for
the planted text, names, ids and the token.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from tests.support.botapi import BotApiStandIn
from tests.support.fuzz_updates import ID_BASE, STEM, Fuzzed
from tests.support.waiting import wait_until

TOKEN = "123456789:AAHfuzz-token-8e1d55aa0c3f7b2e9d"
#: Updates queued on the stand-in, and private texts not answered yet, before pushing waits:
#: python-telegram-bot queues whatever it fetches, so without the second the bot's own queue
#: would grow without bound and the run would measure that queue.
_BACKLOG = 200
_OWED = 100
#: What a handler's failure looks like in the log (``on_error`` in bot/transports/telegram.py).
_HANDLER_FAILURE = "update failed with"


@dataclass
class Counts:
    """What a run found."""

    sent: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    unanswered: int = 0
    #: Where planted data was found: "log: the planted text", "database: a planted id"...
    leaks: list[str] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return sum(self.sent.values())


@dataclass
class FuzzedBot:
    """The bot process, the stand-in, and the updates sent so far."""

    api: BotApiStandIn
    process: subprocess.Popen[bytes]
    data_dir: Path
    counts: Counts = field(default_factory=Counts)
    planted: set[int] = field(default_factory=set)
    owed: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, data_dir: Path, models_dir: Path, pseudonym_key: SecretStr) -> FuzzedBot:
        """Start the stand-in and ``safebot run`` with its log at DEBUG in ``data_dir``."""
        api = BotApiStandIn().start()
        env = {
            **os.environ,
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "SAFEBOT_PSEUDONYM_KEY": pseudonym_key.get_secret_value(),
            "SAFEBOT_DATA_DIR": str(data_dir),
            "SAFEBOT_MODELS_PATH": str(models_dir),
            "SAFEBOT_DATABASE_URL": f"sqlite:///{data_dir / 'bot.sqlite3'}",
            "SAFEBOT_LOG_LEVEL": "DEBUG",
        }
        with (data_dir / "bot.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=log, stderr=log
            )
        bot = cls(api, process, data_dir)
        try:
            api.wait_for(1, method="getUpdates", timeout=120)
        except TimeoutError:
            bot.stop()
            raise
        return bot

    @property
    def log_path(self) -> Path:
        return self.data_dir / "bot.log"

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, fuzzed: Fuzzed) -> None:
        """Queue one update, once the bot has caught up with most of the earlier ones."""
        wait_until(
            lambda: (
                not self.alive()
                or (self.api.pending_updates() < _BACKLOG and len(self.unanswered()) < _OWED)
            ),
            timeout=120,
            what="the bot catching up",
        )
        self.api.push(fuzzed.update)
        self.counts.sent[fuzzed.kind] += 1
        self.planted.update(_ids_in(fuzzed.update))
        if fuzzed.answer_to is not None:
            self.owed.add(fuzzed.answer_to)

    def unanswered(self) -> set[int]:
        """Chats owed an answer that have none yet (answered ones are forgotten)."""
        self.owed = {chat for chat in self.owed if self.api.replies_to(chat) == 0}
        return self.owed

    def settle(self, timeout: float = 60.0) -> set[int]:
        """Wait until every owed answer came (or ``timeout``); the chats still unanswered."""
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: not self.unanswered() or not self.alive(),
                timeout=timeout,
                what="an answer to every private text",
            )
        return self.unanswered()

    @property
    def spool_path(self) -> Path:
        return self.data_dir / "events-spool.jsonl"

    @contextlib.contextmanager
    def database_locked(self) -> Iterator[None]:
        """Hold SQLite's exclusive lock: event writes fail and go to the spool meanwhile."""
        connection = sqlite3.connect(self.data_dir / "bot.sqlite3", isolation_level=None)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            connection.close()

    def stop(self) -> int | None:
        """SIGINT (the events queued are written), then the stand-in; the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.api.stop()
        return self.process.returncode

    def handler_failures(self) -> int:
        return self.log_path.read_text(encoding="utf-8", errors="replace").count(_HANDLER_FAILURE)

    def leaks(self) -> list[str]:
        """Where planted data was found: the log, the SQLite files and the event spool."""
        found: list[str] = []
        files = [self.log_path, *sorted(self.data_dir.glob("bot.sqlite3*"))]
        files += sorted(self.data_dir.glob("events-spool*"))
        for path in files:
            if path.exists():
                data = path.read_bytes()
                found += [f"{path.name}: {what}" for what in find_planted(data, self.planted)]
        return found

    def finish(self, timeout: float = 60.0) -> Counts:
        """Wait for the owed answers, stop the bot, and count what went wrong."""
        counts = self.counts
        counts.unanswered = len(self.settle(timeout))
        died = not self.alive()
        code = self.stop()
        counts.crashes = self.handler_failures() + (1 if died or code not in (0, None) else 0)
        counts.leaks += self.leaks()
        return counts


def _ids_in(value: object) -> set[int]:
    """Every planted-looking id in an update (a wrong-typed copy may sit anywhere)."""
    if isinstance(value, dict):
        return set().union(*(_ids_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_ids_in(v) for v in value)) if value else set()
    if type(value) is int and ID_BASE <= abs(value) < ID_BASE + 10**9:
        return {abs(value)}
    return set()


_SECRETS = {
    "the planted text or names": re.compile(STEM.encode(), re.IGNORECASE),
    "the token": re.compile(re.escape(TOKEN.split(":")[1].encode())),
}
_DIGITS = re.compile(rb"\d{10,}")


def find_planted(data: bytes, planted: set[int]) -> list[str]:
    """What of the planted data ``data`` holds: text, names, token, ids as text or as integers.

    SQLite stores an integer as big-endian bytes, not digits, so the ids are searched in both
    forms (6 bytes is how SQLite stores numbers of this size).
    """
    found = [what for what, pattern in _SECRETS.items() if pattern.search(data)]
    if any(int(digits) in planted for digits in _DIGITS.findall(data)):
        found.append("a planted id as text")
    encoded = {n.to_bytes(6, "big", signed=True) for n in planted}
    encoded |= {(-n).to_bytes(6, "big", signed=True) for n in planted}
    for prefix in {e[:3] for e in encoded}:
        start = data.find(prefix)
        while start >= 0:
            if data[start : start + 6] in encoded:
                found.append("a planted id as an integer")
                return found
            start = data.find(prefix, start + 1)
    return found
