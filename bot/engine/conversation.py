"""The conversation engine: one incoming message and a profile in, replies and a new profile out.

Transports (Telegram, the console, tests) all call :meth:`ConversationEngine.handle` through
the chat service; no conversation rule lives anywhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from bot.clock import Clock, system_clock
from bot.content import Content, Escalation, LocaleContent
from bot.engine.answers import answer_intent, ask_directly, emergency
from bot.engine.buttons import ButtonRules
from bot.engine.commands import handle_command
from bot.engine.messages import Incoming, IncomingKind
from bot.engine.rendering import checkin_reply, clarify_reply, text_reply, with_language_offer
from bot.engine.turn import Turn, keep_crisis_open, make_turn
from bot.settings import Settings
from bot.storage.records import EventRecord, Profile
from nlu.decision import Urgency, needs_clarification
from nlu.intents import CONVERSATION_INTENTS
from nlu.language_id import LanguageIdentifier
from nlu.normalize import normalize
from nlu.understanding import Understanding


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
        self._buttons = ButtonRules(settings)

    def replace_content(self, content: Content) -> None:
        """Serve new (already checked) content from the next message on."""
        self.content = content

    @property
    def locales(self) -> Mapping[str, LocaleContent]:
        """The content of every language served now."""
        return self.content.locales

    def locale_content(self, locale: str | None) -> LocaleContent:
        """A language's content, or the default language's."""
        return self.content.locale(locale, self.settings.default_locale)

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
            turn = handle_command(content, lc, incoming.payload, profile, now)
        elif incoming.kind is IncomingKind.BUTTON:
            turn = self._buttons.handle(content, lc, incoming.payload, profile, now)
        elif incoming.kind is IncomingKind.MEDIA:
            reply = text_reply(lc, "media", topics=True)
            turn = make_turn(lc, [reply], profile, EventRecord(kind="media"))
        else:
            turn = await self._text(content, lc, incoming.text, profile, detected or lc.locale, now)
            if detected is not None and detected != lc.locale and turn.replies:
                # Understood in the language it was written in; answered in the child's
                # language, with one tap to switch.
                replies = list(turn.replies)
                replies[0] = with_language_offer(replies[0], content.locales[detected])
                turn = dataclasses.replace(turn, replies=tuple(replies))
        if turn.forget:
            return turn
        return keep_crisis_open(content, content.locale(turn.locale, lc.locale), turn, now)

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
            reply = text_reply(lc, "empty", topics=True)
            return make_turn(lc, [reply], profile, EventRecord(kind="text"))
        crisis_open = profile.in_crisis(now)
        decision = await self.understanding.understand(text, written_in, crisis_open=crisis_open)
        band = self.band(decision.confidence)
        hours = self.settings.crisis_open_hours
        if decision.urgency is Urgency.EMERGENCY:
            return emergency(content, lc, decision, profile, now, band=band, crisis_hours=hours)
        if decision.ask_directly and not crisis_open:
            return ask_directly(content, lc, decision, profile, band=band)
        unclear = needs_clarification(decision, clarify_below=self.settings.clarify_below)
        if (
            crisis_open
            and decision.urgency is Urgency.NONE
            and (
                decision.ask_directly
                or (
                    (not decision.escalate or decision.unsure)
                    and (decision.intent in CONVERSATION_INTENTS or unclear)
                )
            )
        ):
            # "I'm okay", "never mind", "joking", "ok", "thanks", "bye" (or anything unclear, or
            # distress that would be asked about directly) while a crisis is open: a warm answer
            # that keeps the helpline and checks in ("are you safe?"); it never closes the crisis.
            event = EventRecord(
                kind="text",
                intent=decision.intent,
                confidence_band=band,
                escalation=Escalation.CRISIS.value,
                engine=decision.engine,
            )
            return make_turn(lc, [checkin_reply(content, lc, profile)], profile, event)
        if unclear:
            # Unsure, but possibly serious: a person is one look away.
            escalation = Escalation.HELPLINE if decision.escalate else Escalation.NONE
            reply = clarify_reply(content, lc, profile.country, escalation)
            event = EventRecord(
                kind="text",
                intent=decision.intent,
                confidence_band=band,
                escalation=escalation.value,
                engine=decision.engine,
                clarified=True,
            )
            return make_turn(lc, [reply], profile, event)
        return answer_intent(
            content, lc, decision, profile, now, kind="text", band=band, crisis_hours=hours
        )
