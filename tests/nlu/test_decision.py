"""How the net's verdict, the risk score and the topic ranking become one urgency."""

from __future__ import annotations

import pytest

from nlu.classifier import IntentResult
from nlu.crisis import NetVerdict, RuleHit
from nlu.decision import Thresholds, Urgency, decide

THRESHOLDS = Thresholds(clarify_below=0.45, self_harm_floor=0.25, escalate_mass_floor=0.5)
SIGN = RuleHit("en:sign_time_near", "self_harm")


def ranked(intent: str, confidence: float) -> IntentResult:
    rest = (1.0 - confidence) / 2
    others = [n for n in ("privacy", "greet", "thanks") if n != intent]
    ranking = ((intent, confidence), (others[0], rest), (others[1], rest))
    return IntentResult(intent, confidence, ranking, engine="test")


@pytest.mark.parametrize("intent", ["self_harm", "abuse"])
def test_a_crisis_rule_with_a_sign_of_danger_now_is_an_emergency(intent: str) -> None:
    verdict = NetVerdict(crisis=RuleHit("en:crisis", intent), emergency_sign=SIGN)
    decision = decide(ranked("privacy", 0.9), verdict, THRESHOLDS)
    assert decision.urgency is Urgency.EMERGENCY
    assert decision.intent == intent and decision.escalate


@pytest.mark.parametrize("intent", ["grooming", "intimate_images"])
def test_a_meeting_or_a_picture_threat_with_a_time_stays_a_crisis(intent: str) -> None:
    verdict = NetVerdict(crisis=RuleHit("en:crisis", intent), emergency_sign=SIGN)
    decision = decide(ranked("privacy", 0.9), verdict, THRESHOLDS)
    assert decision.urgency is Urgency.CRISIS and decision.escalate


def test_a_sign_alone_changes_nothing() -> None:
    decision = decide(ranked("privacy", 0.9), NetVerdict(emergency_sign=SIGN), THRESHOLDS)
    assert decision.urgency is Urgency.NONE
    assert not decision.escalate and decision.intent == "privacy"


def test_a_crisis_the_models_found_becomes_an_emergency_with_a_sign() -> None:
    decision = decide(
        ranked("self_harm", 0.8), NetVerdict(emergency_sign=SIGN), THRESHOLDS, risk=0.95
    )
    assert decision.urgency is Urgency.EMERGENCY
    without = decide(ranked("self_harm", 0.8), NetVerdict(), THRESHOLDS, risk=0.95)
    assert without.urgency is Urgency.CRISIS


def test_a_topic_guess_the_risk_model_does_not_share_stays_a_crisis_with_a_sign() -> None:
    # "dad comes back from work tonight and we go to the cinema", taken for abuse by the
    # topic classifier alone: a sign must not put the emergency number first.
    decision = decide(ranked("abuse", 0.8), NetVerdict(emergency_sign=SIGN), THRESHOLDS, risk=0.1)
    assert decision.escalate and decision.urgency is Urgency.CRISIS


def test_while_a_crisis_is_open_a_sign_is_an_emergency() -> None:
    verdict = NetVerdict(emergency_sign=SIGN)
    assert decide(ranked("privacy", 0.9), verdict, THRESHOLDS).urgency is Urgency.NONE
    opened = decide(ranked("privacy", 0.9), verdict, THRESHOLDS, crisis_open=True, risk=0.7)
    assert opened.urgency is Urgency.EMERGENCY and opened.escalate
    # "i'll tell my mum tomorrow": a time, but nothing the risk model hears as risk
    calm = decide(ranked("privacy", 0.9), verdict, THRESHOLDS, crisis_open=True, risk=0.05)
    assert calm.urgency is Urgency.NONE


def test_distress_with_a_sign_still_asks_directly() -> None:
    verdict = NetVerdict(distress=RuleHit("en:distress", "self_harm"), emergency_sign=SIGN)
    decision = decide(ranked("privacy", 0.9), verdict, THRESHOLDS)
    assert decision.ask_directly and decision.escalate
    assert decision.urgency is Urgency.NONE


def test_an_emergency_rule_wins_over_everything() -> None:
    verdict = NetVerdict(
        emergency=RuleHit("en:em", "self_harm"), lookalike=RuleHit("en:lk", "self_harm")
    )
    decision = decide(ranked("greet", 0.99), verdict, THRESHOLDS)
    assert decision.urgency is Urgency.EMERGENCY and decision.emergency


def test_risk_the_topic_classifier_cannot_place_asks_with_the_helpline() -> None:
    # A long message about football boots with the danger buried in it: the topic classifier
    # says "out of scope", the risk model hears risk. The child is asked, with the helpline.
    topics = IntentResult(
        "out_of_scope", 0.9, (("out_of_scope", 0.9), ("grooming", 0.06), ("greet", 0.04)), "test"
    )
    decision = decide(topics, NetVerdict(), THRESHOLDS, risk=0.7)
    assert decision.escalate and decision.unsure and not decision.ask_directly
    assert decision.urgency is Urgency.NONE
    # Leaning to self-harm, the same risk gets the direct question instead.
    asked = decide(ranked("privacy", 0.9), NetVerdict(), THRESHOLDS, risk=0.7)
    assert asked.escalate and asked.ask_directly
    calm = decide(topics, NetVerdict(), THRESHOLDS, risk=0.5)
    assert not calm.escalate and not calm.unsure


