"""A small Telegram Bot API stand-in on 127.0.0.1 for tests.

It speaks enough of the real HTTP API (getMe, getUpdates with long polling, sendMessage,
answerCallbackQuery, setMyCommands, deleteWebhook...) for python-telegram-bot's real
``Application`` to run against it through ``TELEGRAM_BASE_URL``. Faults can be injected per
method (:meth:`BotApiStandIn.inject`): a 429 with ``retry_after``, a 5xx, a slow answer, or a
request lost without delivery behind a slow answer.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.support.http_server import QuietHandler, serve_in_background, stop

BOT_USER = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "SafeBot",
    "username": "safebot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "link_preview_options",
    "entities",
    "scope",
    "reply_parameters",
}


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    token: str


@dataclass(frozen=True)
class Fault:
    """How the stand-in answers one call: an error status, or the right answer but late.

    A call answered with an error is not delivered (it goes to ``rejected``, not ``calls``); a
    late answer is delivered at once, like a Telegram that sent the message but answered slowly.
    """

    status: int = 200
    retry_after: int | None = None
    delay_seconds: float = 0.0
    #: When set, the (delivered) call is answered only once the test sets this event.
    release: threading.Event | None = None

    @classmethod
    def too_many_requests(cls, retry_after: int = 1) -> Fault:
        return cls(429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(status)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay_seconds=seconds)

    @classmethod
    def lost(cls, seconds: float) -> Fault:
        """Not delivered, and the (error) answer comes only after ``seconds``: to the bot, a
        read timeout like any other, though Telegram never sent the message."""
        return cls(502, delay_seconds=seconds)

    @classmethod
    def held(cls, release: threading.Event) -> Fault:
        """Delivered at once, answered when the test says so: the bot is stuck in this call."""
        return cls(release=release)


_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}


@dataclass
class BotApiStandIn:
    """The server state: queued updates and every call received."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    #: Calls answered with an injected error status (so not delivered).
    rejected: list[Call] = field(default_factory=list)
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    #: sendMessage calls per chat id, so a long run can ask "was this chat answered?" cheaply.
    _sent_to: Counter[int] = field(default_factory=Counter)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    server: ThreadingHTTPServer | None = None
    #: When set, any other token is refused with 401 Unauthorized, as Telegram does.
    accepted_token: str | None = None
    #: Tokens whose calls wait before delivery (see :meth:`close_gate`), and how many wait.
    _gated: set[str] = field(default_factory=set)
    _parked: Counter[str] = field(default_factory=Counter)
    _dropping: set[str] = field(default_factory=set)
    #: The webhook as setWebhook left it (url, secret_token, allowed_updates, max_connections).
    webhook: dict[str, Any] = field(default_factory=dict)

    # -- the test side -------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update; returns its update_id."""
        with self._lock:
            update_id = next(self._ids)
            self.updates.append({"update_id": update_id, **update})
            self._lock.notify_all()
            return update_id

    def inject(self, method: str, *faults: Fault) -> None:
        """The next calls of ``method`` meet these faults, one call each, in order."""
        with self._lock:
            self._faults.setdefault(method, []).extend(faults)

    def close_gate(self, token: str) -> None:
        """Calls made with ``token`` wait before delivery (a replica stuck at its sends)."""
        with self._lock:
            self._gated.add(token)

    def parked(self, token: str) -> int:
        """How many calls with ``token`` wait at the closed gate."""
        with self._lock:
            return self._parked[token]

    def open_gate(self, token: str, *, deliver: bool) -> None:
        """Let the waiting calls through, or (``deliver=False``) answer them 502, undelivered."""
        with self._lock:
            self._gated.discard(token)
            if not deliver:
                self._dropping.add(token)
            self._lock.notify_all()
            while self._parked[token]:
                self._lock.wait()
            self._dropping.discard(token)

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
            ]

    def replies_to(self, chat_id: int) -> int:
        """How many sendMessage calls went to ``chat_id`` (without scanning every call)."""
        with self._lock:
            return self._sent_to[chat_id]

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later ``getUpdates`` offset."""
        with self._lock:
            return len(self.updates)

    def wait_for(
        self,
        count: int,
        *,
        chat_id: int | None = None,
        method: str = "sendMessage",
        timeout: float = 20.0,
    ) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` (to ``chat_id``) arrived."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method
                    and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} {method} calls, got {len(found)}")
                self._lock.wait(remaining)

    # -- the server side -----------------------------------------------------------------

    def _respond(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """The HTTP status and JSON body of one call, faults included."""
        with self._lock:
            if token in self._gated:
                self._parked[token] += 1
                self._lock.notify_all()
                while token in self._gated:
                    self._lock.wait()
                self._parked[token] -= 1
                self._lock.notify_all()
                if token in self._dropping:
                    self.rejected.append(Call(method, params, token))
                    return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            queued = self._faults.get(method)
            fault = queued.pop(0) if queued else Fault()
            if fault.status != 200:
                self.rejected.append(Call(method, params, token))
                self._lock.notify_all()
        if fault.status != 200:
            if fault.delay_seconds:
                time.sleep(fault.delay_seconds)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": fault.status,
                "description": _REASONS.get(fault.status, "Server Error"),
            }
            if fault.retry_after is not None:
                body["description"] += f": retry after {fault.retry_after}"
                body["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, body
        result = self._answer(token, method, params)
        if fault.delay_seconds:
            time.sleep(fault.delay_seconds)  # the injected slowness, after delivery
        if fault.release is not None:
            fault.release.wait(timeout=120)
        return 200, {"ok": True, "result": result}

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append(Call(method, params, token))
            if method == "sendMessage":
                with contextlib.suppress(TypeError, ValueError):
                    self._sent_to[int(params["chat_id"])] += 1
            self._lock.notify_all()
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return self._get_updates(params)
        if method in {"setWebhook", "deleteWebhook", "getWebhookInfo"}:
            return self._webhook_call(method, params)
        if method in {"sendMessage", "editMessageText"}:
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        return True

    def _webhook_call(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            if method == "setWebhook":
                self.webhook = dict(params)
                return True
            if method == "deleteWebhook":
                self.webhook = {}
                return True
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            }
            if self.webhook:
                info["max_connections"] = int(self.webhook.get("max_connections", 40))
                info["allowed_updates"] = self.webhook.get("allowed_updates", [])
                info["ip_address"] = "127.0.0.1"
            return info

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        limit = int(params.get("limit", 100) or 100)  # as Telegram: at most 100 a batch
        timeout = min(float(params.get("timeout", 0) or 0), 1.0)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if self.updates or time.monotonic() >= deadline:
                    return list(self.updates[:limit])
                self._lock.wait(max(0.0, deadline - time.monotonic()))

    def start(self) -> BotApiStandIn:
        standin = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                path = self.path.split("?")[0].strip("/")
                token_part, _, method = path.partition("/")
                token = token_part.removeprefix("bot")
                body = self.read_body().decode("utf-8")
                params = _decode(body, self.headers.get("Content-Type", ""))
                if not token_part.startswith("bot"):  # a wrong TELEGRAM_BASE_URL
                    status = 404
                    payload = {"ok": False, "error_code": 404, "description": "Not Found"}
                elif standin.accepted_token is not None and token != standin.accepted_token:
                    status = 401
                    payload = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                else:
                    try:
                        status, payload = standin._respond(token, method, params)
                    except Exception as error:  # pragma: no cover - a broken test setup
                        status = 400
                        payload = {"ok": False, "error_code": 400, "description": str(error)}
                data = json.dumps(payload).encode()
                try:
                    self.send_json(status, data)
                except OSError:  # the bot stopped waiting (a slow answer): fine
                    return

            do_GET = do_POST

        self.server = serve_in_background(Handler)
        return self

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server)


def _decode(body: str, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        return dict(json.loads(body))
    params: dict[str, Any] = {}
    for key, values in parse_qs(body, keep_blank_values=True).items():
        value: Any = values[-1]
        if key in _JSON_FIELDS:
            value = json.loads(value)
        params[key] = value
    return params


# -- update builders ----------------------------------------------------------------------

_message_counter = itertools.count(1)


def _user(user_id: int, language_code: str = "en") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Kid", "language_code": language_code}


def private_message(user_id: int, text: str, *, language_code: str = "en") -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_counter),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Kid"},
        "from": _user(user_id, language_code),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def edited_message(user_id: int, text: str) -> dict[str, Any]:
    update = private_message(user_id, text)
    update["message"]["edit_date"] = int(time.time())
    return {"edited_message": update["message"]}


def photo_message(user_id: int) -> dict[str, Any]:
    return {
        "message": {
            "message_id": next(_message_counter),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": _user(user_id),
            "photo": [{"file_id": "AgAD-photo", "file_unique_id": "u1", "width": 90, "height": 90}],
        }
    }


def sticker_message(user_id: int) -> dict[str, Any]:
    return {
        "message": {
            "message_id": next(_message_counter),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": _user(user_id),
            "sticker": {
                "file_id": "CAAD-sticker",
                "file_unique_id": "s1",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        }
    }


def group_message(user_id: int, group_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_counter),
        "date": int(time.time()),
        "chat": {"id": group_id, "type": "group", "title": "class 8b"},
        "from": _user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def button_press(user_id: int, data: str, *, message_id: int = 1) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": f"cb{next(_message_counter)}",
            "from": _user(user_id),
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": BOT_USER,
                "text": "(an earlier reply)",
            },
        }
    }
