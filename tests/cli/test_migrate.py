"""``safebot migrate`` on SQLite: twice at once, both succeed and the schema is current."""

from __future__ import annotations

import os
from pathlib import Path

from bot.storage.database import make_engine, schema_problem
from tests.support.cli import twice_at_once


def test_two_migrations_at_once_on_sqlite(tmp_path: Path) -> None:
    env = {**os.environ, "SAFEBOT_DATA_DIR": str(tmp_path)}
    results = twice_at_once(env, "migrate")
    assert [r.returncode for r in results] == [0, 0], results
    assert all("up to date" in r.stdout for r in results)
    engine = make_engine(f"sqlite:///{tmp_path / 'safebot.sqlite3'}")
    try:
        assert schema_problem(engine) is None
    finally:
        engine.dispose()
