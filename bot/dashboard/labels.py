"""Plain words for what the statistics call by codes: countries, languages, intents, columns.

Names come from the content (``content/en/countries.yml``, each language's ``ui.yml``, the answers'
escalation); when the content cannot be loaded the codes are shown as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.loader import load_content
from bot.content.model import Escalation
from bot.stats import MISSING

logger = logging.getLogger(__name__)

#: Answers with these escalations are about a child in danger: always drawn in the trend.
URGENT = (Escalation.CRISIS, Escalation.EMERGENCY)
#: Used when the content cannot be read.
FALLBACK_URGENT = ("emergency", "self_harm")
#: Line colours told apart by colour-blind readers: Okabe and Ito's (without the yellow, too pale
#: for a line on white) and four of Paul Tol's.
LINE_COLOURS: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#882255",
    "#117733",
    "#332288",
    "#999933",
    "#AA4499",
)
#: Dash patterns combined with the colours, so that more intents than colours stay apart.
DASHES: tuple[str, ...] = ("", "7 3", "2 3", "10 3 2 3", "1 5")

#: What a missing value of each grouping means, in plain words.
MISSING_WORDS = {
    "intent": "no topic (commands such as /start, settings)",
    "locale": "language not known",
    "country": "country not given",
}
#: The total over every group of each grouping.
ALL_WORDS = {"intent": "all topics", "locale": "all languages", "country": "all countries"}
#: The name of each grouping on the page.
DIMENSION_WORDS = {"intent": "topic (intent)", "locale": "language", "country": "country"}


@dataclass(frozen=True)
class Style:
    """How one intent is drawn: the same on every page and with every filter."""

    colour: str
    dash: str


@dataclass(frozen=True)
class Labels:
    """Names for codes, the urgent intents and each intent's fixed style."""

    countries: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)
    intents: tuple[str, ...] = ()
    urgent: tuple[str, ...] = FALLBACK_URGENT

    @classmethod
    def from_content(cls, directory: Path) -> Labels:
        """The names the content gives; codes only when it has errors."""
        content, _ = load_content(directory)
        if content is None:
            logger.warning("dashboard: content has errors; countries are shown by code")
            return cls()
        english = content.locales.get("en") or next(iter(content.locales.values()), None)
        countries = dict(english.country_names) if english is not None else {}
        languages = {code: lc.language_name for code, lc in content.locales.items()}
        answers = english.answers if english is not None else {}
        urgent = tuple(sorted(i for i, a in answers.items() if a.escalation in URGENT))
        return cls(countries, languages, tuple(sorted(answers)), urgent or FALLBACK_URGENT)

    def group(self, by: str, code: str) -> str:
        """A group's name as the page shows it."""
        if code == MISSING.get(by):
            return MISSING_WORDS[by]
        if by == "country":
            return self.countries.get(code, code)
        if by == "locale":
            name = self.languages.get(code)
            return f"{name} ({code})" if name else code
        return code

    def style(self, intent: str) -> Style:
        """The fixed colour and dash of an intent: by its place among all intents in content.

        An intent the content does not know gets a style from its name alone (stable too).
        """
        if intent in self.intents:
            index = self.intents.index(intent)
        else:
            index = sum(intent.encode("utf-8")) + len(self.intents)
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        dash = DASHES[(index // len(LINE_COLOURS)) % len(DASHES)]
        return Style(colour, dash)
