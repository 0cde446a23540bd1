"""The embedded classifier: a spaCy text categoriser trained from ``nlu/training``."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from nlu.answer_models import (
    ANSWER_MODEL_EPOCHS,
    ANSWER_MODEL_TEXTCAT_CONFIG,
    LabelModel,
    LabelScheme,
    label_model_path,
    train_label_model,
)
from nlu.classifier import IntentResult
from nlu.facets import FACET_SCHEME, NO_FACET, NO_FACET_INTENTS
from nlu.intents import FALLBACK_INTENT, INTENTS
from nlu.normalize import normalize
from nlu.risk_model import RISK_EPOCHS, RISK_TEXTCAT_CONFIG, RiskModel, risk_path, train_risk
from nlu.roles import ROLE_SCHEME
from nlu.spacy_textcat import BATCH_SIZE, SEED, TEXTCAT_CONFIG, train_textcat, with_base_forms
from nlu.training_data import Example, View, data_files, fingerprint, locale_data_dir, read_nlu_dir
from nlu.urgency_model import (
    URGENCY_EPOCHS,
    URGENCY_TEXTCAT_CONFIG,
    has_urgency_labels,
    train_urgency,
    urgency_path,
)

ENGINE = "spacy"
META_FILE = "safebot-meta.json"
DEFAULT_EPOCHS = 12
#: Words, word pairs, character 3-5-grams and each word's lemma (ru, uk) or stem (en, tr):
#: measured on the held-out test files against the same model without base forms
#: (benchmarks/RESULTS.md).
TOPIC_TEXTCAT_CONFIG = with_base_forms(TEXTCAT_CONFIG)


def recipe_fingerprint(epochs: int) -> str:
    """A hash of everything besides the data that shapes a model: config, seed, epochs."""
    recipe = json.dumps(
        {
            "config": TOPIC_TEXTCAT_CONFIG,
            "seed": SEED,
            "epochs": epochs,
            "batch": BATCH_SIZE,
            "risk_epochs": RISK_EPOCHS,
            "risk_config": RISK_TEXTCAT_CONFIG,
            "urgency_epochs": URGENCY_EPOCHS,
            "urgency_config": URGENCY_TEXTCAT_CONFIG,
            "answer_model_epochs": ANSWER_MODEL_EPOCHS,
            "answer_model_config": ANSWER_MODEL_TEXTCAT_CONFIG,
        },
        sort_keys=True,
    )
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TrainReport:
    """What one training run did."""

    locale: str
    examples: int
    epochs: int
    seconds: float
    path: Path


def model_path(models_dir: Path, locale: str) -> Path:
    """Where a locale's spaCy model is saved."""
    return models_dir / f"spacy-{locale}"


#: How many everyday messages the facet model learns as "no facet" besides its own.
MAX_NO_FACET_EXTRA = 400
#: The models that choose among answers (who writes; a narrower topic), saved in the folder.
ANSWER_SCHEMES: tuple[LabelScheme, ...] = (ROLE_SCHEME, FACET_SCHEME)


def answer_model_examples(data_dir: Path, scheme: LabelScheme) -> list[Example]:
    """A locale's examples for one answer model (none when the locale has no such folder)."""
    view = View(scheme.name)
    if not data_files(data_dir, view):
        return []
    examples = read_nlu_dir(data_dir, view)
    if scheme is FACET_SCHEME:
        # Everyday messages no facet is about (the calm folder, the conversation and look-alikes
        # such as "killed by a sniper"), so that they are no threat or challenge.
        everyday = [
            Example(e.text, NO_FACET)
            for e in read_nlu_dir(data_dir, View.RISK) + examples
            if e.intent in NO_FACET_INTENTS
        ]
        # At most this many, drawn reproducibly: more drowned the facets (measured by holding
        # out a fifth of the facet data: recall 0.52 → 0.56 en, 0.47 → 0.52 ru at 0.5).
        if len(everyday) > MAX_NO_FACET_EXTRA:
            everyday = random.Random(SEED).sample(everyday, MAX_NO_FACET_EXTRA)
        examples = [e for e in examples if e.intent not in NO_FACET_INTENTS] + everyday
    return examples


def train_model(
    examples: list[Example],
    locale: str,
    *,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = SEED,
    on_epoch: Callable[[int, float], None] | None = None,
) -> Language:
    """Train the intent classifier of one locale; reproducible for a given seed."""
    unknown = {e.intent for e in examples} - set(INTENTS)
    if unknown:
        raise ValueError(f"unknown intents in training data: {', '.join(sorted(unknown))}")
    return train_textcat(
        examples,
        INTENTS,
        locale,
        epochs=epochs,
        seed=seed,
        on_epoch=on_epoch,
        config=TOPIC_TEXTCAT_CONFIG,
    )


