"""Base forms of words: lemmas for ru and uk, stems for en and tr, never an error."""

from __future__ import annotations

import pytest

from nlu.lemmas import base_form


def test_russian_and_ukrainian_words_get_their_lemma() -> None:
    assert base_form("ru")("выпила") == "выпить"
    assert base_form("uk")("випила") == "випити"


@pytest.mark.parametrize("locale", ["en", "ru", "uk", "tr"])
def test_letters_without_a_unicode_name_are_kept_as_they_are(locale: str) -> None:
    # Tangut (U+17000 on) counts as letters but has no character name, which pymorphy3 asks for.
    word = "\U00017000\U00017001"
    assert base_form(locale)(word) == word
