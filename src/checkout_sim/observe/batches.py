"""Batch sums: one long run cut into equal stretches of time, for the method of batch means.

Replications give independent runs; one long run gives a series of correlated
customers. The method of batch means cuts the run (after the warm-up) into equal
stretches of time, treats each stretch's figure as one observation, and builds a
Student-t interval from them, provided the batch figures are not correlated with
their neighbours (Law, *Simulation Modeling and Analysis*, 5th ed., §9.5.3).

Customers belong to the batch in which they arrived; busy and open till time is
split at the batch boundaries. The stretches are time bins (:class:`~.bins.Bins`, as are the
report's series and, next, the figures per interval); this module says what each
batch counts. A run starts with :data:`FIRST_BATCHES`; the intervals are built in
:mod:`checkout_sim.analysis.batch_means`, which merges neighbours while they are
correlated.

Each segment's served customers, waits and busy till time are kept apart too, so that
a lane group whose customers are exactly some segments' (a :class:`Group`, the groups
theory has a closed form for) gets its own batch figures: its mean wait and its
utilisation (its segments' busy time over its fixed tills' open time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .bins import SUM, Bins, Rule

__all__ = ["FIRST_BATCHES", "Batches", "Group", "Sums", "series"]

#: How many batches a run is cut into at first.
FIRST_BATCHES = 20


@dataclass(frozen=True)
class Group:
    """A lane group fed only by its own segments (their indices), with a fixed number of tills.

    Its customers are exactly those segments' customers, so its waits and busy time
    are theirs added up; its tills never open or close, so its open time in a stretch
    of time is ``tills`` × the stretch's length.
    """

    segments: tuple[int, ...]
    tills: int


#: The sums kept per segment, each a list with one entry per segment.
_PER_SEGMENT = ("segment_served", "segment_waits", "segment_busy")


@dataclass
class Sums:
    """What one stretch of time saw: counts of its arrivals by fate, waits, till time.

    ``span`` is the stretch's length; ``segment_busy`` the till time spent on each
    segment's customers within it.
    """

    served: float = 0.0
    waits: float = 0.0
    waited: float = 0.0
    balked: float = 0.0
    reneged: float = 0.0
    unserved: float = 0.0
    busy: float = 0.0
    open: float = 0.0
    span: float = 0.0
    segment_served: list[float] = field(default_factory=list)
    segment_waits: list[float] = field(default_factory=list)
    segment_busy: list[float] = field(default_factory=list)

    @classmethod
    def empty(cls, segments: int, span: float = 0.0) -> Sums:
        return cls(
            span=span,
            segment_served=[0.0] * segments,
            segment_waits=[0.0] * segments,
            segment_busy=[0.0] * segments,
        )

    def add(self, other: Sums) -> None:
        for name in ("served", "waits", "waited", "balked", "reneged", "unserved", "busy", "open", "span"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _PER_SEGMENT:
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, [a + b for a, b in zip(mine, theirs, strict=True)])

    def figures(
        self, segments: Sequence[str], groups: Mapping[str, Group] | None = None
    ) -> dict[str, float | None]:
        """Each figure of this stretch by the summary's names (``lane_…[name]`` for ``groups``)."""
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
        for name, group in (groups or {}).items():
            served = math.fsum(self.segment_served[index] for index in group.segments)
            waits = math.fsum(self.segment_waits[index] for index in group.segments)
            busy = math.fsum(self.segment_busy[index] for index in group.segments)
            found[f"lane_wait_mean[{name}]"] = waits / served if served else None
            found[f"lane_utilisation[{name}]"] = busy / (group.tills * self.span) if self.span else None
        return found


#: What each batch counts for the whole shop, and how (every column is added when batches merge).
_SHOP = {
    "served": SUM,
    "waits": SUM,
    "waited": SUM,
    "balked": SUM,
    "reneged": SUM,
    "unserved": SUM,
    "busy": SUM,
    "open": SUM,
}


def _columns(segments: int) -> dict[str, Rule]:
    """The shop's columns, then each segment's served, waits and busy time (``served[0]``, …)."""
    columns = dict(_SHOP)
    for name in _PER_SEGMENT:
        columns |= {f"{name}[{index}]": SUM for index in range(segments)}
    return columns


