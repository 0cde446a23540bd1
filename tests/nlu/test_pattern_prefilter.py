"""The crisis net's literal prefilter never skips a pattern that matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import PROJECT_ROOT
from nlu.crisis import CrisisNet, NetVerdict, RuleHit
from nlu.crisis_evaluation import read_crisis_file
from nlu.keyboard_layout import cyrillic_reading
from nlu.normalize import normalize
from nlu.pattern_prefilter import PatternPrefilter, necessary_strings
from nlu.training_data import read_nlu_dir, read_nlu_file

NET = CrisisNet.from_dir(PROJECT_ROOT / "nlu" / "crisis_rules")
PATTERNS = [
    pattern for locale in NET.locales for rule in NET.rules(locale) for pattern in rule.patterns
]
PREFILTER = PatternPrefilter(PATTERNS)


#: The exhaustive check runs every pattern on every message (about 3,000 patterns): on all of them
#: it took 3.5 minutes of CI. Every rule example (each pattern's own matches) is checked; of the
#: crisis test messages every second one, and of the topic training and test messages, which
#: rarely match a crisis pattern, every sixth one.
CRISIS_SAMPLE = 2
EVERYDAY_SAMPLE = 6


def _corpus() -> list[str]:
    texts = [
        text
        for locale in NET.locales
        for rule in NET.rules(locale)
        for text in (*rule.examples, *rule.not_examples)
    ]
    everyday: list[str] = []
    crisis: list[str] = []
    for folder in sorted((PROJECT_ROOT / "nlu" / "training").iterdir()):
        everyday += [e.text for e in read_nlu_dir(folder)]
    for folder in sorted((PROJECT_ROOT / "nlu" / "testsets").iterdir()):
        for path in sorted(folder.glob("test_*.yml")):
            everyday += [e.text for e in read_nlu_file(path)]
        for path in sorted(folder.glob("crisis_*.yml")):
            crisis += [c.text for c in read_crisis_file(path)]
    texts += crisis[::CRISIS_SAMPLE] + everyday[::EVERYDAY_SAMPLE]
    return list(dict.fromkeys(normalize(t) for t in texts))


CORPUS = _corpus()


def _slow_check(text: str, locale: str) -> NetVerdict:
    """The net without its prefilter: every pattern of every rule, in the net's order, on the
    text and on its reading as Cyrillic keys (a look-alike only from the text itself)."""
    verdict = _slow_verdict(normalize(text), locale)
    reading = cyrillic_reading(text, locale)
    return (
        verdict if reading is None else verdict.raised_by(_slow_verdict(normalize(reading), locale))
    )


def _slow_verdict(normalized: str, locale: str) -> NetVerdict:
    found: dict[str, RuleHit] = {}
    for current in [locale, *[o for o in NET.locales if o != locale]]:
        for rule in NET.rules(current):
            if rule.kind.value == "lookalike" and current != locale:
                continue
            if rule.kind.value not in found and rule.matches(normalized):
                found[rule.kind.value] = RuleHit(f"{current}:{rule.id}", rule.intent)
    return NetVerdict(**found)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bkill\b", {"kill"}),
        (r"\b(kill|end) it\b", {"kill it", "end it"}),
        (r"^(?!.*lol).*\bpills?\b", {"pill"}),
        (r"(?=.*\bnow\b).*\bbridge", {"bridge"}),
        (r"[sş]arj", {"sarj", "şarj"}),
        (r"i'?m going", {"im going", "i'm going"}),
    ],
)
def test_necessary_strings_are_what_every_match_contains(pattern: str, expected: set[str]) -> None:
    assert necessary_strings(re.compile(pattern)) == expected


@pytest.mark.parametrize("pattern", [r"\w+", r".{3}", r"(?i)kill", r"(a|\w)b*", r"[^a]x?"])
def test_patterns_without_a_sure_literal_always_run(pattern: str) -> None:
    assert necessary_strings(re.compile(pattern)) is None
    prefilter = PatternPrefilter([re.compile(pattern)])
    assert prefilter.candidates("") == {0}


def test_most_patterns_have_a_literal() -> None:
    assert PREFILTER.always_run < len(PATTERNS) // 20


def test_every_pattern_that_matches_a_known_message_is_a_candidate() -> None:
    assert len(CORPUS) > 5000
    skipped = []
    for text in CORPUS:
        candidates = PREFILTER.candidates(text)
        skipped += [
            (p.pattern[:60], text)
            for i, p in enumerate(PATTERNS)
            if i not in candidates and p.search(text)
        ]
    assert skipped == []


def test_the_net_decides_the_same_with_and_without_the_prefilter() -> None:
    for text in CORPUS[::12]:
        for locale in ("en", "ru"):
            assert NET.check(text, locale) == _slow_check(text, locale), text


_WORDS = sorted({word for text in CORPUS[::7] for word in text.split()})


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14),
    noise=st.text(max_size=6),
    locale=st.sampled_from(["en", "ru", "uk", "tr"]),
)
def test_random_mixtures_of_children_s_words_decide_alike(
    words: list[str], noise: str, locale: str
) -> None:
    text = " ".join(words[: len(words) // 2]) + noise + " ".join(words[len(words) // 2 :])
    assert NET.check(text, locale) == _slow_check(text, locale)
