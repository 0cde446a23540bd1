"""Webhook mode: messages/s of one ``safebot serve`` replica against two, on this machine.

Both phases in one run, with the same load, on one PostgreSQL (a temporary database on the
test server, dropped afterwards) and the Bot API stand-in of the tests for the replies:
``--children`` simulated children each send ``--messages`` messages, each one as soon as the
previous one was answered 200 (Telegram's webhook: the answer is sent before the 200), at most
``--connections`` in flight at once (Telegram's ``max_connections``). Each child's updates go to
one replica (a load balancer's round robin over children). The resident memory of one replica
is read from /proc after its phase. Run:

    python benchmarks/webhook_scale.py [--children 60] [--messages 15] [--connections 40]
        [--models DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.botapi import BotApiStandIn, private_message  # noqa: E402
from tests.support.serve_process import (  # noqa: E402
    SECRET_HEADER,
    ServeProcess,
    start_serve,
    stop_serve,
    wait_serving,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-bench"
KEY = "k" * 16 + "benchmark-pseudonym-key-not-secret"
SECRET = "bEnch-Webhook_7kQ2mV9pL4rT8wB1nF6hJ0cD5gZx"
ADMIN_URL = os.environ.get(
    "SAFEBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: Ordinary questions, each answered with one message.
TEXTS = [
    "someone hacked my instagram",
    "everyone in the group chat is laughing at me",
    "how do i make my account private",
    "i saw a horrible video",
    "my friend is being bullied online",
    "someone posted my photo without asking",
    "hi",
    "thanks",
    "what are you",
]


@dataclass
class Phase:
    """One measured phase."""

    replicas: int
    messages: int
    seconds: float
    messages_per_second: float
    rss_mb: float
    peak_rss_mb: float
    #: CPU seconds per wall second: all replicas together, and this process (load + stand-in).
    replicas_cpu: float
    driver_cpu: float


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _burn(seconds: float) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        pass
    return time.process_time() - cpu


def available_cores(seconds: float = 2.0) -> float:
    """Cores this run really gets now: CPU seconds two busy processes get per wall second.

    The machine's cores are shared: when others are busy, two replicas cannot run side by side.
    """
    with multiprocessing.Pool(2) as pool:
        return sum(pool.map(_burn, [seconds, seconds])) / seconds


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


async def closed_loop(
    replicas: list[ServeProcess], chats: list[int], messages: int, connections: int
) -> int:
    """Every child sends its messages one after the other; how many were answered."""
    slots = asyncio.Semaphore(connections)
    answered = 0
    limits = httpx.Limits(max_connections=connections * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def child(index: int, chat: int) -> None:
            nonlocal answered
            url = replicas[index % len(replicas)].url + "/telegram"
            for turn in range(messages):
                body = {
                    "update_id": chat * 1000 + turn,
                    **private_message(chat, TEXTS[turn % len(TEXTS)]),
                }
                while True:
                    async with slots:
                        response = await client.post(
                            url, json=body, headers={SECRET_HEADER: SECRET}
                        )
                    if response.status_code == 200:
                        answered += 1
                        break

        await asyncio.gather(*(child(i, chat) for i, chat in enumerate(chats)))
    return answered


def run_phase(
    count: int, env: dict[str, str], work: Path, args: argparse.Namespace, first_chat: int
) -> Phase:
    replicas = [start_serve(env, work / f"serve-{count}-{i}.log") for i in range(count)]
    try:
        for replica in replicas:
            wait_serving(replica, timeout=180)
        warm = [first_chat - 1 - i for i in range(count * 4)]
        asyncio.run(closed_loop(replicas, warm, 3, args.connections))
        chats = [first_chat + i for i in range(args.children)]
        cpu_before = [cpu_seconds(r.process.pid) for r in replicas]
        driver_before = time.process_time()
        started = time.perf_counter()
        answered = asyncio.run(closed_loop(replicas, chats, args.messages, args.connections))
        seconds = time.perf_counter() - started
        driver = (time.process_time() - driver_before) / seconds
        used = sum(
            cpu_seconds(r.process.pid) - b for r, b in zip(replicas, cpu_before, strict=True)
        )
        rss, peak = memory_mb(replicas[0].process.pid)
    finally:
        for replica in replicas:
            stop_serve(replica)
    return Phase(count, answered, seconds, answered / seconds, rss, peak, used / seconds, driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=60)
    parser.add_argument("--messages", type=int, default=15)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "test-models")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    cores_before = available_cores()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safebot_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    api = BotApiStandIn().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            env = {
                **os.environ,
                "TELEGRAM_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": api.base_url,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "SAFEBOT_PSEUDONYM_KEY": KEY,
                "SAFEBOT_DATA_DIR": str(work),
                "SAFEBOT_MODELS_PATH": str(args.models),
                "SAFEBOT_DATABASE_URL": url,
                "SAFEBOT_MIGRATE_ON_START": "true",
                "SAFEBOT_RELOAD_SECONDS": "0",
                "SAFEBOT_LOG_LEVEL": "WARNING",
            }
            phases = [
                run_phase(count, env, work, args, first_chat=10_000_000 * count) for count in (1, 2)
            ]
    finally:
        api.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for phase in phases:
        print(
            f"{phase.replicas} replica(s): {phase.messages} messages in {phase.seconds:.1f} s = "
            f"{phase.messages_per_second:.1f} messages/s; one replica's RSS {phase.rss_mb:.0f} MB "
            f"(peak {phase.peak_rss_mb:.0f} MB); CPU: replicas {phase.replicas_cpu:.2f}, "
            f"load and stand-in {phase.driver_cpu:.2f} cores"
        )
    cores = (cores_before + available_cores()) / 2
    ratio = phases[1].messages_per_second / phases[0].messages_per_second
    per_cpu = [p.messages_per_second / p.replicas_cpu for p in phases]
    print(
        f"two replicas / one: {ratio:.2f}x; messages per replica CPU second: "
        f"{per_cpu[0]:.0f} (one) and {per_cpu[1]:.0f} (two); cores available to this run: "
        f"{cores:.2f} of {os.cpu_count()}"
    )
    if args.json:
        result = {"phases": [asdict(p) for p in phases], "ratio": ratio, "cores": cores}
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