class Batches:
    """Collects per-batch sums over [start, end) in ``count`` equal stretches of time.

    The stretches are a :class:`~.bins.Bins` (which splits busy and open time at their
    boundaries and leaves out what falls before the first or after the last); this
    adds each customer and each till's time to the right columns. A checkout's busy time
    goes to the whole shop and to its customer's segment; one of someone who came during
    the warm-up (whose segment is no longer known, an index past the segments) counts
    for the whole shop only.
    """

    __slots__ = ("_bins", "_busy", "_segment_busy", "_segment_served", "_segment_waits", "_segments",
                 "_served", "_waited", "_waits")  # fmt: skip

    def __init__(self, start: float, end: float, segments: Sequence[str], count: int = FIRST_BATCHES) -> None:
        self._take(Bins(start, (end - start) / count, count, _columns(len(segments))), segments)

    def _take(self, bins: Bins, segments: Sequence[str]) -> None:
        """Keep ``bins`` and its columns at hand (the lists are the bins' own, changed in place)."""
        self._bins = bins
        self._segments = list(segments)
        columns = bins.columns
        self._served, self._waits, self._waited = columns["served"], columns["waits"], columns["waited"]
        self._busy = columns["busy"]
        self._segment_served, self._segment_waits, self._segment_busy = (
            [columns[f"{name}[{index}]"] for index in range(len(segments))] for name in _PER_SEGMENT
        )

    def served(self, segment: int, arrival: float, wait: float) -> None:
        """A customer who arrived at ``arrival`` reached a till after ``wait``."""
        index = self._bins.at(arrival)
        if index is not None and segment < len(self._segments):
            self._served[index] += 1
            self._waits[index] += wait
            self._waited[index] += wait > 0
            self._segment_served[segment][index] += 1
            self._segment_waits[segment][index] += wait

    def lost(self, segment: int, arrival: float, fate: str) -> None:
        """A customer who arrived at ``arrival`` balked, reneged or went unserved (``fate``)."""
        if segment < len(self._segments):
            self._bins.add(fate, arrival)

    def busy(self, start: float, end: float, segment: int | None = None) -> None:
        """A till was busy from ``start`` to ``end`` with a customer of ``segment`` (None: unknown)."""
        shop = self._busy
        if segment is None or segment >= len(self._segments):  # none, or came during the warm-up
            for index, overlap in self._bins.overlaps(start, end):
                shop[index] += overlap
            return
        own = self._segment_busy[segment]
        for index, overlap in self._bins.overlaps(start, end):
            shop[index] += overlap
            own[index] += overlap

    def open(self, start: float, end: float, lanes: int) -> None:
        """``lanes`` tills were open from ``start`` to ``end``."""
        if lanes:
            self._bins.spread("open", start, end, lanes)

    def merged(self) -> Batches:
        """These batches merged with their neighbours in pairs (see :meth:`.bins.Bins.merged`)."""
        found = Batches.__new__(Batches)
        found._take(self._bins.merged(), self._segments)
        return found

    @property
    def start(self) -> float:
        """Where the first batch begins (the end of the warm-up)."""
        return self._bins.start

    @property
    def width(self) -> float:
        """The length of one batch, in simulated seconds."""
        return self._bins.width

    @property
    def segments(self) -> list[str]:
        return list(self._segments)

    def sums(self) -> list[Sums]:
        """What each batch saw, in time order."""
        columns = self._bins.columns
        served, waits, waited, balked, reneged, unserved, busy, open_ = (columns[name] for name in _SHOP)
        segment_served, segment_waits, segment_busy = (
            self._segment_served,
            self._segment_waits,
            self._segment_busy,
        )
        return [
            Sums(
                served=served[index],
                waits=waits[index],
                waited=waited[index],
                balked=balked[index],
                reneged=reneged[index],
                unserved=unserved[index],
                busy=busy[index],
                open=open_[index],
                span=self._bins.width,
                segment_served=[column[index] for column in segment_served],
                segment_waits=[column[index] for column in segment_waits],
                segment_busy=[column[index] for column in segment_busy],
            )
            for index in range(self._bins.count)
        ]


def series(
    sums: Sequence[Sums], segments: Sequence[str], groups: Mapping[str, Group] | None = None
) -> dict[str, list[float]]:
    """Each figure's value in every batch; a figure undefined in some batch is left out."""
    per_batch = [batch.figures(segments, groups) for batch in sums]
    found: dict[str, list[float]] = {}
    for name in per_batch[0]:
        values = [figures[name] for figures in per_batch]
        if all(value is not None for value in values):
            found[name] = [value for value in values if value is not None]
    return found
