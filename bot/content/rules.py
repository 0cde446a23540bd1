"""What makes an answer right for a child, beyond its schema: the rules of the content policy.

Each rule returns problems in plain words, naming the file and line an editor must look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import partial

from bot.content.fingerprint import fingerprint
from bot.content.model import (
    INTERNATIONAL,
    Answer,
    Country,
    Escalation,
    LocaleContent,
    Problem,
    Provenance,
    Review,
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


def _at_offset(answer: Answer, offset: int) -> Where:
    """The file line of a phrase found in an answer's text (inside a ``text: |`` block too)."""
    return Where(answer.where.file, answer.line_at(offset))


def _texts(lc: LocaleContent) -> Iterable[tuple[Callable[[int], Where], str, str]]:
    """Every text a child reads, with the way to turn a place in it into a file line."""
    for answer in lc.answers.values():
        yield partial(_at_offset, answer), f"answer '{answer.id}'", answer.text
        for button in answer.buttons:
            yield partial(_fixed, button.where), f"the button '{button.label}'", button.label
    for key, text in lc.ui.items():
        where = Where(lc.where.file, lc.ui_lines.get(key, 1))
        yield partial(_fixed, where), f"the text '{key}'", text


def _fixed(where: Where, _offset: int) -> Where:
    return where


def blame(policy: Policy, lc: LocaleContent) -> list[Problem]:
    """Nothing the child reads may blame or shame them."""
    problems = []
    for where, what, text in _texts(lc):
        for pattern in policy.blame_phrases.get(lc.locale, ()):
            found = pattern.search(text)
            if found:
                problems.append(
                    Problem(
                        where(found.start()),
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
            # "İ".lower() is "i" plus a combining dot, which no pattern expects.
            found = pattern.search(answer.text.replace("İ", "i").lower())
            if found:
                problems.append(
                    Problem(
                        _at_offset(answer, found.start()),
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


def review_command(answer: Answer, locale: str) -> str:
    """The command a reviewer runs after reading an answer."""
    return f'safebot content review {answer.id} --locale {locale} --by "YOUR NAME"'


def counting_reviews(answer: Answer, today: dt.date) -> list[Review]:
    """The reviews of the current text: same fingerprint, not dated in the future.

    ``written_on`` does not decide: an edit that forgets it still changes the fingerprint.
    """
    current = fingerprint(answer)
    return [r for r in answer.reviews if r.fingerprint == current and r.on <= today]


def reviewers_needed(policy: Policy, answer: Answer) -> int:
    """Two different reviewers for serious topics, one otherwise."""
    return 2 if answer.id in policy.two_reviewers_for else 1


def _reviewers(reviews: Iterable[Review]) -> list[str]:
    names: dict[str, str] = {}
    for review in reviews:
        names.setdefault(review.by.strip().lower(), review.by.strip())
    return list(names.values())


def is_reviewed(policy: Policy, answer: Answer, today: dt.date) -> bool:
    """Whether enough different people reviewed the text as it is now."""
    return len(_reviewers(counting_reviews(answer, today))) >= reviewers_needed(policy, answer)


def unreviewed(policy: Policy, lc: LocaleContent, today: dt.date) -> frozenset[str]:
    """The answers of a language whose current text lacks the reviews it needs."""
    return frozenset(a.id for a in lc.answers.values() if not is_reviewed(policy, a, today))


def _earlier(reviews: list[Review]) -> str:
    parts = [f"{r.by} reviewed it on {r.on}" for r in reviews]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def reviews(policy: Policy, lc: LocaleContent, today: dt.date) -> list[Problem]:
    """Every answer's current text is reviewed; serious topics by two different reviewers."""
    problems = []
    for answer in lc.answers.values():
        command = review_command(answer, lc.locale)
        counting = counting_reviews(answer, today)
        names = _reviewers(counting)
        needed = reviewers_needed(policy, answer)
        # Reviews of words that are gone (or that never said which words they reviewed).
        earlier = [r for r in answer.reviews if r.on <= today and r not in counting]
        if not answer.reviews:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' has no review; ask a reviewer to read it and run: "
                    f"{command}",
                )
            )
        elif not names and earlier:
            # The reviews of the last reviewed version: the one this text was changed from.
            last = [r for r in earlier if r.fingerprint == earlier[-1].fingerprint]
            if last[-1].fingerprint:
                message = f"the text of answer '{answer.id}' changed since {_earlier(last)}"
            else:
                message = (
                    f"answer '{answer.id}': no review says which text it checked (the "
                    f"'fingerprint' is missing), so none counts"
                )
            problems.append(
                Problem(
                    Where(answer.where.file, last[-1].line or answer.where.line),
                    f"{message}; ask a reviewer to check it again ({command})",
                )
            )
        elif len(names) < needed:
            older = f"; {_earlier(earlier)}, but the text changed since" if earlier else ""
            if needed == 1:
                message = f"answer '{answer.id}' has no review of its current text{older}"
            else:
                who = f": {', '.join(names)}" if names else ""
                message = (
                    f"answer '{answer.id}' is about a serious risk and needs {needed} different "
                    f"reviewers of its current text before it can be published (it has "
                    f"{len(names)}{who}{older})"
                )
            ask = "another reviewer" if names else "a reviewer"
            problems.append(Problem(answer.where, f"{message}; ask {ask} to run: {command}"))
        if answer.written_on is not None and answer.written_on > today:
            problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}': written_on is in the future ({answer.written_on})",
                    "warning",
                )
            )
        for review in answer.reviews:
            if review.on > today:
                problems.append(
                    Problem(
                        Where(answer.where.file, review.line or answer.where.line),
                        f"answer '{answer.id}': the review by {review.by} is dated in the "
                        f"future ({review.on}), so it does not count",
                    )
                )
    return problems


