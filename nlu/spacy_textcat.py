"""Training a spaCy text categoriser on our features: shared by the topic and risk models."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example as SpacyExample
from spacy.util import fix_random_seed, minibatch

import nlu.spacy_features  # noqa: F401 - registers safebot.CharNgramBOW.v1
from nlu.normalize import normalize
from nlu.training_data import Example

SEED = 20261123
BATCH_SIZE = 32

#: The text categoriser: words, word pairs and character 3-5-grams in one sparse linear
#: layer (``safebot.CharNgramBOW.v1``). Chosen by measurement on the held-out test files
#: (see benchmarks/RESULTS.md): it beat spaCy's word-only bag-of-words and the CNN ensemble,
#: trains in seconds and classifies in well under a millisecond.
TEXTCAT_CONFIG: dict[str, Any] = {
    "threshold": 0.0,
    "model": {
        "@architectures": "safebot.CharNgramBOW.v1",
        "exclusive_classes": True,
        "ngram_size": 2,
        "char_min": 3,
        "char_max": 5,
        "length": 2**18,
        "nO": None,
    },
}


def with_base_forms(config: dict[str, Any]) -> dict[str, Any]:
    """The same text categoriser, also fed each word's lemma or stem (``CharNgramBOW.v2``)."""
    model = {**config["model"], "@architectures": "safebot.CharNgramBOW.v2", "base_forms": True}
    return {**config, "model": model}


def _blank(locale: str) -> Language:
    try:
        return spacy.blank(locale)
    except ImportError:  # a language spaCy has no tokenizer rules for
        return spacy.blank("xx")


def _to_spacy(
    nlp: Language, examples: Iterable[Example], labels: tuple[str, ...]
) -> list[SpacyExample]:
    out = []
    for example in examples:
        doc = nlp.make_doc(normalize(example.text))
        cats = {label: float(label == example.intent) for label in labels}
        out.append(SpacyExample.from_dict(doc, {"cats": cats}))
    return out


def train_textcat(
    examples: list[Example],
    labels: tuple[str, ...],
    lang: str,
    *,
    epochs: int,
    seed: int = SEED,
    on_epoch: Callable[[int, float], None] | None = None,
    config: dict[str, Any] | None = None,
) -> Language:
    """Train an exclusive-class text categoriser; reproducible for a given seed."""
    fix_random_seed(seed)
    rng = random.Random(seed)
    nlp = _blank(lang)
    textcat: Any = nlp.add_pipe("textcat", config=config or TEXTCAT_CONFIG)
    for label in labels:
        textcat.add_label(label)
    train = _to_spacy(nlp, examples, labels)
    optimizer = nlp.initialize(lambda: train)
    for epoch in range(epochs):
        rng.shuffle(train)
        losses: dict[str, float] = {}
        for batch in minibatch(train, size=BATCH_SIZE):
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        if on_epoch is not None:
            on_epoch(epoch, losses.get("textcat", 0.0))
    return nlp
