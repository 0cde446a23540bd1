"""The NLU training data: Rasa format, every intent covered, no duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import PROJECT_ROOT
from nlu.facets import FACET_SCHEME
from nlu.intents import INTENTS
from nlu.leakage import MIN_WORDS, NEAR_DUPLICATE, find_leaks, leaked_examples, similarity, words_of
from nlu.roles import ROLE_SCHEME
from nlu.training_data import (
    CALM_DIR,
    EMERGENCY_LEVEL,
    FACET_DIR,
    NOT_NOW_LEVEL,
    ROLE_DIR,
    URGENCY_DIR,
    TrainingDataError,
    View,
    copy_rasa_files,
    counts,
    read_nlu_dir,
    read_nlu_file,
)

DATA = PROJECT_ROOT / "nlu" / "training"
TESTSETS = PROJECT_ROOT / "nlu" / "testsets"


def test_every_intent_has_at_least_40_english_examples() -> None:
    found = counts(read_nlu_dir(DATA / "en", View.TOPIC))
    assert set(found) == set(INTENTS)
    assert min(found.values()) >= 40, found


@pytest.mark.parametrize("locale", ["en", "ru", "uk", "tr"])
@pytest.mark.parametrize("view", list(View))
def test_no_model_reads_an_example_twice(locale: str, view: View) -> None:
    # The same words may teach two models (a role and a topic), never one model twice.
    texts = [e.text.lower() for e in read_nlu_dir(DATA / locale, view)]
    assert len(texts) == len(set(texts))


def test_a_folder_no_model_reads_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "greet.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n', encoding="utf-8"
    )
    (tmp_path / "typo").mkdir()
    (tmp_path / "typo" / "x.yml").write_text("nlu: []\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="typo/"):
        read_nlu_dir(tmp_path)


@pytest.mark.parametrize("locale", ["en", "ru", "uk", "tr"])
def test_roles_and_facets_are_read_only_by_their_own_models(locale: str) -> None:
    topic = counts(read_nlu_dir(DATA / locale, View.TOPIC))
    risk = counts(read_nlu_dir(DATA / locale, View.RISK))
    roles = counts(read_nlu_dir(DATA / locale, View.ROLE))
    facets = counts(read_nlu_dir(DATA / locale, View.FACET))
    assert set(roles) == set(ROLE_SCHEME.labels) and min(roles.values()) >= 80, roles
    assert set(facets) - {"calm"} == set(FACET_SCHEME.labels), facets
    assert min(facets.values()) >= 50, facets
    assert not (set(roles) | set(facets)) & (set(topic) | set(risk))
    # Calm everyday questions are "no facet"; they cost the risk model recall on a sealed set.
    assert facets["calm"] >= 200


def test_rasa_annotations_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: privacy\n  examples: |\n'
        "    - someone hacked my [instagram](platform) account\n"
        "- synonym: insta\n  examples: |\n    - ig\n",
        encoding="utf-8",
    )
    examples = read_nlu_file(path)
    assert [(e.text, e.intent) for e in examples] == [
        ("someone hacked my instagram account", "privacy")
    ]


def test_broken_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "nlu:\n- intent: greet\n  examples: |\n    hi without a dash\n", encoding="utf-8"
    )
    with pytest.raises(TrainingDataError, match=r"bad\.yml"):
        read_nlu_file(path)


@pytest.mark.parametrize("locale", ["en", "ru", "uk", "tr"])
def test_no_training_example_copies_a_test_message(locale: str) -> None:
    """Figures measured on a test file mean something only if it was never trained on."""
    leaks = leaked_examples(DATA / locale, TESTSETS / locale)
    assert [(leak.training_text, leak.test_file.name) for leak in leaks] == []


def test_near_copies_are_found_and_different_messages_are_not() -> None:
    training = [
        "a guy from roblox keeps asking me for pics",
        "how do i turn on two factor login",
        "hi",
    ]
    tests = [
        "A guy from Roblox keeps asking for pics!!",  # reworded copy: same words, case, punctuation
        "a girl from school keeps laughing at my pics",  # shares words, a different message
        "hi",  # a greeting in both is not a leak
        "how do i turn on two-factor login on instagram",
    ]
    leaks = find_leaks(training, tests)
    assert {(leak.training_index, leak.test_index) for leak in leaks} == {(0, 0), (1, 3)}
    assert all(NEAR_DUPLICATE <= leak.similarity <= 1.0 for leak in leaks)


_WORDS = st.sampled_from(["an", "bo", "cat", "do", "ek", "fo", "go", "hi", "it", "jo"])
_MESSAGES = st.lists(_WORDS, min_size=1, max_size=9).map(" ".join)


@given(
    training=st.lists(_MESSAGES, max_size=25),
    tests=st.lists(_MESSAGES, max_size=10),
    threshold=st.sampled_from([0.5, 0.6, NEAR_DUPLICATE, 0.8, 0.9, 1.0]),
)
@settings(max_examples=300, deadline=None)
def test_the_word_index_finds_exactly_what_comparing_every_pair_finds(
    training: list[str], tests: list[str], threshold: float
) -> None:
    """The index probes only each message's rarest words; no near-copy may slip past it."""
    found = {
        (leak.training_index, leak.test_index)
        for leak in find_leaks(training, tests, threshold=threshold)
    }
    every_pair = {
        (i, j)
        for i, a in enumerate(training)
        for j, b in enumerate(tests)
        if len(words_of(a)) >= MIN_WORDS
        and len(words_of(b)) >= MIN_WORDS
        and similarity(words_of(a), words_of(b)) >= threshold
    }
    assert found == every_pair


def test_words_are_compared_without_case_diacritics_or_repeated_letters() -> None:
    assert words_of("Yardım ET sooooo") == words_of("yardim et soo")


@pytest.mark.parametrize("locale", ["en", "ru", "uk", "tr"])
def test_every_locale_has_urgency_labels_for_both_levels(locale: str) -> None:
    found = counts(read_nlu_dir(DATA / locale, View.RISK))
    assert found[EMERGENCY_LEVEL] >= 100 and found[NOT_NOW_LEVEL] >= 100, found
    # The topic classifier (and Rasa) never see the urgency labels: they are no intents.
    topics = counts(read_nlu_dir(DATA / locale, View.TOPIC))
    assert set(topics) == set(INTENTS)


def test_rasa_gets_only_files_whose_labels_are_intents(tmp_path: Path) -> None:
    copied = copy_rasa_files(DATA / "en", tmp_path / "rasa")
    names = {p.relative_to(copied).as_posix() for p in copied.rglob("*.yml")}
    folders = (URGENCY_DIR, CALM_DIR, ROLE_DIR, FACET_DIR)
    assert names and not any(name.startswith(f"{folder}/") for name in names for folder in folders)
    assert {e.intent for e in read_nlu_dir(copied)} == set(INTENTS)
