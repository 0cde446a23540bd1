"""The embedded spaCy classifier: quality on held-back data, reproducibility, save/load."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import spacy

from bot.settings import PROJECT_ROOT
from nlu.intents import INTENTS
from nlu.spacy_classifier import SpacyClassifier, save_model, train_model
from nlu.training_data import Example, View, read_nlu_dir

#: Measured 0.75 on this 20% split (the independent test file scores 0.93); the floor
#: catches a real regression without failing on noise.
MIN_HELD_BACK_MACRO_F1 = 0.70


def split(examples: list[Example], share: float = 0.2) -> tuple[list[Example], list[Example]]:
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(7)
    train, held = [], []
    for items in by_intent.values():
        items = sorted(items, key=lambda e: e.text)
        rng.shuffle(items)
        cut = max(1, int(len(items) * share))
        held += items[:cut]
        train += items[cut:]
    return train, held


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for intent in INTENTS:
        tp = sum(g == p == intent for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == intent != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == intent != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def test_macro_f1_on_held_back_data(tmp_path: Path) -> None:
    train, held = split(read_nlu_dir(PROJECT_ROOT / "nlu" / "training" / "en", View.TOPIC))
    nlp = train_model(train, "en")
    classifier = SpacyClassifier({"en": nlp})
    predicted = [r.intent for r in classifier.classify_many([e.text for e in held], "en")]
    score = macro_f1([e.intent for e in held], predicted)
    assert score >= MIN_HELD_BACK_MACRO_F1, score


def tiny() -> list[Example]:
    return [
        Example(text, intent)
        for intent, texts in {
            "greet": ["hi", "hello there", "hey bot"],
            "goodbye": ["bye", "see you", "gotta go"],
            "privacy": ["my account got hacked", "someone stole my password", "hacked insta"],
        }.items()
        for text in texts
    ]


def test_training_is_reproducible_and_survives_save_and_load(tmp_path: Path) -> None:
    first = train_model(tiny(), "en", epochs=10)
    second = train_model(tiny(), "en", epochs=10)
    text = "my password got stolen"
    assert first(text).cats == second(text).cats
    assert max(first(text).cats.items(), key=lambda kv: kv[1])[0] == "privacy"
    save_model(first, tmp_path / "m", data_fingerprint="x", locale="en", n=9)
    loaded = spacy.load(tmp_path / "m")
    assert loaded(text).cats == first(text).cats


async def test_classifier_protocol_result(models_dir: Path) -> None:
    classifier = SpacyClassifier.load(models_dir, ["en"])
    result = await classifier.classify("hiii 👋", "en")
    assert result.intent == "greet"
    assert 0.0 <= result.confidence <= 1.0
    assert result.ranking[0][0] == "greet"
    assert abs(sum(score for _, score in result.ranking) - 1.0) < 1e-3
