"""Both engines together (SAFEBOT_RASA_WEIGHT below 1): rankings averaged, Rasa failing falls back.

Rasa is a real HTTP server on 127.0.0.1 answering a chosen ranking; the embedded side is a real
classifier object with a fixed ranking (the engine under test is the combination, not spaCy).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nlu.classifier import IntentResult
from nlu.rasa_classifier import (
    COMBINED_ENGINE,
    FALLBACK_ENGINE,
    RasaClassifier,
    WithFallback,
    combine,
)
from tests.nlu.test_rasa_faults import Misbehaving


class Fixed:
    """An embedded classifier that always ranks the same way."""

    name = "spacy"

    def __init__(self, ranking: tuple[tuple[str, float], ...]) -> None:
        self.ranking = ranking

    async def classify(self, text: str, locale: str) -> IntentResult:
        return IntentResult(self.ranking[0][0], self.ranking[0][1], self.ranking, "spacy")


EMBEDDED = (("privacy", 0.6), ("grooming", 0.3), ("greet", 0.1))
RASA = {
    "intent": {"name": "grooming", "confidence": 0.5},
    "intent_ranking": [
        {"name": "grooming", "confidence": 0.5},
        {"name": "privacy", "confidence": 0.2},
        {"name": "cyberbullying", "confidence": 0.3},
    ],
}


@pytest.fixture
def rasa() -> Iterator[Misbehaving]:
    server = Misbehaving()
    server.answer(RASA)
    yield server
    server.close()


def test_combine_averages_intent_by_intent() -> None:
    rasa = IntentResult("grooming", 0.5, (("grooming", 0.5), ("privacy", 0.2)), "rasa")
    ranking = (("privacy", 0.7), ("grooming", 0.2), ("greet", 0.1))
    embedded = IntentResult("privacy", 0.7, ranking, "spacy")
    both = combine(rasa, embedded, rasa_weight=0.5)
    assert both.engine == COMBINED_ENGINE
    assert both.intent == "privacy" and both.confidence == pytest.approx(0.45)
    assert both.score("grooming") == pytest.approx(0.35)
    assert both.score("greet") == pytest.approx(0.05)  # Rasa did not rank it: 0 from Rasa
    # Rasa's weight 1 is Rasa alone; 0 is the embedded model alone.
    assert combine(rasa, embedded, rasa_weight=1.0).intent == "grooming"
    assert combine(rasa, embedded, rasa_weight=0.0).intent == "privacy"


async def test_weights_below_one_combine_and_rasa_failing_still_falls_back(
    rasa: Misbehaving,
) -> None:
    client = RasaClassifier({"en": rasa.url}, timeout_seconds=2)
    try:
        alone = WithFallback(client, Fixed(EMBEDDED))
        assert (await alone.classify("x", "en")).intent == "grooming"
        both = WithFallback(client, Fixed(EMBEDDED), rasa_weight=0.7)
        assert both.name == COMBINED_ENGINE
        result = await both.classify("x", "en")
        # grooming .7*.5+.3*.3 = .44; privacy .7*.2+.3*.6 = .32; cyberbullying .21
        assert result.engine == COMBINED_ENGINE and result.intent == "grooming"
        assert result.confidence == pytest.approx(0.44)
        rasa.answer("<html>502 Bad Gateway</html>")
        fallen = await both.classify("x", "en")
        assert fallen.engine == FALLBACK_ENGINE and fallen.intent == "privacy"
        assert both.fallbacks == 1
    finally:
        await client.aclose()
    with pytest.raises(ValueError):
        WithFallback(client, Fixed(EMBEDDED), rasa_weight=1.5)
