"""Batch means: a confidence interval from one long run.

Replications give independent runs; one long run gives a series of correlated
customers. The method of batch means cuts the run (after the warm-up) into equal
stretches of time, treats each stretch's figure as one observation, and builds a
Student-t interval from them, provided the batch figures are not correlated with
their neighbours (Law, *Simulation Modeling and Analysis*, 5th ed., §9.5.3).

Customers belong to the batch in which they arrived; busy and open till time is
split at the batch boundaries. Batches start at :data:`FIRST_BATCHES`; while the
lag-1 correlation of any figure's batch series is positive and significant at the
5 % level (``r1 > 1.645 / sqrt(k)``: positive correlation is what makes an interval
too narrow), neighbouring batches are merged in pairs, down to :data:`FEWEST_BATCHES`.
What was found is reported either way.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..analysis.confidence import Interval, cut_interval, t_quantile

__all__ = ["FEWEST_BATCHES", "FIRST_BATCHES", "BatchMeans", "Batches"]

#: How many batches a run is cut into at first.
FIRST_BATCHES = 20
#: Merging stops here: fewer batches make too wide an interval to be worth it.
FEWEST_BATCHES = 10
#: The one-sided 5 % point of the normal: a lag-1 correlation above z / sqrt(k) is significant.
_Z = 1.6448536269514722


@dataclass
class _Sums:
    """What one stretch of time saw: counts of its arrivals by fate, waits, till time."""

    served: float = 0.0
    waits: float = 0.0
    waited: float = 0.0
    balked: float = 0.0
    reneged: float = 0.0
    unserved: float = 0.0
    busy: float = 0.0
    open: float = 0.0
    segment_served: list[float] = field(default_factory=list)
    segment_waits: list[float] = field(default_factory=list)

    @classmethod
    def empty(cls, segments: int) -> _Sums:
        return cls(segment_served=[0.0] * segments, segment_waits=[0.0] * segments)

    def add(self, other: _Sums) -> None:
        for name in ("served", "waits", "waited", "balked", "reneged", "unserved", "busy", "open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.segment_served = [a + b for a, b in zip(self.segment_served, other.segment_served, strict=True)]
        self.segment_waits = [a + b for a, b in zip(self.segment_waits, other.segment_waits, strict=True)]

    def figures(self, segments: Sequence[str]) -> dict[str, float | None]:
        arrived = self.served + self.balked + self.reneged + self.unserved
        found: dict[str, float | None] = {
            "wait_mean": self.waits / self.served if self.served else None,
            "wait_probability": self.waited / self.served if self.served else None,
            "loss": self.balked / arrived if arrived else None,
            "abandonment": self.reneged / arrived if arrived else None,
            "utilisation": self.busy / self.open if self.open else None,
        }
        if len(segments) > 1:
            for name, served, waits in zip(segments, self.segment_served, self.segment_waits, strict=True):
                found[f"wait_mean[{name}]"] = waits / served if served else None
        return found


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


class Batches:
    """Collects per-batch sums over [start, end) in ``count`` equal stretches of time."""

    def __init__(self, start: float, end: float, segments: Sequence[str], count: int = FIRST_BATCHES) -> None:
        self._start = start
        self._width = (end - start) / count
        self._count = count
        self._segments = list(segments)
        self._sums = [_Sums.empty(len(segments)) for _ in range(count)]

    def _batch(self, when: float) -> _Sums | None:
        index = math.floor((when - self._start) / self._width)
        return self._sums[index] if 0 <= index < self._count else None

    def served(self, segment: int, arrival: float, wait: float) -> None:
        """A customer who arrived at ``arrival`` reached a till after ``wait``."""
        sums = self._batch(arrival)
        if sums is not None and segment < len(self._segments):
            sums.served += 1
            sums.waits += wait
            sums.waited += wait > 0
            sums.segment_served[segment] += 1
            sums.segment_waits[segment] += wait

    def lost(self, segment: int, arrival: float, fate: str) -> None:
        """A customer who arrived at ``arrival`` balked, reneged or went unserved (``fate``)."""
        sums = self._batch(arrival)
        if sums is not None and segment < len(self._segments):
            setattr(sums, fate, getattr(sums, fate) + 1)

    def busy(self, start: float, end: float) -> None:
        """A till was busy from ``start`` to ``end``."""
        self._spread("busy", start, end, 1.0)

    def open(self, start: float, end: float, lanes: int) -> None:
        """``lanes`` tills were open from ``start`` to ``end``."""
        if lanes:
            self._spread("open", start, end, float(lanes))

    def _spread(self, name: str, start: float, end: float, weight: float) -> None:
        """Add ``weight`` × the overlap of [start, end) with each batch to that batch's ``name``."""
        first = max(0, math.floor((start - self._start) / self._width))
        last = min(self._count - 1, math.floor((end - self._start) / self._width))
        for index in range(first, last + 1):
            low = self._start + index * self._width
            overlap = min(end, low + self._width) - max(start, low)
            if overlap > 0:
                sums = self._sums[index]
                setattr(sums, name, getattr(sums, name) + weight * overlap)

    def means(self, confidence: float = 0.95) -> BatchMeans:
        """Intervals from the batch series, merging neighbours while they are correlated."""
        sums, width = self._sums, self._width
        while True:
            series = _series(sums, self._segments)
            correlation = max((_lag1(values) for values in series.values()), default=0.0)
            threshold = _Z / math.sqrt(len(sums))
            if correlation <= threshold or len(sums) // 2 < FEWEST_BATCHES:
                break
            sums, width = _merged(sums), width * 2
        whole = _Sums.empty(len(self._segments))
        for batch in sums:
            whole.add(batch)
        overall = whole.figures(self._segments)
        intervals = {}
        t = t_quantile(0.5 + confidence / 2, len(sums) - 1)
        for name, values in series.items():
            centre = overall[name]
            if centre is None:
                continue
            half = t * statistics.stdev(values) / math.sqrt(len(values))
            highest = math.inf if name.startswith("wait_mean") else 1.0
            intervals[name] = cut_interval(centre, half, 0.0, highest)
        return BatchMeans(len(sums), width, self._start, correlation, threshold, intervals)


def _series(sums: Sequence[_Sums], segments: Sequence[str]) -> dict[str, list[float]]:
    """Each figure's value in every batch; a figure undefined in some batch is left out."""
    per_batch = [batch.figures(segments) for batch in sums]
    found: dict[str, list[float]] = {}
    for name in per_batch[0]:
        values = [figures[name] for figures in per_batch]
        if all(value is not None for value in values):
            found[name] = [value for value in values if value is not None]
    return found


def _lag1(values: Sequence[float]) -> float:
    """The lag-1 autocorrelation of a series (0 for a constant one)."""
    mean = math.fsum(values) / len(values)
    centred = [value - mean for value in values]
    variance = math.fsum(c * c for c in centred)
    if variance == 0:
        return 0.0
    return math.fsum(a * b for a, b in itertools.pairwise(centred)) / variance


def _merged(sums: Sequence[_Sums]) -> list[_Sums]:
    """Neighbouring batches added in pairs (an odd last one is dropped with its partner missing)."""
    merged = []
    for index in range(0, len(sums) - 1, 2):
        pair = _Sums.empty(len(sums[0].segment_served))
        pair.add(sums[index])
        pair.add(sums[index + 1])
        merged.append(pair)
    return merged
