"""Everything ``safebot content check`` verifies: content files and the crisis rules' own tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.content import Problem, load_content
from bot.content.model import Where
from nlu.crisis import CrisisNet, CrisisRule, CrisisRuleError, RuleKind
from nlu.normalize import normalize

#: A non-example of these kinds must not be caught by any rule of these kinds.
_ESCALATING_KINDS = frozenset({RuleKind.EMERGENCY, RuleKind.CRISIS})


def _matching(rules: list[CrisisRule], example: str) -> list[str]:
    """The ids of the rules that fire on an example."""
    return [r.id for r in rules if r.matches(normalize(example))]


def check_crisis_rules(directory: Path) -> list[Problem]:
    """Load the rules and run each rule's examples and not-examples."""
    try:
        net = CrisisNet.from_dir(directory)
    except CrisisRuleError as error:
        return [Problem(None, str(error))]
    problems: list[Problem] = []
    for locale in net.locales:
        where = Where(directory / f"{locale}.yml", 1)
        rules = net.rules(locale)
        escalating = [r for r in rules if r.kind in _ESCALATING_KINDS]
        for rule in rules:
            for example in rule.examples:
                if not rule.matches(normalize(example)):
                    problems.append(
                        Problem(
                            where, f"rule '{rule.id}' does not match its own example '{example}'"
                        )
                    )
            if rule.kind is RuleKind.LOOKALIKE:
                for example in rule.examples:
                    if hits := _matching(escalating, example):
                        problems.append(
                            Problem(
                                where,
                                f"'{example}' is listed as harmless under '{rule.id}', but the rule(s) {', '.join(hits)} treat it as a crisis",
                            )
                        )
            for example in rule.not_examples:
                others = escalating if rule.kind in _ESCALATING_KINDS else [rule]
                if hits := _matching(others, example):
                    problems.append(
                        Problem(
                            where,
                            f"'{example}' is listed as not a crisis under '{rule.id}', but the rule(s) {', '.join(hits)} match it",
                        )
                    )
    return problems


def check_all(
    content_dir: Path, crisis_dir: Path, *, today: dt.date | None = None
) -> list[Problem]:
    """All problems, errors first (``today`` dates the review and staleness checks)."""
    _, problems = load_content(content_dir, today=today)
    problems = problems + check_crisis_rules(crisis_dir)
    return sorted(problems, key=lambda p: p.severity != "error")
