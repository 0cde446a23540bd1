"""A small load balancer on 127.0.0.1: each webhook request to a random live replica.

Like a real one it only passes requests on: when the chosen replica does not answer (killed),
it marks it down and answers 502, and Telegram's side (the test) sends the update again.
It notes which replica answered each chat, and how (the server's ``outcome``).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import httpx

from tests.support.http_server import QuietHandler, serve_in_background, stop, url_of

_PASSED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


@dataclass
class Forwarder:
    """Forwards ``POST /telegram`` to one of ``replicas`` (base URLs) at random."""

    replicas: list[str]
    seed: int = 14
    down: set[str] = field(default_factory=set)
    #: (replica, chat id, outcome) -> how many requests ended so.
    outcomes: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(init=False)
    server: ThreadingHTTPServer | None = None
    _local: threading.local = field(default_factory=threading.local)
    _clients: list[httpx.Client] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def url(self) -> str:
        assert self.server is not None
        return url_of(self.server)

    def mark_down(self, replica: str) -> None:
        with self._lock:
            self.down.add(replica)

    def answered(self, replica: str, chat_id: int) -> int:
        """Updates of ``chat_id`` that ``replica`` answered (duplicates not counted)."""
        with self._lock:
            return self.outcomes[(replica, chat_id, "answered")]

    def _choose(self) -> str | None:
        with self._lock:
            live = [r for r in self.replicas if r not in self.down]
            return self._random.choice(live) if live else None

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=60)
            with self._lock:
                self._clients.append(client)
        return client

    def forward(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        replica = self._choose()
        if replica is None:
            return 503, b'{"ok": false}'
        with self._lock:
            self.in_flight[replica] += 1
        try:
            answer = self._client().post(replica + "/telegram", content=body, headers=headers)
        except httpx.ConnectError:
            self.mark_down(replica)
            return 502, b'{"ok": false}'
        except httpx.HTTPError:  # the replica died with the request in work
            return 502, b'{"ok": false}'
        finally:
            with self._lock:
                self.in_flight[replica] -= 1
        self._note(replica, body, answer)
        return answer.status_code, answer.content

    def _note(self, replica: str, body: bytes, answer: httpx.Response) -> None:
        try:
            outcome = str(answer.json().get("outcome", answer.status_code))
            update: dict[str, Any] = json.loads(body)
            chat_id = int(update["message"]["chat"]["id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        with self._lock:
            self.outcomes[(replica, chat_id, outcome)] += 1

    def start(self) -> Forwarder:
        forwarder = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.read_body()
                headers = {h: self.headers[h] for h in _PASSED_HEADERS if self.headers.get(h)}
                status, data = forwarder.forward(body, headers)
                self.send_json(status, data)

        self.server = serve_in_background(Handler)
        return self

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server)
        for client in self._clients:
            client.close()
