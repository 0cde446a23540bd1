"""Which language a message is written in, learned from the training data of every locale.

The same character n-gram model as the intent classifier, with locales as labels: it sees
Cyrillic letters unique to Ukrainian, Turkish letters, Russian written in Latin letters and
English words. Short messages ("hi", "привет") never decide the language on their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from nlu.normalize import normalize
from nlu.spacy_classifier import recipe_fingerprint
from nlu.spacy_textcat import train_textcat
from nlu.training_data import Example, available_locales, fingerprint, read_nlu_dir

MODEL_DIR = "langid"
META_FILE = "safebot-langid.json"
#: Below these, a message is too short to say which language it is in.
MIN_WORDS = 3
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Detection:
    """The detected locale and how sure the model is."""

    locale: str
    confidence: float


def _data_fingerprint(nlu_data_dir: Path, locales: list[str]) -> str:
    digest = hashlib.sha256(recipe_fingerprint(0).encode())
    for locale in locales:
        digest.update(locale.encode() + fingerprint(nlu_data_dir / locale).encode())
    return digest.hexdigest()


def is_current(models_dir: Path, nlu_data_dir: Path) -> bool:
    """Whether a language model trained on the current data exists."""
    meta = models_dir / MODEL_DIR / META_FILE
    if not meta.is_file():
        return False
    saved = json.loads(meta.read_text(encoding="utf-8"))
    locales = available_locales(nlu_data_dir)
    return bool(saved.get("fingerprint") == _data_fingerprint(nlu_data_dir, locales))


def train(nlu_data_dir: Path, models_dir: Path) -> Path:
    """Train the language identifier on every locale's examples and save it."""
    locales = available_locales(nlu_data_dir)
    examples = [
        Example(e.text, locale) for locale in locales for e in read_nlu_dir(nlu_data_dir / locale)
    ]
    nlp = train_textcat(examples, tuple(locales), "xx", epochs=6)
    target = models_dir / MODEL_DIR
    models_dir.mkdir(parents=True, exist_ok=True)
    # Saved aside, then put in place: two processes that both found the model stale (a test
    # worker and a command it runs) must not write into one folder at once.
    built = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".{MODEL_DIR}-"))
    nlp.to_disk(built)
    meta = {"locales": locales, "fingerprint": _data_fingerprint(nlu_data_dir, locales)}
    (built / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    aside = models_dir / f".{MODEL_DIR}-old-{os.getpid()}"
    try:
        if target.exists():
            target.rename(aside)
        built.rename(target)
    except OSError:
        shutil.rmtree(built, ignore_errors=True)  # another process put its copy in first
    shutil.rmtree(aside, ignore_errors=True)
    return target


class LanguageIdentifier:
    """Detects the locale of longer messages."""

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp

    @classmethod
    def load(cls, models_dir: Path) -> LanguageIdentifier:
        """Load the saved model."""
        return cls(spacy.load(models_dir / MODEL_DIR))

    def detect(self, text: str) -> Detection | None:
        """The locale of a message, or None when it is too short or the model is unsure."""
        normalized = normalize(text)
        words = normalized.split()
        if len(words) < MIN_WORDS or sum(ch.isalpha() for ch in normalized) < MIN_LETTERS:
            return None
        cats = self._nlp(normalized).cats
        locale, confidence = max(cats.items(), key=lambda item: item[1])
        if confidence < MIN_CONFIDENCE:
            return None
        return Detection(locale, float(confidence))
