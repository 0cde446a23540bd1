"""The conversation engine: one incoming message and a profile in, replies and a new profile out.

Transports (Telegram, the console, tests) all call :meth:`Engine.handle`; no conversation
rule lives anywhere else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot import actions
from bot.content import Answer, Content, Escalation, LocaleContent
from bot.messages import Button, Incoming, IncomingKind, Reply
from bot.profile import Profile
from bot.rendering import (
    country_buttons,
    feedback_row,
    helpline_lines,
    render_answer,
    talk_button,
    topic_buttons,
    with_extra_button,
)
from bot.settings import Settings
from nlu.classifier import Classifier
from nlu.crisis import CrisisNet
from nlu.decision import Decision, decide, needs_clarification
from nlu.intents import CRISIS_INTENT, ESCALATING_INTENTS, RISK_INTENTS
from nlu.language_id import LanguageIdentifier
from nlu.normalize import normalize

#: The safety net reads at most this much of a message (Telegram's own limit is 4096).
_MAX_NET_CHARS = 10_000


@dataclass(frozen=True)
class EventRecord:
    """What the anonymised log keeps about one handled message. Never text, never ids."""

    kind: str
    intent: str | None = None
    confidence_band: str | None = None
    escalation: str = Escalation.NONE.value
    button: str | None = None
    crisis_net: bool = False
    engine: str | None = None
    clarified: bool = False
    helpful: bool | None = None


@dataclass(frozen=True)
class Turn:
    """The outcome of one message."""

    replies: tuple[Reply, ...]
    profile: Profile
    event: EventRecord | None
    locale: str
    forget: bool = False


class Engine:
    """The conversation rules of the product."""

    def __init__(
        self,
        *,
        content: Content,
        classifier: Classifier,
        net: CrisisNet,
        settings: Settings,
        language_id: LanguageIdentifier | None = None,
    ) -> None:
        self.content = content
        self.classifier = classifier
        self.net = net
        self.settings = settings
        self.language_id = language_id

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
        detected = self.detect(incoming)
        locale = self.resolve_locale(profile, incoming.language_code, detected)
        lc = content.locale(locale, self.settings.default_locale)
        if incoming.kind is IncomingKind.COMMAND:
            turn = self._command(content, lc, incoming.payload, profile)
        elif incoming.kind is IncomingKind.BUTTON:
            turn = self._button(content, lc, incoming.payload, profile)
        elif incoming.kind is IncomingKind.MEDIA:
            reply = Reply(lc.text("media"), topic_buttons(lc))
            turn = self._turn(lc, [reply], profile, EventRecord(kind="media"))
        else:
            turn = await self._text(content, lc, incoming.text, profile, detected or lc.locale)
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
        return self._follow_up_crisis(content.locale(turn.locale, lc.locale), turn, profile)

    def preview(self, intent: str, *, locale: str, country: str | None) -> Reply:
        """The reply a child gets for a message classified as ``intent`` (for editors)."""
        content = self.content
        lc = content.locale(locale, self.settings.default_locale)
        decision = Decision(intent=intent, confidence=1.0, escalate=intent in ESCALATING_INTENTS)
        turn = self._answer_intent(
            content, lc, decision, Profile(country=country), kind="preview", band=None
        )
        return turn.replies[0]

    # -- text -------------------------------------------------------------------------------

    async def _text(
        self, content: Content, lc: LocaleContent, text: str, profile: Profile, written_in: str
    ) -> Turn:
        if not normalize(text):
            reply = Reply(lc.text("empty"), topic_buttons(lc))
            return self._turn(lc, [reply], profile, EventRecord(kind="text"))
        verdict = self.net.check(text[:_MAX_NET_CHARS], written_in)
        result = await self.classifier.classify(
            text[: self.settings.max_classify_chars], written_in
        )
        decision = decide(
            result,
            verdict,
            self_harm_floor=self.settings.self_harm_floor,
            escalate_mass_floor=self.settings.escalate_mass_floor,
        )
        band = self.band(decision.confidence)
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
        return self._answer_intent(content, lc, decision, profile, kind="text", band=band)

    def _answer_intent(
        self,
        content: Content,
        lc: LocaleContent,
        decision: Decision,
        profile: Profile,
        *,
        kind: str,
        band: str | None,
        button: str | None = None,
    ) -> Turn:
        answer = lc.answers[decision.intent]
        escalation = answer.escalation
        if decision.escalate and escalation is Escalation.NONE:
            escalation = Escalation.HELPLINE
        reply = render_answer(content, lc, answer, country=profile.country, escalation=escalation)
        if decision.intent in RISK_INTENTS and decision.intent != CRISIS_INTENT:
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
        return self._turn(lc, [reply], self._after_answer(answer, profile), event)

    def _after_answer(self, answer: Answer, profile: Profile) -> Profile:
        if answer.escalation is Escalation.CRISIS:
            return dataclasses.replace(
                profile,
                crisis_replies_left=self.settings.crisis_follow_replies,
                checkin_pending=True,
            )
        return profile

    # -- buttons ----------------------------------------------------------------------------

    def _button(self, content: Content, lc: LocaleContent, payload: str, profile: Profile) -> Turn:
        action = actions.parse(payload)
        if action is None:
            return self._unknown_button(lc, profile)
        if action.kind == actions.TOPIC and action.value in lc.answers:
            decision = Decision(
                intent=action.value,
                confidence=1.0,
                escalate=action.value in ESCALATING_INTENTS,
                engine="button",
            )
            return self._answer_intent(
                content, lc, decision, profile, kind="button", band=None, button=payload
            )
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
            return self._turn(lc, [reply], self._after_answer(answer, profile), event)
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
            decision = Decision(
                intent=CRISIS_INTENT, confidence=1.0, escalate=True, engine="button"
            )
            return self._answer_intent(
                content, lc, decision, profile, kind="button", band=None, button=payload
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
            reply = Reply(lc.text("checkin_ok"), ((talk_button(lc),),))
            return self._turn(lc, [reply], profile, EventRecord(kind="button", button=payload))
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

    def _command(self, content: Content, lc: LocaleContent, name: str, profile: Profile) -> Turn:
        event = EventRecord(kind="command", button=f"/{name}" if name in _COMMANDS else "/other")
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

    # -- crisis follow-up -------------------------------------------------------------------

    def _follow_up_crisis(self, lc: LocaleContent, turn: Turn, before: Profile) -> Turn:
        """Keep a crisis open: helpline one tap away for a few replies, and one check-in."""
        if turn.event is not None and turn.event.escalation == Escalation.CRISIS.value:
            return turn  # this turn gave the crisis answer itself
        if not before.in_crisis:
            return turn
        replies = list(turn.replies)
        profile = turn.profile
        if profile.crisis_replies_left > 0 and replies:
            replies[0] = with_extra_button(replies[0], talk_button(lc))
            profile = dataclasses.replace(
                profile, crisis_replies_left=profile.crisis_replies_left - 1
            )
        if profile.checkin_pending:
            checkin = Reply(
                lc.text("checkin"),
                (
                    (Button(lc.text("button_checkin_ok"), action="ci:ok"),),
                    (Button(lc.text("button_checkin_not_ok"), action="ci:no"),),
                    (talk_button(lc),),
                ),
            )
            replies.append(checkin)
            profile = dataclasses.replace(profile, checkin_pending=False)
        return dataclasses.replace(turn, replies=tuple(replies), profile=profile)

    @staticmethod
    def _turn(
        lc: LocaleContent, replies: list[Reply], profile: Profile, event: EventRecord
    ) -> Turn:
        return Turn(tuple(replies), profile, event, lc.locale)


_COMMANDS = frozenset({"start", "help", "privacy", "language", "country", "forget"})
