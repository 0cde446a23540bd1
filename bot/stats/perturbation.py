"""Cell-key perturbation: every published count carries a small noise fixed by what it counts.

The method national statistics offices use for tables from the same microdata (the ABS and
ONS "cell-key method"). Every event has a random record key and every child a child key, fixed
when the event is written (``bot.storage.record_keys``). A published count adds up the keys of
what it counts (the record keys of its events; for distinct children, the child key of each
child once); that sum, modulo the key range, is the figure's *cell key*, a number in [0, 1).
The cell key and the true count pick the noise from a fixed perturbation table (:class:`PTable`):

* the same records always give the same cell key, so asking again, or by another route
  (a group's total or a one-group filter), shows the same figure;
* different records give independent cell keys, so a two-week total minus one week is the
  other week plus the difference of two independent noises: never known exactly.

The table (``k`` is the small-cell limit, 5 by default):

==========================  =====================================================
true count n                published
==========================  =====================================================
0                           0
1 to k-1                    0 with probability 1 - n/k, k with probability n/k
k                           k
k+1, k+2                    n-1 or n-2 at most (never below k), up to n+3, the
                            chances of going up scaled down so the mean stays n
k+3 or more                 n-3 … n+3 with probabilities 0.005, 0.095, 0.2, 0.4,
                            0.2, 0.095, 0.005
==========================  =====================================================

Every row has mean n (no bias), nothing is ever published as 1 to k-1 or below 0, and a count
of k or more is never off by more than :data:`MAX_NOISE` (3), and by more than 2 in at most
1 figure in 100. The rare ±3 is there for differencing: with bounded noise, a shown total
minus a shown part pins a hidden figure down only when both carry the largest noise in opposite
directions, which the thin tails make a 1 in 40,000 event per such subtraction. Small-cell suppression still hides
entries with fewer than k children; noise is added after that decision, to every figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

from bot.stats.table import CellKeys, Figures
from bot.storage.record_keys import KEY_RANGE

#: The noise on counts of k + 2 or more, with its probability (symmetric, so the mean is 0).
SPREAD: tuple[tuple[int, Fraction], ...] = (
    (-3, Fraction(5, 1000)),
    (-2, Fraction(95, 1000)),
    (-1, Fraction(200, 1000)),
    (0, Fraction(400, 1000)),
    (1, Fraction(200, 1000)),
    (2, Fraction(95, 1000)),
    (3, Fraction(5, 1000)),
)
#: The largest difference between a published count of k or more and the true count.
MAX_NOISE = max(abs(d) for d, _ in SPREAD)
#: The difference nine figures in ten stay within (at most 1 in 100 is off by more than 2).
USUAL_NOISE = 2

Row = tuple[tuple[int, Fraction], ...]


@dataclass(frozen=True)
class PTable:
    """The perturbation table for a small-cell limit ``k``: true count -> published counts."""

    k: int

    def row(self, true: int) -> Row:
        """The published values a true count can become, each with its probability."""
        if true <= 0:
            return ((0, Fraction(1)),)
        if true < self.k:  # rounded to 0 or k, keeping the mean
            rounded_up = Fraction(true, self.k)
            return ((0, 1 - rounded_up), (self.k, rounded_up))
        # Never below k: near k the downward noise is cut, and the upward noise scaled down
        # to keep the mean at 0 (the full upward reach stays, so a published figure never
        # pins the true one to its smallest possible value).
        reach = min(MAX_NOISE, true - self.k)
        down = [(d, p) for d, p in SPREAD if -reach <= d < 0]
        up = [(d, p) for d, p in SPREAD if d > 0]
        scale = -sum((d * p for d, p in down), Fraction(0)) / sum(
            (d * p for d, p in up), Fraction(0)
        )
        kept = down + [(d, p * scale) for d, p in up]
        stay = 1 - sum((p for _, p in kept), Fraction(0))
        return tuple(sorted((true + d, p) for d, p in [*kept, (0, stay)] if p > 0))

    def publish(self, true: int, key_sum: int) -> int:
        """The published value of a true count whose records' keys add up to ``key_sum``.

        The cell key ``key_sum % KEY_RANGE / KEY_RANGE`` falls in one value's share of [0, 1):
        compared exactly, as whole numbers (a table has thousands of figures).
        """
        key = key_sum % KEY_RANGE
        for value, below in _thresholds(self, true):
            if key < below:
                return value
        raise AssertionError("the shares of a row add up to 1")  # pragma: no cover

    def possible_true(self, published: int) -> tuple[int, int]:
        """The smallest and largest true counts that can be published as ``published``.

        What anyone who knows this table can conclude from a published figure alone.
        """
        found = [
            n
            for n in range(0, published + self.k + MAX_NOISE + 1)
            if any(value == published for value, _ in self.row(n))
        ]
        if not found:
            raise ValueError(f"{published} is never published")
        return min(found), max(found)

    def error_bound(self, true: int) -> int:
        """How far the published value of a true count can be from it."""
        return max(abs(value - true) for value, _ in self.row(true))


@lru_cache(maxsize=8192)
def _thresholds(table: PTable, true: int) -> tuple[tuple[int, int], ...]:
    """Each published value of a row with the whole-number cell key it is published below.

    A key k in [0, KEY_RANGE) has cell key k / KEY_RANGE < c exactly when k < ceil(c *
    KEY_RANGE): the same values as comparing fractions, without them.
    """
    found = []
    reached = Fraction(0)
    for value, probability in table.row(true):
        reached += probability
        found.append((value, math.ceil(reached * KEY_RANGE)))
    return tuple(found)


_MEASURES = tuple(name for name in CellKeys.__dataclass_fields__)


def perturb(figures: Figures, table: PTable) -> Figures:
    """The figures as published: every count moved by the noise its cell key picks.

    Figures without keys (computed elsewhere than the statistics' queries) are refused rather
    than published unperturbed.
    """
    keys = figures.keys
    if keys is None:
        raise ValueError("figures without record keys cannot be published")
    changes = {
        name: table.publish(getattr(figures, name), getattr(keys, name)) for name in _MEASURES
    }
    return replace(figures, keys=None, **changes)
