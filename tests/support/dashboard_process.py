"""``safebot dashboard`` as a real process on 127.0.0.1 (the browser tests and benchmark)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.settings import PROJECT_ROOT
from tests.support.serve_process import free_port


class DashboardDidNotStart(RuntimeError):
    """The dashboard exited or did not answer in time; the message is its log."""


@contextmanager
def dashboard_process(
    data_dir: Path, env: Mapping[str, str], *, timeout: float = 60.0
) -> Iterator[str]:
    """Run the dashboard with ``env`` added to ours until the block ends; yields its address."""
    port = free_port()
    log_path = data_dir / "dashboard.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "dashboard", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise DashboardDidNotStart(log_path.read_text())
                time.sleep(0.2)
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
