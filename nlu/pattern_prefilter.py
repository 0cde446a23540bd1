r"""Skip regular expressions that cannot match: the literal text every match must contain.

The crisis net holds a few thousand hand-written patterns and reads every message with all of
them. Most patterns need some literal text ("pills", "kill", "таблет") somewhere in any match, and
an ordinary message contains few of those. This module reads each pattern's parse tree, works out
a set of literal strings of which every match contains at least one (a *necessary set*), and finds
all of them in a message with one Aho-Corasick pass. A pattern whose necessary set is absent from
the message cannot match and is not run; a pattern without a usable set is always run.

The analysis is conservative by construction: whatever it cannot reason about (character
classes that are too wide, ``\\w``, ``.``, back-references, case-insensitive flags, negative
lookarounds) gives "no requirement", never a wrong one. The tests check it against every example,
non-example and test message the project has: a pattern that matches is always a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import product
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import ahocorasick

#: The most strings one necessary set may hold (character classes multiply them).
MAX_SET = 64
#: The most characters a character class may hold to count as a literal.
MAX_CLASS = 8

Strings = frozenset[str]


def _class_chars(items: list[tuple[object, object]]) -> Strings | None:
    chars: set[str] = set()
    for op, value in items:
        if op is sre.LITERAL and isinstance(value, int):
            chars.add(chr(value))
        elif op is sre.RANGE and isinstance(value, tuple):
            low, high = value
            if high - low >= MAX_CLASS:
                return None
            chars.update(chr(code) for code in range(low, high + 1))
        else:
            return None  # NEGATE, CATEGORY (\w, \d, \s): too wide
        if len(chars) > MAX_CLASS:
            return None
    return frozenset(chars)


def _concat(left: Strings, right: Strings) -> Strings | None:
    if len(left) * len(right) > MAX_SET:
        return None
    return frozenset(a + b for a, b in product(left, right))


def _ignores_case(add_flags: int) -> bool:
    return bool(add_flags & re.IGNORECASE)


def _finite(item: tuple[object, object]) -> Strings | None:
    """Every string one parse item can match, when they are few; ``None`` otherwise."""
    op, value = item
    if op is sre.LITERAL and isinstance(value, int):
        return frozenset({chr(value)})
    if op is sre.IN and isinstance(value, list):
        return _class_chars(value)
    if op is sre.AT:
        return frozenset({""})
    if op is sre.SUBPATTERN and isinstance(value, tuple):
        _group, add_flags, _del_flags, sub = value
        return None if _ignores_case(add_flags) else _finite_sequence(sub)
    if op is sre.BRANCH and isinstance(value, tuple):
        union: set[str] = set()
        for branch in value[1]:
            strings = _finite_sequence(branch)
            if strings is None:
                return None
            union |= strings
        return frozenset(union) if len(union) <= MAX_SET else None
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and isinstance(value, tuple):
        low, high, sub = value
        if low == 0 and high == 1:
            strings = _finite_sequence(sub)
            return None if strings is None else strings | {""}
        return None
    return None


def _finite_sequence(items: Iterable[tuple[object, object]]) -> Strings | None:
    strings: Strings | None = frozenset({""})
    for item in items:
        part = _finite(item)
        if part is None or strings is None:
            return None
        strings = _concat(strings, part)
    return strings


def _better(a: Strings | None, b: Strings | None) -> Strings | None:
    """The more selective of two necessary sets: longer shortest string, then fewer strings."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda s: (min(len(x) for x in s), -len(s)))


def _usable(strings: Strings | None) -> Strings | None:
    if strings is None or not strings or any(len(s) == 0 for s in strings):
        return None
    return strings


def _necessary(item: tuple[object, object]) -> Strings | None:
    """A set of strings one of which every match of this item contains, or ``None``."""
    op, value = item
    if op is sre.SUBPATTERN and isinstance(value, tuple):
        _group, add_flags, _del_flags, sub = value
        return None if _ignores_case(add_flags) else _necessary_sequence(sub)
    if op is sre.ATOMIC_GROUP:
        return _necessary_sequence(value)  # type: ignore[arg-type]
    if op is sre.BRANCH and isinstance(value, tuple):
        union: set[str] = set()
        for branch in value[1]:
            strings = _necessary_sequence(branch)
            if strings is None:
                return None
            union |= strings
        return frozenset(union) if len(union) <= MAX_SET * 4 else None
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and isinstance(value, tuple):
        low, _high, sub = value
        return _necessary_sequence(sub) if low >= 1 else None
    if op is sre.ASSERT and isinstance(value, tuple):
        return _necessary_sequence(value[1])  # a lookaround that must hold: its text is there
    return _usable(_finite(item))


def _necessary_sequence(items: Sequence[tuple[object, object]]) -> Strings | None:
    best: Strings | None = None
    run: Strings = frozenset({""})
    for item in items:
        part = _finite(item)
        joined = _concat(run, part) if part is not None else None
        if joined is not None:
            run = joined
            continue
        best = _better(best, _usable(run))
        best = _better(best, _necessary(item))
        run = part if part is not None else frozenset({""})
    return _better(best, _usable(run))


def necessary_strings(pattern: re.Pattern[str]) -> Strings | None:
    """Strings one of which every match of ``pattern`` contains; ``None`` when unknown."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError):
        return None
    strings = _necessary_sequence(list(parsed))
    if strings is None:
        return None
    # "pill" already covers "pills": a string that contains another one adds nothing.
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


class PatternPrefilter:
    """Which of a list of patterns could match a text, found in one pass over the text."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self._always: list[int] = []
        owners: dict[str, list[int]] = {}
        for index, pattern in enumerate(patterns):
            strings = necessary_strings(pattern)
            if strings is None:
                self._always.append(index)
                continue
            for string in strings:
                owners.setdefault(string, []).append(index)
        self._automaton = ahocorasick.Automaton()
        for string, indexes in owners.items():
            self._automaton.add_word(string, tuple(indexes))
        if owners:
            self._automaton.make_automaton()
        self._has_words = bool(owners)

    @property
    def always_run(self) -> int:
        """How many patterns have no usable literal and run on every text."""
        return len(self._always)

    def candidates(self, text: str) -> set[int]:
        """The indexes of the patterns that may match ``text`` (all that do, and some more)."""
        found = set(self._always)
        if self._has_words:
            for _end, indexes in self._automaton.iter(text):
                found.update(indexes)
        return found
