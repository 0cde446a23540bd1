"""Who writes and the narrower topic choose the answer; they never lower a crisis (issue #11)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.settings import Settings
from nlu.answer_evaluation import AnswerTestError, read_answer_file, score_answers
from nlu.decision import Decision, Thresholds, Urgency, choose_answer, needs_clarification
from nlu.intents import FALLBACK_INTENT
from nlu.loading import load_understanding
from nlu.roles import Role
from nlu.spacy_classifier import SpacyClassifier

T = Thresholds(clarify_below=0.5, self_harm_floor=0.2, escalate_mass_floor=0.5)


def decision(
    intent: str, *, confidence: float = 0.9, escalate: bool = False, **fields: object
) -> Decision:
    return Decision(intent=intent, confidence=confidence, escalate=escalate, **fields)  # type: ignore[arg-type]


def test_a_facet_narrows_its_own_topic_even_in_a_crisis() -> None:
    crisis = decision("grooming", escalate=True, urgency=Urgency.CRISIS)
    chosen = choose_answer(crisis, T, facet=("meeting", 0.9))
    assert (chosen.intent, chosen.facet, chosen.urgency, chosen.escalate) == (
        "grooming",
        "meeting",
        Urgency.CRISIS,
        True,
    )


def test_no_facet_or_role_in_an_emergency_or_while_asking_directly() -> None:
    for asked in (
        decision("self_harm", escalate=True, urgency=Urgency.EMERGENCY),
        decision("out_of_scope", escalate=True, ask_directly=True),
        decision("out_of_scope", escalate=True, ask_directly=True, distress=True),
    ):
        assert choose_answer(asked, T, role=("friend", 0.99), facet=("meeting", 0.99)) == asked


def test_an_unsure_self_harm_risk_that_eating_problems_explain_gets_that_answer() -> None:
    asked = decision("out_of_scope", confidence=0.57, escalate=True, ask_directly=True)
    eating = choose_answer(asked, T, facet=("eating_disorder", 0.9))
    assert (eating.intent, eating.facet, eating.ask_directly, eating.escalate) == (
        "harmful_content",
        "eating_disorder",
        False,
        True,  # its answer shows the helpline, as the question would have
    )
    # Not when the facet model is unsure, not for a facet that is no self-harm, and never when
    # a distress rule heard hopeless words: those are always asked about directly.
    assert choose_answer(asked, T, facet=("eating_disorder", 0.6)) == asked
    assert choose_answer(asked, T, facet=("doxxing", 0.99)) == asked
    hopeless = replace(asked, distress=True)
    assert choose_answer(hopeless, T, facet=("eating_disorder", 0.99)) == hopeless


def test_a_crisis_of_another_topic_keeps_its_topic_and_numbers() -> None:
    crisis = decision("self_harm", escalate=True, urgency=Urgency.CRISIS)
    assert choose_answer(crisis, T, facet=("hacked_account", 0.99)).facet is None
    # Starving oneself read as self-harm keeps the crisis, with the answer about eating problems.
    eating = choose_answer(crisis, T, facet=("eating_disorder", 0.9))
    assert (eating.intent, eating.facet, eating.urgency) == (
        "self_harm",
        "eating_disorder",
        Urgency.CRISIS,
    )


def test_a_facet_settles_an_unsure_topic_and_shows_the_helpline_it_needs() -> None:
    unsure = decision("out_of_scope", confidence=0.3)
    chosen = choose_answer(unsure, T, facet=("doxxing", 0.8))
    assert (chosen.intent, chosen.facet, chosen.escalate) == ("privacy", "doxxing", True)
    assert not needs_clarification(chosen, clarify_below=T.clarify_below)
    # A hacked account needs recovery first, not a helpline.
    hacked = choose_answer(unsure, T, facet=("hacked_account", 0.8))
    assert (hacked.intent, hacked.escalate) == ("privacy", False)


def test_a_sure_topic_or_a_known_idiom_is_not_overruled() -> None:
    bullying = decision("cyberbullying", confidence=0.9)
    assert choose_answer(bullying, T, facet=("hacked_account", 0.9)).facet is None
    idiom = decision("out_of_scope", confidence=0.3)
    assert choose_answer(idiom, T, facet=("violence_threat", 0.9), lookalike=True).facet is None
    assert choose_answer(idiom, T, facet=("violence_threat", 0.4)).facet is None


def test_a_sure_facet_settles_a_topic_the_classifier_is_only_half_sure_of() -> None:
    # "300 calories a day ... pro ana accounts, im 13" read as grooming at 0.51: eating it is.
    half_sure = decision("grooming", confidence=0.51, escalate=True)
    eating = choose_answer(half_sure, T, facet=("eating_disorder", 0.8))
    assert (eating.intent, eating.facet, eating.escalate) == (
        "harmful_content",
        "eating_disorder",
        True,
    )
    # From ``facet_settles_below`` on, the topic holds; and never over an urgent message.
    assert (
        choose_answer(replace(half_sure, confidence=0.7), T, facet=("eating_disorder", 0.8)).facet
        is None
    )
    urgent = replace(half_sure, urgency=Urgency.CRISIS)
    assert choose_answer(urgent, T, facet=("hacked_account", 0.9)).facet is None


def test_a_role_needs_a_sure_model_and_a_risk_topic() -> None:
    grooming = decision("grooming", escalate=True)
    assert choose_answer(grooming, T, role=("parent", 0.9)).role == Role.PARENT
    assert choose_answer(grooming, T, role=("parent", 0.6)).role == Role.SELF
    assert choose_answer(decision("thanks"), T, role=("parent", 0.99)).role == Role.SELF
    # Their role's answer is written for any topic: no "which topic?" question first.
    unsure = choose_answer(decision("cyberbullying", confidence=0.3), T, role=("bully", 0.9))
    assert not needs_clarification(unsure, clarify_below=T.clarify_below)
    assert needs_clarification(decision("cyberbullying", confidence=0.3), clarify_below=0.5)


def test_whose_picture_it_is_goes_to_the_surer_of_the_role_and_facet_models() -> None:
    # "will I get in trouble?": the role model hears the child who shared someone else's
    # picture, the facet model the child who sent their own; the two answers say opposite things.
    pictures = decision("intimate_images", escalate=True)
    own = choose_answer(pictures, T, role=("bully", 0.8), facet=("images_trouble", 0.99))
    assert (own.role, own.facet) == (Role.SELF, "images_trouble")
    shared = choose_answer(pictures, T, role=("bully", 0.99), facet=("images_trouble", 0.75))
    assert (shared.role, shared.facet, shared.intent) == (Role.BULLY, None, "intimate_images")
    # Any other facet keeps both: a bully about a hacked account is still the bully.
    other = choose_answer(pictures, T, role=("bully", 0.9), facet=("hacked_account", 0.99))
    assert other.role == Role.BULLY


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "our 10 year old son gets horrible messages in his class group chat every night"),
        ("ru", "мне как маме страшно: взрослый в игре просит у сына фото"),
        ("uk", "у мене донька 12 років, їй у грі пише дорослий чоловік і просить фото"),
        ("tr", "veli olarak soruyorum, oğlumun sınıf grubunda ona sürekli hakaret ediyorlar"),
    ],
)
async def test_a_parent_who_says_so_gets_the_parents_answer_whatever_the_role_model_says(
    models_dir: Path, locale: str, text: str
) -> None:
    settings = Settings()
    classifier = SpacyClassifier.load(models_dir, [locale], default_locale=locale)
    understanding = load_understanding(
        settings, classifier, [locale], models_dir=models_dir, default_locale=locale
    )
    assert understanding.net.check(text, locale).parent is not None
    decided = await understanding.understand(text, locale)
    assert decided.role == Role.PARENT
    # The rule settles who writes and nothing else: no emergency for a parent asking for advice.
    assert not decided.emergency
    # A child writing about their own parent is no parent.
    child = "my mum keeps checking my phone and reading my chats, is that allowed"
    assert understanding.net.check(child, "en").parent is None


def test_answer_test_files_are_read_and_scored(tmp_path: Path) -> None:
    path = tmp_path / "roles_x.yml"
    path.write_text(
        "messages:\n"
        '  - {text: "my son is bullied", role: parent, topic: cyberbullying}\n'
        '  - {text: "they will beat me up", role: self, topic: violence_threat}\n',
        encoding="utf-8",
    )
    cases = read_answer_file(path)
    got = [
        decision("cyberbullying", role="parent"),
        decision("cyberbullying", facet=None),
    ]
    report = score_answers(cases, got, file=str(path), locale="en")
    assert report.role_recall == {"parent": [1, 1], "self": [1, 1]}
    assert report.facet_recall == {"none": [1, 1], "violence_threat": [0, 1]}
    assert report.answer_accuracy == 0.5
    path.write_text('messages:\n  - {text: "hi", role: uncle, topic: other}\n', encoding="utf-8")
    with pytest.raises(AnswerTestError, match="message 1 needs"):
        read_answer_file(path)


async def test_a_message_the_topics_cannot_place_gets_the_facet_it_is_about(
    models_dir: Path,
) -> None:
    # Through the trained models: the topic classifier reads it as out of scope, and the facet
    # model's eating problem settles it (the fallback is no conversation the facet must keep).
    settings = Settings()
    classifier = SpacyClassifier.load(models_dir, ["en"], default_locale="en")
    understanding = load_understanding(
        settings, classifier, ["en"], models_dir=models_dir, default_locale="en"
    )
    text = "how many calories to stop eating to look like those tiktok models"
    assert (await classifier.classify(text, "en")).intent == FALLBACK_INTENT
    decided = await understanding.understand(text, "en")
    assert (decided.facet, decided.intent, decided.escalate) == (
        "eating_disorder",
        "harmful_content",
        True,
    )
    # The conversation itself keeps its answer whatever the facet model says.
    assert (await understanding.understand("thanks a lot, bye", "en")).facet is None
