"""Combine a classifier's result with the crisis safety net into one decision."""

from __future__ import annotations

from dataclasses import dataclass

from nlu.classifier import IntentResult
from nlu.crisis import NetVerdict
from nlu.intents import CRISIS_INTENT, ESCALATING_INTENTS, RISK_INTENTS


@dataclass(frozen=True)
class Decision:
    """Which answer a message leads to, and whether it escalates to a helpline."""

    intent: str
    confidence: float
    escalate: bool
    crisis_net: bool = False
    threat: bool = False
    engine: str = ""

    def as_json(self) -> dict[str, object]:
        """The public ``safebot classify`` form."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "escalate": self.escalate,
        }


def decide(
    result: IntentResult,
    verdict: NetVerdict,
    *,
    self_harm_floor: float,
    escalate_mass_floor: float = 1.01,
) -> Decision:
    """Apply the safety net on top of any classifier.

    The crisis net wins over the classifier; a self_harm score above the floor wins
    over a higher-scoring intent, because a missed crisis costs more than a false alarm.
    When the escalating intents together score at least ``escalate_mass_floor``, the
    helpline is shown whatever the top intent is.
    """
    if verdict.crisis:
        return Decision(
            intent=CRISIS_INTENT,
            confidence=max(result.score(CRISIS_INTENT), result.confidence),
            escalate=True,
            crisis_net=True,
            threat=verdict.threat,
            engine=result.engine,
        )
    intent, confidence = result.intent, result.confidence
    self_harm_score = result.score(CRISIS_INTENT)
    if intent != CRISIS_INTENT and self_harm_score >= self_harm_floor:
        intent, confidence = CRISIS_INTENT, self_harm_score
    if verdict.threat and intent not in RISK_INTENTS:
        # "they said they'll jump me after school" is bullying with a threat, whatever
        # the classifier made of it.
        intent = "cyberbullying"
    escalate = intent in ESCALATING_INTENTS or (intent == "cyberbullying" and verdict.threat)
    if sum(result.score(name) for name in ESCALATING_INTENTS) >= escalate_mass_floor:
        escalate = True
    return Decision(
        intent=intent,
        confidence=confidence,
        escalate=escalate,
        threat=verdict.threat,
        engine=result.engine,
    )


def needs_clarification(decision: Decision, *, clarify_below: float) -> bool:
    """Whether the child should be asked with topic buttons instead of answered.

    Never for a crisis: an unsure self_harm decision still gets the crisis answer.
    """
    return decision.intent != CRISIS_INTENT and decision.confidence < clarify_below
