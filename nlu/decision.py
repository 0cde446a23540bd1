"""Combine the crisis net, the risk model and a topic classifier into one decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nlu.classifier import IntentResult
from nlu.crisis import NetVerdict
from nlu.intents import CRISIS_INTENT, CRISIS_INTENTS, ESCALATING_INTENTS, RISK_INTENTS


class Urgency(StrEnum):
    """How soon a child needs a person: ``emergency`` now, ``crisis`` today, or ``none``."""

    NONE = "none"
    CRISIS = "crisis"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Thresholds:
    """The decision thresholds the bot uses, so that every caller decides alike."""

    clarify_below: float
    self_harm_floor: float
    escalate_mass_floor: float
    #: A risk score at or above this escalates whatever the topic is.
    risk_escalate_at: float = 0.5
    #: A risk score at or above this (and below ``risk_escalate_at``) asks directly.
    risk_ask_at: float = 0.25


@dataclass(frozen=True)
class Decision:
    """Which answer a message leads to, how urgent it is, and whether it shows a helpline."""

    intent: str
    confidence: float
    escalate: bool
    urgency: Urgency = Urgency.NONE
    #: Distress without a clear crisis: ask "are you thinking about killing yourself?".
    ask_directly: bool = False
    crisis_net: bool = False
    threat: bool = False
    engine: str = ""
    risk: float = 0.0

    @property
    def emergency(self) -> bool:
        """The reply leads with the emergency number."""
        return self.urgency is Urgency.EMERGENCY

    def as_json(self) -> dict[str, object]:
        """The public ``safebot classify`` form."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "escalate": self.escalate,
            "emergency": self.emergency,
            "urgency": self.urgency.value,
            "ask_directly": self.ask_directly,
        }


def _best_escalating(result: IntentResult) -> str:
    """The escalating intent the classifier ranks highest (self_harm when none is ranked)."""
    scored = [(result.score(name), name) for name in ESCALATING_INTENTS]
    best_score, best = max(scored)
    return best if best_score > 0 else CRISIS_INTENT


def decide(
    result: IntentResult,
    verdict: NetVerdict,
    thresholds: Thresholds,
    *,
    risk: float = 0.0,
    crisis_open: bool = False,
) -> Decision:
    """Apply the safety net and the risk model on top of any topic classifier.

    They can only raise urgency, never lower it: a rule or a risk score that says "crisis"
    wins over any topic; an emergency rule wins over everything. While a crisis is open,
    words like "dizzy" or "bleeding" are an emergency too.
    """
    engine = result.engine
    threat = verdict.threat is not None
    emergency = verdict.emergency or (verdict.emergency_if_open if crisis_open else None)
    if emergency is not None:
        return Decision(
            intent=emergency.intent,
            confidence=max(result.score(emergency.intent), result.confidence),
            escalate=True,
            urgency=Urgency.EMERGENCY,
            crisis_net=True,
            threat=threat,
            engine=engine,
            risk=risk,
        )
    if verdict.crisis is not None:
        return Decision(
            intent=verdict.crisis.intent,
            confidence=max(result.score(verdict.crisis.intent), result.confidence),
            escalate=True,
            urgency=Urgency.CRISIS,
            crisis_net=True,
            threat=threat,
            engine=engine,
            risk=risk,
        )
    intent, confidence = result.intent, result.confidence
    self_harm_score = result.score(CRISIS_INTENT)
    if intent != CRISIS_INTENT and self_harm_score >= thresholds.self_harm_floor:
        intent, confidence = CRISIS_INTENT, self_harm_score
    elif intent not in ESCALATING_INTENTS and risk >= thresholds.risk_escalate_at:
        intent = _best_escalating(result)
        confidence = max(result.score(intent), risk)
    if threat and intent not in RISK_INTENTS:
        # "they said they'll jump me after school" is bullying with a threat, whatever
        # the classifier made of it.
        intent = "cyberbullying"
    escalate = intent in ESCALATING_INTENTS or (intent == "cyberbullying" and threat)
    if sum(result.score(name) for name in ESCALATING_INTENTS) >= thresholds.escalate_mass_floor:
        escalate = True
    urgency = Urgency.CRISIS if intent in CRISIS_INTENTS else Urgency.NONE
    ask = not escalate and (verdict.distress is not None or risk >= thresholds.risk_ask_at)
    return Decision(
        intent=intent,
        confidence=confidence,
        escalate=escalate or ask,
        urgency=urgency,
        ask_directly=ask,
        threat=threat,
        engine=engine,
        risk=risk,
    )


def needs_clarification(decision: Decision, *, clarify_below: float) -> bool:
    """Whether the child should be asked with topic buttons instead of answered.

    Never when the message escalates: an unsure crisis still gets the crisis answer, and
    an unsure risk gets the direct question.
    """
    return (
        decision.urgency is Urgency.NONE
        and not decision.ask_directly
        and decision.confidence < clarify_below
    )
