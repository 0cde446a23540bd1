"""The crisis safety net: every rule's own examples, hard negatives, and the engine on top."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.checks import check_crisis_rules
from bot.engine.messages import Incoming
from bot.service.runtime import Runtime
from bot.settings import PROJECT_ROOT
from nlu.crisis import CrisisNet, NetVerdict, RuleKind
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


def test_a_rule_that_misses_its_own_example_is_named_at_its_own_line(tmp_path: Path) -> None:
    for locale in NET.locales:
        shutil.copy(RULES / f"{locale}.yml", tmp_path / f"{locale}.yml")
    path = tmp_path / "en.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip().startswith("- id: ")) + 1
    rule_id = lines[start - 1].split("id:", 1)[1].strip()
    examples = next(n for n in range(start, len(lines)) if lines[n].strip() == "examples:")
    lines.insert(examples + 1, '      - "a sunny day at the seaside with my cousins"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = check_crisis_rules(tmp_path)
    assert [str(problem) for problem in problems] == [
        f"ERROR {path}, line {start}: rule '{rule_id}' does not match its own example "
        "'a sunny day at the seaside with my cousins'"
    ]


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


@pytest.mark.parametrize(
    ("locale", "typed", "meant"),
    [
        # «он зовёт меня к себе и просит никому не говорить, мне 12»
        ("ru", "jy pjd`n vtyz r ct,t b ghjcbn ybrjve yt ujdjhbnm? vyt 12", "grooming"),
        # «я ковтнула всі пігулки»
        ("uk", "z rjdnyekf dcs gsuekrb", "self_harm"),
    ],
)
def test_a_crisis_typed_on_the_wrong_keyboard_layout_is_read(
    locale: str, typed: str, meant: str
) -> None:
    verdict = NET.check(typed, locale)
    hit = verdict.emergency or verdict.crisis
    assert hit is not None and hit.intent == meant


def test_the_wrong_layout_reading_never_adds_a_look_alike_or_reads_english() -> None:
    # «кошка поцарапала мне руки»: a look-alike in Cyrillic, nothing when typed in Latin keys
    assert NET.check("кошка поцарапала мне руки", "ru").lookalike is not None
    assert NET.check("rjirf gjwfhfgfkf vyt herb", "ru").lookalike is None
    # English in a Russian chat reads as nonsense Cyrillic, which no rule matches
    assert NET.check("my cat scratched me lol", "ru") == NetVerdict()