def save_model(
    nlp: Language,
    path: Path,
    *,
    risk: Language | None = None,
    urgency: Language | None = None,
    answer_models: dict[str, Language] | None = None,
    data_fingerprint: str,
    locale: str,
    n: int,
    recipe: str = "",
) -> None:
    """Save the pipeline and a small metadata file beside it."""
    path.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    if risk is not None:
        risk.to_disk(risk_path(path))
    if urgency is not None:
        urgency.to_disk(urgency_path(path))
    elif urgency_path(path).is_dir():
        shutil.rmtree(urgency_path(path))  # trained without urgency labels: none is current
    for scheme in ANSWER_SCHEMES:
        trained = (answer_models or {}).get(scheme.name)
        if trained is not None:
            trained.to_disk(label_model_path(path, scheme))
        elif label_model_path(path, scheme).is_dir():
            shutil.rmtree(label_model_path(path, scheme))  # no data for it any more
    meta = {
        "locale": locale,
        "engine": ENGINE,
        "data_fingerprint": data_fingerprint,
        "recipe": recipe,
        "examples": n,
        "intents": list(INTENTS),
        "spacy_version": spacy.__version__,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (path / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def read_meta(path: Path) -> dict[str, Any] | None:
    """The metadata of a saved model, or None when there is no usable model."""
    meta_file = path / META_FILE
    if not meta_file.is_file():
        return None
    try:
        meta: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return meta


def is_current(
    models_dir: Path, nlu_data_dir: Path, locale: str, *, epochs: int = DEFAULT_EPOCHS
) -> bool:
    """Whether a saved model exists and was trained on the current data with this recipe."""
    meta = read_meta(model_path(models_dir, locale))
    return (
        meta is not None
        and meta.get("recipe") == recipe_fingerprint(epochs)
        and meta.get("data_fingerprint") == fingerprint(locale_data_dir(nlu_data_dir, locale))
    )


def train_locale(
    nlu_data_dir: Path,
    models_dir: Path,
    locale: str,
    *,
    epochs: int = DEFAULT_EPOCHS,
    on_epoch: Callable[[int, float], None] | None = None,
) -> TrainReport:
    """Train and save one locale's model from its training data folder."""
    started = time.perf_counter()
    data_dir = locale_data_dir(nlu_data_dir, locale)
    examples = read_nlu_dir(data_dir, View.RISK)
    topics = read_nlu_dir(data_dir, View.TOPIC)
    nlp = train_model(topics, locale, epochs=epochs, on_epoch=on_epoch)
    risk = train_risk(examples, locale, seed=SEED)
    urgency = train_urgency(examples, locale, seed=SEED) if has_urgency_labels(examples) else None
    answer_models = {
        scheme.name: train_label_model(scheme, labelled, locale, seed=SEED)
        for scheme in ANSWER_SCHEMES
        if (labelled := answer_model_examples(data_dir, scheme))
    }
    path = model_path(models_dir, locale)
    save_model(
        nlp,
        path,
        risk=risk,
        urgency=urgency,
        answer_models=answer_models,
        data_fingerprint=fingerprint(data_dir),
        locale=locale,
        n=len(examples),
        recipe=recipe_fingerprint(epochs),
    )
    return TrainReport(locale, len(examples), epochs, time.perf_counter() - started, path)


class SpacyClassifier:
    """Classifies with one trained spaCy pipeline per locale."""

    name = ENGINE

    def __init__(self, pipelines: dict[str, Language], *, default_locale: str = "en") -> None:
        if not pipelines:
            raise ValueError("at least one trained pipeline is needed")
        self._pipelines = pipelines
        self._default = default_locale if default_locale in pipelines else next(iter(pipelines))

    @classmethod
    def load(
        cls, models_dir: Path, locales: Iterable[str], *, default_locale: str = "en"
    ) -> SpacyClassifier:
        """Load the saved pipelines of the given locales."""
        pipelines = {locale: spacy.load(model_path(models_dir, locale)) for locale in locales}
        return cls(pipelines, default_locale=default_locale)

    @property
    def locales(self) -> list[str]:
        """Locales this classifier has a model for."""
        return sorted(self._pipelines)

    def classify_sync(self, text: str, locale: str) -> IntentResult:
        """Classify one message (CPU-bound, a few milliseconds)."""
        nlp = self._pipelines.get(locale) or self._pipelines[self._default]
        normalized = normalize(text)
        if not normalized:
            return IntentResult(FALLBACK_INTENT, 0.0, (), ENGINE)
        return _result(nlp(normalized).cats)

    async def classify(self, text: str, locale: str) -> IntentResult:
        """Classify one message; fast enough to run on the event loop."""
        return self.classify_sync(text, locale)

    def classify_many(self, texts: list[str], locale: str) -> list[IntentResult]:
        """Classify a batch of messages efficiently."""
        nlp = self._pipelines.get(locale) or self._pipelines[self._default]
        return [_result(doc.cats) for doc in nlp.pipe(normalize(t) for t in texts)]


def _result(cats: dict[str, float]) -> IntentResult:
    ranking = tuple(sorted(cats.items(), key=lambda item: item[1], reverse=True))
    intent, confidence = ranking[0]
    return IntentResult(intent, float(confidence), ranking, ENGINE)


def load_risk_model(
    models_dir: Path, locales: Iterable[str], *, default_locale: str = "en"
) -> RiskModel:
    """The risk models saved beside each locale's topic classifier."""
    return RiskModel.load(
        {locale: model_path(models_dir, locale) for locale in locales},
        default_locale=default_locale,
    )


def load_answer_models(
    models_dir: Path, locales: Iterable[str], *, default_locale: str = "en"
) -> dict[str, LabelModel]:
    """The role and facet models saved beside each locale's topic classifier, by scheme name."""
    dirs = {locale: model_path(models_dir, locale) for locale in locales}
    return {
        scheme.name: LabelModel.load(scheme, dirs, default_locale=default_locale)
        for scheme in ANSWER_SCHEMES
    }
