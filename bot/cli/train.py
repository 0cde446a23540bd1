"""``safebot train``: retrain the embedded classifier, compare, install unless worse."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import CliError, load_settings, progress_bars
from bot.logging_setup import configure_logging
from bot.settings import Settings


def train(settings: Settings, *, locale: str | None = None, force: bool = False) -> int:
    """Retrain the embedded classifier and compare it with the one in service."""
    from nlu.crisis import CrisisNet
    from nlu.retraining import format_comparison, retrain
    from nlu.spacy_classifier import DEFAULT_EPOCHS
    from nlu.training_data import available_locales

    locales = [locale] if locale else available_locales(settings.nlu_data_dir)
    if not locales:
        raise CliError(f"No training data in {settings.nlu_data_dir}")
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    progress = progress_bars()
    refused = False
    for each in locales:

        def on_epoch(epoch: int, _loss: float, locale: str = each) -> None:
            progress(locale, epoch + 1, DEFAULT_EPOCHS)

        result = retrain(
            settings.nlu_dir,
            settings.models_dir,
            each,
            net,
            settings,
            force=force,
            on_epoch=on_epoch,
        )
        print(format_comparison(result) + "\n")
        refused = refused or not result.installed
    return 1 if refused else 0


def _train(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(args.log_level or "WARNING")
    return train(settings, locale=args.locale, force=args.force)


def register(sub: Any) -> None:
    """Add ``train`` to ``safebot``'s sub-commands."""
    parser = sub.add_parser("train", help=train.__doc__)
    parser.add_argument("--locale", default=None)
    parser.add_argument("--force", action="store_true", help="install even if it is worse")
    parser.set_defaults(func=_train)
