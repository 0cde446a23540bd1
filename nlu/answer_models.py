"""Who is writing and what exactly about: the two small models that pick an answer written for them.

The topic classifier tells *what* a message is about (grooming, bullying...). Two answers to the
same topic can differ by who writes (``nlu.roles``: the child, a friend, a parent, the child who
did the bullying) and by a narrower topic with its own answer (``nlu.facets``: a dangerous
challenge within harmful content, a planned meeting within grooming...). Each is one exclusive
text categoriser per locale, trained from the locale's ``role/`` and ``facet/`` folders and saved
inside its model folder (``spacy-<locale>/role``, ``spacy-<locale>/facet``), so that they are
trained, installed and reloaded with the topic classifier.

Neither ever changes whether a message escalates: they only choose among answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from nlu.normalize import normalize
from nlu.spacy_textcat import TEXTCAT_CONFIG, train_textcat, with_base_forms
from nlu.training_data import Example

ANSWER_MODEL_EPOCHS = 10
ANSWER_MODEL_TEXTCAT_CONFIG = with_base_forms(TEXTCAT_CONFIG)


@dataclass(frozen=True)
class LabelScheme:
    """One model's labels: the label of "nothing special" and the labels that pick an answer."""

    name: str
    #: The label that changes nothing (the child about themselves; no narrower topic).
    neutral: str
    labels: tuple[str, ...]

    def training_examples(self, examples: Iterable[Example]) -> list[Example]:
        """The examples labelled with one of this scheme's labels (others are an error)."""
        out = list(examples)
        unknown = sorted({e.intent for e in out} - set(self.labels))
        if unknown:
            raise ValueError(f"{self.name}: unknown labels {', '.join(unknown)}")
        return out


def train_label_model(
    scheme: LabelScheme, examples: list[Example], locale: str, *, seed: int
) -> Language:
    """Train one locale's model of a scheme."""
    return train_textcat(
        scheme.training_examples(examples),
        scheme.labels,
        locale,
        epochs=ANSWER_MODEL_EPOCHS,
        seed=seed,
        config=ANSWER_MODEL_TEXTCAT_CONFIG,
    )


def label_model_path(locale_model_dir: Path, scheme: LabelScheme) -> Path:
    """Where a scheme's pipeline lives inside a locale's model folder."""
    return locale_model_dir / scheme.name


@dataclass(frozen=True)
class Label:
    """A model's best label for a message and its score."""

    label: str
    score: float


class LabelModel:
    """One scheme's pipelines, per locale; a locale without one reads as neutral."""

    def __init__(
        self, scheme: LabelScheme, pipelines: dict[str, Language], *, default_locale: str = "en"
    ) -> None:
        self.scheme = scheme
        self._pipelines = pipelines
        self._default = default_locale

    @classmethod
    def load(
        cls, scheme: LabelScheme, locale_dirs: dict[str, Path], *, default_locale: str = "en"
    ) -> LabelModel:
        """Load the scheme's pipeline of every locale folder that has one."""
        pipelines = {
            locale: spacy.load(label_model_path(path, scheme))
            for locale, path in locale_dirs.items()
            if label_model_path(path, scheme).is_dir()
        }
        return cls(scheme, pipelines, default_locale=default_locale)

    @property
    def locales(self) -> list[str]:
        """Locales with a trained pipeline."""
        return sorted(self._pipelines)

    def best(self, text: str, locale: str) -> Label:
        """The best label of one message (neutral, score 1.0, without a model or text)."""
        nlp = self._pipelines.get(locale) or self._pipelines.get(self._default)
        normalized = normalize(text)
        if nlp is None or not normalized:
            return Label(self.scheme.neutral, 1.0)
        cats = nlp(normalized).cats
        label = max(cats, key=lambda name: cats[name])
        return Label(label, float(cats[label]))
