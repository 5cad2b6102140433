"""The tally: waits folded a batch at a time give exactly the figures of adding them one by one."""

from __future__ import annotations

import math

from checkout_sim.observe.sketch import QuantileSketch
from checkout_sim.observe.tally import _BATCH, Tally
from test_sketch import waits


def test_batched_wait_figures_are_the_one_by_one_floats() -> None:
    """Sums, counts, extremes and percentiles over several batches match a plain loop bit for bit."""
    values = waits(3 * _BATCH + 123, seed=7)
    tally = Tally(["all"], lambda: 1.0)
    for value in values:
        tally.served(0, value, 1.0)
    summary = tally.summary(seed=0)
    total = squares = 0.0
    sketch = QuantileSketch()
    for value in values:
        total += value
        squares += value * value
        sketch.add(value)
    n = len(values)
    mean = total / n
    assert summary.served == n
    assert summary.waited == sum(1 for value in values if value > 0)
    assert summary.wait_mean == mean
    assert summary.wait_sd == math.sqrt(max(0.0, squares / n - mean * mean) * n / (n - 1))
    assert (summary.wait_p50, summary.wait_p99, summary.wait_max) == (
        sketch.quantile(0.5),
        sketch.quantile(0.99),
        max(values),
    )
    assert summary.utilisation is None  # no lane was ever open


def test_memory_stays_bounded_by_one_batch_per_segment() -> None:
    """However many customers are served, at most one batch of waits is held unfolded."""
    tally = Tally(["a", "b"], lambda: 1.0)
    for number in range(10 * _BATCH):
        tally.served(number % 2, float(number), 1.0)
        assert all(len(segment.waits.pending) < _BATCH for segment in tally.segments)
    assert tally.summary(seed=0).served == 10 * _BATCH
