"""The content policy (``content/policy.yml``): every limit the check applies, in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class UnreviewedAnswers(StrEnum):
    """What a running bot does when new content brings an unreviewed non-escalating answer.

    Escalating answers always keep their last reviewed text until the new one is reviewed.
    """

    #: Publish nothing of the new content until every answer is reviewed (the default).
    REFUSE_PUBLISH = "refuse_publish"
    #: Publish the rest; that answer keeps its last reviewed text.
    KEEP_LAST_REVIEWED = "keep_last_reviewed"


@dataclass(frozen=True)
class Readability:
    """A readability measure and its limit for one language."""

    measure: str
    max: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class Policy:
    """Limits and phrase lists; defaults apply where the file says nothing."""

    locales: tuple[str, ...] = ("en",)
    max_answer_chars: int = 700
    max_button_chars: int = 30
    stale_after_days: int = 365
    two_reviewers_for: frozenset[str] = frozenset({"self_harm", "grooming", "intimate_images"})
    readability: dict[str, Readability] = field(default_factory=dict)
    blame_phrases: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    safe_messaging_for: frozenset[str] = frozenset({"self_harm"})
    forbidden_in_safe_messaging: dict[str, tuple[re.Pattern[str], ...]] = field(
        default_factory=dict
    )
    hope_first: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unreviewed_answers: UnreviewedAnswers = UnreviewedAnswers.REFUSE_PUBLISH
