"""The classifier interface every engine (spaCy, Rasa) implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class IntentResult:
    """The classifier's view of one message: best intent, its score, and the ranking."""

    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = field(default=())
    engine: str = ""

    def score(self, intent: str) -> float:
        """The score of one intent (0.0 when it is not ranked)."""
        return dict(self.ranking).get(intent, 0.0)


@runtime_checkable
class Classifier(Protocol):
    """Anything that turns a message into an :class:`IntentResult`."""

    name: str

    async def classify(self, text: str, locale: str) -> IntentResult:
        """Classify one message written in ``locale``."""
        ...
