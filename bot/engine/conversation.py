"""The conversation engine: one incoming message and a profile in, replies and a new profile out.

Transports (Telegram, the console, tests) all call :meth:`ConversationEngine.handle`; no conversation
rule lives anywhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from bot.clock import Clock, current_hour, system_clock
from bot.content import Content, Escalation, LocaleContent
from bot.engine import payloads as actions
from bot.engine.messages import Button, Incoming, IncomingKind, Reply
from bot.engine.rendering import (
    country_buttons,
    feedback_row,
    helpline_lines,
    render_answer,
    talk_button,
    topic_buttons,
    with_extra_button,
)
from bot.settings import Settings
from bot.storage.records import EventRecord, Profile
from nlu.decision import Decision, Urgency, needs_clarification
from nlu.intents import (
    CONVERSATION_INTENTS,
    CRISIS_INTENT,
    CRISIS_INTENTS,
    ESCALATING_INTENTS,
    RISK_INTENTS,
)
from nlu.language_id import LanguageIdentifier
from nlu.normalize import normalize
from nlu.understanding import Understanding

#: The answer of an emergency (the number comes first, then this, then the helplines).
EMERGENCY_ANSWER = "emergency"


@dataclass(frozen=True)
class Turn:
    """The outcome of one message."""

    replies: tuple[Reply, ...]
    profile: Profile
    event: EventRecord | None
    locale: str
    forget: bool = False


class ConversationEngine:
    """The conversation rules of the product."""

    def __init__(
        self,
        *,
        content: Content,
        understanding: Understanding,
        settings: Settings,
        language_id: LanguageIdentifier | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.content = content
        self.understanding = understanding
        self.settings = settings
        self.language_id = language_id
        self.clock = clock

    def replace_content(self, content: Content) -> None:
        """Serve new (already checked) content from the next message on."""
        self.content = content

    def resolve_locale(
        self, profile: Profile, language_code: str | None, detected: str | None = None
    ) -> str:
        """The child's chosen language, else Telegram's, else the text's, else the default."""
        available = self.content.locales
        if profile.locale is not None and profile.locale in available:
            return profile.locale
        if language_code:
            code = language_code.replace("_", "-").split("-")[0].lower()
            if code in available:
                return code
        if detected is not None and detected in available:
            return detected
        return self.settings.default_locale

    def detect(self, incoming: Incoming) -> str | None:
        """The language of a longer text message, when the model is sure."""
        if incoming.kind is not IncomingKind.TEXT or self.language_id is None:
            return None
        found = self.language_id.detect(incoming.text[: self.settings.max_classify_chars])
        return found.locale if found is not None and found.locale in self.content.locales else None

    def band(self, confidence: float) -> str:
        """The confidence band logged instead of the raw score."""
        if confidence >= self.settings.band_high:
            return "high"
        if confidence >= self.settings.band_medium:
            return "medium"
        return "low"

    async def handle(self, incoming: Incoming, profile: Profile) -> Turn:
        """Answer one incoming message."""
        content = self.content  # one consistent snapshot for the whole turn
        now = self.clock()
        detected = self.detect(incoming)
        locale = self.resolve_locale(profile, incoming.language_code, detected)
        lc = content.locale(locale, self.settings.default_locale)
        if incoming.kind is IncomingKind.COMMAND:
            turn = self._command(content, lc, incoming.payload, profile, now)
        elif incoming.kind is IncomingKind.BUTTON:
            turn = self._button(content, lc, incoming.payload, profile, now)
        elif incoming.kind is IncomingKind.MEDIA:
            reply = Reply(lc.text("media"), topic_buttons(lc))
            turn = self._turn(lc, [reply], profile, EventRecord(kind="media"))
        else:
            turn = await self._text(content, lc, incoming.text, profile, detected or lc.locale, now)
            if detected is not None and detected != lc.locale and turn.replies:
                # Understood in the language it was written in; answered in the child's
                # language, with one tap to switch.
                other = content.locales[detected]
                offer = Button(
                    f"🌐 {other.language_name}", action=actions.make(actions.LANGUAGE, detected)
                )
                replies = list(turn.replies)
                replies[0] = Reply(replies[0].text, (*replies[0].buttons, (offer,)))
                turn = dataclasses.replace(turn, replies=tuple(replies))
        if turn.forget:
            return turn
        return self._keep_crisis_open(content, content.locale(turn.locale, lc.locale), turn, now)

    # -- text -------------------------------------------------------------------------------

    async def _text(
        self,
        content: Content,
        lc: LocaleContent,
        text: str,
        profile: Profile,
        written_in: str,
        now: dt.datetime,
    ) -> Turn:
        if not normalize(text):
            reply = Reply(lc.text("empty"), topic_buttons(lc))
            return self._turn(lc, [reply], profile, EventRecord(kind="text"))
        crisis_open = profile.in_crisis(now)
        decision = await self.understanding.understand(text, written_in, crisis_open=crisis_open)
        band = self.band(decision.confidence)
        if decision.urgency is Urgency.EMERGENCY:
            return self._emergency(content, lc, decision, profile, now, band=band)
        if decision.ask_directly:
            return self._ask_directly(content, lc, decision, profile, band=band)
        if (
            crisis_open
            and decision.urgency is Urgency.NONE
            and (not decision.escalate or decision.unsure)
            and (
                decision.intent in CONVERSATION_INTENTS
                or needs_clarification(decision, clarify_below=self.settings.clarify_below)
            )
        ):
            # "I'm okay", "never mind", "joking", "ok", "thanks", "bye" (or anything unclear)
            # while a crisis is open: a warm answer that keeps the helpline and checks in; it
            # never closes the crisis.
            event = EventRecord(
                kind="text",
                intent=decision.intent,
                confidence_band=band,
                escalation=Escalation.CRISIS.value,
                engine=decision.engine,
            )
            return self._turn(lc, [self._checkin(content, lc, profile)], profile, event)
        if needs_clarification(decision, clarify_below=self.settings.clarify_below):
            text = lc.text("clarify")
            escalation = Escalation.NONE
            if decision.escalate:  # unsure, but possibly serious: a person is one look away
                escalation = Escalation.HELPLINE
                text += "\n\n" + helpline_lines(lc, content.country(profile.country), escalation)
            reply = Reply(text, topic_buttons(lc))
            event = EventRecord(
                kind="text",
                intent=decision.intent,
                confidence_band=band,
                escalation=escalation.value,
                engine=decision.engine,
                clarified=True,
            )
            return self._turn(lc, [reply], profile, event)
        return self._answer_intent(content, lc, decision, profile, now, kind="text", band=band)

    def _emergency(
        self,
        content: Content,
        lc: LocaleContent,
        decision: Decision,
        profile: Profile,
        now: dt.datetime,
        *,
        band: str | None,
        button: str | None = None,
    ) -> Turn:
        """Danger now: the emergency number first, a short call to call now, the helplines."""
        answer = lc.answers[EMERGENCY_ANSWER]
        reply = render_answer(
            content,
            lc,
            answer,
            country=profile.country,
            escalation=Escalation.EMERGENCY,
            intent=decision.intent,
        )
        event = EventRecord(
            kind="text" if button is None else "button",
            intent=decision.intent,
            confidence_band=band,
            escalation=Escalation.EMERGENCY.value,
            button=button,
            crisis_net=decision.crisis_net,
            engine=decision.engine,
        )
        opened = self._open_crisis(profile, now, decision.intent, emergency=True)
        return self._turn(lc, [reply], opened, event)

    def _ask_directly(
        self,
        content: Content,
        lc: LocaleContent,
        decision: Decision,
        profile: Profile,
        *,
        band: str | None,
    ) -> Turn:
        """Distress without a clear crisis: ask plainly, with the helpline already shown."""
        country = content.country(profile.country)
        text = lc.text("ask_directly") + "\n\n" + helpline_lines(lc, country, Escalation.HELPLINE)
        topic = decision.intent if decision.intent in lc.answers else "out_of_scope"
        buttons = (
            (Button(lc.text("button_yes"), action=actions.make(actions.ASK, f"y:{topic}")),),
            (Button(lc.text("button_no"), action=actions.make(actions.ASK, f"n:{topic}")),),
            (Button(lc.text("button_not_sure"), action=actions.make(actions.ASK, f"u:{topic}")),),
            (talk_button(lc),),
        )
        event = EventRecord(
            kind="text",
            intent=decision.intent,
            confidence_band=band,
            escalation=Escalation.HELPLINE.value,
            engine=decision.engine,
            clarified=True,
        )
        return self._turn(lc, [Reply(text, buttons)], profile, event)

    def _button_answer(
        self,
        content: Content,
        lc: LocaleContent,
        decision: Decision,
        profile: Profile,
        now: dt.datetime,
        button: str,
    ) -> Turn:
        """The answer of a topic or choice the child made with a button."""
        return self._answer_intent(
            content, lc, decision, profile, now, kind="button", band=None, button=button
        )

    def _answer_intent(
        self,
        content: Content,
        lc: LocaleContent,
        decision: Decision,
        profile: Profile,
        now: dt.datetime,
        *,
        kind: str,
        band: str | None,
        button: str | None = None,
    ) -> Turn:
        answer = lc.answers[decision.intent]
        escalation = answer.escalation
        if decision.urgency is Urgency.CRISIS and escalation.rank < Escalation.CRISIS.rank:
            escalation = Escalation.CRISIS
        if decision.escalate and escalation is Escalation.NONE:
            escalation = Escalation.HELPLINE
        reply = render_answer(content, lc, answer, country=profile.country, escalation=escalation)
        if decision.intent in RISK_INTENTS and decision.intent not in CRISIS_INTENTS:
            reply = Reply(reply.text, (*reply.buttons, feedback_row(lc, decision.intent)))
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
            profile = self._open_crisis(profile, now, decision.intent, emergency=False)
        return self._turn(lc, [reply], profile, event)

    def _open_crisis(
        self, profile: Profile, now: dt.datetime, intent: str, *, emergency: bool
    ) -> Profile:
        """Keep the helpline in every reply for the next hours (to the hour, rounded up)."""
        hours = dt.timedelta(hours=self.settings.crisis_open_hours)
        until = current_hour(now + hours) + dt.timedelta(hours=1)
        if profile.crisis_until is not None and profile.crisis_until > until:
            until = profile.crisis_until
        return dataclasses.replace(
            profile,
            crisis_until=until,
            crisis_intent=intent if intent in ESCALATING_INTENTS else CRISIS_INTENT,
            crisis_emergency=emergency or (profile.in_crisis(now) and profile.crisis_emergency),
        )

    def _crisis_level(self, profile: Profile) -> Escalation:
        return Escalation.EMERGENCY if profile.crisis_emergency else Escalation.CRISIS

    def _checkin(self, content: Content, lc: LocaleContent, profile: Profile) -> Reply:
        """The warm check-in of an open crisis, with its helplines and three ways to answer."""
        block = helpline_lines(
            lc,
            content.country(profile.country),
            self._crisis_level(profile),
            profile.crisis_intent,
        )
        text = lc.text("crisis_checkin") + "\n\n" + block
        if profile.crisis_emergency:  # the emergency number stays the first line
            number, _, rest = block.partition("\n")
            text = f"{number}\n\n{lc.text('crisis_checkin')}\n\n{rest}"
        return Reply(
            text,
            (
                (
                    Button(
                        lc.text("button_checkin_ok"),
                        action=actions.make(actions.CHECKIN, actions.OK),
                    ),
                ),
                (
                    Button(
                        lc.text("button_checkin_not_ok"),
                        action=actions.make(actions.CHECKIN, actions.NOT_OK),
                    ),
                ),
                (talk_button(lc),),
            ),
        )

    # -- buttons ----------------------------------------------------------------------------

    def _button(
        self,
        content: Content,
        lc: LocaleContent,
        payload: str,
        profile: Profile,
        now: dt.datetime,
    ) -> Turn:
        action = actions.parse(payload)
        if action is None:
            return self._unknown_button(lc, profile)
        if action.kind == actions.TOPIC and action.value in lc.answers:
            return self._button_answer(content, lc, _chosen(action.value), profile, now, payload)
        if action.kind == actions.ASK:
            return self._direct_answer(content, lc, action.value, profile, now, payload)
        if action.kind == actions.ANSWER and action.value in lc.answers:
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
                profile = self._open_crisis(
                    profile, now, answer.id, emergency=answer.escalation is Escalation.EMERGENCY
                )
            return self._turn(lc, [reply], profile, event)
        if action.kind == actions.COUNTRY:
            return self._country_button(content, lc, action.value, profile)
        if action.kind == actions.LANGUAGE and action.value in content.locales:
            new_lc = content.locales[action.value]
            reply = Reply(
                new_lc.text("language_saved", language=new_lc.language_name), topic_buttons(new_lc)
            )
            updated = dataclasses.replace(profile, locale=action.value)
            return self._turn(new_lc, [reply], updated, EventRecord(kind="button", button="l"))
        if action.kind == actions.CHECKIN and action.value == actions.NOT_OK:
            intent = profile.crisis_intent or CRISIS_INTENT
            if intent not in lc.answers:
                intent = CRISIS_INTENT
            return self._button_answer(
                content, lc, _chosen(intent, crisis=True), profile, now, payload
            )
        if action.kind == actions.FEEDBACK:
            verdict, _, intent = action.value.partition(":")
            if verdict in ("y", "n") and intent in RISK_INTENTS:
                helped = verdict == "y"
                reply = (
                    Reply(lc.text("feedback_thanks"))
                    if helped
                    else Reply(lc.text("feedback_sorry"), ((talk_button(lc),),))
                )
                event = EventRecord(kind="feedback", intent=intent, button="h", helpful=helped)
                return self._turn(lc, [reply], profile, event)
        if action.kind == actions.CHECKIN and action.value == actions.OK:
            # Glad to hear it; the crisis stays open (the helpline is added to this reply).
            reply = Reply(lc.text("checkin_ok"), ((talk_button(lc),),))
            return self._turn(lc, [reply], profile, EventRecord(kind="button", button=payload))
        return self._unknown_button(lc, profile)

    def _direct_answer(
        self,
        content: Content,
        lc: LocaleContent,
        value: str,
        profile: Profile,
        now: dt.datetime,
        payload: str,
    ) -> Turn:
        """The child's answer to "are you thinking about killing yourself?"."""
        said, _, topic = value.partition(":")
        if said in (actions.YES, actions.UNSURE):
            return self._button_answer(
                content,
                lc,
                _chosen(CRISIS_INTENT, crisis=True),
                profile,
                now,
                f"{actions.ASK}:{said}",
            )
        if said == actions.NO and topic in lc.answers:
            # The normal answer, with the helpline kept at the bottom.
            decision = dataclasses.replace(_chosen(topic), escalate=True)
            return self._button_answer(content, lc, decision, profile, now, f"{actions.ASK}:n")
        return self._unknown_button(lc, profile)

    def _country_button(
        self, content: Content, lc: LocaleContent, value: str, profile: Profile
    ) -> Turn:
        if value == actions.MORE:
            others = sorted(
                (code for code in content.countries if code not in lc.country_choices),
                key=lambda code: (code == "INT", lc.country_names.get(code, code)),
            )
            reply = Reply(lc.text("ask_country"), country_buttons(lc, others, more=False))
            asked = dataclasses.replace(profile, country_asked=True)
            return self._turn(lc, [reply], asked, EventRecord(kind="button", button="c:more"))
        if value == actions.SKIP or value == "INT":
            reply = Reply(lc.text("country_skipped"), topic_buttons(lc))
            updated = dataclasses.replace(profile, country=None, country_asked=True)
            return self._turn(lc, [reply], updated, EventRecord(kind="button", button="c:skip"))
        if value in content.countries:
            name = lc.country_names.get(value, value)
            reply = Reply(lc.text("country_saved", country=name), topic_buttons(lc))
            updated = dataclasses.replace(profile, country=value, country_asked=True)
            return self._turn(lc, [reply], updated, EventRecord(kind="button", button="c"))
        return self._unknown_button(lc, profile)

    def _unknown_button(self, lc: LocaleContent, profile: Profile) -> Turn:
        reply = Reply(lc.text("unknown_button"), topic_buttons(lc))
        return self._turn(lc, [reply], profile, EventRecord(kind="button", button="unknown"))

    # -- commands ---------------------------------------------------------------------------

    def _command(
        self,
        content: Content,
        lc: LocaleContent,
        name: str,
        profile: Profile,
        now: dt.datetime,
    ) -> Turn:
        event = EventRecord(kind="command", button=f"/{name}" if name in _COMMANDS else "/other")
        if name == "start" and profile.in_crisis(now):
            # Starting over does not close a crisis: welcome back, helpline, check-in.
            replies = [Reply(lc.text("start")), self._checkin(content, lc, profile)]
            event = dataclasses.replace(event, escalation=Escalation.CRISIS.value)
            return self._turn(lc, replies, profile, event)
        if name == "start":
            if not profile.country_asked:
                replies = [Reply(lc.text("start")), self._ask_country(lc)]
                asked = dataclasses.replace(profile, country_asked=True)
                return self._turn(lc, replies, asked, event)
            return self._turn(lc, [Reply(lc.text("start"), topic_buttons(lc))], profile, event)
        if name == "privacy":
            return self._turn(lc, [Reply(lc.text("privacy"))], profile, event)
        if name == "country":
            asked = dataclasses.replace(profile, country_asked=True)
            return self._turn(lc, [self._ask_country(lc)], asked, event)
        if name == "language":
            buttons = tuple(
                (Button(other.language_name, action=actions.make(actions.LANGUAGE, code)),)
                for code, other in sorted(content.locales.items())
            )
            return self._turn(lc, [Reply(lc.text("ask_language"), buttons)], profile, event)
        if name == "forget":
            return Turn((Reply(lc.text("forget_done")),), Profile(), None, lc.locale, forget=True)
        return self._turn(lc, [Reply(lc.text("help"), topic_buttons(lc))], profile, event)

    def _ask_country(self, lc: LocaleContent) -> Reply:
        return Reply(
            lc.text("ask_country"), country_buttons(lc, list(lc.country_choices), more=True)
        )

    # -- an open crisis ---------------------------------------------------------------------

    def _keep_crisis_open(
        self, content: Content, lc: LocaleContent, turn: Turn, now: dt.datetime
    ) -> Turn:
        """While a crisis is open, every reply keeps its helplines and a person one tap away."""
        profile = turn.profile
        if not profile.in_crisis(now) or not turn.replies:
            return turn
        if turn.event is not None and turn.event.escalation != Escalation.NONE.value:
            return turn  # this turn shows helplines itself
        replies = list(turn.replies)
        block = helpline_lines(
            lc,
            content.country(profile.country),
            self._crisis_level(profile),
            profile.crisis_intent,
        )
        first = with_extra_button(replies[0], talk_button(lc))
        text = f"{first.text}\n\n{block}"
        if profile.crisis_emergency:  # the emergency number stays the first line
            number, _, rest = block.partition("\n")
            text = f"{number}\n\n{first.text}\n\n{rest}"
        replies[0] = Reply(text, first.buttons)
        event = turn.event
        if event is not None:
            event = dataclasses.replace(event, escalation=Escalation.HELPLINE.value)
        return dataclasses.replace(turn, replies=tuple(replies), event=event)

    @staticmethod
    def _turn(
        lc: LocaleContent, replies: list[Reply], profile: Profile, event: EventRecord
    ) -> Turn:
        return Turn(tuple(replies), profile, event, lc.locale)


_COMMANDS = frozenset({"start", "help", "privacy", "language", "country", "forget"})


def _chosen(intent: str, *, crisis: bool = False) -> Decision:
    """The decision of a topic the child chose with a button."""
    return Decision(
        intent=intent,
        confidence=1.0,
        escalate=intent in ESCALATING_INTENTS or crisis,
        urgency=Urgency.CRISIS if crisis or intent in CRISIS_INTENTS else Urgency.NONE,
        engine="button",
    )


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
