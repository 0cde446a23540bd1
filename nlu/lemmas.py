"""Word base forms that generalise past the exact words in the training data.

Russian and Ukrainian inflect heavily ("выпила", "выпил", "выпью" -> "выпить"), so they get
dictionary lemmas from ``pymorphy3``; English and Turkish get Snowball stems ("ilaçlarını" and
"ilaclarini" -> "ilaç"). Results are cached: children reuse the same few thousand words.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

import snowballstemmer

_STEMMERS = {"en": "english", "tr": "turkish"}
_MORPHOLOGY = ("ru", "uk")
_CACHE_WORDS = 50_000


@cache
def base_form(locale: str) -> Callable[[str], str]:
    """A function from a lower-case word to its lemma or stem (the word itself when unknown)."""
    if locale in _MORPHOLOGY:
        import pymorphy3

        analyzer = pymorphy3.MorphAnalyzer(lang=locale)

        @lru_cache(maxsize=_CACHE_WORDS)
        def lemma(word: str) -> str:
            if not word.isalpha():
                return word
            try:
                return str(analyzer.parse(word)[0].normal_form)
            except ValueError:
                # pymorphy3 asks unicodedata for every letter's name, and some letters have
                # none (Tangut, U+17000 on): found by fuzzing 100,000 updates.
                return word

        return lemma
    if locale in _STEMMERS:
        stemmer = snowballstemmer.stemmer(_STEMMERS[locale])

        @lru_cache(maxsize=_CACHE_WORDS)
        def stem(word: str) -> str:
            return str(stemmer.stemWord(word)) if word.isalpha() else word

        return stem
    return _same


def _same(word: str) -> str:
    return word
