"""``safebot migrate`` on SQLite: twice at once, both succeed and the schema is current."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.storage.database import make_engine, schema_problem


def test_two_migrations_at_once_on_sqlite(tmp_path: Path) -> None:
    env = {**os.environ, "SAFEBOT_DATA_DIR": str(tmp_path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "migrate"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert all("up to date" in out for out, _ in results)
    engine = make_engine(f"sqlite:///{tmp_path / 'safebot.sqlite3'}")
    try:
        assert schema_problem(engine) is None
    finally:
        engine.dispose()
