"""A database that is down for a minute: is every child still answered, and is any event lost?

``safebot run`` runs as a real process against the Bot API stand-in of the tests
(``tests/support/botapi``) on a new PostgreSQL database of the machine's server, reached through a
TCP forwarder (``tests/support/tcpproxy``) that this script takes down, as a stopped server is:
open connections are cut and new ones refused, on the same port. Simulated children write all
the time, each one's next message a few seconds after the answer to the previous one:

    before (``--before`` s, database up) → down (``--down`` s) → after (``--after`` s, up again)

It then waits until the bot has written what it kept on disk, and reports, per phase, messages
sent and answered, p50/p99 reply time, and events: one event is logged per answered message, so
the events table must end with exactly as many rows as messages were answered. Run:

    python benchmarks/database_outage.py [--children 20] [--pace 4] [--down 60] [--models DIR]

Needs PostgreSQL at ``SAFEBOT_TEST_POSTGRES_URL`` (default: postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.bot_process import bot_process  # noqa: E402
from tests.support.botapi import BotApiStandIn, private_message  # noqa: E402
from tests.support.tcpproxy import TcpProxy  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-outage"
KEY = "k" * 16 + "outage-benchmark-key-not-secret"
ADMIN_URL = os.environ.get(
    "SAFEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: What the children write; a crisis among them, whose answer must come with the database down.
TEXTS = [
    "someone hacked my instagram",
    "a guy from roblox keeps asking for pics",
    "everyone in the group chat is laughing at me",
    "how do i make my account private",
    "i want to kill myself",
    "thanks",
]
FIRST_CHAT = 30_000_000
PHASES = ("before", "down", "after")


@dataclass
class Phase:
    """What happened to the messages sent in one phase."""

    sent: int = 0
    answered: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        ordered = sorted(self.latencies_ms)
        return {
            "sent": self.sent,
            "answered": self.answered,
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)
            if ordered
            else None,
        }


class Clock:
    """Which phase it is, switched by the main thread."""

    def __init__(self) -> None:
        self.phase = "before"
        self.stop = threading.Event()


def child(
    api: BotApiStandIn,
    chat: int,
    clock: Clock,
    phases: dict[str, Phase],
    pace: float,
    reply_timeout: float,
    lock: threading.Lock,
) -> None:
    """Write, wait for the answer, wait ``pace`` seconds, again, until the clock stops."""
    turn = 0
    time.sleep((chat % 97) / 97 * pace)  # spread the children over one pace
    while not clock.stop.is_set():
        phase = clock.phase
        before = api.replies_to(chat)
        api.push(private_message(chat, TEXTS[(chat + turn) % len(TEXTS)]))
        started = time.monotonic()
        with lock:
            phases[phase].sent += 1
        while time.monotonic() - started < reply_timeout:
            if api.replies_to(chat) > before:
                with lock:
                    phases[phase].answered += 1
                    phases[phase].latencies_ms.append((time.monotonic() - started) * 1000)
                break
            time.sleep(0.01)
        turn += 1
        clock.stop.wait(pace)


def count_events(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("select count(*) from events")).scalar_one())
    finally:
        engine.dispose()


def measure(
    api: BotApiStandIn,
    args: argparse.Namespace,
    proxy: TcpProxy,
    phases: dict[str, Phase],
    work: Path,
    direct: URL,
) -> tuple[int, int]:
    """Children write through the three phases; the events written and the spool's peak."""
    clock = Clock()
    lock = threading.Lock()
    spool = work / "events-spool.jsonl"
    spool_peak = 0
    threads = [
        threading.Thread(
            target=child,
            args=(api, FIRST_CHAT + i, clock, phases, args.pace, args.reply_timeout, lock),
            daemon=True,
        )
        for i in range(args.children)
    ]
    for thread in threads:
        thread.start()
    time.sleep(args.before)
    print(f"database down for {args.down:.0f} s", flush=True)
    clock.phase = "down"
    proxy.down()
    deadline = time.monotonic() + args.down
    while time.monotonic() < deadline:
        if spool.exists():
            spool_peak = max(spool_peak, len(spool.read_text(encoding="utf-8").splitlines()))
        time.sleep(1)
    clock.phase = "after"
    proxy.up()
    print("database up again", flush=True)
    time.sleep(args.after)
    clock.stop.set()
    for thread in threads:
        thread.join(timeout=args.reply_timeout + 5)
    answered = sum(p.answered for p in phases.values())
    written = 0
    for _ in range(120):  # the spool drains once the database is back
        written = count_events(direct.render_as_string(hide_password=False))
        if written >= answered and not (spool.exists() and spool.stat().st_size > 0):
            break
        time.sleep(1)
    return written, spool_peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=20)
    parser.add_argument("--pace", type=float, default=4.0, help="seconds between a child's turns")
    parser.add_argument("--before", type=float, default=20.0)
    parser.add_argument("--down", type=float, default=60.0)
    parser.add_argument("--after", type=float, default=20.0)
    parser.add_argument("--reply-timeout", type=float, default=30.0)
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safebot_outage_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    direct = make_url(ADMIN_URL).set(database=name)
    server = (direct.host or "127.0.0.1", direct.port or 5432)
    proxy = TcpProxy(server)
    proxy.up()
    through_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    api = BotApiStandIn().start()
    work = Path(tempfile.mkdtemp(prefix="safebot-outage-"))
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "SAFEBOT_PSEUDONYM_KEY": KEY,
        "SAFEBOT_DATA_DIR": str(work),
        "SAFEBOT_DATABASE_URL": through_proxy,
        "SAFEBOT_LOG_LEVEL": "WARNING",
        "SAFEBOT_RELOAD_SECONDS": "0",
    }
    if args.models is not None:
        env["SAFEBOT_MODELS_PATH"] = str(args.models)
    phases = {phase: Phase() for phase in PHASES}
    try:
        with bot_process(api, env, work / "bot.log", ready_timeout=120) as process:
            written, spool_peak = measure(api, args, proxy, phases, work, direct)
            alive = process.poll() is None
    finally:
        api.stop()
        proxy.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    answered = sum(p.answered for p in phases.values())
    sent = sum(p.sent for p in phases.values())
    result = {
        "children": args.children,
        "down_seconds": args.down,
        "phases": {name: phases[name].figures() for name in PHASES},
        "messages_sent": sent,
        "messages_answered": answered,
        "unanswered": sent - answered,
        "events_written": written,
        "events_lost": answered - written,
        "spool_peak_rows": spool_peak,
        "bot_alive_throughout": alive,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = alive and sent == answered and written == answered
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
