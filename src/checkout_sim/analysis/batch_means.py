"""Batch means: a confidence interval from one long run.

Replications give independent runs; one long run gives a series of correlated
customers. The method of batch means cuts the run (after the warm-up) into equal
stretches of time (:mod:`checkout_sim.observe.batches`), treats each stretch's figure
as one observation, and builds a Student-t interval from them, provided the batch
figures are not correlated with their neighbours (Law, *Simulation Modeling and
Analysis*, 5th ed., §9.5.3). While the lag-1 correlation of any figure's batch series
is positive and significant at the 5 % level (``r1 > 1.645 / sqrt(k)``: positive
correlation is what makes an interval too narrow), neighbouring batches are merged in
pairs, down to :data:`FEWEST_BATCHES`. What was found is reported either way.

Lane groups fed only by their own segments (see :class:`~checkout_sim.observe.batches.Group`)
get intervals for their mean wait and utilisation too, so that every figure theory has
a closed form for can be judged from one run.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..observe.batches import Batches, Group, Sums, series
from ..observe.summary import figure_range
from .confidence import Interval, cut_interval, t_quantile

__all__ = ["FEWEST_BATCHES", "BatchMeans", "batch_means"]

#: Merging stops here: fewer batches make too wide an interval to be worth it.
FEWEST_BATCHES = 10
#: The one-sided 5 % point of the normal: a lag-1 correlation above z / sqrt(k) is significant.
_Z = 1.6448536269514722


@dataclass(frozen=True)
class BatchMeans:
    """The batch-means intervals of one run, and how the batches were chosen.

    ``correlation`` is the largest lag-1 correlation of any figure's batch series at
    the batch count used, ``threshold`` the value above which it is significant;
    ``independent`` says whether it stayed below.
    """

    batches: int
    width: float
    start: float
    correlation: float
    threshold: float
    intervals: dict[str, Interval]

    @property
    def independent(self) -> bool:
        return self.correlation <= self.threshold


def batch_means(
    batches: Batches, confidence: float = 0.95, groups: Mapping[str, Group] | None = None
) -> BatchMeans:
    """Intervals from the batch series, merging neighbours while they are correlated.

    ``groups``: the lane groups fed only by their own segments, by name, whose figures
    (``lane_wait_mean[name]``, ``lane_utilisation[name]``) get intervals too.
    """
    segments = batches.segments
    while True:
        sums = batches.sums()
        found = series(sums, segments, groups)
        correlation = max((_lag1(values) for values in found.values()), default=0.0)
        threshold = _Z / math.sqrt(len(sums))
        if correlation <= threshold or len(sums) // 2 < FEWEST_BATCHES:
            break
        batches = batches.merged()
    whole = Sums.empty(len(segments))
    for batch in sums:
        whole.add(batch)
    overall = whole.figures(segments, groups)
    intervals = {}
    t = t_quantile(0.5 + confidence / 2, len(sums) - 1)
    for name, values in found.items():
        centre = overall[name]
        if centre is None:
            continue
        half = t * statistics.stdev(values) / math.sqrt(len(values))
        intervals[name] = cut_interval(centre, half, *figure_range(name))
    return BatchMeans(len(sums), batches.width, batches.start, correlation, threshold, intervals)


def _lag1(values: Sequence[float]) -> float:
    """The lag-1 autocorrelation of a series (0 for a constant one)."""
    mean = math.fsum(values) / len(values)
    centred = [value - mean for value in values]
    variance = math.fsum(c * c for c in centred)
    if variance == 0:
        return 0.0
    return math.fsum(a * b for a, b in itertools.pairwise(centred)) / variance
