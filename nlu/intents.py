"""The intents the product knows, and which of them escalate to a helpline."""

from __future__ import annotations

RISK_INTENTS: tuple[str, ...] = (
    "cyberbullying",
    "grooming",
    "intimate_images",
    "privacy",
    "self_harm",
    "harmful_content",
    "abuse",
)
CONVERSATION_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thanks",
    "about_bot",
    "human",
    "out_of_scope",
)
INTENTS: tuple[str, ...] = RISK_INTENTS + CONVERSATION_INTENTS

#: Intents whose answer always shows the child's helpline. Cyberbullying joins them
#: when the safety net finds a threat in the message.
ESCALATING_INTENTS: frozenset[str] = frozenset(
    {"self_harm", "grooming", "intimate_images", "abuse"}
)
#: Escalating intents whose answer leads with the helpline (urgency "crisis" at least).
CRISIS_INTENTS: frozenset[str] = frozenset({"self_harm", "abuse"})
CRISIS_INTENT = "self_harm"
FALLBACK_INTENT = "out_of_scope"
#: The conversation itself ("hi", "thanks", "bye"...): no narrower topic or role replaces its
#: answer. Not the fallback: a message the topics cannot place may still be a facet's.
SMALL_TALK_INTENTS: frozenset[str] = frozenset(CONVERSATION_INTENTS) - {FALLBACK_INTENT}
