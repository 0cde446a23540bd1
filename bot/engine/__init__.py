"""The conversation engine: every rule about what a child reads next, free of any transport."""

from bot.engine.conversation import ConversationEngine, Turn, preview_reply
from bot.engine.messages import Button, Incoming, IncomingKind, Reply

__all__ = [
    "Button",
    "ConversationEngine",
    "Incoming",
    "IncomingKind",
    "Reply",
    "Turn",
    "preview_reply",
]
