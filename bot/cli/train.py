"""``safebot train``: retrain the embedded classifier, compare, install unless worse."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import CliError, load_settings, progress_bars
from bot.logging_setup import configure_logging
from bot.settings import Settings

#: At most this many mistakes are listed when training is refused.
_ERRORS_SHOWN = 20


def train(settings: Settings, *, locale: str | None = None, force: bool = False) -> int:
    """Retrain the embedded classifier and compare it with the one in service."""
    from nlu.crisis import CrisisNet, CrisisRuleError
    from nlu.crisis_evaluation import CrisisTestError
    from nlu.retraining import format_comparison, retrain
    from nlu.spacy_classifier import DEFAULT_EPOCHS
    from nlu.training_data import TrainingDataError, available_locales

    locales = [locale] if locale else available_locales(settings.nlu_data_dir)
    if not locales:
        raise CliError(f"No training data in {settings.nlu_data_dir}")
    _refuse_data_mistakes(settings)
    try:
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
    except (TrainingDataError, CrisisRuleError, CrisisTestError) as mistake:
        # The check above reads every file first; this is for a file changed meanwhile.
        raise CliError(f"Nothing more was trained: {mistake}") from None
    return 1 if refused else 0


def _refuse_data_mistakes(settings: Settings) -> None:
    """Train nothing while the training data, test files or crisis rules have a mistake.

    The same findings as ``safebot content check``, in the same words, so an editor never sees a
    traceback and a test message copied into the training data never reaches a model.
    """
    from bot.content.checks import check_nlu_files

    problems = check_nlu_files(settings.crisis_rules_dir, settings.nlu_dir)
    errors = [str(problem) for problem in problems if problem.severity == "error"]
    if errors:
        shown = "\n".join(errors[:_ERRORS_SHOWN])
        more = (
            f"\n... and {len(errors) - _ERRORS_SHOWN} more" if len(errors) > _ERRORS_SHOWN else ""
        )
        raise CliError(
            f"Nothing was trained: the data has {len(errors)} mistake(s).\n{shown}{more}\n"
            "Fix them (safebot content check lists them all), then train again."
        )


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
