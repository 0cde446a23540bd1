"""Load ``content/``: every file read by its own module, then the rules; nothing served on errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.clock import system_clock
from bot.content import rules
from bot.content.collector import Collector
from bot.content.helplines import load_countries
from bot.content.locales import load_locale
from bot.content.model import (
    Content,
    LocaleContent,
    Problem,
)
from bot.content.policy_file import load_policy
from bot.content.reporting import load_crc, load_routes
from bot.content.roles import check_role_answers, load_roles


def _locale_dirs(c: Collector) -> Iterable[Path]:
    for locale in c.policy.locales:
        directory = c.root / locale
        if not (directory / "ui.yml").is_file():
            c.problems.append(
                Problem(
                    None,
                    f"policy.yml enables the language '{locale}', but {directory / 'ui.yml'} does not exist",
                )
            )
            continue
        yield directory
    for directory in sorted(p for p in c.root.iterdir() if p.is_dir()):
        if (directory / "ui.yml").is_file() and directory.name not in c.policy.locales:
            c.problems.append(
                Problem(
                    None,
                    f"the language folder '{directory.name}' is not listed in policy.yml 'locales', so the bot does not offer it",
                    "warning",
                )
            )


@dataclass(frozen=True)
class Draft:
    """Content as the files are now, before the publishing gate decides what children get.

    ``content`` is built when the only errors are missing reviews, and then still holds the
    unreviewed answers: only ``load_content`` (which refuses them) or the publishing gate
    (``bot.content.publishing``) may turn it into served content.
    """

    content: Content | None
    problems: list[Problem]
    #: (locale, answer id) of every answer whose current text lacks the reviews it needs.
    unreviewed: frozenset[tuple[str, str]] = frozenset()


def load_draft(root: Path, *, today: dt.date | None = None) -> Draft:
    """Load and check all content, keeping unreviewed answers apart from other errors."""
    c = Collector(root)
    if not root.is_dir():
        return Draft(None, [Problem(None, f"the content folder {root} does not exist")])
    c.policy = load_policy(c)
    countries = load_countries(c)
    routes = load_routes(c, countries)
    crc = load_crc(c)
    locales: dict[str, LocaleContent] = {}
    for directory in _locale_dirs(c):
        loaded = load_locale(c, directory, countries, routes, crc)
        if loaded is not None:
            locales[loaded.locale] = loaded
    today = system_clock().date() if today is None else today
    roles = load_roles(c)
    check_role_answers(c, roles, locales)
    review_problems: list[Problem] = []
    unreviewed: set[tuple[str, str]] = set()
    for lc in locales.values():
        c.problems += rules.readability(c.policy, lc)
        c.problems += rules.blame(c.policy, lc)
        c.problems += rules.safe_messaging(c.policy, lc)
        found = rules.reviews(c.policy, lc, today)
        review_problems += found
        c.problems += found
        unreviewed |= {
            (lc.locale, answer_id) for answer_id in rules.unreviewed(c.policy, lc, today)
        }
    c.problems += rules.helplines(c.policy, countries, today)
    if not locales:
        c.problems.append(
            Problem(None, f"no language folder (like {root / 'en'}) with a ui.yml was found")
        )
    other_errors = [
        p for p in c.problems if p.severity == "error" and not any(p is r for r in review_problems)
    ]
    if other_errors:
        return Draft(None, c.problems, frozenset(unreviewed))
    content = Content(
        locales=locales,
        countries=countries,
        routes=routes,
        crc_articles=crc,
        directory=root,
        warnings=tuple(p for p in c.problems if p.severity == "warning"),
        policy=c.policy,
        roles=roles,
    )
    return Draft(content, c.problems, frozenset(unreviewed))


def load_content(
    root: Path, *, today: dt.date | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load all content; returns it (or None when there are errors) and every problem found."""
    draft = load_draft(root, today=today)
    if any(p.severity == "error" for p in draft.problems):
        return None, draft.problems
    return draft.content, draft.problems
