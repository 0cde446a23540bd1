"""How far the figures of ``safebot evaluate`` can be trusted: the bootstrap interval and ECE."""

from __future__ import annotations

import pytest

from nlu.evaluation import calibration_error, macro_f1_interval


def test_calibration_error_is_the_weighted_gap_between_confidence_and_accuracy() -> None:
    # Eight messages at 0.75, six of them right: no gap. Ten at 0.95, all right: 0.05 too shy.
    confidences = [0.75] * 8 + [0.95] * 10
    correct = [True] * 6 + [False] * 2 + [True] * 10
    assert calibration_error(confidences, correct) == pytest.approx(0.05 * 10 / 18)
    assert calibration_error([0.75] * 8, correct[:8]) == pytest.approx(0.0)


def test_an_overconfident_classifier_has_a_large_calibration_error() -> None:
    # Sure of everything, right half the time: 0.45 too confident on average.
    assert calibration_error([0.95] * 10, [True, False] * 5) == pytest.approx(0.45)
    # A shy one errs the other way by as much.
    assert calibration_error([0.1] * 10, [True] * 10) == pytest.approx(0.9)
    assert calibration_error([], []) == 0.0


def test_the_interval_holds_the_figure_narrows_with_more_messages_and_is_reproducible() -> None:
    gold = ["privacy", "grooming", "cyberbullying", "self_harm"] * 10
    predicted = list(gold)
    predicted[0] = predicted[5] = "grooming"  # two mistakes in forty
    low, high = macro_f1_interval(gold, predicted)
    assert low < 0.96 < high <= 1.0
    assert macro_f1_interval(gold, predicted) == (low, high)  # a fixed seed
    wide = high - low
    low4, high4 = macro_f1_interval(gold * 4, predicted * 4)
    assert high4 - low4 < wide
    assert macro_f1_interval([], []) == (0.0, 0.0)
    assert macro_f1_interval(gold, gold) == (1.0, 1.0)
