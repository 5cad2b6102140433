"""Batch sums: one long run cut into equal stretches of time, for the method of batch means.

Replications give independent runs; one long run gives a series of correlated
customers. The method of batch means cuts the run (after the warm-up) into equal
stretches of time, treats each stretch's figure as one observation, and builds a
Student-t interval from them, provided the batch figures are not correlated with
their neighbours (Law, *Simulation Modeling and Analysis*, 5th ed., §9.5.3).

Customers belong to the batch in which they arrived; busy and open till time is
split at the batch boundaries. A run starts with :data:`FIRST_BATCHES`; the intervals
are built in :mod:`checkout_sim.analysis.batch_means`, which merges neighbours while
they are correlated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["FIRST_BATCHES", "Batches", "Sums", "merged", "series"]

#: How many batches a run is cut into at first.
FIRST_BATCHES = 20


@dataclass
class Sums:
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
    def empty(cls, segments: int) -> Sums:
        return cls(segment_served=[0.0] * segments, segment_waits=[0.0] * segments)

    def add(self, other: Sums) -> None:
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


class Batches:
    """Collects per-batch sums over [start, end) in ``count`` equal stretches of time."""

    def __init__(self, start: float, end: float, segments: Sequence[str], count: int = FIRST_BATCHES) -> None:
        self._start = start
        self._width = (end - start) / count
        self._count = count
        self._segments = list(segments)
        self._sums = [Sums.empty(len(segments)) for _ in range(count)]

    def _batch(self, when: float) -> Sums | None:
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

    @property
    def start(self) -> float:
        """Where the first batch begins (the end of the warm-up)."""
        return self._start

    @property
    def width(self) -> float:
        """The length of one batch, in simulated seconds."""
        return self._width

    @property
    def segments(self) -> list[str]:
        return list(self._segments)

    def sums(self) -> list[Sums]:
        """What each batch saw, in time order."""
        return list(self._sums)


def series(sums: Sequence[Sums], segments: Sequence[str]) -> dict[str, list[float]]:
    """Each figure's value in every batch; a figure undefined in some batch is left out."""
    per_batch = [batch.figures(segments) for batch in sums]
    found: dict[str, list[float]] = {}
    for name in per_batch[0]:
        values = [figures[name] for figures in per_batch]
        if all(value is not None for value in values):
            found[name] = [value for value in values if value is not None]
    return found


def merged(sums: Sequence[Sums]) -> list[Sums]:
    """Neighbouring batches added in pairs (an odd last one is dropped with its partner missing)."""
    merged = []
    for index in range(0, len(sums) - 1, 2):
        pair = Sums.empty(len(sums[0].segment_served))
        pair.add(sums[index])
        pair.add(sums[index + 1])
        merged.append(pair)
    return merged
