"""What a press on one of our buttons does."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.content import Content, Escalation, LocaleContent
from bot.content.model import INTERNATIONAL
from bot.engine import payloads
from bot.engine.answers import answer_intent, chosen
from bot.engine.rendering import more_countries_reply, render_answer, text_reply
from bot.engine.turn import Turn, make_turn, open_crisis
from bot.settings import Settings
from bot.storage.records import EventRecord, Profile
from nlu.decision import Decision
from nlu.intents import CRISIS_INTENT, ESCALATING_INTENTS, RISK_INTENTS


class ButtonRules:
    """The rules of button presses (the settings say how long a crisis stays open)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def handle(
        self,
        content: Content,
        lc: LocaleContent,
        payload: str,
        profile: Profile,
        now: dt.datetime,
    ) -> Turn:
        """Answer a press on the button with this payload."""
        action = payloads.parse(payload)
        if action is None:
            return unknown_button(lc, profile)
        if action.kind == payloads.TOPIC and action.value in lc.answers:
            return self._answer(content, lc, chosen(action.value), profile, now, payload)
        if action.kind == payloads.ASK:
            return self._direct_answer(content, lc, action.value, profile, now)
        if action.kind == payloads.ANSWER and action.value in lc.answers:
            answer = lc.answers[action.value]
            reply = render_answer(
                content, lc, answer, country=profile.country, escalation=answer.escalation
            )
            event = EventRecord(
                kind="button",
                intent=answer.id
                if answer.id in ESCALATING_INTENTS or answer.id in lc.topics
                else None,
                escalation=answer.escalation.value,
                button=payload,
            )
            if answer.escalation.rank >= Escalation.CRISIS.rank:
                profile = open_crisis(
                    profile,
                    now,
                    answer.id,
                    emergency=answer.escalation is Escalation.EMERGENCY,
                    hours=self.settings.crisis_open_hours,
                )
            return make_turn(lc, [reply], profile, event)
        if action.kind == payloads.COUNTRY:
            return country_button(content, lc, action.value, profile)
        if action.kind == payloads.LANGUAGE and action.value in content.locales:
            new_lc = content.locales[action.value]
            reply = text_reply(new_lc, "language_saved", topics=True, language=new_lc.language_name)
            updated = dataclasses.replace(profile, locale=action.value)
            event = EventRecord(kind="button", button=payloads.LANGUAGE)
            return make_turn(new_lc, [reply], updated, event)
        if action.kind == payloads.CHECKIN and action.value == payloads.NOT_OK:
            intent = profile.crisis_intent or CRISIS_INTENT
            if intent not in lc.answers:
                intent = CRISIS_INTENT
            decision = chosen(intent, crisis=True)
            return self._answer(content, lc, decision, profile, now, payload)
        if action.kind == payloads.FEEDBACK:
            verdict, _, intent = action.value.partition(":")
            if verdict in (payloads.YES, payloads.NO) and intent in RISK_INTENTS:
                helped = verdict == payloads.YES
                reply = (
                    text_reply(lc, "feedback_thanks")
                    if helped
                    else text_reply(lc, "feedback_sorry", talk=True)
                )
                event = EventRecord(
                    kind="feedback", intent=intent, button=payloads.FEEDBACK, helpful=helped
                )
                return make_turn(lc, [reply], profile, event)
        if action.kind == payloads.CHECKIN and action.value == payloads.OK:
            # Glad to hear it; the crisis stays open (the helpline is added to this reply).
            reply = text_reply(lc, "checkin_ok", talk=True)
            return make_turn(lc, [reply], profile, EventRecord(kind="button", button=payload))
        return unknown_button(lc, profile)

    def _answer(
        self,
        content: Content,
        lc: LocaleContent,
        decision: Decision,
        profile: Profile,
        now: dt.datetime,
        button: str,
    ) -> Turn:
        """The answer of a topic or choice the child made with a button."""
        return answer_intent(
            content,
            lc,
            decision,
            profile,
            now,
            kind="button",
            band=None,
            crisis_hours=self.settings.crisis_open_hours,
            button=button,
        )

    def _direct_answer(
        self, content: Content, lc: LocaleContent, value: str, profile: Profile, now: dt.datetime
    ) -> Turn:
        """The child's answer to "are you thinking about killing yourself?"."""
        said, _, topic = value.partition(":")
        if said in (payloads.YES, payloads.UNSURE):
            decision = chosen(CRISIS_INTENT, crisis=True)
            logged = payloads.make(payloads.ASK, said)
            return self._answer(content, lc, decision, profile, now, logged)
        if said == payloads.NO and topic in lc.answers:
            # The normal answer, with the helpline kept at the bottom.
            decision = dataclasses.replace(chosen(topic), escalate=True)
            logged = payloads.make(payloads.ASK, payloads.NO)
            return self._answer(content, lc, decision, profile, now, logged)
        return unknown_button(lc, profile)


def country_button(content: Content, lc: LocaleContent, value: str, profile: Profile) -> Turn:
    """A country chosen, more countries asked for, or the question skipped."""
    if value == payloads.MORE:
        asked = dataclasses.replace(profile, country_asked=True)
        event = EventRecord(kind="button", button=payloads.COUNTRY_MORE)
        return make_turn(lc, [more_countries_reply(content, lc)], asked, event)
    if value == payloads.SKIP or value == INTERNATIONAL:
        reply = text_reply(lc, "country_skipped", topics=True)
        updated = dataclasses.replace(profile, country=None, country_asked=True)
        event = EventRecord(kind="button", button=payloads.COUNTRY_SKIP)
        return make_turn(lc, [reply], updated, event)
    if value in content.countries:
        name = lc.country_names.get(value, value)
        reply = text_reply(lc, "country_saved", topics=True, country=name)
        updated = dataclasses.replace(profile, country=value, country_asked=True)
        return make_turn(lc, [reply], updated, EventRecord(kind="button", button=payloads.COUNTRY))
    return unknown_button(lc, profile)


def unknown_button(lc: LocaleContent, profile: Profile) -> Turn:
    """A button we did not make (or no longer understand): the menu again."""
    reply = text_reply(lc, "unknown_button", topics=True)
    return make_turn(lc, [reply], profile, EventRecord(kind="button", button=payloads.UNKNOWN))
