"""Build the one :class:`~nlu.understanding.Understanding` from saved rules and models.

The bot, ``safebot classify``, ``safebot evaluate``, retraining and the benchmarks all build it
here, so the crisis net, the risk model, the thresholds and the length limits are wired alike.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from nlu.classifier import Classifier
from nlu.crisis import CrisisNet
from nlu.spacy_classifier import load_answer_models, load_risk_model
from nlu.understanding import Understanding


class UnderstandingSettings(Protocol):
    """What building an understanding reads from ``bot.settings.Settings``."""

    clarify_below: float
    self_harm_floor: float
    escalate_mass_floor: float
    risk_escalate_at: float
    risk_ask_at: float
    topic_sure_at: float
    topic_lean_at: float
    urgency_at: float
    role_at: float
    facet_at: float
    facet_settles_below: float
    max_classify_chars: int
    default_locale: str

    @property
    def crisis_rules_dir(self) -> Path:
        """The crisis rules, one file per locale."""
        ...

    @property
    def models_dir(self) -> Path:
        """The saved models."""
        ...


def load_understanding(
    settings: UnderstandingSettings,
    classifier: Classifier,
    locales: Iterable[str],
    *,
    net: CrisisNet | None = None,
    models_dir: Path | None = None,
    default_locale: str | None = None,
) -> Understanding:
    """The crisis net, the saved risk, role and facet models and ``classifier``, with the settings' thresholds."""
    folder = models_dir or settings.models_dir
    default = default_locale or settings.default_locale
    locales = list(locales)
    understanding = Understanding.of(
        settings,
        net=net if net is not None else CrisisNet.from_dir(settings.crisis_rules_dir),
        classifier=classifier,
        risk=load_risk_model(folder, locales, default_locale=default),
        answer_models=load_answer_models(folder, locales, default_locale=default),
    )
    settle_heap()
    return understanding


def settle_heap() -> None:
    """Keep the garbage collector away from what was just loaded, for steady reply times.

    The models and rules are some hundred thousand long-lived objects; a full collection
    walked them all in the middle of a child's message (p99 of a decision 1.8 ms → 1.5 ms
    measured with this, benchmarks/RESULTS.md). What was frozen before is released first, so
    a reload's old models are still collected; it takes some tens of milliseconds.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
