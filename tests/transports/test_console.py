"""The console chat: numbered buttons, same engine, a scripted session."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.service.runtime import Runtime
from bot.settings import PROJECT_ROOT
from bot.transports.console import run_console


async def test_scripted_console_session(runtime: Runtime) -> None:
    # /start asks the country: [1] is the first country choice (United Kingdom)
    stdin = io.StringIO("1\nsomeone keeps sending me scary videos on tiktok\n/quit\n")
    stdout = io.StringIO()
    await run_console(runtime.service, stdin=stdin, stdout=stdout, language_code="en")
    out = stdout.getvalue()
    assert "[1] United Kingdom" in out
    assert "helplines for United Kingdom" in out
    assert "<b>" not in out  # HTML is shown as plain text
    assert "Bye!" in out


def test_safebot_chat_runs_from_a_fresh_data_dir(tmp_path: Path, models_dir: Path) -> None:
    env = {**os.environ, "SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_MODELS_PATH": str(models_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="hi\n2\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "SafeBot console chat" in result.stdout
    assert (tmp_path / "safebot.sqlite3").is_file()  # schema created on first start
    assert (tmp_path / "console-pseudonym.key").stat().st_mode & 0o077 == 0
