"""K-fold cross-validation of the topic classifier (``safebot evaluate --cross-validation K``)."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.settings import PROJECT_ROOT
from nlu.cross_validation import cross_validate, stratified_folds
from nlu.training_data import Example, View, read_nlu_dir
from tests.support.cli import safebot


def test_folds_cover_every_example_once_and_spread_each_intent() -> None:
    examples = [Example(f"text {i}", intent) for i, intent in enumerate(["a"] * 10 + ["b"] * 7)]
    folds = stratified_folds(examples, 3)
    assert sorted(i for fold in folds for i in fold) == list(range(17))
    for fold in folds:
        counts = Counter(examples[i].intent for i in fold)
        assert counts["a"] in (3, 4) and counts["b"] in (2, 3)
    assert stratified_folds(examples, 3) == folds  # a fixed seed
    with pytest.raises(ValueError):
        stratified_folds(examples, 1)


def test_each_fold_is_scored_by_a_classifier_that_never_saw_it() -> None:
    # A small real run: 12 examples of each intent of the English training data, 3 folds.
    everything = read_nlu_dir(PROJECT_ROOT / "nlu" / "training" / "en", View.TOPIC)
    per_intent: dict[str, list[Example]] = {}
    for example in everything:
        per_intent.setdefault(example.intent, []).append(example)
    examples = [e for group in per_intent.values() for e in group[:12]]
    cv = cross_validate(examples, "en", folds=3, epochs=3)
    assert cv.folds == 3 and len(cv.fold_macro_f1) == 3 and cv.examples == len(examples)
    assert all(0.0 <= v <= 1.0 for v in cv.fold_macro_f1)
    low, high = cv.interval
    assert low <= cv.mean <= high
    assert 0.0 < cv.accuracy <= 1.0 and 0.0 <= cv.calibration_error <= 1.0
    # Better than chance over 13 intents, even this small: the folds are really scored.
    assert cv.macro_f1 > 1 / 13


def test_the_command_refuses_options_that_mean_something_else() -> None:
    result = safebot("evaluate", "--cross-validation", "5", "--crisis")
    assert result.returncode != 0 and "--cross-validation" in result.stderr
    result = safebot("evaluate", "--cross-validation", "1", "--locale", "en")
    assert result.returncode != 0 and "at least 2 folds" in result.stderr
