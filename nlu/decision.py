"""Combine the crisis net, the risk model and a topic classifier into one decision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from nlu.classifier import IntentResult
from nlu.crisis import NetVerdict
from nlu.facets import CRISIS_FACETS, FACET_INTENTS, HELPLINE_FACETS
from nlu.intents import (
    CRISIS_INTENT,
    CRISIS_INTENTS,
    ESCALATING_INTENTS,
    FALLBACK_INTENT,
    RISK_INTENTS,
    SMALL_TALK_INTENTS,
)

#: The crises a sign of danger now ("tonight", "already took", "he's coming back") makes an
#: emergency: suicide and self-harm, and abuse. An adult arranging a meeting or a threat to share
#: pictures stays a crisis (the helpline, not the emergency number, is the first help).
SIGN_INTENTS = frozenset({CRISIS_INTENT, "abuse"})
#: The crises the urgency model may make an emergency: those above, and an adult from the
#: internet who is with the child or outside now (a threat to share pictures stays a crisis).
NOW_INTENTS = SIGN_INTENTS | {"grooming"}
#: Threats to share pictures: urgent words ("tonight") in them do not make an emergency.
PICTURES_INTENT = "intimate_images"
#: The facet of a child asking about their own picture ("will I get in trouble?").
OWN_PICTURE_FACET = "images_trouble"


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
    risk_escalate_at: float = 0.8
    #: A risk score at or above this confirms a risk the topic classifier leans to, and asks
    #: directly when the risk looks like self-harm.
    risk_ask_at: float = 0.6
    #: A risk topic the classifier is at least this sure of escalates on its own.
    topic_sure_at: float = 0.5
    #: Below ``topic_sure_at`` but at least this, a lean to a risk topic that the risk model
    #: does not confirm asks which topic with the helpline shown; below this it is no lean.
    topic_lean_at: float = 0.4
    #: An urgency score at or above this makes a risk the net or the risk model heard an
    #: emergency (the emergency number first).
    urgency_at: float = 0.3
    #: The role model's score from which a friend, parent or bully gets the answer for them.
    role_at: float = 0.7
    #: The facet model's score from which a narrower topic gets its own answer.
    facet_at: float = 0.5
    #: Below this topic confidence, a facet at or above ``facet_at`` settles the topic.
    facet_settles_below: float = 0.7


@dataclass(frozen=True)
class Decision:
    """Which answer a message leads to, how urgent it is, and whether it shows a helpline."""

    intent: str
    confidence: float
    escalate: bool
    urgency: Urgency = Urgency.NONE
    #: Distress without a clear crisis: ask "are you thinking about killing yourself?".
    ask_directly: bool = False
    #: A distress rule of the crisis net asked (not only an unsure risk score).
    distress: bool = False
    #: The topic classifier leans to a risk topic but nothing confirms it: ask which topic.
    unsure: bool = False
    crisis_net: bool = False
    threat: bool = False
    engine: str = ""
    risk: float = 0.0
    #: Who wrote it (``nlu.roles.Role``): picks the answer written for them.
    role: str = "self"
    #: The narrower topic with its own answer (``nlu.facets``), if any.
    facet: str | None = None

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
            "role": self.role,
            "facet": self.facet,
        }


def _best_escalating(result: IntentResult) -> str:
    """The escalating intent the classifier ranks highest (self_harm when none is ranked)."""
    scored = [(result.score(name), name) for name in ESCALATING_INTENTS]
    best_score, best = max(scored)
    return best if best_score > 0 else CRISIS_INTENT


def _sign_settles_weak_lean(
    intent: str, result: IntentResult, verdict: NetVerdict, thresholds: Thresholds
) -> str:
    """The intent of an emergency the models found: the sign of danger's, over a weak topic lean.

    "got 40 of mum's tablets, tonight" leans to abuse at 0.04 (the best of the risk topics, all
    near zero), while its signs (tablets saved, "tonight") are about suicide: the reply then puts
    the suicide line first and the open crisis remembers the right topic.
    """
    sign = verdict.emergency_sign
    if sign is None or sign.intent == intent or result.score(intent) >= thresholds.topic_sure_at:
        return intent
    return sign.intent


def _best_other(result: IntentResult) -> tuple[str, float]:
    """The best-ranked intent that does not escalate, with its score (the fallback if none)."""
    others = [(name, score) for name, score in result.ranking if name not in ESCALATING_INTENTS]
    return max(others, key=lambda pair: pair[1], default=(FALLBACK_INTENT, 0.0))


def decide(
    result: IntentResult,
    verdict: NetVerdict,
    thresholds: Thresholds,
    *,
    risk: float = 0.0,
    now: float = 0.0,
    crisis_open: bool = False,
) -> Decision:
    """Apply the safety net and the risk model on top of any topic classifier.

    They can only raise urgency, never lower it: a rule or a risk score that says "crisis"
    wins over any topic; an emergency rule wins over everything. While a crisis is open,
    words like "dizzy" or "bleeding" are an emergency too. ``now`` is the urgency model's
    score: danger now makes a crisis an emergency, never a harmless message a crisis.
    """
    engine = result.engine
    urgent = now >= thresholds.urgency_at
    threat = verdict.threat is not None
    sign = verdict.emergency_sign is not None
    # While a crisis is open, "dizzy" or "i took them" is an emergency; so is a sign of danger
    # now ("tonight", "on the roof") when the risk model hears risk in it ("i'll tell mum
    # tomorrow" is not one).
    sign_now = crisis_open and risk >= thresholds.risk_ask_at
    emergency = (
        verdict.emergency
        or (verdict.emergency_if_open if crisis_open else None)
        or (verdict.emergency_sign if sign_now else None)
    )
    hit = emergency or verdict.crisis
    if hit is not None:
        at_once = (
            emergency is not None
            or (sign and hit.intent in SIGN_INTENTS)
            or (urgent and hit.intent in NOW_INTENTS)
        )
        return Decision(
            intent=hit.intent,
            confidence=max(result.score(hit.intent), result.confidence),
            escalate=True,
            urgency=Urgency.EMERGENCY if at_once else Urgency.CRISIS,
            crisis_net=True,
            threat=threat,
            engine=engine,
            risk=risk,
        )
    intent, confidence = result.intent, result.confidence
    if verdict.lookalike is not None:
        # A known harmless idiom and no rule fired: the models may not escalate on their own.
        if intent in ESCALATING_INTENTS:
            intent, confidence = FALLBACK_INTENT, 1.0 - result.score(intent)
        return Decision(
            intent="cyberbullying" if threat and intent not in RISK_INTENTS else intent,
            confidence=confidence,
            escalate=threat or verdict.distress is not None,
            ask_directly=verdict.distress is not None and not threat,
            distress=verdict.distress is not None,
            threat=threat,
            engine=engine,
            risk=risk,
        )
    risk_agrees = risk >= thresholds.risk_ask_at
    leaning = _best_escalating(result)
    # A risk the risk model is sure of, happening now, whatever the topic ("my arm is bleeding
    # a lot, the towel is soaked"), unless the message is about pictures: a threat to share
    # them tonight is a crisis for the helpline, not the emergency number.
    sure_now = risk >= thresholds.risk_escalate_at and result.intent != PICTURES_INTENT
    if (
        urgent
        and risk_agrees
        and (leaning in NOW_INTENTS or verdict.distress is not None or sure_now)
    ):
        # Risk the models hear, happening now ("say bye to everyone for me", "i'm at the
        # station and i've decided"): the emergency number first, not a question.
        intent = leaning if leaning in NOW_INTENTS else CRISIS_INTENT
        intent = _sign_settles_weak_lean(intent, result, verdict, thresholds)
        return Decision(
            intent=intent,
            confidence=max(result.score(intent), risk),
            escalate=True,
            urgency=Urgency.EMERGENCY,
            threat=threat,
            engine=engine,
            risk=risk,
        )
    if verdict.distress is not None and not threat:
        # Hopeless words without a crisis rule: ask directly, whatever the models think; "no"
        # then leads to the topic the message is about (with the helpline kept).
        topic = intent if intent not in ESCALATING_INTENTS else FALLBACK_INTENT
        return Decision(
            intent=topic,
            confidence=confidence,
            escalate=True,
            ask_directly=True,
            distress=True,
            engine=engine,
            risk=risk,
        )
    # No rule fired: the models escalate when one of them is sure, or when both lean the same way.
    mass = sum(result.score(name) for name in ESCALATING_INTENTS)
    unsure = False
    if risk >= thresholds.risk_escalate_at and intent not in ESCALATING_INTENTS:
        intent, confidence = leaning, max(result.score(leaning), risk)
    elif (
        intent in ESCALATING_INTENTS
        and thresholds.topic_lean_at <= confidence < thresholds.topic_sure_at
        and not risk_agrees
    ):
        # The classifier leans to a risk topic but is unsure and the risk model disagrees:
        # ask which topic it is (with buttons) instead of guessing either way; the helpline
        # is shown with the question, since it might be serious.
        unsure = True
    elif intent in ESCALATING_INTENTS and confidence < thresholds.topic_lean_at and not risk_agrees:
        # Barely a lean ("mum says drink vitamins every morning" as grooming at 0.29) and no
        # risk heard: the best other topic answers, or the child picks one, without a helpline.
        intent, confidence = _best_other(result)
    elif (
        intent not in ESCALATING_INTENTS
        and risk_agrees
        and (
            result.score(CRISIS_INTENT) >= thresholds.self_harm_floor
            or mass >= thresholds.escalate_mass_floor
        )
    ):
        intent, confidence = leaning, max(result.score(leaning), risk)
    if threat and (unsure or intent not in RISK_INTENTS):
        # "they said they'll jump me after school" is bullying with a threat, whatever
        # the classifier made of it.
        intent, unsure = "cyberbullying", False
    escalate = not unsure and (
        intent in ESCALATING_INTENTS or (intent == "cyberbullying" and threat)
    )
    urgency = Urgency.CRISIS if escalate and intent in CRISIS_INTENTS else Urgency.NONE
    if urgency is Urgency.CRISIS and sign and intent in SIGN_INTENTS and risk_agrees:
        # "i want to die" + "tonight" / "on the roof" / "took", found by the models: only when
        # the risk model agrees, so one model's slip does not put 112 first.
        urgency = Urgency.EMERGENCY
        intent = _sign_settles_weak_lean(intent, result, verdict, thresholds)
    # The direct question is about suicide and self-harm, so an unsure risk asks it only when
    # the risk looks like self-harm (not like grooming or pictures).
    unsure_self_harm = risk_agrees and leaning == CRISIS_INTENT
    ask = not escalate and (verdict.distress is not None or unsure_self_harm)
    # The risk model hears risk that the topic classifier does not place (a long message with
    # the danger buried in it): ask which topic it is, with the helpline shown.
    unsure = unsure or (risk_agrees and not escalate and not ask)
    return Decision(
        intent=intent,
        confidence=confidence,
        escalate=escalate or ask or unsure,
        urgency=urgency,
        ask_directly=ask,
        distress=ask and verdict.distress is not None,
        unsure=unsure and not ask,
        threat=threat,
        engine=engine,
        risk=risk,
    )


def choose_answer(
    decision: Decision,
    thresholds: Thresholds,
    *,
    role: tuple[str, float] = ("self", 1.0),
    facet: tuple[str, float] | None = None,
    lookalike: bool = False,
) -> Decision:
    """Add who writes and the narrower topic to a decision; urgency and escalation stay.

    A facet narrows its own topic (a planned meeting within grooming, even in a crisis), and
    settles a topic the classifier is unsure of; it never hides a crisis (no facet in an
    emergency, while the child is asked directly, or across topics during a crisis) and never
    reads a known harmless idiom ("killed by a sniper") as one. The role applies to the risk
    topics only, and never in an emergency: the emergency answer is for whoever writes.
    """
    if decision.ask_directly:
        return _facet_explains_the_question(decision, thresholds, facet, lookalike=lookalike)
    if decision.emergency or decision.intent in SMALL_TALK_INTENTS:
        return decision
    intent, unsure, chosen_facet = decision.intent, decision.unsure, None
    if (
        facet is not None
        and not lookalike
        and facet[1] >= thresholds.facet_at
        and facet[0] in FACET_INTENTS
    ):
        facet_intent = FACET_INTENTS[facet[0]]
        # Within its own topic, or where the topic is unsettled: a classifier sure of another
        # topic wins ("my account got hacked and now they bully me" stays bullying).
        unsettled = (
            decision.intent == FALLBACK_INTENT
            or decision.unsure
            or decision.confidence < thresholds.facet_settles_below
        )
        if facet_intent == decision.intent or (unsettled and decision.urgency is Urgency.NONE):
            intent, unsure, chosen_facet = facet_intent, False, facet[0]
        elif decision.intent in CRISIS_FACETS.get(facet[0], ()):
            chosen_facet = facet[0]  # its answer, the crisis's topic, urgency and numbers
    # A facet's answer shows the helpline whenever its topic or the facet needs one, so the
    # decision says so too (what ``safebot classify`` reports is what the child sees).
    escalate = decision.escalate or (
        chosen_facet is not None
        and (intent in ESCALATING_INTENTS or chosen_facet in HELPLINE_FACETS)
    )
    chosen_role = role[0] if role[1] >= thresholds.role_at and intent in RISK_INTENTS else "self"
    if chosen_role == "bully" and chosen_facet == OWN_PICTURE_FACET and facet is not None:
        # "will I get in trouble?" about a picture: the role model hears the child who shared
        # someone else's, the facet model the child who sent their own. Both cannot be right,
        # and the two answers say opposite things: the surer model decides.
        if facet[1] >= role[1]:
            chosen_role = "self"
        else:
            chosen_facet = None
    return replace(
        decision,
        intent=intent,
        unsure=unsure,
        escalate=escalate,
        facet=chosen_facet,
        role=chosen_role,
    )


def _facet_explains_the_question(
    decision: Decision,
    thresholds: Thresholds,
    facet: tuple[str, float] | None,
    *,
    lookalike: bool,
) -> Decision:
    """An unsure self-harm risk that a narrower topic explains gets that topic's answer.

    "I eat 300 calories a day to look like the pro-ana girls" sounds like self-harm to the risk
    model, unsure; the facet model is sure it is about eating. Its answer shows the helpline as
    the question would, and speaks to what the child wrote. Hopeless words a distress rule found
    ("i can't do this anymore") are always asked about directly.
    """
    if (
        decision.distress
        or facet is None
        or lookalike
        or facet[1] < thresholds.facet_settles_below
        or CRISIS_INTENT not in CRISIS_FACETS.get(facet[0], ())
    ):
        return decision
    return replace(
        decision,
        intent=FACET_INTENTS[facet[0]],
        ask_directly=False,
        unsure=False,
        escalate=True,
        facet=facet[0],
    )


def needs_clarification(decision: Decision, *, clarify_below: float) -> bool:
    """Whether the child should be asked with topic buttons instead of answered.

    Never when the message escalates: an unsure crisis still gets the crisis answer, and
    an unsure risk gets the direct question. Never when the role or facet model settled the
    answer: their answers are written for any topic of the role or for the narrower topic.
    """
    return (
        decision.urgency is Urgency.NONE
        and not decision.ask_directly
        and decision.facet is None  # a narrower topic the facet model is sure of is settled
        and decision.role == "self"  # a friend, parent or bully gets their role's answer
        and (decision.unsure or decision.confidence < clarify_below)
    )
