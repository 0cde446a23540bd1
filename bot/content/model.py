"""Typed content objects. Each remembers where it came from, so errors can name file and line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from bot.content.policy import Policy

INTERNATIONAL = "INT"
#: Codes people often type for a country whose ISO code is another.
_COUNTRY_ALIASES = {"UK": "GB", "EN": "GB", "USA": "US", "UA": "UA"}


class Escalation(StrEnum):
    """What an answer shows under its text."""

    NONE = "none"
    HELPLINE = "helpline"
    CRISIS = "crisis"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """Order of seriousness, so that a reply only ever escalates further."""
        return list(Escalation).index(self)


class Verification(StrEnum):
    """How well a fact is sourced (see the reference facts sheet)."""

    VERIFIED = "verified"
    SECONDARY = "secondary"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Where:
    """A place in a content file."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}"


@dataclass(frozen=True)
class Problem:
    """One finding of the content check, in words an editor understands."""

    where: Where | None
    message: str
    severity: str = "error"  # "error" blocks publishing; "warning" does not

    def __str__(self) -> str:
        prefix = "ERROR" if self.severity == "error" else "WARNING"
        place = f"{self.where}: " if self.where else ""
        return f"{prefix} {place}{self.message}"


@dataclass(frozen=True)
class Provenance:
    """Where a fact comes from and how sure we are."""

    source: str
    checked_on: dt.date
    verification: Verification
    note: str = ""


@dataclass(frozen=True)
class Helpline:
    """A service a child can call, text or chat with."""

    name: str
    provenance: Provenance
    where: Where
    phone: str = ""
    url: str = ""
    chat: str = ""
    hours: str = ""
    operator: str = ""
    free: bool = False
    for_children: bool = True
    crisis: bool = False
    #: Parents and carers can call it for advice about a child (facts.md says so).
    for_adults: bool = False
    #: Per-language display texts: {"ru": {"name": ..., "hours": ..., "chat": ...}}.
    local: dict[str, dict[str, str]] = field(default_factory=dict)

    def shown(self, locale: str, key: str) -> str:
        """A display field (name, hours, chat) in the child's language where one is given."""
        default = {"name": self.name, "hours": self.hours, "chat": self.chat}[key]
        return self.local.get(locale, {}).get(key, default)


@dataclass(frozen=True)
class Emergency:
    """A country's emergency numbers."""

    number: str
    provenance: Provenance
    where: Where
    also: tuple[str, ...] = ()
    police: str = ""
    ambulance: str = ""
    note: str = ""


@dataclass(frozen=True)
class Country:
    """Helplines and emergency numbers of one country (or the international fallback)."""

    code: str
    helplines: tuple[Helpline, ...]
    emergency: Emergency
    where: Where
    #: True when the facts sheet has nothing for this country and INT's entries are shown.
    is_fallback: bool = False
    note: str = ""

    @property
    def child_helpline(self) -> Helpline | None:
        """The first helpline meant for children."""
        return next((h for h in self.helplines if h.for_children), None)

    @property
    def crisis_lines(self) -> tuple[Helpline, ...]:
        """Suicide and crisis lines."""
        return tuple(h for h in self.helplines if h.crisis)


@dataclass(frozen=True)
class Route:
    """A way to report or remove something (a platform's button, a removal service)."""

    id: str
    provenance: Provenance
    where: Where
    url: str = ""
    countries: frozenset[str] | None = None  # None: everywhere

    def applies_to(self, country: str | None) -> bool:
        """Whether the route is for children in this country."""
        return self.countries is None or (country is not None and country in self.countries)


@dataclass(frozen=True)
class AnswerButton:
    """A follow-up button under an answer, pointing to another answer."""

    label: str
    answer: str
    where: Where


@dataclass(frozen=True)
class Review:
    """Who reviewed an answer, when, and which text (its fingerprint; "" when not recorded)."""

    by: str
    on: dt.date
    fingerprint: str = ""
    line: int = 0


@dataclass(frozen=True)
class Answer:
    """One curated answer, as an editor wrote it."""

    id: str
    title: str
    text: str
    crc_articles: tuple[int, ...]
    escalation: Escalation
    reporting: tuple[str, ...]
    buttons: tuple[AnswerButton, ...]
    where: Where
    text_line: int = 0
    reviews: tuple[Review, ...] = ()
    written_on: dt.date | None = None
    #: The file line of each line of ``text`` where it is known (a ``text: |`` block).
    text_lines: tuple[int, ...] = ()

    def line_at(self, offset: int) -> int:
        """The file line of the character at ``offset`` in ``text`` (else the ``text:`` line)."""
        index = self.text[:offset].count("\n")
        if index < len(self.text_lines):
            return self.text_lines[index]
        return self.text_line or self.where.line


@dataclass(frozen=True)
class LocaleContent:
    """Everything a child sees in one language."""

    locale: str
    answers: dict[str, Answer]
    ui: dict[str, str]
    country_choices: tuple[str, ...]
    country_names: dict[str, str]
    route_labels: dict[str, str]
    topics: tuple[str, ...]
    language_name: str
    where: Where
    ui_lines: dict[str, int] = field(default_factory=dict)

    def text(self, key: str, **values: str) -> str:
        """An interface text, with ``{placeholders}`` filled in."""
        template = self.ui[key]
        return template.format(**values) if values else template

    def guess_country(self, typed: str) -> str | None:
        """The country code someone probably meant by ``typed`` ("UK", "germ"), if any."""
        return _COUNTRY_ALIASES.get(typed.upper()) or next(
            (code for code, name in self.country_names.items() if typed.lower() in name.lower()),
            None,
        )


@dataclass(frozen=True)
class RoleAnswers:
    """The answers of one role (friend, parent, bully): per topic or facet, and a default."""

    role: str
    default: str
    by_topic: dict[str, str]
    where: Where
    lines: dict[str, int] = field(default_factory=dict)

    def answer_for(self, intent: str, facet: str | None) -> str:
        """The answer for a topic and its facet: the facet's, the topic's, or the default."""
        if facet is not None and facet in self.by_topic:
            return self.by_topic[facet]
        return self.by_topic.get(intent, self.default)


@dataclass(frozen=True)
class Content:
    """All content: per-locale texts plus the shared facts."""

    locales: dict[str, LocaleContent]
    countries: dict[str, Country]
    routes: dict[str, Route]
    crc_articles: frozenset[int]
    directory: Path
    warnings: tuple[Problem, ...] = field(default=())
    policy: Policy = field(default_factory=Policy)
    roles: dict[str, RoleAnswers] = field(default_factory=dict)

    def answer_id(self, intent: str, *, facet: str | None = None, role: str = "self") -> str:
        """The answer written for who writes and what about (``nlu.roles``, ``nlu.facets``)."""
        answers = self.roles.get(role)
        if answers is not None:
            return answers.answer_for(intent, facet)
        return facet or intent

    def country(self, code: str | None) -> Country:
        """A country's entry, or the international fallback."""
        if code and code in self.countries:
            return self.countries[code]
        return self.countries[INTERNATIONAL]

    def locale(self, code: str | None, default: str) -> LocaleContent:
        """A locale's content, falling back to the default locale."""
        if code and code in self.locales:
            return self.locales[code]
        return self.locales[default]
