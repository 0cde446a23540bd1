"""Retrain with a safety gate: compare the new model with the one in service before replacing it."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nlu.crisis import CrisisNet
from nlu.evaluation import Evaluation, evaluate
from nlu.loading import UnderstandingSettings, load_understanding
from nlu.spacy_classifier import (
    SpacyClassifier,
    model_path,
    read_meta,
    train_locale,
)
from nlu.training_data import read_nlu_file

#: A new model may lose at most this much macro-F1 before it needs --force (test-set noise:
#: one message of ~170 moves it by about 0.006).
MAX_F1_DROP = 0.02
#: A new model may raise the false-crisis rate by at most this much before it needs --force.
MAX_FALSE_CRISIS_RISE = 0.01
#: Changes smaller than this are shown as no change.
_NO_CHANGE = 0.0005


@dataclass
class Comparison:
    """Old and new figures for one locale, and whether the new model was installed."""

    locale: str
    old: Evaluation | None
    new: Evaluation
    installed: bool
    reasons: list[str]


def evaluate_model(
    directory: Path,
    locale: str,
    test_file: Path,
    net: CrisisNet,
    settings: UnderstandingSettings,
) -> Evaluation:
    """Evaluate a saved model (topic and risk) on a test file through the bot's decisions."""
    understanding = load_understanding(
        settings,
        SpacyClassifier.load(directory, [locale], default_locale=locale),
        [locale],
        net=net,
        models_dir=directory,
        default_locale=locale,
    )
    examples = read_nlu_file(test_file)
    return asyncio.run(evaluate(understanding, examples, locale, engine="spacy"))


def regressions(old: Evaluation | None, new: Evaluation) -> list[str]:
    """Why the new model is worse for children than the old one (empty when it is not)."""
    reasons = []
    if new.self_harm_missed and (
        old is None or len(new.self_harm_missed) > len(old.self_harm_missed)
    ):
        reasons.append(
            f"{len(new.self_harm_missed)} self_harm test message(s) no longer reach the crisis answer"
        )
    if old is not None:
        if new.risk_recall < old.risk_recall:
            reasons.append(
                f"risk recall drops from {old.risk_recall:.3f} to {new.risk_recall:.3f} "
                f"({new.risk_recall - old.risk_recall:+.3f}; no drop is allowed)"
            )
        if new.macro_f1 < old.macro_f1 - MAX_F1_DROP:
            reasons.append(
                f"macro-F1 drops from {old.macro_f1:.3f} to {new.macro_f1:.3f} "
                f"({new.macro_f1 - old.macro_f1:+.3f}; at most -{MAX_F1_DROP:.3f} is allowed)"
            )
        if new.false_crisis_rate > old.false_crisis_rate + MAX_FALSE_CRISIS_RISE:
            reasons.append(
                f"false-crisis rate rises from {old.false_crisis_rate:.3f} to "
                f"{new.false_crisis_rate:.3f} ({new.false_crisis_rate - old.false_crisis_rate:+.3f};"
                f" at most +{MAX_FALSE_CRISIS_RISE:.3f} is allowed)"
            )
    return reasons


def retrain(
    nlu_dir: Path,
    models_dir: Path,
    locale: str,
    net: CrisisNet,
    settings: UnderstandingSettings,
    *,
    force: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
) -> Comparison:
    """Train a candidate, compare it with the model in service, install it unless it is worse."""
    test_file = nlu_dir / "testsets" / locale / "test_nlu.yml"
    current = model_path(models_dir, locale)
    old = None
    if read_meta(current) is not None and test_file.is_file():
        old = evaluate_model(models_dir, locale, test_file, net, settings)
    with tempfile.TemporaryDirectory(
        dir=models_dir.parent if models_dir.parent.exists() else None
    ) as scratch:
        staging = Path(scratch)
        train_locale(nlu_dir / "training", staging, locale, on_epoch=on_epoch)
        new = evaluate_model(staging, locale, test_file, net, settings)
        reasons = regressions(old, new)
        installed = force or not reasons
        if installed:
            models_dir.mkdir(parents=True, exist_ok=True)
            retired = current.with_name(current.name + ".previous")
            if retired.exists():
                shutil.rmtree(retired)
            if current.exists():
                current.rename(retired)
            shutil.move(str(model_path(staging, locale)), str(current))
    return Comparison(locale, old, new, installed, reasons)


def format_comparison(result: Comparison) -> str:
    """A table an editor can read: before, after, change."""

    def row(
        name: str,
        before: float | None,
        after: float,
        better_high: bool = True,
        allowed: float | None = 0.0,
    ) -> str:
        """One figure; ``allowed`` is how much worse the gate lets it get (None: not gated)."""
        if before is None:
            return f"{name:<20}{'-':>9}{after:>9.3f}"
        delta = after - before
        worse_by = -delta if better_high else delta
        if abs(delta) < _NO_CHANGE:
            mark = ""
        elif worse_by < 0:
            mark = "  better"
        elif allowed is None:
            mark = "  worse (not gated)"
        elif worse_by > allowed:
            mark = "  WORSE"
        else:
            direction = "lower" if better_high else "higher"
            mark = f"  worse ({direction}), within the {allowed:.3f} allowed"
        return f"{name:<20}{before:>9.3f}{after:>9.3f}{delta:>+9.3f}{mark}"

    old, new = result.old, result.new
    lines = [
        f"== {result.locale}: {new.examples} test messages ==",
        f"{'':<20}{'before':>9}{'after':>9}{'change':>9}",
        row("macro-F1", old.macro_f1 if old else None, new.macro_f1, allowed=MAX_F1_DROP),
        row("accuracy", old.accuracy if old else None, new.accuracy, allowed=None),
        row("risk recall", old.risk_recall if old else None, new.risk_recall),
        row(
            "false-crisis rate",
            old.false_crisis_rate if old else None,
            new.false_crisis_rate,
            False,
            allowed=MAX_FALSE_CRISIS_RISE,
        ),
        row(
            "self_harm missed",
            float(len(old.self_harm_missed)) if old else None,
            float(len(new.self_harm_missed)),
            False,
        ),
    ]
    for intent, scores in new.per_intent.items():
        before = old.per_intent[intent].f1 if old else None
        lines.append(row(f"  F1 {intent}", before, scores.f1, allowed=None))
    if result.installed and result.reasons:
        lines.append("The new model is in service (--force), although it is worse for children:")
        lines += [f"  - {reason}" for reason in result.reasons]
    elif result.installed:
        lines.append(
            "The new model is in service now (the running bot picks it up within seconds)."
        )
    else:
        lines.append("The new model was NOT installed, because:")
        lines += [f"  - {reason}" for reason in result.reasons]
        lines.append(
            "Check the training examples you changed, or use --force to install it anyway."
        )
    return "\n".join(lines)
