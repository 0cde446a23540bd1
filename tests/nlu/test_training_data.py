"""The NLU training data: Rasa format, every intent covered, no duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from nlu.intents import INTENTS
from nlu.training_data import TrainingDataError, counts, read_nlu_dir, read_nlu_file

DATA = PROJECT_ROOT / "nlu" / "training"


def test_every_intent_has_at_least_40_english_examples() -> None:
    found = counts(read_nlu_dir(DATA / "en"))
    assert set(found) == set(INTENTS)
    assert min(found.values()) >= 40, found


def test_no_duplicate_examples() -> None:
    texts = [e.text.lower() for e in read_nlu_dir(DATA / "en")]
    assert len(texts) == len(set(texts))


def test_rasa_annotations_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: privacy\n  examples: |\n'
        "    - someone hacked my [instagram](platform) account\n"
        "- synonym: insta\n  examples: |\n    - ig\n",
        encoding="utf-8",
    )
    examples = read_nlu_file(path)
    assert [(e.text, e.intent) for e in examples] == [
        ("someone hacked my instagram account", "privacy")
    ]


def test_broken_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "nlu:\n- intent: greet\n  examples: |\n    hi without a dash\n", encoding="utf-8"
    )
    with pytest.raises(TrainingDataError, match=r"bad\.yml"):
        read_nlu_file(path)
