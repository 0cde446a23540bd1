"""The command functions called directly, without a process (the way ``spacy/cli`` is tested)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot.cli import admin, build_parser, content, stats
from bot.cli.common import CliError
from bot.settings import Settings
from bot.stats import stats_table
from bot.storage.database import make_engine, upgrade
from bot.storage.models import RollupPeriod
from tests.stats.test_stats import W1, add, children, event


def test_every_command_group_is_registered() -> None:
    actions = build_parser()._actions
    commands = next(a for a in actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == [
        "chat",
        "run",
        "serve",
        "migrate",
        "webhook",
        "train",
        "classify",
        "evaluate",
        "rasa",
        "content",
        "stats",
        "purge",
        "rotate-key",
        "rollups",
        "reviewer",
        "dashboard",
        "demo-data",
    ]


def test_preview_guesses_the_country_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(CliError, match="Did you mean GB"):
        content.preview(settings, "grooming", country="uk")
    assert content.preview(settings, "grooming", country="GB") == 0
    assert capsys.readouterr().out.startswith("--- grooming / en / ")


def test_stats_refuses_a_range_that_ends_before_it_starts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(CliError, match="--since must not be after --until"):
        stats.stats(settings, since=dt.date(2026, 2, 1), until=dt.date(2026, 1, 1))


def test_rollups_rebuild_counts_the_events_held_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    add(engine, [event(W1, p) for p in children(6)])
    with engine.begin() as connection:
        connection.execute(delete(RollupPeriod))  # as if lost: the rebuild brings them back
    engine.dispose()
    assert admin.rebuild_rollups(settings) == 0
    assert "Counted the events of 6 child keys" in capsys.readouterr().out
    engine = make_engine(settings.resolved_database_url)
    try:
        assert stats_table(engine, perturb=False).total.figures.messages == 6
    finally:
        engine.dispose()
