"""Two ``safebot serve`` replicas on one PostgreSQL behind a forwarder, one killed halfway.

Telegram's side is played by the test: each child's updates one after the other (the next only
once the last was answered 2xx), 5 % of them sent twice at once (as after a timeout), every
update sent again after a non-2xx answer. The Bot API stand-in receives the replies.
Also: ``safebot migrate`` and ``safebot purge`` started twice at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT
from bot.storage.database import schema_problem
from bot.storage.models import Event
from tests.conftest import POSTGRES_ADMIN_URL, TEST_KEY
from tests.stats.test_stats import event
from tests.support.botapi import BotApiStandIn, private_message
from tests.support.cli import twice_at_once
from tests.support.forwarder import Forwarder
from tests.support.serve_process import (
    SECRET_HEADER,
    start_serve,
    stop_serve,
    wait_serving,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.time_sensitive]

TOKEN_A = "123456789:AAHreplica-a-token-secret"
TOKEN_B = "123456789:AAHreplica-b-token-secret"  # the stand-in tells the replicas apart by it
SECRET = "sCaLe-Test_3kQ9vX2mL7pR4tW8yB1nF6hJ0cD5gZ"
CHILDREN = 100
TURNS = 10
TWICE = 0.05
#: Telegram's max_connections: updates in flight at once, over both replicas.
IN_FLIGHT = 12
TEXTS = (
    "hi",
    "what are you",
    "thanks",
    "how do I make my instagram private",
    "someone shared a gross video with me",
    "people in my class post mean stuff about me",
    "can I talk to a real person",
    "what is the capital of france",
    "bye",
    "hello again",
)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safebot_scale_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL is needed at {POSTGRES_ADMIN_URL} ({type(error).__name__})")
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def base_env(tmp_path: Path, models_dir: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SAFEBOT_PSEUDONYM_KEY": TEST_KEY.get_secret_value(),
        "SAFEBOT_DATA_DIR": str(tmp_path),
        "SAFEBOT_MODELS_PATH": str(models_dir),
        "SAFEBOT_DATABASE_URL": database_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "SAFEBOT_TELEGRAM_CONCURRENT_UPDATES": "6",
        "SAFEBOT_RELOAD_SECONDS": "0",
    }


def update(update_id: int, chat: int, turn: int) -> dict[str, Any]:
    return {"update_id": update_id, **private_message(chat, TEXTS[turn])}


class Telegram:
    """Telegram's side: delivers each update until a 2xx, at most IN_FLIGHT at once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.slots = asyncio.Semaphore(IN_FLIGHT)
        self.client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64))
        self.delivered = 0
        self.retries = 0

    async def deliver(self, body: dict[str, Any]) -> None:
        while True:
            async with self.slots:
                try:
                    answer = await self.client.post(
                        self.url + "/telegram", json=body, headers={SECRET_HEADER: SECRET}
                    )
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0
            if 200 <= status < 300:
                self.delivered += 1
                return
            self.retries += 1
            await asyncio.sleep(0.05)  # Telegram's pause before sending an update again

    async def child(self, chat: int, rng: random.Random) -> None:
        for turn in range(TURNS):
            body = update(chat * 100 + turn, chat, turn)
            if rng.random() < TWICE:
                await asyncio.gather(self.deliver(body), self.deliver(body))
            else:
                await self.deliver(body)


def replies_by_chat(api: BotApiStandIn) -> dict[int, list[str]]:
    replies: dict[int, list[str]] = {}
    for call in api.sent():
        replies.setdefault(int(call.params["chat_id"]), []).append(call.params["text"])
    return replies


def test_migrate_and_purge_twice_at_once_serialise(
    tmp_path: Path, models_dir: Path, database_url: str
) -> None:
    env = base_env(tmp_path, models_dir, database_url)
    migrated = twice_at_once(env, "migrate")
    assert [r.returncode for r in migrated] == [0, 0], [r.stderr for r in migrated]
    engine = create_engine(database_url)
    try:
        assert schema_problem(engine) is None  # at this code's head, migrated once
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(version) == 1

        now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        with engine.begin() as connection:
            connection.execute(
                insert(Event),
                [event(now - dt.timedelta(days=40), f"{i:064x}") for i in range(30)]
                + [event(now, f"{i:064x}") for i in range(5)],
            )
        purged = twice_at_once({**env, "SAFEBOT_RETENTION_DAYS": "30"}, "purge")
        assert [r.returncode for r in purged] == [0, 0], [r.stderr for r in purged]
        deleted = sorted(int(re.findall(r"Deleted (\d+) events", r.stdout)[0]) for r in purged)
        assert deleted == [0, 30]  # one purge did it all, the other found nothing left
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Event)).scalar() == 5
    finally:
        engine.dispose()


