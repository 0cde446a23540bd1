"""The retraining report says WORSE only where the gate refuses, and says by how much."""

from __future__ import annotations

import dataclasses

from nlu.evaluation import Evaluation, IntentScores
from nlu.retraining import (
    MAX_F1_DROP,
    MAX_FALSE_CRISIS_RISE,
    Comparison,
    format_comparison,
    regressions,
)

OLD = Evaluation(
    engine="spacy",
    locale="en",
    examples=170,
    accuracy=0.92,
    macro_f1=0.916,
    risk_recall=0.97,
    false_crisis_rate=0.010,
    clarification_rate=0.05,
    per_intent={"grooming": IntentScores(0.9, 0.9, 0.90, 20)},
    labels=["grooming"],
    confusion=[[18]],
)


def _line(report: str, name: str) -> str:
    return next(line for line in report.splitlines() if line.startswith(name))


def test_a_small_drop_within_the_gate_is_installed_and_not_called_worse() -> None:
    new = dataclasses.replace(
        OLD,
        macro_f1=OLD.macro_f1 - MAX_F1_DROP / 2,
        false_crisis_rate=OLD.false_crisis_rate + MAX_FALSE_CRISIS_RISE / 2,
        accuracy=0.90,
        per_intent={"grooming": IntentScores(0.8, 0.8, 0.80, 20)},
    )
    assert regressions(OLD, new) == []
    report = format_comparison(Comparison("en", OLD, new, installed=True, reasons=[]))
    assert "WORSE" not in report
    assert "worse (lower), within the 0.020 allowed" in _line(report, "macro-F1")
    # A false-crisis rate that went up is called higher: the report never says it fell.
    assert "worse (higher), within the 0.010 allowed" in _line(report, "false-crisis rate")
    assert "lower" not in _line(report, "false-crisis rate")
    assert "worse (not gated)" in _line(report, "accuracy")
    assert "worse (not gated)" in _line(report, "  F1 grooming")
    assert "The new model is in service now" in report


def test_a_drop_past_the_gate_is_refused_with_the_figure_and_the_change() -> None:
    new = dataclasses.replace(OLD, macro_f1=OLD.macro_f1 - 0.05, risk_recall=0.95)
    reasons = regressions(OLD, new)
    assert reasons == [
        "risk recall drops from 0.970 to 0.950 (-0.020; no drop is allowed)",
        "macro-F1 drops from 0.916 to 0.866 (-0.050; at most -0.020 is allowed)",
    ]
    report = format_comparison(Comparison("en", OLD, new, installed=False, reasons=reasons))
    assert _line(report, "macro-F1").endswith("WORSE")
    assert _line(report, "risk recall").endswith("WORSE")
    assert "The new model was NOT installed, because:" in report
    forced = format_comparison(Comparison("en", OLD, new, installed=True, reasons=reasons))
    assert "in service (--force), although it is worse for children" in forced
    assert "at most -0.020 is allowed" in forced
