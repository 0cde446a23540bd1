"""Find training examples that are (near-)copies of test messages.

A test message that also sits in the training data, or a light rewording of one, makes the
figures measured on that test file look better than what children get. Messages are compared
as sets of normalised words (case, punctuation, diacritics and repeated letters ignored); two
messages are near-duplicates when their word sets overlap by at least ``NEAR_DUPLICATE`` in
Jaccard similarity. Very short messages ("hi", "thanks") are left out: the same greeting in
training and test data is not a leak.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
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

    Built once per locale: comparing each test file then costs only its own messages. Only each
    set's *prefix* is indexed and probed (prefix filtering, as in Bayardo et al., "Scaling up all
    pairs similarity search", 2007): with the words of every set ordered rarest first, two sets
    of Jaccard similarity ``t`` or more share at least ``ceil(t * n)`` of a set's ``n`` words, so
    they share a word among the first ``n - ceil(t * n) + 1`` of each. Common words ("i", "the")
    then stay out of the index, and each test message meets only the few examples that could
    be near-copies; every candidate is still measured in full, so the result is exact.
    """

    def __init__(self, training: Sequence[str], *, threshold: float = NEAR_DUPLICATE) -> None:
        self.threshold = threshold
        self._words = [words_of(text) for text in training]
        counts: Counter[str] = Counter(word for words in self._words for word in words)
        self._rank: dict[str, tuple[int, str]] = {w: (n, w) for w, n in counts.items()}
        self._postings: dict[str, list[int]] = defaultdict(list)
        for index, words in enumerate(self._words):
            if len(words) >= MIN_WORDS:
                for word in self._prefix(words, threshold):
                    self._postings[word].append(index)

    def _prefix(self, words: frozenset[str], threshold: float) -> list[str]:
        """A set's rarest words: a near-copy shares at least one of them.

        One word more than the bound needs, for the rounding of ``threshold * n``.
        """
        must_share = max(1, math.ceil(threshold * len(words)) - 1)
        ordered = sorted(words, key=lambda word: self._rank.get(word, (0, word)))
        return ordered[: len(words) - must_share + 1]

    def leaks(self, tests: Iterable[str]) -> list[Leak]:
        """Every (training, test) pair at least as similar as the index's threshold."""
        leaks: list[Leak] = []
        for test_index, text in enumerate(tests):
            words = words_of(text)
            if len(words) < MIN_WORDS:
                continue
            candidates: set[int] = set()
            for word in self._prefix(words, self.threshold):
                candidates.update(self._postings.get(word, ()))
            smallest, largest = self.threshold * len(words), len(words) / self.threshold
            for index in sorted(candidates):
                # Jaccard ≥ t needs t · |A| ≤ |B| ≤ |A| / t.
                if not smallest <= len(self._words[index]) <= largest:
                    continue
                score = similarity(words, self._words[index])
                if score >= self.threshold:
                    leaks.append(Leak(index, test_index, score))
        return leaks


def find_leaks(
    training: Sequence[str], tests: Iterable[str], *, threshold: float = NEAR_DUPLICATE
) -> list[Leak]:
    """Every (training, test) pair at least ``threshold`` similar, via a word index."""
    return TrainingIndex(training, threshold=threshold).leaks(tests)


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
