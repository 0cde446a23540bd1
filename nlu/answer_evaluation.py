"""Answer test sets: who writes and about what, so that each gets the answer written for them.

An answer test file (``nlu/testsets/<locale>/roles_*.yml``) lists messages with the ``role`` of
the writer (``self``, ``friend``, ``parent``, ``bully``) and the ``topic`` a person expects: an
intent (``grooming``...), a facet (``meeting``, ``eating_disorder``... see ``nlu.facets``) or
``other``. The figures:

* **role recall** per role: of the messages by a friend, parent or bully, the share read as such;
  and the share of the child's own messages read as someone else's (a wrong answer for them);
* **facet recall** per facet, and the share of messages without a facet given one;
* **answer accuracy**: the share whose role and facet are both right (the answer they get).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nlu.crisis_evaluation import message_list
from nlu.decision import Decision
from nlu.facets import FACETS
from nlu.roles import Role
from nlu.understanding import Understanding

#: Answer test files are named ``roles_*.yml``.
ANSWER_FILE_PREFIX = "roles_"


class AnswerTestError(ValueError):
    """An answer test file cannot be read; the message names the file."""


@dataclass(frozen=True)
class AnswerCase:
    """One test message, who wrote it and what it is about."""

    text: str
    role: Role
    topic: str

    @property
    def facet(self) -> str | None:
        """The facet a person expects, if the topic is one."""
        return self.topic if self.topic in FACETS else None


def read_answer_file(path: Path) -> list[AnswerCase]:
    """Read one answer test file."""
    cases = []
    for number, raw in enumerate(message_list(path, AnswerTestError), start=1):
        try:
            cases.append(AnswerCase(str(raw["text"]), Role(raw["role"]), str(raw["topic"])))
        except (KeyError, TypeError, ValueError):
            roles = ", ".join(role.value for role in Role)
            raise AnswerTestError(
                f"{path}: message {number} needs 'text', 'role' ({roles}) and 'topic'"
            ) from None
    return cases


@dataclass
class AnswerReport:
    """What one answer test file measured (texts of errors only for files that are not sealed)."""

    file: str
    locale: str
    messages: int
    #: role -> [read as that role, total]
    role_recall: dict[str, list[int]] = field(default_factory=dict)
    #: facet -> [given that facet, total]; "none" -> [given no facet, total without one]
    facet_recall: dict[str, list[int]] = field(default_factory=dict)
    answer_accuracy: float = 0.0
    #: (text, expected role/facet, got role/facet)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def score_answers(
    cases: list[AnswerCase], decisions: list[Decision], *, file: str, locale: str
) -> AnswerReport:
    """Compare decisions with what a person expects."""
    report = AnswerReport(file=file, locale=locale, messages=len(cases))
    roles: Counter[str] = Counter()
    roles_hit: Counter[str] = Counter()
    facets: Counter[str] = Counter()
    facets_hit: Counter[str] = Counter()
    right = 0
    for case, decision in zip(cases, decisions, strict=True):
        roles[case.role.value] += 1
        role_ok = decision.role == case.role.value
        roles_hit[case.role.value] += role_ok
        expected_facet = case.facet or "none"
        facets[expected_facet] += 1
        facet_ok = (decision.facet or "none") == expected_facet
        facets_hit[expected_facet] += facet_ok
        if role_ok and facet_ok:
            right += 1
        else:
            report.errors.append(
                (
                    case.text,
                    f"{case.role.value}/{expected_facet}",
                    f"{decision.role}/{decision.facet or 'none'}",
                )
            )
    report.role_recall = {name: [roles_hit[name], roles[name]] for name in sorted(roles)}
    report.facet_recall = {name: [facets_hit[name], facets[name]] for name in sorted(facets)}
    report.answer_accuracy = right / len(cases) if cases else 0.0
    return report


async def evaluate_answers(understanding: Understanding, path: Path, locale: str) -> AnswerReport:
    """Run the bot's own understanding over one answer test file."""
    cases = read_answer_file(path)
    decisions = await understanding.understand_all([case.text for case in cases], locale)
    return score_answers(cases, decisions, file=str(path), locale=locale)


def format_answer_report(report: AnswerReport) -> str:
    """A plain-text summary: recall per role and facet, and the answer accuracy."""
    lines = [
        f"answer accuracy    {report.answer_accuracy:.3f}   (role and narrower topic both right)"
    ]
    for title, table in (("role", report.role_recall), ("facet", report.facet_recall)):
        for name, (hit, total) in table.items():
            lines.append(f"  {title} {name:<20} {hit:>3}/{total:<3}")
    return "\n".join(lines)
