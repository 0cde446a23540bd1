"""Normalisation before the crisis net: invisible characters and look-alike letters."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.settings import PROJECT_ROOT
from nlu.crisis import CrisisNet, NetVerdict, RuleKind
from nlu.normalize import LOOKALIKES, normalize

NET = CrisisNet.from_dir(PROJECT_ROOT / "nlu" / "crisis_rules")
ESCALATING = [
    (locale, example)
    for locale in NET.locales
    for rule in NET.rules(locale)
    if rule.kind in (RuleKind.CRISIS, RuleKind.EMERGENCY)
    for example in rule.examples
]
#: Default-ignorable characters outside the format category (grapheme joiner, Hangul fillers,
#: variation selectors, Mongolian selectors, Khmer inherent vowels).
_OTHER_INVISIBLE = [
    "\u034f",
    "\u115f",
    "\u1160",
    "\u17b4",
    "\u17b5",
    "\u180b",
    "\u180f",
    "\u3164",
    "\uffa0",
    *map(chr, range(0xFE00, 0xFE10)),
    "\U000e0100",
    "\U000e01ef",
]
INVISIBLE = st.one_of(
    st.characters(categories=["Cf"]),
    st.characters(categories=["Cc"]).filter(lambda c: not c.isspace()),
    st.sampled_from(_OTHER_INVISIBLE),
)


def _escalates(verdict: NetVerdict) -> bool:
    return verdict.crisis is not None or verdict.emergency is not None


def test_every_crisis_example_escalates_as_written() -> None:
    assert len(ESCALATING) > 300
    assert all(_escalates(NET.check(text, locale)) for locale, text in ESCALATING)


@settings(max_examples=400, deadline=None)
@given(
    case=st.sampled_from(ESCALATING),
    insertions=st.lists(st.tuples(st.integers(min_value=0), INVISIBLE), min_size=1, max_size=8),
)
def test_invisible_characters_anywhere_do_not_hide_a_crisis(
    case: tuple[str, str], insertions: list[tuple[int, str]]
) -> None:
    locale, text = case
    for position, character in insertions:
        at = position % (len(text) + 1)
        text = text[:at] + character + text[at:]
    assert _escalates(NET.check(text, locale)), ascii(text)


_SWAP = {**LOOKALIKES, **{v: k for k, v in LOOKALIKES.items()}}


@settings(max_examples=400, deadline=None)
@given(case=st.sampled_from(ESCALATING), data=st.data())
def test_look_alike_letters_of_the_other_script_do_not_hide_a_crisis(
    case: tuple[str, str], data: st.DataObject
) -> None:
    locale, text = case
    positions = [i for i, c in enumerate(text) if c in _SWAP]
    assume(positions)
    chosen = data.draw(st.sets(st.sampled_from(positions), min_size=1))
    for word in re.finditer(r"\w+", text):  # the rest of each word stays in its own script
        letters = set(range(word.start(), word.end()))
        if letters <= chosen:
            chosen.discard(word.start())
    assume(chosen)
    swapped = "".join(_SWAP[c] if i in chosen else c for i, c in enumerate(text))
    assert _escalates(NET.check(swapped, locale)), ascii(swapped)


def test_format_and_control_characters_are_removed() -> None:
    assert normalize("i want to d\u00adi\u2066e\u2069 \u034fto\x00night\u200d") == (
        "i want to die tonight"
    )
    assert normalize("line\none\ttwo") == "line one two"  # real whitespace stays a space


def test_look_alikes_fold_to_the_script_of_the_rest_of_the_word() -> None:
    cyrillic_a, latin_o = "\u0430", "o"
    assert normalize(f"i w{cyrillic_a}nt to kill myself") == "i want to kill myself"
    assert normalize(f"я хочу умереть сег{latin_o}дня") == "я хочу умереть сегодня"
    # A word of look-alikes only goes by the rest of the message.
    assert normalize("i want to kill my \u0455\u0435\u04cff") == "i want to kill my self"
    # A whole word in one script is left alone, whatever the rest of the message.
    assert normalize("\u0441\u043e\u0440 is a word") == "\u0441\u043e\u0440 is a word"
    assert normalize("я тоже, to") == "я тоже, to"
    assert normalize("xoчу") == "хочу"


def test_lookalike_table_pairs_latin_with_cyrillic() -> None:
    for latin, cyrillic in LOOKALIKES.items():
        assert unicodedata.name(latin).startswith("LATIN"), latin
        assert unicodedata.name(cyrillic).startswith("CYRILLIC"), cyrillic
