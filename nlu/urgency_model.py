"""The urgency model: is a child at risk in danger *now*, so that the emergency number comes first?

The crisis net's emergency rules recognise the ways of saying "now" that people wrote down; on
words nobody wrote down (a farewell put differently, a plan with an unusual place) the risk model
still hears risk, but not its urgency. This model answers that one question, trained on risk
messages labelled by urgency (``nlu/training/<locale>/urgency/``: ``emergency`` against
``crisis_not_now``) and on every harmless example (a goodbye, "tonight", "my nose is bleeding a
bit"), so that "now" words alone do not make an emergency. Escalating examples without an urgency
label are left out: their urgency is unknown.

It only ever raises urgency (``nlu.decision``): a message it finds urgent still needs the crisis
net or the risk model to hear risk in it. It is saved inside the locale's classifier folder
(``spacy-<locale>/urgency``) and trained, installed and reloaded with the risk model.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language

from nlu.intents import ESCALATING_INTENTS
from nlu.spacy_textcat import TEXTCAT_CONFIG, train_textcat, with_base_forms
from nlu.training_data import EMERGENCY_LEVEL, NOT_NOW_LEVEL, Example

NOW = "NOW"
LATER = "LATER"
LABELS = (NOW, LATER)
#: Where the urgency pipeline lives inside a locale's model folder.
SUBDIR = "urgency"
URGENCY_EPOCHS = 10
URGENCY_TEXTCAT_CONFIG = with_base_forms(TEXTCAT_CONFIG)


def relabel(examples: Iterable[Example]) -> list[Example]:
    """Urgency-labelled and harmless examples as now / later; risk without a label left out."""
    out: list[Example] = []
    for example in examples:
        if example.intent == EMERGENCY_LEVEL:
            out.append(Example(example.text, NOW))
        elif example.intent == NOT_NOW_LEVEL or example.intent not in ESCALATING_INTENTS:
            out.append(Example(example.text, LATER))
    return out


def has_urgency_labels(examples: Iterable[Example]) -> bool:
    """Whether a locale's training data can train an urgency model (it has emergencies)."""
    return any(example.intent == EMERGENCY_LEVEL for example in examples)


def train_urgency(examples: list[Example], locale: str, *, seed: int) -> Language:
    """Train one locale's urgency model from its risk-view training examples."""
    return train_textcat(
        relabel(examples),
        LABELS,
        locale,
        epochs=URGENCY_EPOCHS,
        seed=seed,
        config=URGENCY_TEXTCAT_CONFIG,
    )


def urgency_path(locale_model_dir: Path) -> Path:
    """The urgency pipeline's folder inside a locale's model folder."""
    return locale_model_dir / SUBDIR
