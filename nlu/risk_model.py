"""The risk model: one yes/no question beside the topic classifier — is this child at risk?

It also carries the locale's urgency model (``nlu.urgency_model``: is the danger now?), since the
two are trained, installed and reloaded together.

The topic classifier votes among many intents, so a crisis written in unusual words can lose to
"goodbye" or "out_of_scope". The risk model is trained on the same examples relabelled as
*risk* (every escalating intent: self-harm, abuse, grooming, intimate images, and every
urgency-labelled message) against everything
else, so all risk kinds pull the same way. Its score is read with two thresholds chosen for
recall (``SAFEBOT_RISK_ESCALATE_AT`` and ``SAFEBOT_RISK_ASK_AT``; see benchmarks/RESULTS.md).

The model is saved inside the locale's classifier folder (``spacy-<locale>/risk``) so that it is
trained, compared, installed and reloaded together with the topic classifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.language import Language

from nlu.intents import ESCALATING_INTENTS
from nlu.normalize import normalize
from nlu.spacy_textcat import TEXTCAT_CONFIG, train_textcat, with_base_forms
from nlu.training_data import URGENCY_LEVELS, Example
from nlu.urgency_model import NOW, urgency_path

RISK = "RISK"
OTHER = "OTHER"
LABELS = (RISK, OTHER)
#: Where the risk pipeline lives inside a locale's model folder.
SUBDIR = "risk"
#: Fewer passes than the topic model: two classes converge quickly.
RISK_EPOCHS = 10
#: Lemmas (ru, uk) and stems (en, tr) beside words and character n-grams: a risk said in an
#: inflection the training data never had still counts (measured: benchmarks/RESULTS.md).
RISK_TEXTCAT_CONFIG = with_base_forms(TEXTCAT_CONFIG)


def relabel(examples: Iterable[Example]) -> list[Example]:
    """The training examples as risk / other."""
    return [
        Example(
            text=e.text,
            intent=RISK if e.intent in ESCALATING_INTENTS or e.intent in URGENCY_LEVELS else OTHER,
        )
        for e in examples
    ]


def train_risk(examples: list[Example], locale: str, *, seed: int) -> Language:
    """Train one locale's risk model from its intent-labelled training examples."""
    return train_textcat(
        relabel(examples), LABELS, locale, epochs=RISK_EPOCHS, seed=seed, config=RISK_TEXTCAT_CONFIG
    )


def risk_path(locale_model_dir: Path) -> Path:
    """The risk pipeline's folder inside a locale's model folder."""
    return locale_model_dir / SUBDIR


class RiskModel:
    """Scores how likely a message is to come from a child at risk, and at risk now, per locale."""

    def __init__(
        self,
        pipelines: dict[str, Language],
        *,
        default_locale: str = "en",
        urgency: dict[str, Language] | None = None,
    ) -> None:
        if not pipelines:
            raise ValueError("at least one risk pipeline is needed")
        self._pipelines = pipelines
        self._urgency = urgency or {}
        self._default = default_locale if default_locale in pipelines else next(iter(pipelines))

    @classmethod
    def load(cls, locale_dirs: dict[str, Path], *, default_locale: str = "en") -> RiskModel:
        """Load the risk (and, where trained, urgency) pipelines of each locale's model folder."""
        return cls(
            {locale: spacy.load(risk_path(path)) for locale, path in locale_dirs.items()},
            default_locale=default_locale,
            urgency={
                locale: spacy.load(urgency_path(path))
                for locale, path in locale_dirs.items()
                if urgency_path(path).is_dir()
            },
        )

    def urgency(self, text: str, locale: str) -> float:
        """How likely the danger in a message is happening now (0.0 without an urgency model)."""
        nlp = self._urgency.get(locale) or self._urgency.get(self._default)
        normalized = normalize(text)
        if nlp is None or not normalized:
            return 0.0
        return float(nlp(normalized).cats.get(NOW, 0.0))

    def urgency_many(self, texts: list[str], locale: str) -> list[float]:
        """Urgency scores for a batch of messages (0.0 each without an urgency model)."""
        nlp = self._urgency.get(locale) or self._urgency.get(self._default)
        if nlp is None:
            return [0.0] * len(texts)
        return [float(doc.cats.get(NOW, 0.0)) for doc in nlp.pipe(normalize(t) for t in texts)]

    def score(self, text: str, locale: str) -> float:
        """The probability-like risk score of one message (0.0 for empty text)."""
        normalized = normalize(text)
        if not normalized:
            return 0.0
        nlp = self._pipelines.get(locale) or self._pipelines[self._default]
        return float(nlp(normalized).cats.get(RISK, 0.0))

    def score_many(self, texts: list[str], locale: str) -> list[float]:
        """Scores for a batch of messages."""
        nlp = self._pipelines.get(locale) or self._pipelines[self._default]
        return [float(doc.cats.get(RISK, 0.0)) for doc in nlp.pipe(normalize(t) for t in texts)]