async def test_two_replicas_answer_every_update_once_and_in_order(
    tmp_path: Path, models_dir: Path, database_url: str
) -> None:
    env = base_env(tmp_path, models_dir, database_url)
    assert (
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "migrate"], env=env, cwd=PROJECT_ROOT, check=False
        ).returncode
        == 0
    )
    api = BotApiStandIn().start()
    replicas = [
        start_serve(
            {**env, "TELEGRAM_TOKEN": token, "TELEGRAM_BASE_URL": api.base_url},
            tmp_path / f"serve-{name}.log",
        )
        for name, token in (("a", TOKEN_A), ("b", TOKEN_B))
    ]
    forwarder = Forwarder([r.url for r in replicas]).start()
    telegram = Telegram(forwarder.url)
    a, b = replicas
    try:
        for replica in replicas:
            await asyncio.to_thread(wait_serving, replica)

        wrong = httpx.post(
            forwarder.url + "/telegram",
            json=update(1, 1, 0),
            headers={SECRET_HEADER: "not-" + SECRET},
        )
        assert wrong.status_code == 403

        # One child first: the replies every other child must get, in this order.
        reference = 4_000_000
        await telegram.child(reference, random.Random(0))
        expected = replies_by_chat(api).get(reference, [])
        assert len(expected) == TURNS

        chats = [5_000_000 + i for i in range(CHILDREN)]
        rng = random.Random(14)
        children = [
            asyncio.create_task(telegram.child(c, random.Random(rng.random()))) for c in chats
        ]
        total = TURNS * (CHILDREN + 1)

        await asyncio.to_thread(
            wait_until, lambda: telegram.delivered >= total // 2, timeout=60, what="half"
        )
        # Halfway: replica b is stopped at its sends, so that none of its updates is between
        # a reply sent and its commit (that window answers twice after a kill, by design:
        # see bot/storage/update_ledger.py), then killed mid-update.
        api.close_gate(TOKEN_B)

        def b_settled() -> bool:
            if api.parked(TOKEN_B) < 1:  # killed with at least one update in work
                return False
            sent = Counter(int(c.params["chat_id"]) for c in api.sent() if c.token == TOKEN_B)
            return all(forwarder.answered(b.url, chat) == n for chat, n in sent.items())

        await asyncio.to_thread(wait_until, b_settled, timeout=30, what="replica b settled")
        b.process.send_signal(signal.SIGKILL)
        b.process.wait()
        forwarder.mark_down(b.url)
        api.open_gate(TOKEN_B, deliver=False)  # its sends were never made
        await asyncio.wait_for(asyncio.gather(*children), timeout=90)

        replies = replies_by_chat(api)
        wrong_count = {
            c: len(replies.get(c, [])) for c in chats if len(replies.get(c, [])) != TURNS
        }
        assert wrong_count == {}, "each update must be answered exactly once"
        out_of_order = [c for c in chats if replies[c] != expected]
        assert out_of_order == []
        outcomes = Counter(outcome for (_, _, outcome) in forwarder.outcomes.elements())
        assert outcomes["duplicate"] >= 1
        assert sum(
            n for (r, _, o), n in forwarder.outcomes.items() if r == b.url and o == "answered"
        )
        assert api.sent(method="setWebhook") == []
        metrics = httpx.get(a.url + "/metrics").text
        assert 'safebot_updates_total{outcome="answered"}' in metrics
        assert not any(word in metrics for word in ("chat", "user", "pseudonym"))
    finally:
        await telegram.client.aclose()
        for replica in replicas:
            stop_serve(replica)
        forwarder.stop()
        api.stop()
