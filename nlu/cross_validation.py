"""K-fold cross-validation of the topic classifier over its own training data.

As ``rasa test nlu --cross-validation`` does: the examples are split into ``k`` folds (stratified
by intent, with a fixed seed), a classifier is trained on ``k - 1`` of them and scored on the
one left out, ``k`` times. It measures the classifier alone (its best intent), not the whole
decision: the risk model and the crisis net were trained on or written from all the data.

This is a figure about the training data, beside the blind sets, never instead of them: the
training data of one writer in ``k`` folds still shares that writer's words.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from nlu.evaluation import calibration_error, macro_f1_of
from nlu.normalize import normalize
from nlu.spacy_classifier import DEFAULT_EPOCHS, train_model
from nlu.spacy_textcat import SEED
from nlu.training_data import Example

#: Student's t at 97.5 % for ``k - 1`` degrees of freedom (k = 2..10): a 95 % interval of the mean.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


@dataclass(frozen=True)
class CrossValidation:
    """The figures of one locale's k-fold cross-validation."""

    locale: str
    folds: int
    examples: int
    #: Macro-F1 of each fold's held-out examples.
    fold_macro_f1: tuple[float, ...]
    #: Macro-F1 over every held-out prediction together.
    macro_f1: float
    accuracy: float
    #: Expected calibration error of the classifier's confidence on held-out examples.
    calibration_error: float

    @property
    def mean(self) -> float:
        """The mean of the folds' macro-F1."""
        return statistics.fmean(self.fold_macro_f1)

    @property
    def interval(self) -> tuple[float, float]:
        """A 95 % interval of the mean over folds (Student's t)."""
        k = len(self.fold_macro_f1)
        half = _T975.get(k - 1, 1.96) * statistics.stdev(self.fold_macro_f1) / math.sqrt(k)
        return (self.mean - half, self.mean + half)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        low, high = self.interval
        return {
            "locale": self.locale,
            "folds": self.folds,
            "examples": self.examples,
            "fold_macro_f1": [round(v, 4) for v in self.fold_macro_f1],
            "mean_macro_f1": round(self.mean, 4),
            "interval": [round(low, 4), round(high, 4)],
            "pooled_macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "calibration_error": round(self.calibration_error, 4),
        }


def stratified_folds(examples: Sequence[Example], k: int, *, seed: int = SEED) -> list[list[int]]:
    """Indices of ``k`` folds, each intent spread evenly over them; the same for the same seed."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_intent[example.intent].append(index)
    chance = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    start = 0
    for intent in sorted(by_intent):
        indices = by_intent[intent]
        chance.shuffle(indices)
        for offset, index in enumerate(indices):
            folds[(start + offset) % k].append(index)
        start += len(indices)  # the next intent's first example goes to the next fold
    return [sorted(fold) for fold in folds]


def cross_validate(
    examples: Sequence[Example],
    locale: str,
    *,
    folds: int = 5,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = SEED,
) -> CrossValidation:
    """Train ``folds`` classifiers, each scored on the examples it did not see."""
    if len(examples) < folds:
        raise ValueError(f"{len(examples)} examples cannot be split into {folds} folds")
    gold: list[str] = []
    predicted: list[str] = []
    confidences: list[float] = []
    per_fold: list[float] = []
    for held_out in stratified_folds(examples, folds, seed=seed):
        left_out = set(held_out)
        train = [e for i, e in enumerate(examples) if i not in left_out]
        nlp = train_model(train, locale, epochs=epochs, seed=seed)
        texts = [normalize(examples[i].text) for i in held_out]
        fold_gold = [examples[i].intent for i in held_out]
        fold_predicted = []
        for doc in nlp.pipe(texts):
            intent, confidence = max(doc.cats.items(), key=lambda item: item[1])
            fold_predicted.append(intent)
            confidences.append(float(confidence))
        per_fold.append(macro_f1_of(fold_gold, fold_predicted))
        gold += fold_gold
        predicted += fold_predicted
    right = [g == p for g, p in zip(gold, predicted, strict=True)]
    return CrossValidation(
        locale=locale,
        folds=folds,
        examples=len(examples),
        fold_macro_f1=tuple(per_fold),
        macro_f1=macro_f1_of(gold, predicted),
        accuracy=sum(right) / len(right),
        calibration_error=calibration_error(confidences, right),
    )


def format_cross_validation(cv: CrossValidation) -> str:
    """A plain-text report."""
    low, high = cv.interval
    folds = " ".join(f"{v:.3f}" for v in cv.fold_macro_f1)
    return "\n".join(
        [
            f"{cv.locale}: {cv.folds}-fold cross-validation of the topic classifier over "
            f"{cv.examples} training examples",
            f"  macro-F1 per fold   {folds}",
            f"  mean macro-F1       {cv.mean:.3f}   (95 % interval {low:.3f}-{high:.3f})",
            f"  pooled macro-F1     {cv.macro_f1:.3f}   accuracy {cv.accuracy:.3f}",
            f"  calibration error   {cv.calibration_error:.3f}",
        ]
    )
