"""Answering a decision: the curated answer, its escalation, and the crisis it opens."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.content import Content, Escalation, LocaleContent
from bot.engine.messages import Reply
from bot.engine.rendering import ask_directly_reply, feedback_row, render_answer
from bot.engine.turn import Turn, make_turn, open_crisis
from bot.storage.records import EventRecord, Profile
from nlu.decision import Decision, Urgency
from nlu.intents import CRISIS_INTENTS, ESCALATING_INTENTS, RISK_INTENTS
from nlu.roles import Role

#: The answer of an emergency (the number comes first, then this, then the helplines).
EMERGENCY_ANSWER = "emergency"


def chosen(intent: str, *, crisis: bool = False) -> Decision:
    """The decision of a topic the child chose with a button."""
    return Decision(
        intent=intent,
        confidence=1.0,
        escalate=intent in ESCALATING_INTENTS or crisis,
        urgency=Urgency.CRISIS if crisis or intent in CRISIS_INTENTS else Urgency.NONE,
        engine="button",
    )


def emergency(
    content: Content,
    lc: LocaleContent,
    decision: Decision,
    profile: Profile,
    now: dt.datetime,
    *,
    band: str | None,
    crisis_hours: float,
) -> Turn:
    """Danger now: the emergency number first, a short call to call now, the helplines."""
    reply = render_answer(
        content,
        lc,
        lc.answers[EMERGENCY_ANSWER],
        country=profile.country,
        escalation=Escalation.EMERGENCY,
        intent=decision.intent,
    )
    event = EventRecord(
        kind="text",
        intent=decision.intent,
        confidence_band=band,
        escalation=Escalation.EMERGENCY.value,
        crisis_net=decision.crisis_net,
        engine=decision.engine,
    )
    opened = open_crisis(profile, now, decision.intent, emergency=True, hours=crisis_hours)
    return make_turn(lc, [reply], opened, event)


def ask_directly(
    content: Content, lc: LocaleContent, decision: Decision, profile: Profile, *, band: str | None
) -> Turn:
    """Distress without a clear crisis: ask plainly, with the helpline already shown."""
    topic = decision.intent if decision.intent in lc.answers else "out_of_scope"
    event = EventRecord(
        kind="text",
        intent=decision.intent,
        confidence_band=band,
        escalation=Escalation.HELPLINE.value,
        engine=decision.engine,
        clarified=True,
    )
    reply = ask_directly_reply(content, lc, profile.country, topic)
    return make_turn(lc, [reply], profile, event)


def answer_intent(
    content: Content,
    lc: LocaleContent,
    decision: Decision,
    profile: Profile,
    now: dt.datetime,
    *,
    kind: str,
    band: str | None,
    crisis_hours: float,
    button: str | None = None,
) -> Turn:
    """The curated answer of the decided intent, escalated as far as the decision needs.

    The answer is the one written for who writes and what exactly about (``roles.yml``, the
    facets); the numbers are those of the kind of danger (the intent), whoever reads them.
    """
    answer = lc.answers[
        content.answer_id(decision.intent, facet=decision.facet, role=decision.role)
    ]
    escalation = answer.escalation
    if decision.urgency is Urgency.CRISIS and escalation.rank < Escalation.CRISIS.rank:
        escalation = Escalation.CRISIS
    if decision.escalate and escalation is Escalation.NONE:
        escalation = Escalation.HELPLINE
    reply = render_answer(
        content,
        lc,
        answer,
        country=profile.country,
        escalation=escalation,
        intent=decision.intent,
        facet=decision.facet,
        for_parent=decision.role == Role.PARENT,
    )
    if decision.intent in RISK_INTENTS and decision.intent not in CRISIS_INTENTS:
        reply = dataclasses.replace(
            reply, buttons=(*reply.buttons, feedback_row(lc, decision.intent))
        )
    event = EventRecord(
        kind=kind,
        intent=decision.intent,
        confidence_band=band,
        escalation=escalation.value,
        button=button,
        crisis_net=decision.crisis_net,
        engine=decision.engine,
    )
    if escalation.rank >= Escalation.CRISIS.rank and kind != "preview":
        profile = open_crisis(profile, now, decision.intent, emergency=False, hours=crisis_hours)
    return make_turn(lc, [reply], profile, event)


def preview_reply(
    content: Content, intent: str, *, locale: str, default_locale: str, country: str | None
) -> Reply:
    """The reply a child gets for a message understood as ``intent`` (for editors)."""
    lc = content.locale(locale, default_locale)
    if intent == EMERGENCY_ANSWER:
        answer, escalation = lc.answers[EMERGENCY_ANSWER], Escalation.EMERGENCY
    else:
        answer = lc.answers[intent]
        escalation = answer.escalation
        if intent in CRISIS_INTENTS and escalation.rank < Escalation.CRISIS.rank:
            escalation = Escalation.CRISIS
        elif intent in ESCALATING_INTENTS and escalation is Escalation.NONE:
            escalation = Escalation.HELPLINE
    return render_answer(content, lc, answer, country=country, escalation=escalation, intent=intent)
