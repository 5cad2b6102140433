"""A streaming quantile sketch (DDSketch) so wait percentiles need no per-customer memory.

Masson, Rim & Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
Relative-Error Guarantees", PVLDB 12(12), 2019. Values fall into logarithmic buckets
of ratio gamma = (1 + a) / (1 - a); any quantile is returned within relative error
``a`` of the true order statistic. Zero (a customer served at once) is kept exactly.
"""

from __future__ import annotations

import math
from collections import Counter

__all__ = ["RELATIVE_ACCURACY", "QuantileSketch"]

#: Relative error of every reported percentile: 0.5 %.
RELATIVE_ACCURACY = 0.005

_ceil, _log = math.ceil, math.log

#: Values below this many seconds count as zero (far below any clock resolution).
_ZERO = 1e-9


class QuantileSketch:
    """Counts of values per logarithmic bucket; mergeable and fixed in accuracy."""

    __slots__ = ("_buckets", "_gamma_log", "count", "max", "min", "zeros")

    def __init__(self, relative_accuracy: float = RELATIVE_ACCURACY) -> None:
        self._gamma_log = math.log((1 + relative_accuracy) / (1 - relative_accuracy))
        self._buckets: Counter[int] = Counter()
        self.zeros = 0
        self.count = 0
        self.min = math.inf
        self.max = 0.0

    def add(self, value: float) -> None:
        """Record one non-negative value."""
        self.count += 1
        if value < self.min:  # noqa: PLR1730  # cheaper than min() on the hot path
            self.min = value
        if value > self.max:  # noqa: PLR1730
            self.max = value
        if value < _ZERO:
            self.zeros += 1
        else:
            self._buckets[_ceil(_log(value) / self._gamma_log)] += 1

    def merge(self, other: QuantileSketch) -> None:
        """Add every value recorded by ``other`` (same accuracy) to this sketch."""
        if other._gamma_log != self._gamma_log:
            raise ValueError("cannot merge sketches of different accuracy")
        self._buckets.update(other._buckets)
        self.zeros += other.zeros
        self.count += other.count
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float | None:
        """The value at quantile ``q`` (nearest rank), or None when nothing was recorded."""
        if self.count == 0:
            return None
        rank = max(1, math.ceil(q * self.count))
        if rank <= self.zeros:
            return 0.0
        seen = self.zeros
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                # The bucket's midpoint in relative terms, clamped to what was seen.
                value = 2 * math.exp(index * self._gamma_log) / (1 + math.exp(self._gamma_log))
                return min(max(value, self.min), self.max)
        return self.max
