"""Recording a review: one ``- by / on / fingerprint`` item added to an answer file.

The file is edited line by line, so the editor's comments, quotes and order stay as they were;
the result is read back, and the file restored if the review did not come out as intended.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.content import rules
from bot.content.answers import load_answer
from bot.content.collector import Collector
from bot.content.fingerprint import fingerprint
from bot.content.model import Answer, Where
from bot.content.policy_file import load_policy

_REVIEWS_KEY = re.compile(r"^reviews:\s*(?P<rest>[^#]*?)\s*(#.*)?$")
_ITEM = re.compile(r"^(?P<indent>\s*)- ")


class ReviewError(ValueError):
    """The review could not be recorded; the message says why and what to do."""


@dataclass(frozen=True)
class ReviewAdded:
    """A recorded review, and how far the answer is from publishable."""

    where: Where
    fingerprint: str
    #: False when this reviewer had already reviewed this very text (nothing was written).
    added: bool
    reviewers: tuple[str, ...]
    needed: int


def _read(root: Path, path: Path) -> tuple[Answer, Collector]:
    c = Collector(root)
    c.policy = load_policy(c)
    c.problems.clear()  # policy.yml's own problems are for `content check`, not this answer
    answer = load_answer(c, path)
    errors = [p for p in c.problems if p.severity == "error"]
    if answer is None or errors:
        listed = "\n".join(f"  {p}" for p in errors)
        raise ReviewError(
            f"{path} has errors; fix them (see `safebot content check`) before reviewing:\n{listed}"
        )
    return answer, c


def _insert(lines: list[str], item: list[str]) -> tuple[list[str], int]:
    """The file's lines with the review item added under ``reviews:``; and its 1-based line."""
    key = next((i for i, line in enumerate(lines) if _REVIEWS_KEY.match(line)), None)
    if key is None:
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        return [*lines, "reviews:", *("  " + part for part in item)], len(lines) + 2
    match = _REVIEWS_KEY.match(lines[key])
    rest = match.group("rest") if match else ""
    if rest and rest.replace(" ", "") != "[]":
        raise ReviewError(
            f"line {key + 1}: write the reviews as a list, one '- by: ...' item per line, "
            "not in square brackets"
        )
    last = key
    indent = "  "
    for number in range(key + 1, len(lines)):
        line = lines[number]
        if not line.strip() or line.startswith("#"):
            continue
        if not (line[0].isspace() or line.startswith("- ")):
            break  # the next top-level key
        found = _ITEM.match(line)
        if found and last == key:
            indent = found.group("indent")
        last = number
    head = [*lines[:key], "reviews:"] if rest else lines[: key + 1]
    added = [indent + part for part in item]
    return [*head, *lines[key + 1 : last + 1], *added, *lines[last + 1 :]], last + 2


def add_review(root: Path, locale: str, answer_id: str, *, by: str, on: dt.date) -> ReviewAdded:
    """Record that ``by`` reviewed the current text of an answer on ``on``."""
    path = root / locale / "answers" / f"{answer_id}.yml"
    if not path.is_file():
        raise ReviewError(f"there is no answer '{answer_id}' in '{locale}' (no file {path})")
    if not by.strip():
        raise ReviewError('say who reviewed the answer: --by "Your name (role)"')
    answer, c = _read(root, path)
    mark = fingerprint(answer)
    needed = rules.reviewers_needed(c.policy, answer)
    current = rules.counting_reviews(answer, on)
    if any(r.by.strip().lower() == by.strip().lower() for r in current):
        line = next(r.line for r in current if r.by.strip().lower() == by.strip().lower())
        return ReviewAdded(
            c.where(path, line), mark, False, tuple(sorted({r.by for r in current})), needed
        )
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    lines = raw.replace("\r\n", "\n").split("\n")
    ends_with_newline = lines[-1] == ""
    if ends_with_newline:
        lines = lines[:-1]
    item = [
        f"- by: {json.dumps(by.strip(), ensure_ascii=False)}",
        f'  "on": {on.isoformat()}',
        f'  fingerprint: "{mark}"',
    ]
    edited, line = _insert(lines, item)
    path.write_bytes((newline.join(edited) + newline).encode("utf-8"))
    try:
        after, _ = _read(root, path)
    except ReviewError:
        after = None
    if after is None or fingerprint(after) != mark or len(after.reviews) != len(answer.reviews) + 1:
        path.write_bytes(raw.encode("utf-8"))
        raise ReviewError(
            f"the review could not be added to {path} without changing the answer; add it by "
            "hand (see content/README.md)"
        )
    reviewers = rules.counting_reviews(after, on)
    return ReviewAdded(
        c.where(path, line), mark, True, tuple(sorted({r.by for r in reviewers})), needed
    )
