"""Text normalisation shared by the crisis safety net and the classifiers."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_REPEATS = re.compile(r"(.)\1{2,}")
_SPACES = re.compile(r"\s+")
# Zero-width and bidi control characters children's keyboards and copy-paste insert.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalize(text: str) -> str:
    """Fold case, width and quotes; shorten letter runs ("killl" -> "kill"); tidy spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = text.casefold().translate(_APOSTROPHES)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()
