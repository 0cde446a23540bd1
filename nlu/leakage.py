"""Find training examples that are (near-)copies of test messages.

A test message that also sits in the training data, or a light rewording of one, makes the
figures measured on that test file look better than what children get. Messages are compared
as sets of normalised words (case, punctuation, diacritics and repeated letters ignored); two
messages are near-duplicates when their word sets overlap by at least ``NEAR_DUPLICATE`` in
Jaccard similarity. Very short messages ("hi", "thanks") are left out: the same greeting in
training and test data is not a leak.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Word-set Jaccard similarity from which two messages count as one.
NEAR_DUPLICATE = 0.75
#: Messages with fewer distinct words than this are never compared.
MIN_WORDS = 4

_WORD = re.compile(r"\w+")
_REPEATS = re.compile(r"(\w)\1{2,}")


def words_of(text: str) -> frozenset[str]:
    """The normalised words of a message: lower case, no diacritics, "sooo" → "soo"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c)).replace("ı", "i")
    return frozenset(_REPEATS.sub(r"\1\1", word) for word in _WORD.findall(plain))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two word sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Leak:
    """A training example that is a near-copy of a test message (indexes into both lists)."""

    training_index: int
    test_index: int
    similarity: float


class TrainingIndex:
    """The word sets of some training examples, indexed by word, to compare test files with.

    Built once per locale: comparing each test file then costs only its own messages.
    """

    def __init__(self, training: Sequence[str]) -> None:
        self._words = [words_of(text) for text in training]
        self._postings: dict[str, list[int]] = defaultdict(list)
        for index, words in enumerate(self._words):
            if len(words) >= MIN_WORDS:
                for word in words:
                    self._postings[word].append(index)

    def leaks(self, tests: Iterable[str], *, threshold: float = NEAR_DUPLICATE) -> list[Leak]:
        """Every (training, test) pair at least ``threshold`` similar."""
        leaks: list[Leak] = []
        for test_index, text in enumerate(tests):
            words = words_of(text)
            if len(words) < MIN_WORDS:
                continue
            shared: dict[int, int] = defaultdict(int)
            for word in words:
                for index in self._postings.get(word, ()):
                    shared[index] += 1
            for index, common in shared.items():
                # Jaccard ≥ t needs |A ∩ B| ≥ t · |A|; skip the rest before computing the union.
                if common < threshold * len(words):
                    continue
                score = similarity(words, self._words[index])
                if score >= threshold:
                    leaks.append(Leak(index, test_index, score))
        return leaks


def find_leaks(
    training: Sequence[str], tests: Iterable[str], *, threshold: float = NEAR_DUPLICATE
) -> list[Leak]:
    """Every (training, test) pair at least ``threshold`` similar, via a word index."""
    return TrainingIndex(training).leaks(tests, threshold=threshold)


@dataclass(frozen=True)
class LeakedExample:
    """A training example and the test file it nearly copies.

    The test message itself is not kept, so a sealed hold-out set stays unread.
    """

    training_text: str
    test_file: Path
    similarity: float


def test_messages(path: Path) -> list[str]:
    """The messages of one test file: a crisis, answer or Rasa-format topic test file."""
    from nlu.answer_evaluation import read_answer_file
    from nlu.crisis_evaluation import read_crisis_file
    from nlu.training_data import read_nlu_file

    if path.name.startswith("crisis_"):
        return [case.text for case in read_crisis_file(path)]
    if path.name.startswith("roles_"):
        return [case.text for case in read_answer_file(path)]
    return [example.text for example in read_nlu_file(path)]


def leaked_examples(training_dir: Path, testsets_dir: Path) -> list[LeakedExample]:
    """Training examples of one locale that nearly copy a message of any of its test files.

    Hold-out sets are included: they are compared, never shown.
    """
    from nlu.training_data import read_nlu_dir

    training = [example.text for example in read_nlu_dir(training_dir)]
    index = TrainingIndex(training)
    found: list[LeakedExample] = []
    for path in sorted(testsets_dir.rglob("*.yml")):
        for leak in index.leaks(test_messages(path)):
            found.append(
                LeakedExample(training[leak.training_index], path, round(leak.similarity, 2))
            )
    return found