def _dated(provenance: Provenance) -> bool:
    """Whether a fact has a real ``checked_on``.

    A missing or malformed date (or a missing entry) is already an error of its own, and its
    age would be a meaningless knock-on warning.
    """
    return provenance.checked_on != dt.date.min


def helplines(policy: Policy, countries: dict[str, Country], today: dt.date) -> list[Problem]:
    """Helpline facts age: flag entries not checked for too long, and unknown opening hours."""
    problems = []
    for country in countries.values():
        if country.is_fallback:
            continue
        for helpline in country.helplines:
            age = (today - helpline.provenance.checked_on).days
            if _dated(helpline.provenance) and age > policy.stale_after_days:
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
        if _dated(country.emergency.provenance) and age > policy.stale_after_days:
            problems.append(
                Problem(
                    country.emergency.where,
                    f"{country.code} emergency number was last checked {age} days ago; check it again",
                    "warning",
                )
            )
    return problems


def cross_references(
    answers: dict[str, Answer],
    routes: Mapping[str, object],
    crc: frozenset[int],
    *,
    unreadable_answers: frozenset[str] = frozenset(),
    routes_known: bool = True,
    crc_known: bool = True,
) -> list[Problem]:
    """Every answer's buttons, reporting routes and CRC articles exist; serious ones escalate.

    What an unreadable file holds is unknown: its answer, routes (``routes_known``) or articles
    (``crc_known``) are not reported missing again, once per answer that names them.
    """
    problems: list[Problem] = []
    for answer in answers.values():
        for button in answer.buttons:
            if button.answer not in answers and button.answer not in unreadable_answers:
                problems.append(
                    Problem(
                        button.where,
                        f"the button '{button.label}' points to '{button.answer}', but there is no answer with that name",
                    )
                )
        for route_id in answer.reporting:
            if routes_known and route_id not in routes:
                problems.append(
                    Problem(
                        answer.where,
                        f"answer '{answer.id}' lists the reporting route '{route_id}', which is not in reporting.yml",
                    )
                )
        for article in answer.crc_articles:
            if crc_known and article not in crc:
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
