"""What every command shares: plain errors, settings, progress bars, the database, dates."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy import Engine

from bot.settings import Settings


class CliError(Exception):
    """An expected failure: printed as a plain message, exit code 2."""


def load_settings() -> Settings:
    """The settings from the environment, or a plain error naming the invalid ones."""
    try:
        return Settings()
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise CliError(f"Some SAFEBOT_* settings are not valid: {fields}") from None


def progress_bars() -> Callable[[str, int, int], None]:
    """A training progress callback that draws one bar per locale."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(locale: str, done: int, total: int) -> None:
        bar = bars.get(locale)
        if bar is None:
            bar = bars[locale] = tqdm(total=total, desc=f"training {locale}", unit="epoch")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


@contextmanager
def open_database(settings: Settings) -> Iterator[Engine]:
    """The migrated database, disposed of afterwards."""
    from bot.storage.database import make_engine, upgrade

    engine = make_engine(settings.resolved_database_url)
    try:
        try:
            upgrade(engine)
        except Exception as error:
            raise CliError(
                f"Could not open the database ({type(error).__name__}). Check "
                "SAFEBOT_DATABASE_URL and that the database server is running."
            ) from None
        yield engine
    finally:
        engine.dispose()


def iso_day(value: str) -> dt.date:
    """An argparse type: a date written like 2026-01-31."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-01-31") from None
