"""A streaming quantile sketch (DDSketch) so wait percentiles need no per-customer memory.

Masson, Rim & Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
Relative-Error Guarantees", PVLDB 12(12), 2019. Values fall into logarithmic buckets
of ratio gamma = (1 + a) / (1 - a); any quantile is returned within relative error
``a`` of the true order statistic. Zero (a customer served at once) is kept exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import partial
from itertools import repeat
from operator import gt, le, truediv

__all__ = ["RELATIVE_ACCURACY", "QuantileSketch"]

#: Relative error of every reported percentile: 0.5 %.
RELATIVE_ACCURACY = 0.005

#: Values below this many seconds count as zero (far below any clock resolution).
_ZERO = 1e-9
# Partials of C functions: cheaper to call than the method-wrappers _ZERO.__le__ and __gt__.
_not_zero, _is_zero = partial(le, _ZERO), partial(gt, _ZERO)

#: Values are kept as they come and folded into the buckets this many at a time.
_BATCH = 4096


class QuantileSketch:
    """Counts of values per logarithmic bucket; mergeable and fixed in accuracy.

    Values are folded into the buckets a batch at a time by C-level ``map`` calls
    (log, divide, ceil, count), which gives the very buckets, counts and extremes that
    adding one by one would: :meth:`extend` takes a whole batch (the tally hands over
    4,096 waits at a time), and :meth:`add` only appends, holding at most one batch.
    """

    __slots__ = ("_buckets", "_count", "_gamma_log", "_max", "_min", "_pending", "_zeros")

    def __init__(self, relative_accuracy: float = RELATIVE_ACCURACY) -> None:
        self._gamma_log = math.log((1 + relative_accuracy) / (1 - relative_accuracy))
        self._buckets: Counter[int] = Counter()
        self._pending: list[float] = []
        self._zeros = 0
        self._count = 0
        self._min = math.inf
        self._max = 0.0

    def add(self, value: float) -> None:
        """Record one non-negative value."""
        pending = self._pending
        pending.append(value)
        if len(pending) >= _BATCH:
            self._fold()

    def extend(self, values: list[float]) -> None:
        """Record many non-negative values at once: all of them, or none on error."""
        self._fold()
        self._fold_in(values)

    def _fold(self) -> None:
        """Move the pending values into the counts and buckets."""
        pending = self._pending
        if pending:
            self._fold_in(pending)
            pending.clear()

    def _fold_in(self, values: list[float]) -> None:
        if not values:
            return
        indices = list(
            map(math.ceil, map(truediv, map(math.log, filter(_not_zero, values)), repeat(self._gamma_log)))
        )  # an infinite value raises OverflowError here, before anything is counted
        zeros = sum(map(_is_zero, values))
        if zeros + len(indices) != len(values):  # NaN is neither
            raise ValueError("the sketch was given a value that is not a number")
        self._count += len(values)
        self._zeros += zeros
        self._min = min(self._min, *values)
        self._max = max(self._max, *values)
        self._buckets.update(indices)

    @property
    def count(self) -> int:
        """How many values were recorded."""
        self._fold()
        return self._count

    @property
    def zeros(self) -> int:
        """How many of them were zero (below a nanosecond)."""
        self._fold()
        return self._zeros

    @property
    def min(self) -> float:
        """The smallest value recorded (infinity before any)."""
        self._fold()
        return self._min

    @property
    def max(self) -> float:
        """The largest value recorded (0 before any)."""
        self._fold()
        return self._max

    def merge(self, other: QuantileSketch) -> None:
        """Add every value recorded by ``other`` (same accuracy) to this sketch."""
        if other._gamma_log != self._gamma_log:
            raise ValueError("cannot merge sketches of different accuracy")
        self._fold()
        other._fold()
        self._buckets.update(other._buckets)
        self._zeros += other._zeros
        self._count += other._count
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)

    def quantile(self, q: float) -> float | None:
        """The value at quantile ``q`` (nearest rank), or None when nothing was recorded."""
        self._fold()
        if self._count == 0:
            return None
        rank = max(1, math.ceil(q * self._count))
        if rank <= self._zeros:
            return 0.0
        seen = self._zeros
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                # The bucket's midpoint in relative terms, clamped to what was seen.
                value = 2 * math.exp(index * self._gamma_log) / (1 + math.exp(self._gamma_log))
                return min(max(value, self._min), self._max)
        return self._max