@pytest.mark.parametrize("intent", ["self_harm", "abuse", "grooming"])
def test_a_crisis_rule_the_urgency_model_finds_urgent_is_an_emergency(intent: str) -> None:
    verdict = NetVerdict(crisis=RuleHit("en:crisis", intent))
    urgent = decide(ranked("privacy", 0.9), verdict, THRESHOLDS, now=0.9)
    assert urgent.urgency is Urgency.EMERGENCY and urgent.intent == intent
    later = decide(ranked("privacy", 0.9), verdict, THRESHOLDS, now=0.2)
    assert later.urgency is Urgency.CRISIS


def test_a_picture_threat_stays_a_crisis_however_urgent() -> None:
    verdict = NetVerdict(crisis=RuleHit("en:crisis", "intimate_images"))
    decision = decide(ranked("privacy", 0.9), verdict, THRESHOLDS, now=0.99)
    assert decision.urgency is Urgency.CRISIS and decision.escalate


def test_risk_the_models_hear_happening_now_is_an_emergency_not_a_question() -> None:
    # "say bye to everyone for me": the topic classifier reads a goodbye, the risk model hears
    # risk in the uncertain band (which alone would ask directly), the urgency model hears now.
    decision = decide(ranked("goodbye", 0.7), NetVerdict(), THRESHOLDS, risk=0.65, now=0.9)
    assert decision.urgency is Urgency.EMERGENCY
    assert decision.escalate and decision.intent == "self_harm" and not decision.ask_directly
    calm = decide(ranked("goodbye", 0.7), NetVerdict(), THRESHOLDS, risk=0.65, now=0.1)
    assert calm.urgency is not Urgency.EMERGENCY


def test_urgency_without_risk_changes_nothing() -> None:
    # "bye, see you tonight": urgent words, no risk heard.
    decision = decide(ranked("goodbye", 0.9), NetVerdict(), THRESHOLDS, risk=0.1, now=0.95)
    assert decision.urgency is Urgency.NONE and not decision.escalate
    assert decision.intent == "goodbye"


def test_urgency_never_overrides_a_known_harmless_idiom() -> None:
    verdict = NetVerdict(lookalike=RuleHit("en:lookalike", "self_harm"))
    decision = decide(ranked("out_of_scope", 0.8), verdict, THRESHOLDS, risk=0.7, now=0.95)
    assert decision.urgency is Urgency.NONE and not decision.escalate


def test_a_bare_lean_to_a_risk_topic_is_no_lean_without_risk_heard() -> None:
    # "mum says drink vitamins every morning" read as grooming at 0.29, the risk model hearing
    # nothing: the best other topic answers, without the helpline.
    topics = IntentResult(
        "grooming", 0.29, (("grooming", 0.29), ("out_of_scope", 0.27), ("privacy", 0.2)), "test"
    )
    calm = decide(topics, NetVerdict(), THRESHOLDS, risk=0.1)
    assert (calm.intent, calm.confidence) == ("out_of_scope", 0.27)
    assert not calm.escalate and not calm.unsure
    # From ``topic_lean_at`` up, the same lean asks which topic, with the helpline.
    leaning = IntentResult(
        "grooming", 0.45, (("grooming", 0.45), ("out_of_scope", 0.3), ("privacy", 0.25)), "test"
    )
    unsure = decide(leaning, NetVerdict(), THRESHOLDS, risk=0.1)
    assert unsure.intent == "grooming" and unsure.unsure and unsure.escalate
    # The risk model confirming the bare lean escalates it as before, and a rule always does.
    assert decide(topics, NetVerdict(), THRESHOLDS, risk=0.7).escalate
    rule = NetVerdict(crisis=RuleHit("en:grooming_meeting", "grooming"))
    assert decide(topics, rule, THRESHOLDS, risk=0.1).escalate


def test_an_emergency_the_models_found_takes_the_signs_topic_over_a_weak_lean() -> None:
    # "got 40 of mum's sleeping tablets, tonight": the topics lean to abuse at 0.3 only, the
    # signs are about suicide, so the suicide line comes first.
    weak = decide(
        ranked("abuse", 0.3), NetVerdict(emergency_sign=SIGN), THRESHOLDS, risk=0.95, now=0.9
    )
    assert weak.urgency is Urgency.EMERGENCY and weak.intent == "self_harm"
    # A clear topic keeps its own: "dad is hitting me, he said tonight he'll do it again".
    sure = decide(
        ranked("abuse", 0.8), NetVerdict(emergency_sign=SIGN), THRESHOLDS, risk=0.95, now=0.9
    )
    assert sure.urgency is Urgency.EMERGENCY and sure.intent == "abuse"
