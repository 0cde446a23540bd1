"""The one entry point transports call: pseudonym, profile, engine, event log."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from bot.content import Escalation
from bot.content.ui_texts import command_menus
from bot.engine import ConversationEngine, Reply, Turn
from bot.engine.messages import Incoming
from bot.engine.rendering import fallback_reply, text_reply
from bot.service.held_profiles import HeldProfiles
from bot.storage.events import EventLog, LoggedEvent
from bot.storage.profiles import ProfileStore, StorageUnavailable
from bot.storage.records import EventRecord, Profile, StoredProfile

logger = logging.getLogger(__name__)

#: How many answered messages this process also remembers itself, for when the database (which
#: every replica shares) cannot be asked.
_REMEMBERED_MESSAGES = 10_000
_NOT_ANSWERED = -1
#: Reads and re-applications of one turn when other turns of the same child keep writing first.
_SAVE_ATTEMPTS = 5


def _urgency(turn: Turn) -> int:
    """How serious the answer of a turn is (the rank of its escalation)."""
    if turn.event is None:
        return Escalation.NONE.rank
    try:
        return Escalation(turn.event.escalation).rank
    except ValueError:
        return Escalation.NONE.rank


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
        #: Profiles the database could not take yet (an outage): newer than its copy.
        self.held = HeldProfiles()
        # (pseudonym, message id) -> the urgency it was answered with; never stored on disk.
        self._answered: OrderedDict[tuple[str, int], int] = OrderedDict()
        #: Called with each turn's anonymised event (the webhook server's metrics count them).
        self.observers: list[Callable[[EventRecord], None]] = []

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
        pseudonym = self._pseudonymize(platform, user_id)
        profile = self.held.get(pseudonym)
        if profile is None:
            try:
                profile = await self.profiles.get(pseudonym)
            except StorageUnavailable as error:
                logger.warning("profile read failed, fallback with defaults: %s", error)
        profile = profile or Profile()
        engine = self.engine
        lc = engine.locale_content(engine.resolve_locale(profile, language_code))
        return fallback_reply(engine.content, lc, profile)

    def command_menus(self) -> dict[str, list[tuple[str, str]]]:
        """Each language's slash commands and their descriptions, for the platform's menu."""
        return command_menus(self.engine.locales)

    def pseudonym(self, platform: str, user_id: int | str) -> str:
        """The pseudonym of a platform user."""
        return self._pseudonymize(platform, user_id)

    async def handle(
        self,
        platform: str,
        user_id: int | str,
        incoming: Incoming,
        *,
        message_id: int | None = None,
        edited: bool = False,
    ) -> list[Reply]:
        """Answer one message. Storage trouble never costs the child their answer.

        An edited message (``edited``, with the ``message_id`` of the original) is answered,
        and counted, only when the edit makes it a crisis or emergency that its earlier answer
        was not: a child is never answered twice for one message.
        """
        pseudonym = self._pseudonymize(platform, user_id)
        key = (pseudonym, message_id) if message_id is not None else None
        for attempt in range(1, _SAVE_ATTEMPTS + 1):
            stored = await self._read(pseudonym)
            # A profile held through an outage is newer than the database's copy.
            held = self.held.get(pseudonym)
            profile = held or (stored.profile if stored is not None else Profile())
            turn = await self.engine.handle(incoming, profile)
            if key is not None and not await self._deserves_answer(key, turn, edited):
                return []
            if turn.forget:
                return await self._forget(pseudonym, turn)
            if stored is not None and held is None and turn.profile == profile:
                break
            # A failed read counts as "no profile yet": the write then cannot clobber one.
            version = stored.version if stored is not None else 0
            try:
                if await self.profiles.save_if_unchanged(pseudonym, turn.profile, version):
                    self.held.release(pseudonym)
                    break
            except StorageUnavailable as error:
                logger.warning("profile write failed, held in memory: %s", error)
                self.held.hold(pseudonym, turn.profile)
                break
            # Another turn of this child wrote first: re-apply this one over what it stored.
            logger.info("profile changed by another turn, re-applying (attempt %d)", attempt)
        else:
            logger.warning("profile still changing after %d attempts, not saved", _SAVE_ATTEMPTS)
        if key is not None:
            await self._remember(key, turn)
        if turn.event is not None:
            self.events.record(
                LoggedEvent(turn.event, pseudonym, turn.locale, turn.profile.country)
            )
            for observe in self.observers:
                observe(turn.event)
        return list(turn.replies)

    async def _read(self, pseudonym: str) -> StoredProfile | None:
        try:
            return await self.profiles.read(pseudonym)
        except StorageUnavailable as error:
            logger.warning("profile read failed, answering with defaults: %s", error)
            return None

    async def _deserves_answer(self, key: tuple[str, int], turn: Turn, edited: bool) -> bool:
        """Whether a message is answered: always, except an edit that adds no new crisis.

        How urgently the message was answered before comes from the database, so an edit that
        another replica answered is not answered here again.
        """
        if not edited:
            return True
        urgency = _urgency(turn)
        if urgency < Escalation.CRISIS.rank:
            return False
        before = self._answered.get(key, Escalation.NONE.rank)
        try:
            stored = await self.profiles.answered_urgency(*key)
        except StorageUnavailable as error:
            logger.warning("answered messages not readable, judging the edit locally: %s", error)
            stored = None
        if stored is not None:
            before = max(before, stored)
        return urgency > before

    async def _remember(self, key: tuple[str, int], turn: Turn) -> None:
        """Remember how urgently a message was answered, to judge its later edits.

        Only a crisis or emergency goes to the database: an edit of any other message is
        answered exactly when it becomes one, as if nothing had been kept.
        """
        urgency = _urgency(turn)
        self._answered[key] = max(urgency, self._answered.get(key, _NOT_ANSWERED))
        self._answered.move_to_end(key)
        while len(self._answered) > _REMEMBERED_MESSAGES:
            self._answered.popitem(last=False)
        if urgency >= Escalation.CRISIS.rank:
            try:
                await self.profiles.remember_answer(*key, urgency)
            except StorageUnavailable as error:
                logger.warning("answered message not recorded: %s", error)

    async def _forget(self, pseudonym: str, turn: Turn) -> list[Reply]:
        # Events still queued or spooled for this child must not be written after the delete.
        await self.events.forget(pseudonym)
        self.held.release(pseudonym)
        try:
            removed = await self.profiles.forget(pseudonym)
        except StorageUnavailable as error:
            logger.warning("forget failed: %s", error)
            return [text_reply(self.engine.locale_content(turn.locale), "forget_failed")]
        logger.info("forget: removed %d rows", removed)
        return list(turn.replies)
