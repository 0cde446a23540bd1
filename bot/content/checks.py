"""Everything ``safebot content check`` verifies: content files and the crisis rules' own tests."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

from bot.content import Problem, load_content
from bot.content.model import Where
from nlu.answer_evaluation import AnswerTestError
from nlu.crisis import CrisisNet, CrisisRule, CrisisRuleError, RuleKind
from nlu.crisis_evaluation import CrisisTestError
from nlu.leakage import leaked_examples
from nlu.normalize import normalize
from nlu.training_data import (
    TrainingDataError,
    View,
    available_locales,
    data_files,
    read_nlu_dir,
)

#: A non-example of these kinds must not be caught by any rule of these kinds.
_ESCALATING_KINDS = frozenset({RuleKind.EMERGENCY, RuleKind.CRISIS})


def _matching(net: CrisisNet, locale: str, among: list[CrisisRule], example: str) -> list[str]:
    """The ids of the rules ``among`` a locale's that fire on an example."""
    wanted = {id(rule) for rule in among}
    return [r.id for r in net.matching_rules(example, locale) if id(r) in wanted]


def check_crisis_rules(directory: Path) -> list[Problem]:
    """Load the rules and run each rule's examples and not-examples."""
    try:
        net = CrisisNet.from_dir(directory)
    except CrisisRuleError as error:
        return [Problem(None, str(error))]
    problems: list[Problem] = []
    for locale in net.locales:
        path = directory / f"{locale}.yml"
        lines = _rule_lines(path)
        rules = net.rules(locale)
        escalating = [r for r in rules if r.kind in _ESCALATING_KINDS]
        for rule in rules:
            where = Where(path, lines.get(rule.id, 1))
            for example in rule.examples:
                if not rule.matches(normalize(example)):
                    problems.append(
                        Problem(
                            where, f"rule '{rule.id}' does not match its own example '{example}'"
                        )
                    )
            if rule.kind is RuleKind.LOOKALIKE:
                for example in rule.examples:
                    if hits := _matching(net, locale, escalating, example):
                        problems.append(
                            Problem(
                                where,
                                f"'{example}' is listed as harmless under '{rule.id}', but the rule(s) {', '.join(hits)} treat it as a crisis",
                            )
                        )
            for example in rule.not_examples:
                others = escalating if rule.kind in _ESCALATING_KINDS else [rule]
                if hits := _matching(net, locale, others, example):
                    problems.append(
                        Problem(
                            where,
                            f"'{example}' is listed as not a crisis under '{rule.id}', but the rule(s) {', '.join(hits)} match it",
                        )
                    )
    return problems


_RULE_ID = re.compile(r"^\s*-\s*id:\s*['\"]?([\w.-]+)")


def _rule_lines(path: Path) -> dict[str, int]:
    """The line where each crisis rule of a file starts (its ``- id:``)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if found := _RULE_ID.match(line):
            lines.setdefault(found.group(1), number)
    return lines


def _line_of(directory: Path, text: str) -> Where | None:
    """The file and line of a training example (for an editor to find it)."""
    for path in sorted(directory.rglob("*.yml")):
        for number, example in _example_lines(path):
            if example == text:
                return Where(path, number)
    return None


def _example_lines(path: Path) -> list[tuple[int, str]]:
    """The examples of a Rasa NLU file with their line numbers (lines of ``examples: |``)."""
    found: list[tuple[int, str]] = []
    block_indent: int | None = None  # the indentation of the open ``examples: |`` key
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if block_indent is not None and stripped and indent <= block_indent:
            block_indent = None
        if block_indent is None:
            if stripped.lstrip("- ").startswith("examples:"):
                block_indent = indent + (2 if stripped.startswith("- ") else 0)
        elif stripped.startswith("- "):
            found.append((number, stripped[2:].strip()))
    return found


def _repeated_examples(locale_dir: Path) -> list[Problem]:
    """Examples one model would read twice (ignoring case): each repeat, where it is."""
    problems: dict[Where, Problem] = {}
    for view in View:
        first: dict[str, Where] = {}
        for path in data_files(locale_dir, view):
            for number, text in _example_lines(path):
                where = Where(path, number)
                earlier = first.setdefault(text.lower(), where)
                if earlier != where and where not in problems:
                    problems[where] = Problem(
                        where,
                        f"the training example '{text}' is already in {earlier.file.name}, line "
                        f"{earlier.line}, and the {view.value} model reads both: remove one "
                        "(a repeated example counts twice in training)",
                    )
    return list(problems.values())


def check_training_data(training_dir: Path, testsets_dir: Path) -> list[Problem]:
    """Unreadable training files, examples one model reads twice, near-copies of test messages."""
    problems: list[Problem] = []
    for locale in available_locales(training_dir):
        try:
            read_nlu_dir(training_dir / locale)
            leaks = leaked_examples(training_dir / locale, testsets_dir / locale)
        except (TrainingDataError, CrisisTestError, AnswerTestError) as error:
            # A broken training or test file: its own message names it, and nothing else of
            # this locale is compared (no knock-on errors).
            problems.append(Problem(None, str(error)))
            continue
        problems.extend(_repeated_examples(training_dir / locale))
        for leak in leaks:
            problems.append(
                Problem(
                    _line_of(training_dir / locale, leak.training_text),
                    f"the training example '{leak.training_text}' nearly copies a message of the "
                    f"test file {leak.test_file.name}: write your own wording, or the test "
                    "figures stop meaning anything",
                )
            )
    return problems


def check_all(
    content_dir: Path,
    crisis_dir: Path,
    *,
    today: dt.date | None = None,
    nlu_dir: Path | None = None,
) -> list[Problem]:
    """All problems, errors first (``today`` dates the review and staleness checks).

    With ``nlu_dir`` (the folder holding ``training/`` and ``testsets/``) the training data is
    checked too.
    """
    _, problems = load_content(content_dir, today=today)
    problems = problems + check_nlu_files(crisis_dir, nlu_dir)
    return sorted(problems, key=lambda p: p.severity != "error")


def check_nlu_files(crisis_dir: Path, nlu_dir: Path | None = None) -> list[Problem]:
    """The crisis rules and (with ``nlu_dir``) the training data and test files.

    Files are named as the editor sees them (``nlu/training/en/…``), for the content check and
    ``safebot train`` alike.
    """
    problems = [_shown_from(crisis_dir.parent.parent, p) for p in check_crisis_rules(crisis_dir)]
    if nlu_dir is not None:
        problems += [
            _shown_from(nlu_dir.parent, p)
            for p in check_training_data(nlu_dir / "training", nlu_dir / "testsets")
        ]
    return problems


def _shown_from(base: Path, problem: Problem) -> Problem:
    """A problem with its file named from ``base``, as the content files are.

    ``nlu/training/en/…`` rather than a full path only this machine has.
    """
    if problem.where is None:
        # A whole-file problem names its file in the message.
        return replace(problem, message=problem.message.replace(f"{base}/", ""))
    try:
        shown = problem.where.file.relative_to(base)
    except ValueError:
        return problem
    return replace(problem, where=Where(shown, problem.where.line))
