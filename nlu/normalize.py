"""Text normalisation shared by the crisis safety net and the classifiers.

Before any rule or model reads a message, what a reader cannot see is taken out (format and
control characters, soft hyphens, bidi isolates, zero-width and other invisible characters)
and Latin/Cyrillic look-alike letters are folded to the script of the rest of their word, so
"kіll" with a Cyrillic "і" or "умерeть" with a Latin "e" reads as the child meant it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_REPEATS = re.compile(r"(.)\1{2,}")
_SPACES = re.compile(r"\s+")
# Unicode's format characters (category Cf, as of Unicode 14), control characters that are not
# whitespace, and the other default-ignorable characters: the combining grapheme joiner,
# Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\uffa0\ufe00-\ufe0f"
    "\U000e0100-\U000e01ef]"
)

#: Latin letters and the Cyrillic letters that look the same.
LOOKALIKES: dict[str, str] = dict(
    zip(
        "aceopxyijshkdqwlABCEHIJKMOPSTXY",
        "асеорхуіјѕһкԁԛԝӏАВСЕНІЈКМОРЅТХУ",
        strict=True,
    )
)
_AMBIGUOUS = frozenset(LOOKALIKES) | frozenset(LOOKALIKES.values())
_TO_CYRILLIC = str.maketrans(LOOKALIKES)
_TO_LATIN = str.maketrans({cyrillic: latin for latin, cyrillic in LOOKALIKES.items()})
_WORD = re.compile(r"\w+")
_HAS_CYRILLIC = re.compile("[\u0400-\u052f]")
_HAS_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_LATIN, _CYRILLIC = "L", "C"


@lru_cache(maxsize=4096)
def _script(character: str) -> str | None:
    """``L`` or ``C`` for a Latin or Cyrillic letter, None for anything else."""
    name = unicodedata.name(character, "")
    if name.startswith("LATIN"):
        return _LATIN
    if name.startswith("CYRILLIC"):
        return _CYRILLIC
    return None


def _unambiguous(text: str) -> tuple[int, int]:
    """How many Latin and Cyrillic letters in ``text`` have no look-alike in the other script."""
    latin = cyrillic = 0
    for character in text:
        if character in _AMBIGUOUS:
            continue
        script = _script(character)
        latin += script == _LATIN
        cyrillic += script == _CYRILLIC
    return latin, cyrillic


def _majority(latin: int, cyrillic: int) -> str | None:
    if latin > cyrillic:
        return _LATIN
    if cyrillic > latin:
        return _CYRILLIC
    return None


def _fold_word(word: str, message_script: str | None) -> str:
    if len({_script(c) for c in word} - {None}) < 2:
        # A word in one script is as the child wrote it: "то" is Russian, even in English.
        return word
    script = _majority(*_unambiguous(word)) or message_script
    if script == _LATIN:
        return word.translate(_TO_LATIN)
    if script == _CYRILLIC:
        return word.translate(_TO_CYRILLIC)
    return word


def fold_lookalikes(text: str) -> str:
    """Latin/Cyrillic look-alike letters written in the script of the rest of their word."""
    if not (_HAS_CYRILLIC.search(text) and _HAS_LATIN.search(text)):
        return text
    message_script = _majority(*_unambiguous(text)) or _majority(*_single_script_letters(text))
    return _WORD.sub(lambda m: _fold_word(m.group(), message_script), text)


def _single_script_letters(text: str) -> tuple[int, int]:
    """Latin and Cyrillic letters in the words written in one script only.

    Decides a message whose every letter has a look-alike ("i ѕwallowd like 25 pils": the
    words around the mixed one are Latin).
    """
    latin = cyrillic = 0
    for word in _WORD.findall(text):
        scripts = {_script(c) for c in word} - {None}
        if scripts == {_LATIN}:
            latin += len(word)
        elif scripts == {_CYRILLIC}:
            cyrillic += len(word)
    return latin, cyrillic


def normalize(text: str) -> str:
    """Drop invisible characters; fold width, look-alikes, case and quotes; tidy spaces.

    Letter runs are shortened ("killl" -> "kill").
    """
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)  # NFKC can leave or make some (e.g. from compatibility forms)
    text = fold_lookalikes(text)
    text = text.casefold().translate(_APOSTROPHES)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()
