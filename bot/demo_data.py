"""Realistic, entirely made-up anonymised events, so reviewers can try the statistics.

Every pseudonym is random (no platform id behind it); the mix of locales, countries, intents,
outcomes and feedback is plausible and changes a little week by week, so the dashboard shows
trends. With the defaults (3,000 children over 12 weeks) no weekly cell by intent, locale or
country has fewer than 5 children.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select

from bot.clock import current_hour, system_clock
from bot.storage.models import Event
from bot.storage.rollups import rebuild

#: Locales with their share of children, and each locale's countries with their share.
LOCALES: dict[str, tuple[float, dict[str | None, float]]] = {
    "en": (0.48, {"GB": 0.28, "US": 0.24, "IN": 0.16, "AU": 0.12, "CA": 0.11, None: 0.09}),
    "ru": (0.20, {"RU": 0.50, "KZ": 0.25, "BY": 0.25}),
    "uk": (0.16, {"UA": 0.82, None: 0.18}),
    "tr": (0.16, {"TR": 0.70, "AZ": 0.30}),
}
#: Share of messages per intent in the first week, and how that share changes per week.
INTENT_MIX: dict[str, tuple[float, float]] = {
    "cyberbullying": (0.15, 0.00),
    "grooming": (0.09, 0.01),
    "intimate_images": (0.06, 0.06),
    "privacy": (0.10, -0.02),
    "self_harm": (0.04, 0.00),
    "harmful_content": (0.07, 0.02),
    "greet": (0.13, 0.00),
    "goodbye": (0.05, 0.00),
    "thanks": (0.06, 0.00),
    "about_bot": (0.06, -0.02),
    "human": (0.05, 0.01),
    "out_of_scope": (0.09, -0.03),
}
#: Chance that a child who got a topic answer says whether it helped, and the chance of 👍.
FEEDBACK_CHANCE = 0.35
HELPFUL_CHANCE: dict[str, float] = {
    "cyberbullying": 0.78,
    "grooming": 0.72,
    "intimate_images": 0.66,
    "privacy": 0.86,
    "self_harm": 0.70,
    "harmful_content": 0.81,
}
#: Locales with a Rasa server in the demo (the others use the embedded classifier).
RASA_LOCALES = frozenset({"en", "ru"})


@dataclass(frozen=True)
class DemoResult:
    """What :func:`seed` wrote."""

    events: int
    users: int
    first_hour: dt.datetime
    last_hour: dt.datetime


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_events(
    *, users: int, weeks: int, end: dt.datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Event rows (as dicts for ``insert(Event)``) for ``users`` children over ``weeks`` weeks."""
    # Whole weeks, Monday to Sunday, ending before ``end``'s week.
    end = current_hour(end).replace(hour=0)
    end -= dt.timedelta(days=end.weekday())
    start = end - dt.timedelta(weeks=weeks)
    span_hours = weeks * 7 * 24
    locale_weights = {locale: share for locale, (share, _) in LOCALES.items()}
    for _ in range(users):
        pseudonym = rng.randbytes(32).hex()  # random: no platform id behind it
        locale = _pick(rng, locale_weights)
        country = _pick(rng, LOCALES[locale][1])
        first = True
        for _ in range(1 + int(rng.expovariate(0.9))):  # visits: mostly one or two
            hour = start + dt.timedelta(hours=rng.randrange(span_hours))
            week = (hour - start).days / 7
            if first:
                yield _row(hour, pseudonym, "command", None, locale, country, button="/start")
                first = False
            for _ in range(1 + int(rng.expovariate(0.6))):
                yield from _message(rng, hour, pseudonym, locale, country, week)


def _row(
    hour: dt.datetime,
    pseudonym: str,
    kind: str,
    intent: str | None,
    locale: str,
    country: str | None,
    **values: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "hour": hour,
        "pseudonym": pseudonym,
        "kind": kind,
        "intent": intent,
        "confidence_band": None,
        "locale": locale,
        "country": country,
        "escalation": "none",
        "button": None,
        "crisis_net": False,
        "clarified": False,
        "engine": None,
        "helpful": None,
    }
    row.update(values)
    return row


def _message(
    rng: random.Random,
    hour: dt.datetime,
    pseudonym: str,
    locale: str,
    country: str | None,
    week: float,
) -> Iterator[dict[str, Any]]:
    mix = {
        name: max(0.005, base * (1 + trend * week)) for name, (base, trend) in INTENT_MIX.items()
    }
    intent = _pick(rng, mix)
    roll = rng.random()
    if roll < 0.04:
        yield _row(hour, pseudonym, "media", None, locale, country)
        return
    if roll < 0.20:  # a topic button instead of typing
        yield _row(
            hour,
            pseudonym,
            "button",
            intent,
            locale,
            country,
            button=f"t:{intent}",
            engine="button",
        )
    else:
        band = _pick(rng, {"high": 0.58 + 0.01 * week, "medium": 0.27, "low": 0.15 - 0.008 * week})
        engine = "spacy"
        if locale in RASA_LOCALES:
            engine = "spacy-fallback" if rng.random() < 0.05 else "rasa"
        crisis = intent == "self_harm" and rng.random() < 0.6
        escalation = "none"
        if intent == "self_harm":
            escalation = "crisis"
        elif intent in ("grooming", "intimate_images") or (
            intent == "cyberbullying" and rng.random() < 0.2
        ):
            escalation = "helpline"
        yield _row(
            hour,
            pseudonym,
            "text",
            intent,
            locale,
            country,
            confidence_band=band,
            escalation=escalation,
            crisis_net=crisis,
            clarified=band == "low" and not crisis,
            engine=engine,
        )
    if intent in HELPFUL_CHANCE and rng.random() < FEEDBACK_CHANCE:
        helped = rng.random() < min(0.97, HELPFUL_CHANCE[intent] + 0.005 * week)
        yield _row(hour, pseudonym, "feedback", intent, locale, country, button="h", helpful=helped)


class DatabaseNotEmpty(RuntimeError):
    """Demo data is refused on a database that holds events."""


def seed(
    engine: Engine,
    *,
    users: int = 3000,
    weeks: int = 12,
    seed_value: int | None = None,
    end: dt.datetime | None = None,
) -> DemoResult:
    """Write demo events into an empty events table (refuses one that holds events)."""
    if users < 1 or weeks < 1:
        raise ValueError("demo data needs at least one user and one week")
    with engine.connect() as connection:
        existing = int(connection.execute(select(func.count()).select_from(Event)).scalar_one())
    if existing:
        raise DatabaseNotEmpty(f"the database holds {existing} events already")
    rng = random.Random(seed_value if seed_value is not None else secrets.randbits(64))
    rows = generate_events(users=users, weeks=weeks, end=end or system_clock(), rng=rng)
    count = 0
    first = last = None
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            first = row["hour"] if first is None else min(first, row["hour"])
            last = row["hour"] if last is None else max(last, row["hour"])
            if len(batch) >= 5000:
                connection.execute(insert(Event), batch)
                count += len(batch)
                batch = []
        if batch:
            connection.execute(insert(Event), batch)
            count += len(batch)
        rebuild(connection)  # the statistics read the rollups: counted in one go
    assert first is not None and last is not None
    return DemoResult(count, users, first, last)
