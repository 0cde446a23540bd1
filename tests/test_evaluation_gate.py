"""CI's quality gate: the embedded classifier on the held-out test files of every locale.

Floors are set a little below what was measured (benchmarks/RESULTS.md), so noise does not
fail CI but a real regression does. Every self_harm test message must reach the crisis answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings
from nlu.crisis import CrisisNet
from nlu.evaluation import Thresholds, evaluate
from nlu.spacy_classifier import SpacyClassifier
from nlu.training_data import read_nlu_file

TESTS = PROJECT_ROOT / "nlu" / "tests"
# locale -> (macro-F1 floor, risk-recall floor)
FLOORS = {"en": (0.90, 0.95), "ru": (0.86, 0.95), "uk": (0.84, 0.90), "tr": (0.88, 0.95)}


@pytest.mark.parametrize("locale", sorted(FLOORS))
@pytest.mark.parametrize("test_file", ["test_nlu.yml", "test_blind.yml"])
async def test_quality_floor_and_every_self_harm_example_escalates(
    models_dir: Path, locale: str, test_file: str
) -> None:
    settings = Settings()
    classifier = SpacyClassifier.load(models_dir, [locale], default_locale=locale)
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    examples = read_nlu_file(TESTS / locale / test_file)
    ev = await evaluate(classifier, net, examples, locale, Thresholds.of(settings), engine="spacy")
    assert ev.self_harm_missed == []
    f1_floor, risk_floor = FLOORS[locale]
    if test_file == "test_nlu.yml":
        assert ev.macro_f1 >= f1_floor, ev.macro_f1
        assert ev.risk_recall >= risk_floor, ev.risk_recall
    assert ev.false_crisis_rate <= 0.03, ev.false_crisis_rate
