"""``safebot serve`` as a real process on 127.0.0.1, with helpers to post updates to it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.settings import PROJECT_ROOT
from tests.support.waiting import wait_until

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    """A running ``safebot serve``."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def status(self, path: str) -> tuple[int, dict[str, Any]]:
        """GET a path; its status and JSON body (empty when the server does not answer)."""
        try:
            answer = httpx.get(self.url + path, timeout=5)
        except httpx.HTTPError:
            return 0, {}
        try:
            return answer.status_code, dict(answer.json())
        except ValueError:
            return answer.status_code, {}


def post_update(
    url: str, update: dict[str, Any], secret: str, *, client: httpx.Client | None = None
) -> int:
    """POST one update as Telegram does; the HTTP status (0 when the connection failed)."""
    body = json.dumps(update).encode()
    headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
    try:
        if client is not None:
            return client.post(url + "/telegram", content=body, headers=headers).status_code
        return httpx.post(url + "/telegram", content=body, headers=headers, timeout=60).status_code
    except httpx.HTTPError:
        return 0


def start_serve(env: Mapping[str, str], log_path: Path, *, port: int | None = None) -> ServeProcess:
    """Start ``safebot serve`` (without waiting for it)."""
    port = port or free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )
    return ServeProcess(process, port, log_path)


def wait_serving(running: ServeProcess, *, ready: bool = True, timeout: float = 90) -> None:
    """Wait until it answers /readyz with 200 (or /healthz, when not ``ready``)."""
    path = "/readyz" if ready else "/healthz"

    def up() -> bool:
        if running.process.poll() is not None:
            raise RuntimeError(f"safebot serve ended early:\n{running.logs()}")
        return running.status(path)[0] == 200

    wait_until(up, timeout=timeout, what=f"safebot serve answering {path}")


def stop_serve(running: ServeProcess, *, timeout: float = 30) -> None:
    """Stop it as a container runtime does (SIGTERM), killing it if it does not end."""
    process = running.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve_process(
    env: Mapping[str, str],
    log_path: Path,
    *,
    port: int | None = None,
    ready: bool = True,
    start_timeout: float = 90,
) -> Iterator[ServeProcess]:
    """``safebot serve`` for the block: yielded once serving, stopped afterwards."""
    running = start_serve(env, log_path, port=port)
    try:
        wait_serving(running, ready=ready, timeout=start_timeout)
        yield running
    finally:
        stop_serve(running)
