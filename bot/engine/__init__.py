"""The conversation engine: every rule about what a child reads next, free of any transport."""

from bot.engine.answers import preview_reply
from bot.engine.conversation import ConversationEngine
from bot.engine.messages import Button, Incoming, IncomingKind, Reply
from bot.engine.turn import Turn

__all__ = [
    "Button",
    "ConversationEngine",
    "Incoming",
    "IncomingKind",
    "Reply",
    "Turn",
    "preview_reply",
]
