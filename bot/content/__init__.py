"""Curated content: typed objects loaded from ``content/``, with file and line for every error."""

from bot.content.loader import load_content
from bot.content.model import (
    Answer,
    AnswerButton,
    Content,
    Country,
    Emergency,
    Escalation,
    Helpline,
    LocaleContent,
    Problem,
    Route,
)

__all__ = [
    "Answer",
    "AnswerButton",
    "Content",
    "Country",
    "Emergency",
    "Escalation",
    "Helpline",
    "LocaleContent",
    "Problem",
    "Route",
    "load_content",
]
