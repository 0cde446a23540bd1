"""The publishing gate of a running bot: nothing unreviewed reaches a child.

When changed content is loaded while the bot runs, an answer whose new text lacks its reviews
is not served. An escalating answer (and, when ``policy.yml`` says ``unreviewed_answers:
keep_last_reviewed``, any answer) keeps the text children were getting, which was reviewed;
the rest of the new content goes live. Otherwise nothing of the new content is published.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.content import rules
from bot.content.loader import Draft
from bot.content.model import Answer, Content, Escalation, Problem
from bot.content.policy import UnreviewedAnswers


@dataclass(frozen=True)
class Publication:
    """What the gate decided: the content to serve (None: keep the current one) and why."""

    content: Content | None
    #: (locale, answer id) of the answers that keep their last reviewed text.
    kept: tuple[tuple[str, str], ...] = ()
    #: Why nothing was published (each problem with file and line), when nothing was.
    refused: tuple[Problem, ...] = ()


def _escalates(*answers: Answer | None) -> bool:
    return any(a is not None and a.escalation is not Escalation.NONE for a in answers)


def publishable(current: Content, draft: Draft) -> Publication:
    """The content to serve after ``draft`` was loaded, given what is served now."""
    errors = tuple(p for p in draft.problems if p.severity == "error")
    if draft.content is None:
        return Publication(None, refused=errors)
    new = draft.content
    keep_any = new.policy.unreviewed_answers is UnreviewedAnswers.KEEP_LAST_REVIEWED
    kept: list[tuple[str, str]] = []
    blocked: list[tuple[str, str]] = []
    locales = dict(new.locales)
    for locale, answer_id in sorted(draft.unreviewed):
        served = current.locales.get(locale)
        last = served.answers.get(answer_id) if served is not None else None
        draft_answer = locales[locale].answers.get(answer_id)
        # A text lowered to 'escalation: none' still escalates until that change is reviewed.
        if last is None or not (keep_any or _escalates(last, draft_answer)):
            blocked.append((locale, answer_id))
            continue
        answers = {**locales[locale].answers, answer_id: last}
        locales[locale] = dataclasses.replace(locales[locale], answers=answers)
        kept.append((locale, answer_id))
    if blocked:
        # Every error left is a missing review; they say which answers and what to run.
        return Publication(None, refused=errors)
    # A kept answer must still fit the new content (its buttons, routes and CRC articles).
    for locale in sorted({locale for locale, _ in kept}):
        answers = locales[locale].answers
        for problem in rules.cross_references(answers, new.routes, new.crc_articles):
            if problem.severity == "error":
                return Publication(None, refused=(problem,))
    return Publication(dataclasses.replace(new, locales=locales), kept=tuple(kept))
