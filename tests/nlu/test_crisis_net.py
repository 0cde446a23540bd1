"""The crisis safety net: every rule's own examples, hard negatives, and the engine on top."""

from __future__ import annotations

import pytest

from bot.content.checks import check_crisis_rules
from bot.engine.messages import Incoming
from bot.service.runtime import Runtime
from bot.settings import PROJECT_ROOT
from nlu.crisis import CrisisNet, RuleKind
from nlu.normalize import normalize

RULES = PROJECT_ROOT / "nlu" / "crisis_rules"
NET = CrisisNet.from_dir(RULES)
CRISIS_EXAMPLES = [
    (locale, rule.id, example)
    for locale in NET.locales
    for rule in NET.rules(locale)
    if rule.kind is RuleKind.CRISIS
    for example in rule.examples
]
NOT_CRISIS = [example for rule in NET.rules("en") for example in rule.not_examples]


def test_every_locale_has_its_own_reviewed_rules() -> None:
    assert set(NET.locales) >= {"en", "ru", "uk", "tr"}
    for locale in NET.locales:
        crisis = [r for r in NET.rules(locale) if r.kind is RuleKind.CRISIS]
        assert len(crisis) >= 8, locale
        assert sum(len(r.not_examples) for r in NET.rules(locale)) >= 15, locale


def test_the_rules_pass_their_own_examples() -> None:
    assert check_crisis_rules(RULES) == []


def test_there_are_enough_rules_and_cases() -> None:
    assert len([e for e in CRISIS_EXAMPLES if e[0] == "en"]) >= 30
    assert len(NOT_CRISIS) >= 30


@pytest.mark.parametrize(
    "text",
    [
        "this homework is killing me",
        "i'm dead 😂",
        "i died in fortnite again",
        "how do i screenshot",
    ],
)
def test_hard_negatives_are_not_a_crisis(text: str) -> None:
    assert not NET.check(text, "en").crisis


@pytest.mark.parametrize(
    "text", ["I WANT TO DIEEEEE", "i want\u200b to die", "ｉ ｗａｎｔ ｔｏ ｄｉｅ", "i wanna kms"]
)
def test_normalisation_catches_shouting_invisible_and_wide_letters(text: str) -> None:
    assert NET.check(text, "en").crisis, normalize(text)


async def test_every_crisis_example_reaches_the_crisis_answer(runtime: Runtime) -> None:
    for number, (locale, rule_id, example) in enumerate(CRISIS_EXAMPLES):
        replies = await runtime.service.handle(
            "test", 10_000 + number, Incoming.message(example, locale)
        )
        assert "🚨" in replies[0].text, (locale, rule_id, example)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("ru", "эта домашка меня убивает"),
        ("ru", "я умер со смеху"),
        ("uk", "ця домашка мене вбиває"),
        ("uk", "мама мене вб'є якщо запізнюсь"),
        ("tr", "bu ödev beni öldürüyor"),
        ("tr", "gülmekten öldüm"),
    ],
)
def test_hard_negatives_in_other_languages(locale: str, text: str) -> None:
    assert not NET.check(text, locale).crisis
