"""Readability measures per language, computed on answer texts with the markup removed.

* English: Flesch-Kincaid grade level (Kincaid et al. 1975); lower is easier.
* Russian: Flesch reading ease with Oborneva's coefficients (2006); higher is easier.
* Turkish: Ateşman's reading ease (1997); higher is easier.
Syllables are counted as vowel groups (English) or vowels (Russian, Turkish), the usual
approximation for these formulas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"[.!?…]+|\n+|•")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_EN_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_VOWELS = {
    "ru": set("аеёиоуыэюя"),
    "uk": set("аеєиіїоуюя"),
    "tr": set("aeıioöuüâîû"),
}


@dataclass(frozen=True)
class TextStats:
    """Counts a readability formula needs."""

    sentences: int
    words: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        """Average sentence length in words."""
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        """Average word length in syllables."""
        return self.syllables / self.words if self.words else 0.0


def _english_syllables(word: str) -> int:
    word = word.lower().replace("’", "'").split("'")[0]
    count = len(_EN_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def stats(text: str, locale: str) -> TextStats:
    """Sentence, word and syllable counts of a text (HTML tags removed)."""
    plain = _TAG.sub(" ", text).replace("&amp;", "&")
    sentences = [s for s in _SENTENCE_END.split(plain) if _WORD.search(s)]
    words = _WORD.findall(plain)
    if locale == "en":
        syllables = sum(_english_syllables(w) for w in words)
    else:
        vowels = _VOWELS.get(locale, set("aeiou"))
        syllables = sum(max(1, sum(ch in vowels for ch in w.lower())) for w in words)
    return TextStats(max(1, len(sentences)), len(words), syllables)


def flesch_kincaid_grade(s: TextStats) -> float:
    """US grade level; about 4-7 suits ages 9-13."""
    return 0.39 * s.words_per_sentence + 11.8 * s.syllables_per_word - 15.59


def oborneva_ease(s: TextStats) -> float:
    """Reading ease for Russian (0-100, higher is easier)."""
    return 206.835 - 1.3 * s.words_per_sentence - 60.1 * s.syllables_per_word


def atesman_ease(s: TextStats) -> float:
    """Reading ease for Turkish (0-100, higher is easier)."""
    return 198.825 - 40.175 * s.syllables_per_word - 2.610 * s.words_per_sentence


MEASURES = {
    "flesch_kincaid_grade": flesch_kincaid_grade,
    "oborneva_ease": oborneva_ease,
    "atesman_ease": atesman_ease,
}
