"""The Telegram path under load: the bot against a minimal python-telegram-bot echo bot.

Both run as real processes against the Bot API stand-in of the tests (``tests/support/botapi``)
in one run, one after the other, on the same machine: first the peer (an echo bot built as in
python-telegram-bot's examples), then ``safebot run`` (embedded models, SQLite in a temporary
directory). Each is measured:

- **closed loop**: ``--users`` simulated children each send ``--messages`` messages, each one as
  soon as the answer to the previous one arrived; messages/s, p50/p99 reply time, lost replies;
- **steady** (``--rate``, messages/s for ``--seconds``): messages at a fixed pace whatever the
  answers do, round robin over the children; p50/p99 reply time and lost replies.

A reply not seen within ``--reply-timeout`` seconds is lost (and its child goes on). Run:

    python benchmarks/telegram_load.py [--users 200] [--messages 20] [--rate 50] [--seconds 20]
        [--models DIR] [--py-spy profile.svg] [--json out.json]

``--messages 50`` is the long run of the issue. ``--py-spy FILE`` records the bot's closed-loop
phase with py-spy (``pip install py-spy``; ``.txt`` for collapsed stacks, else a flame graph).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.botapi import BotApiStandIn, private_message  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-bench"
KEY = "k" * 16 + "benchmark-pseudonym-key-not-secret"
#: What the simulated children write: ordinary questions, each answered with one message.
TEXTS = [
    "someone hacked my instagram",
    "a guy from roblox keeps asking for pics",
    "everyone in the group chat is laughing at me",
    "how do i make my account private",
    "i saw a horrible video",
    "my friend is being bullied online",
    "someone posted my photo without asking",
    "hi",
    "thanks",
    "what are you",
]
FIRST_CHAT = 10_000_000


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Figures:
    """What one phase measured."""

    target: str
    mode: str
    messages: int
    answered: int
    lost: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    #: CPU time of the target's process per answered message (user + system).
    cpu_ms_per_message: float = 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LoadStandIn(BotApiStandIn):
    """The stand-in, with every answer timed against the message it answers (per chat, FIFO)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[int, deque[float]] = {}
        self.latencies: list[float] = []
        self.answered = 0
        self.on_answer: Any = None
        self._timing = threading.Lock()

    def send(self, chat: int, text: str) -> None:
        with self._timing:
            self.pending.setdefault(chat, deque()).append(time.perf_counter())
        self.push(private_message(chat, text))

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> Any:
        result = super()._answer(token, method, params)
        if method == "sendMessage":
            chat, now = int(params["chat_id"]), time.perf_counter()
            with self._timing:
                queue = self.pending.get(chat)
                if not queue:
                    return result  # a reply to a message already counted as lost
                self.latencies.append(now - queue.popleft())
                self.answered += 1
            if self.on_answer is not None:
                self.on_answer(chat)
        return result

    def expire(self, older_than: float) -> int:
        """Give up on messages waiting longer than ``older_than`` seconds; how many per chat."""
        now, lost = time.perf_counter(), 0
        with self._timing:
            for queue in self.pending.values():
                while queue and now - queue[0] > older_than:
                    queue.popleft()
                    lost += 1
        return lost


def closed_loop(api: LoadStandIn, users: int, messages: int, reply_timeout: float) -> Figures:
    chats = [FIRST_CHAT + n for n in range(users)]
    left = dict.fromkeys(chats, messages - 1)
    lock, done = threading.Lock(), threading.Event()
    lost = 0

    def next_message(chat: int) -> None:
        with lock:
            if left.get(chat, 0) <= 0:
                if all(v <= 0 for v in left.values()) and not any(api.pending.values()):
                    done.set()
                return
            left[chat] -= 1
            n = messages - 1 - left[chat]
        api.send(chat, TEXTS[(chat + n) % len(TEXTS)])

    api.latencies.clear()
    api.answered = 0
    api.on_answer = next_message
    start = time.perf_counter()
    for chat in chats:
        api.send(chat, TEXTS[chat % len(TEXTS)])
    while not done.wait(0.5):
        expired = api.expire(reply_timeout)
        if expired:
            lost += expired
            for chat in chats:
                if not api.pending.get(chat):
                    next_message(chat)
        with lock:
            finished = all(v <= 0 for v in left.values())
        if finished and not any(api.pending.values()):
            break
    seconds = time.perf_counter() - start
    api.on_answer = None
    return _figures("closed loop", api, users * messages, lost, seconds)


