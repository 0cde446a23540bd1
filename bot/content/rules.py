"""What makes an answer right for a child, beyond its schema: the rules of the content policy.

Each rule returns problems in plain words, naming the file and line an editor must look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from bot.content.model import (
    INTERNATIONAL,
    Answer,
    Country,
    Escalation,
    LocaleContent,
    Problem,
    Where,
)
from bot.content.policy import Policy
from bot.content.readability import MEASURES as MEASURES
from bot.content.readability import stats
from nlu.intents import CRISIS_INTENT, ESCALATING_INTENTS, INTENTS

_SENTENCE = (".", "!", "?", "\n")


def _at(answer: Answer) -> Where:
    return Where(answer.where.file, answer.text_line or answer.where.line)


def readability(policy: Policy, lc: LocaleContent) -> list[Problem]:
    """Answers must read easily at ages 9-13 where the language has a measure."""
    limit = policy.readability.get(lc.locale)
    if limit is None or limit.measure not in MEASURES:
        return []
    measure = MEASURES[limit.measure]
    problems = []
    for answer in lc.answers.values():
        value = measure(stats(answer.text, lc.locale))
        if limit.max is not None and value > limit.max:
            problems.append(
                Problem(
                    _at(answer),
                    f"answer '{answer.id}' is too hard to read for ages 9-13 ({limit.measure} {value:.1f}, the limit is {limit.max:g}); use shorter sentences and simpler words",
                )
            )
        if limit.min is not None and value < limit.min:
            problems.append(
                Problem(
                    _at(answer),
                    f"answer '{answer.id}' is too hard to read for ages 9-13 ({limit.measure} {value:.1f}, at least {limit.min:g} is needed); use shorter sentences and simpler words",
                )
            )
    return problems


def _texts(lc: LocaleContent) -> Iterable[tuple[Where, str, str]]:
    for answer in lc.answers.values():
        yield _at(answer), f"answer '{answer.id}'", answer.text
        for button in answer.buttons:
            yield button.where, f"the button '{button.label}'", button.label
    for key, text in lc.ui.items():
        yield Where(lc.where.file, lc.ui_lines.get(key, 1)), f"the text '{key}'", text


def blame(policy: Policy, lc: LocaleContent) -> list[Problem]:
    """Nothing the child reads may blame or shame them."""
    problems = []
    for where, what, text in _texts(lc):
        for pattern in policy.blame_phrases.get(lc.locale, ()):
            found = pattern.search(text)
            if found:
                problems.append(
                    Problem(
                        where,
                        f'{what} says "{found.group(0)}", which can sound like blaming the child; say what they can do now instead',
                    )
                )
    return problems


def safe_messaging(policy: Policy, lc: LocaleContent) -> list[Problem]:
    """Self-harm answers: crisis escalation, no method details, hope and help first."""
    problems = []
    for answer_id in sorted(policy.safe_messaging_for):
        answer = lc.answers.get(answer_id)
        if answer is None:
            continue
        if answer_id == CRISIS_INTENT and answer.escalation is not Escalation.CRISIS:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer_id}' must use 'escalation: crisis' so the emergency number is shown first",
                )
            )
        for pattern in policy.forbidden_in_safe_messaging.get(lc.locale, ()):
            found = pattern.search(answer.text.lower())
            if found:
                problems.append(
                    Problem(
                        _at(answer),
                        f"answer '{answer_id}' mentions \"{found.group(0)}\"; safe-messaging rules forbid any detail about methods or places of self-harm",
                    )
                )
        hope = policy.hope_first.get(lc.locale)
        if hope:
            opening = _first_sentences(answer.text, 2).lower()
            if not any(word in opening for word in hope):
                problems.append(
                    Problem(
                        _at(answer),
                        f"answer '{answer_id}' should start with hope and help (for example: {', '.join(hope[:3])}) in its first two sentences",
                    )
                )
    return problems


def _first_sentences(text: str, count: int) -> str:
    end = 0
    for _ in range(count):
        positions = [p for p in (text.find(mark, end) for mark in _SENTENCE) if p != -1]
        if not positions:
            return text
        end = min(positions) + 1
    return text[:end]


def reviews(policy: Policy, lc: LocaleContent, today: dt.date) -> list[Problem]:
    """Every answer records its reviews; serious topics need two different reviewers."""
    problems = []
    for answer in lc.answers.values():
        # Only reviews of the current text count: a review older than the last change
        # reviewed words that are gone.
        current = [
            review
            for review in answer.reviews
            if answer.written_on is None or review.on >= answer.written_on
        ]
        reviewers = {review.by.strip().lower() for review in current}
        if not answer.reviews:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' has no review; add 'reviews:' with who checked it and when",
                )
            )
        elif answer.id in policy.two_reviewers_for and len(reviewers) < 2:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' is about a serious risk and needs two different reviewers of its current text before it can be published (it has {len(reviewers)})",
                )
            )
        last_review = max((review.on for review in answer.reviews), default=None)
        if answer.written_on is not None and answer.written_on > today:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}': written_on is in the future ({answer.written_on})",
                )
            )
        elif (
            last_review is not None
            and answer.written_on is not None
            and answer.written_on > last_review
        ):
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' was changed on {answer.written_on}, after its last review on {last_review}; ask a reviewer to check it again and add their review",
                )
            )
        for review in answer.reviews:
            if review.on > today:
                problems.append(
                    Problem(
                        answer.where,
                        f"answer '{answer.id}': the review by {review.by} is dated in the future ({review.on})",
                    )
                )
    return problems


def helplines(policy: Policy, countries: dict[str, Country], today: dt.date) -> list[Problem]:
    """Helpline facts age: flag entries not checked for too long, and unknown opening hours."""
    problems = []
    for country in countries.values():
        if country.is_fallback:
            continue
        for helpline in country.helplines:
            age = (today - helpline.provenance.checked_on).days
            if age > policy.stale_after_days:
                problems.append(
                    Problem(
                        helpline.where,
                        f"{country.code} helpline '{helpline.name}' was last checked {age} days ago; check it again on the operator's site and update checked_on",
                        "warning",
                    )
                )
            if helpline.for_children and not helpline.hours and country.code != INTERNATIONAL:
                problems.append(
                    Problem(
                        helpline.where,
                        f"{country.code} helpline '{helpline.name}' has no opening hours; add 'hours' (for example \"24/7\") once confirmed",
                        "warning",
                    )
                )
        age = (today - country.emergency.provenance.checked_on).days
        if age > policy.stale_after_days:
            problems.append(
                Problem(
                    country.emergency.where,
                    f"{country.code} emergency number was last checked {age} days ago; check it again",
                    "warning",
                )
            )
    return problems


def cross_references(
    answers: dict[str, Answer], routes: Mapping[str, object], crc: frozenset[int]
) -> list[Problem]:
    """Every answer's buttons, reporting routes and CRC articles exist; serious ones escalate."""
    problems: list[Problem] = []
    for answer in answers.values():
        for button in answer.buttons:
            if button.answer not in answers:
                problems.append(
                    Problem(
                        button.where,
                        f"the button '{button.label}' points to '{button.answer}', but there is no answer with that name",
                    )
                )
        for route_id in answer.reporting:
            if route_id not in routes:
                problems.append(
                    Problem(
                        answer.where,
                        f"answer '{answer.id}' lists the reporting route '{route_id}', which is not in reporting.yml",
                    )
                )
        for article in answer.crc_articles:
            if article not in crc:
                problems.append(
                    Problem(
                        answer.where,
                        f"answer '{answer.id}' cites CRC article {article}, which is not in crc.yml",
                    )
                )
        if answer.id in ESCALATING_INTENTS and answer.escalation is Escalation.NONE:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' is about a serious risk and must show a helpline (escalation: helpline, crisis or emergency)",
                )
            )
        if (
            answer.id in INTENTS
            and answer.id not in ("greet", "goodbye", "thanks", "out_of_scope")
            and not answer.crc_articles
        ):
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' must name the children's rights it rests on (crc_articles)",
                    "warning",
                )
            )
    return problems
