"""``safebot content check|preview|review``: the curated content as editors see it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, load_settings
from bot.settings import Settings


def check(settings: Settings, *, directory: Path | None = None) -> int:
    """Check content files, crisis rules and training data; each problem with file and line."""
    from bot.content.checks import check_all

    problems = check_all(
        directory or settings.content_dir, settings.crisis_rules_dir, nlu_dir=settings.nlu_dir
    )
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    warnings = len(problems) - len(errors)
    if errors:
        print(f"\n{len(errors)} error(s), {warnings} warning(s). Fix the errors, then check again.")
        return 1
    print(f"Content OK ({warnings} warning(s)).")
    return 0


def preview(
    settings: Settings,
    intent: str,
    *,
    locale: str = "en",
    country: str | None = None,
    directory: Path | None = None,
) -> int:
    """Show an answer exactly as a child would see it (text and buttons)."""
    from bot.content import load_content
    from bot.engine import preview_reply
    from bot.transports.console import render
    from nlu.intents import INTENTS

    content, problems = load_content(directory or settings.content_dir)
    if content is None:
        for problem in problems:
            if problem.severity == "error":
                print(problem)
        raise CliError("The content has errors; fix them before previewing (see above).")
    if locale not in content.locales:
        raise CliError(f"No language '{locale}'; available: {', '.join(sorted(content.locales))}")
    lc = content.locales[locale]
    if intent not in lc.answers:
        known = ", ".join(sorted(set(INTENTS) | set(lc.answers)))
        raise CliError(f"No answer called '{intent}'. Known: {known}")
    code = country.upper() if country else None
    if country and code not in content.countries:
        guess = lc.guess_country(country)
        hint = f" Did you mean {guess}?" if guess else ""
        raise CliError(
            f"No country '{code}' in helplines.yml. Use the two-letter ISO code "
            f"(the United Kingdom is GB).{hint}"
        )
    reply = preview_reply(
        content, intent, locale=locale, default_locale=settings.default_locale, country=code
    )
    text, _ = render([reply])
    where = lc.country_names.get(code, code) if code else "no country chosen"
    print(f"--- {intent} / {locale} / {where} ---\n")
    print(text)
    return 0


def review(
    settings: Settings,
    answer_id: str,
    *,
    locale: str,
    by: str,
    directory: Path | None = None,
) -> int:
    """Record that you reviewed an answer's current text (today, with its fingerprint)."""
    from bot.clock import system_clock
    from bot.content.reviewing import ReviewError, add_review

    try:
        result = add_review(
            directory or settings.content_dir,
            locale,
            answer_id,
            by=by,
            on=system_clock().date(),
        )
    except ReviewError as error:
        raise CliError(f"No review added: {error}") from None
    if result.added:
        print(
            f"Review added at {result.where}: {by.strip()} reviewed the current text of "
            f"'{answer_id}' ({locale}), fingerprint {result.fingerprint}."
        )
    else:
        print(
            f"{by.strip()} has already reviewed this text of '{answer_id}' ({locale}) "
            f"({result.where}); nothing added."
        )
    have = len(result.reviewers)
    if have >= result.needed:
        print(f"'{answer_id}' has the {result.needed} review(s) it needs: it can be published.")
    else:
        print(
            f"'{answer_id}' has {have} of the {result.needed} different reviewers it needs; "
            "ask another reviewer to read it and run this command too."
        )
    return 0


def _directory(args: argparse.Namespace) -> Path | None:
    return Path(args.directory) if args.directory else None


def _check(args: argparse.Namespace) -> int:
    return check(load_settings(), directory=_directory(args))


def _preview(args: argparse.Namespace) -> int:
    return preview(
        load_settings(),
        args.intent,
        locale=args.locale,
        country=args.country,
        directory=_directory(args),
    )


def _review(args: argparse.Namespace) -> int:
    return review(
        load_settings(),
        args.answer,
        locale=args.locale,
        by=args.by,
        directory=_directory(args),
    )


def register(sub: Any) -> None:
    """Add ``content check``, ``preview`` and ``review`` to ``safebot``'s sub-commands."""
    content = sub.add_parser("content", help="work with the curated content")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    parser = content_sub.add_parser("check", help=check.__doc__)
    parser.add_argument("directory", nargs="?", default=None)
    parser.set_defaults(func=_check)
    parser = content_sub.add_parser("preview", help=preview.__doc__)
    parser.add_argument("intent", help="an intent or answer name, e.g. grooming")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--country", default=None, help="two-letter code, e.g. GB")
    parser.add_argument("--dir", dest="directory", default=None, help="a working copy of content/")
    parser.set_defaults(func=_preview)
    parser = content_sub.add_parser("review", help=review.__doc__)
    parser.add_argument("answer", help="the answer's name (its file name), e.g. grooming")
    parser.add_argument("--locale", required=True, help="the language folder, e.g. en")
    parser.add_argument(
        "--by", required=True, help='who reviewed it, e.g. "Ana (child protection)"'
    )
    parser.add_argument("--dir", dest="directory", default=None, help="a working copy of content/")
    parser.set_defaults(func=_review)