def steady(api: LoadStandIn, users: int, rate: float, seconds: float, timeout: float) -> Figures:
    api.latencies.clear()
    api.answered = 0
    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        chat = FIRST_CHAT + users + n % users  # other children than the closed loop's
        api.send(chat, TEXTS[n % len(TEXTS)])
    deadline = time.perf_counter() + timeout
    while any(api.pending.values()) and time.perf_counter() < deadline:
        time.sleep(0.05)
    lost = api.expire(0.0)
    return _figures(f"steady {rate:g}/s", api, total, lost, time.perf_counter() - start)


def _figures(mode: str, api: LoadStandIn, sent: int, lost: int, seconds: float) -> Figures:
    latencies = list(api.latencies)
    return Figures(
        target="",
        mode=mode,
        messages=sent,
        answered=api.answered,
        lost=lost,
        seconds=round(seconds, 2),
        per_second=round(api.answered / seconds, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p99_ms=round(percentile(latencies, 99) * 1000, 1),
    )


def peer_main(base_url: str) -> None:
    """The peer: a minimal python-telegram-bot echo bot, as in its examples."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text)

    application = ApplicationBuilder().token(TOKEN).base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling()


def _start(
    target: str, api: LoadStandIn, data_dir: Path, models: Path | None
) -> subprocess.Popen[bytes]:
    if target == "peer":
        command = [sys.executable, __file__, "--peer", api.base_url]
        env = dict(os.environ)
    else:
        command = [sys.executable, "-m", "bot.cli", "run"]
        env = {
            **os.environ,
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "SAFEBOT_PSEUDONYM_KEY": KEY,
            "SAFEBOT_DATA_DIR": str(data_dir),
            "SAFEBOT_DATABASE_URL": f"sqlite:///{data_dir / 'bot.sqlite3'}",
            "SAFEBOT_LOG_LEVEL": "WARNING",
            "SAFEBOT_RELOAD_SECONDS": "0",
        }
        if models is not None:
            env["SAFEBOT_MODELS_PATH"] = str(models)
    log = (data_dir / f"{target}.log").open("wb")
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _per_message(cpu: float, figures: Figures) -> float:
    return round(cpu * 1000 / max(1, figures.answered), 2)


def run_target(target: str, args: argparse.Namespace, work: Path) -> list[Figures]:
    api = LoadStandIn()
    api.start()
    data_dir = work / target
    data_dir.mkdir()
    process = _start(target, api, data_dir, args.models)
    spy: subprocess.Popen[bytes] | None = None
    try:
        api.wait_for(1, method="getUpdates", timeout=600)
        warm = closed_loop(api, 10, 3, args.reply_timeout)  # first answers load lazy parts
        print(f"{target}: warmed up ({warm.answered} answers)", file=sys.stderr)
        if args.py_spy and target == "bot":
            fmt = "raw" if str(args.py_spy).endswith(".txt") else "flamegraph"
            record = ["py-spy", "record", "--pid", str(process.pid), "-o", str(args.py_spy)]
            spy = subprocess.Popen([*record, "--format", fmt, "--rate", "200"])
        cpu = cpu_seconds(process.pid)
        figures = [closed_loop(api, args.users, args.messages, args.reply_timeout)]
        figures[0].cpu_ms_per_message = _per_message(cpu_seconds(process.pid) - cpu, figures[0])
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        if args.rate > 0:
            cpu = cpu_seconds(process.pid)
            figures.append(steady(api, args.users, args.rate, args.seconds, args.reply_timeout))
            figures[1].cpu_ms_per_message = _per_message(cpu_seconds(process.pid) - cpu, figures[1])
        for figure in figures:
            figure.target = target
        return figures
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="steady mode; 0 to skip")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--reply-timeout", type=float, default=30.0)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--only", choices=["peer", "bot"], default=None)
    parser.add_argument("--py-spy", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.peer:
        peer_main(args.peer)
        return
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="safebot-load-") as work:
        for target in ("peer", "bot"):
            if args.only in (None, target):
                results += run_target(target, args, Path(work))
    print(
        f"{'target':6} {'mode':12} {'sent':>6} {'answered':>8} {'lost':>5} {'s':>7} "
        f"{'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/msg':>10}"
    )
    for f in results:
        print(
            f"{f.target:6} {f.mode:12} {f.messages:>6} {f.answered:>8} {f.lost:>5} "
            f"{f.seconds:>7} {f.per_second:>7} {f.p50_ms:>8} {f.p99_ms:>8} "
            f"{f.cpu_ms_per_message:>10}"
        )
    closed = {f.target: f for f in results if f.mode == "closed loop"}
    if len(closed) == 2:
        print(f"bot / peer throughput: {closed['bot'].per_second / closed['peer'].per_second:.2f}")
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2) + "\n")


if __name__ == "__main__":
    main()
