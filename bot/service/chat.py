"""The one entry point transports call: pseudonym, profile, engine, event log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.content.ui_texts import COMMANDS
from bot.engine import ConversationEngine, Reply, Turn
from bot.engine.messages import Incoming
from bot.engine.rendering import fallback_reply, text_reply
from bot.storage.events import EventLog, LoggedEvent
from bot.storage.profiles import ProfileStore, StorageUnavailable
from bot.storage.records import Profile

logger = logging.getLogger(__name__)


class ChatService:
    """Handles one message of one child end to end, whatever the transport."""

    def __init__(
        self,
        *,
        engine: ConversationEngine,
        profiles: ProfileStore,
        events: EventLog,
        pseudonymize: Callable[[str, int | str], str],
    ) -> None:
        self.engine = engine
        self.profiles = profiles
        self.events = events
        self._pseudonymize = pseudonymize

    def notice(self, key: str, language_code: str | None, *, talk: bool = False) -> Reply:
        """An interface text for someone we keep nothing about (groups, error replies).

        It is in the platform's language for the person, and never touches their profile.
        """
        engine = self.engine
        lc = engine.locale_content(engine.resolve_locale(Profile(), language_code))
        return text_reply(lc, key, talk=talk)

    async def fallback(self, platform: str, user_id: int | str, language_code: str | None) -> Reply:
        """What a child gets when their answer could not be sent or built.

        Always the emergency number and a helpline, of their country when we know it.
        """
        profile = Profile()
        try:
            profile = await self.profiles.get(self._pseudonymize(platform, user_id)) or profile
        except StorageUnavailable as error:
            logger.warning("profile read failed, fallback with defaults: %s", error)
        engine = self.engine
        lc = engine.locale_content(engine.resolve_locale(profile, language_code))
        return fallback_reply(engine.content, lc, profile)

    def command_menus(self) -> dict[str, list[tuple[str, str]]]:
        """Each language's slash commands and their descriptions, for the platform's menu."""
        return {
            code: [(name, lc.text(f"cmd_{name}")) for name in COMMANDS]
            for code, lc in sorted(self.engine.locales.items())
        }

    def pseudonym(self, platform: str, user_id: int | str) -> str:
        """The pseudonym of a platform user."""
        return self._pseudonymize(platform, user_id)

    async def handle(self, platform: str, user_id: int | str, incoming: Incoming) -> list[Reply]:
        """Answer one message. Storage trouble never costs the child their answer."""
        pseudonym = self._pseudonymize(platform, user_id)
        try:
            stored = await self.profiles.get(pseudonym)
        except StorageUnavailable as error:
            logger.warning("profile read failed, answering with defaults: %s", error)
            stored = None
        profile = stored or Profile()
        turn = await self.engine.handle(incoming, profile)
        if turn.forget:
            return await self._forget(pseudonym, turn)
        if turn.profile != profile or stored is None:
            try:
                await self.profiles.save(pseudonym, turn.profile)
            except StorageUnavailable as error:
                logger.warning("profile write failed: %s", error)
        if turn.event is not None:
            self.events.record(
                LoggedEvent(turn.event, pseudonym, turn.locale, turn.profile.country)
            )
        return list(turn.replies)

    async def _forget(self, pseudonym: str, turn: Turn) -> list[Reply]:
        # Events still queued or spooled for this child must not be written after the delete.
        await self.events.forget(pseudonym)
        try:
            removed = await self.profiles.forget(pseudonym)
        except StorageUnavailable as error:
            logger.warning("forget failed: %s", error)
            return [text_reply(self.engine.locale_content(turn.locale), "forget_failed")]
        logger.info("forget: removed %d rows", removed)
        return list(turn.replies)
