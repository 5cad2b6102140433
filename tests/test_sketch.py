"""The quantile sketch: batched adds give exactly the one-by-one buckets, within the stated error."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from checkout_sim.observe.sketch import _BATCH, RELATIVE_ACCURACY, QuantileSketch

QUANTILES = [0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0]


def waits(count: int, seed: int) -> list[float]:
    """Exponential waits with a share of exact zeros and of values below a nanosecond."""
    rng = random.Random(seed)
    values = [rng.expovariate(1 / 60) for _ in range(count)]
    for index in range(0, count, 5):
        values[index] = 0.0
    for index in range(3, count, 97):
        values[index] = 1e-12
    return values


def one_by_one(values: list[float], q: float) -> float | None:
    """The sketch's answer computed straight from the DDSketch definition, value by value."""
    gamma_log = math.log((1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY))
    zeros = sum(1 for value in values if value < 1e-9)
    buckets = Counter(math.ceil(math.log(value) / gamma_log) for value in values if value >= 1e-9)
    if not values:
        return None
    rank = max(1, math.ceil(q * len(values)))
    if rank <= zeros:
        return 0.0
    seen = zeros
    for index in sorted(buckets):
        seen += buckets[index]
        if seen >= rank:
            value = 2 * math.exp(index * gamma_log) / (1 + math.exp(gamma_log))
            return min(max(value, min(values)), max(values))
    return max(values)


def test_batched_adds_give_exactly_the_one_by_one_answers() -> None:
    """Across several batches and a partial one: same count, zeros, extremes and quantiles."""
    values = waits(3 * _BATCH + 123, seed=1)
    sketch = QuantileSketch()
    for value in values:
        sketch.add(value)
    assert (sketch.count, sketch.min, sketch.max) == (len(values), min(values), max(values))
    assert sketch.zeros == sum(1 for value in values if value < 1e-9)
    assert [sketch.quantile(q) for q in QUANTILES] == [one_by_one(values, q) for q in QUANTILES]


def test_quantiles_are_within_the_stated_relative_error() -> None:
    """Every quantile lies within 0.5% of the exact order statistic it stands for."""
    values = waits(20_000, seed=2)
    sketch = QuantileSketch()
    for value in values:
        sketch.add(value)
    ordered = sorted(values)
    for q in QUANTILES:
        exact = ordered[max(1, math.ceil(q * len(values))) - 1]
        reported = sketch.quantile(q)
        assert reported is not None
        assert abs(reported - exact) <= RELATIVE_ACCURACY * exact + 1e-12, q


def test_merging_equals_adding_everything_to_one_sketch() -> None:
    """Two sketches merged (with values still pending in both) answer as one sketch of all values."""
    first, second = waits(_BATCH + 10, seed=3), waits(777, seed=4)
    left, right, whole = QuantileSketch(), QuantileSketch(), QuantileSketch()
    for value in first:
        left.add(value)
        whole.add(value)
    for value in second:
        right.add(value)
        whole.add(value)
    left.merge(right)
    assert left.count == whole.count == len(first) + len(second)
    assert [left.quantile(q) for q in QUANTILES] == [whole.quantile(q) for q in QUANTILES]


def test_an_empty_sketch_has_no_quantiles() -> None:
    """Nothing recorded: no quantile, a count of zero."""
    sketch = QuantileSketch()
    assert (sketch.quantile(0.5), sketch.count) == (None, 0)


def test_memory_stays_bounded_by_one_batch() -> None:
    """However many values are added, at most one batch waits to be folded in."""
    sketch = QuantileSketch()
    for value in waits(5 * _BATCH, seed=5):
        sketch.add(value)
        assert len(sketch._pending) < _BATCH


def test_values_that_are_not_numbers_are_refused_without_counting_anything() -> None:
    """NaN raises ValueError and infinity OverflowError; what was folded before stays as it was."""
    for bad, error in ((math.nan, ValueError), (math.inf, OverflowError)):
        sketch = QuantileSketch()
        for value in waits(_BATCH, seed=6):  # one whole batch, folded
            sketch.add(value)
        sketch.add(bad)
        for _ in range(2):  # asking again does not count the batch twice
            with pytest.raises(error):
                sketch.quantile(0.5)
        assert (sketch._count, sketch._zeros) == (_BATCH, sum(1 for v in waits(_BATCH, seed=6) if v < 1e-9))


def test_values_below_zero_count_as_zeros_and_nan_among_them_is_still_refused() -> None:
    """Negative values and minus infinity count as zeros; a NaN beside them raises, huge numbers do not."""
    sketch = QuantileSketch()
    sketch.extend([-1.0, -math.inf, 0.0, 2.0])
    assert (sketch.count, sketch.zeros, sketch.min, sketch.max) == (4, 3, -math.inf, 2.0)
    with pytest.raises(ValueError, match="not a number"):
        sketch.extend([-math.inf, math.nan, 1.0])
    assert (sketch.count, sketch.zeros) == (4, 3)
    sketch.extend([1e308, 1e308, -math.inf])  # numbers, though their sum is inf + -inf = NaN
    assert (sketch.count, sketch.zeros, sketch.max) == (7, 4, 1e308)
