"""``policy.yml``: the languages served and the editorial policy the rules check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.content import rules
from bot.content.collector import Collector, str_list
from bot.content.policy import Policy, Readability, UnreviewedAnswers
from bot.content.yaml_lines import LineDict


def _patterns(
    c: Collector, path: Path, table: Any, what: str
) -> dict[str, tuple[re.Pattern[str], ...]]:
    result: dict[str, tuple[re.Pattern[str], ...]] = {}
    if not isinstance(table, LineDict):
        return result
    for locale, items in table.items():
        compiled = []
        for item in items if isinstance(items, list) else []:
            try:
                compiled.append(re.compile(str(item), re.IGNORECASE))
            except re.error as error:
                c.error(
                    path,
                    table.line_of(locale),
                    f"{what} for '{locale}': the pattern {item!r} is not valid ({error})",
                )
        result[str(locale)] = tuple(compiled)
    return result


def load_policy(c: Collector) -> Policy:
    """The policy of ``policy.yml`` (defaults where it says nothing)."""
    path = c.root / "policy.yml"
    data = c.read(path, "The content policy")
    if data is None:
        return Policy()
    locales = str_list(data.get("locales")) or ["en"]
    readability: dict[str, Readability] = {}
    table = data.get("readability")
    if isinstance(table, LineDict):
        for locale, entry in table.items():
            if not isinstance(entry, LineDict) or entry.get("measure") not in rules.MEASURES:
                names = ", ".join(sorted(rules.MEASURES))
                c.error(
                    path,
                    table.line_of(locale),
                    f"readability for '{locale}' needs a measure: one of {names}",
                )
                continue
            readability[str(locale)] = Readability(
                str(entry["measure"]), entry.get("max"), entry.get("min")
            )
    safe = data.get("safe_messaging")
    safe = safe if isinstance(safe, LineDict) else LineDict()
    hope = safe.get("hope_first")
    raw_unreviewed = str(data.get("unreviewed_answers", UnreviewedAnswers.REFUSE_PUBLISH.value))
    try:
        unreviewed = UnreviewedAnswers(raw_unreviewed)
    except ValueError:
        choices = " or ".join(v.value for v in UnreviewedAnswers)
        c.error(
            path,
            data.line_of("unreviewed_answers"),
            f"unreviewed_answers must be {choices}, not '{raw_unreviewed}'",
        )
        unreviewed = UnreviewedAnswers.REFUSE_PUBLISH
    return Policy(
        locales=tuple(locales),
        max_answer_chars=int(data.get("max_answer_chars", 700)),
        max_button_chars=int(data.get("max_button_chars", 30)),
        stale_after_days=int(data.get("stale_after_days", 365)),
        two_reviewers_for=frozenset(str_list(data.get("two_reviewers_for")) or ()),
        readability=readability,
        blame_phrases=_patterns(c, path, data.get("blame_phrases"), "blame_phrases"),
        safe_messaging_for=frozenset(str_list(safe.get("applies_to")) or ()),
        forbidden_in_safe_messaging=_patterns(c, path, safe.get("forbidden"), "safe_messaging"),
        hope_first={
            str(k): tuple(str(w).lower() for w in v)
            for k, v in (hope.items() if isinstance(hope, LineDict) else [])
            if isinstance(v, list)
        },
        unreviewed_answers=unreviewed,
    )
