"""What a run found: counts, waits, line length, utilisation; and how they are tallied.

Everything is accumulated as the run goes (sums, maxima, a quantile sketch), so memory
stays flat however many customers pass through. Wait figures cover served customers:
the time from arrival to reaching a cashier.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial, reduce
from operator import add, lt, mul
from typing import Any, Protocol

from .batches import Batches
from .sketch import RELATIVE_ACCURACY, QuantileSketch

#: Waits are folded into the sums and the sketch this many at a time (memory stays bounded).
_BATCH = 4096
_waited = partial(lt, 0.0)  # waited at all: 0 < wait (a partial of a C function is cheap to call)

__all__ = [
    "PERCENTILE_RELATIVE_ERROR",
    "SHARES",
    "BatchTally",
    "SegmentSummary",
    "Summary",
    "Tally",
    "figure_range",
    "figures",
    "pooled_quantile",
]

#: Relative error of wait_p50, wait_p90 and wait_p99 (mean and max are exact).
PERCENTILE_RELATIVE_ERROR = RELATIVE_ACCURACY


@dataclass(frozen=True)
class SegmentSummary:
    """The counts and wait figures of one customer segment."""

    arrived: int
    served: int
    balked: int
    reneged: int
    unserved: int
    waited: int
    wait_mean: float | None
    wait_sd: float | None
    wait_p50: float | None
    wait_p90: float | None
    wait_p99: float | None
    wait_max: float | None


@dataclass(frozen=True)
class Summary(SegmentSummary):
    """The whole run: :class:`SegmentSummary` figures for everyone, plus the shop's.

    ``waiting_mean`` is the time-average number waiting anywhere (in line or held at
    the door) and ``wait_mean_all`` the mean wait over every arrival (0 for a balk,
    the time until leaving for those who gave up), so that Little's law
    ``waiting_mean = arrived / elapsed × wait_mean_all`` holds for every run.
    ``lane_hours`` is the staffed till time: hours each lane was open, added up (the
    manager's extra lanes included), the cost a staffing plan is judged on.
    """

    queue_length_mean: float
    queue_length_max: int
    waiting_mean: float
    wait_mean_all: float | None
    utilisation: float | None
    throughput_per_hour: float | None
    lanes_max: int
    lane_hours: float
    elapsed: float
    seed: int
    interrupted: bool
    segments: dict[str, SegmentSummary] = field(default_factory=dict)
    #: With a warm-up: the simulated time from which the figures count (None: the whole run).
    warmup: float | None = None
    #: On the wall clock: the most simulated seconds the run fell behind it (None: virtual clock).
    realtime_lag_max: float | None = None
    #: Every served customer's wait, sketched; merge across runs for pooled percentiles.
    sketch: QuantileSketch | None = field(default=None, compare=False, repr=False)
    #: One run cut into batches of time, for intervals by batch means, when asked for.
    batches: Batches | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, in field order, as written in the ``run_finished`` event.

        A field of a feature the run did not use (``warmup``) is left out, so a run
        without it logs what it always did.
        """
        data = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in _NOT_LOGGED and not (name in _FEATURES and getattr(self, name) is None)
        }
        data["segments"] = {name: asdict(segment) for name, segment in self.segments.items()}
        return data


#: Summary fields that are not in the log: the sketch and the batch means are working data.
_NOT_LOGGED = frozenset({"sketch", "batches"})
#: Summary fields written only when the run used the feature they belong to.
_FEATURES = frozenset({"warmup", "realtime_lag_max"})


def pooled_quantile(summaries: Sequence[Summary], q: float) -> float | None:
    """The q-quantile of the waits of every served customer of all these runs (merged sketches)."""
    pooled = QuantileSketch()
    for summary in summaries:
        if summary.sketch is not None:
            pooled.merge(summary.sketch)
    return pooled.quantile(q)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


#: The figures that are shares of something, so lie between 0 and 1.
SHARES = frozenset({"wait_probability", "loss", "abandonment", "lost_share", "utilisation"})


def figure_range(name: str) -> tuple[float, float]:
    """The values a figure can take: every figure is a count, a time, a mean or a share."""
    return (0.0, 1.0) if name in SHARES else (0.0, math.inf)


def figures(summary: Summary) -> dict[str, float | None]:
    """The figures people compare across runs and with theory, by name.

    ``wait_probability`` is the share of served customers who waited at all, ``loss``
    the share of arrivals who balked, ``abandonment`` the share who reneged,
    ``lost_share`` the share not served (balked, reneged or unserved at closing);
    ``wait_mean[segment]`` is one segment's mean wait.
    """
    found: dict[str, float | None] = {
        "wait_mean": summary.wait_mean,
        "wait_p50": summary.wait_p50,
        "wait_p90": summary.wait_p90,
        "wait_p99": summary.wait_p99,
        "wait_max": summary.wait_max,
        "wait_probability": _ratio(summary.waited, summary.served),
        "loss": _ratio(summary.balked, summary.arrived),
        "abandonment": _ratio(summary.reneged, summary.arrived),
        "lost_share": _ratio(summary.balked + summary.reneged + summary.unserved, summary.arrived),
        "queue_length_mean": summary.queue_length_mean,
        "utilisation": summary.utilisation,
        "throughput_per_hour": summary.throughput_per_hour,
    }
    if len(summary.segments) > 1:
        for name, segment in summary.segments.items():
            found[f"wait_mean[{name}]"] = segment.wait_mean
    return found


class _WaitTally:
    """Running count, sum, sum of squares and sketch of waits.

    Waits are kept as they come (:attr:`pending`, appended to by :meth:`Tally.served`)
    and folded in a batch at a time by C-level calls; the sums are left folds in
    arrival order, so they are the very floats that adding one by one gives.
    """

    __slots__ = ("pending", "sketch", "sum", "sum_squares", "waited")

    def __init__(self) -> None:
        self.sketch = QuantileSketch()
        self.pending: list[float] = []
        self.sum = 0.0
        self.sum_squares = 0.0
        self.waited = 0

    def settle(self) -> None:
        """Fold the pending waits into the sums and the sketch."""
        pending = self.pending
        if pending:
            self.sketch.extend(pending)  # first: it refuses values that are not numbers
            self.sum = reduce(add, pending, self.sum)
            self.sum_squares = reduce(add, map(mul, pending, pending), self.sum_squares)
            self.waited += sum(map(_waited, pending))
            pending.clear()

    def merge(self, other: _WaitTally) -> None:
        self.settle()
        other.settle()
        self.sketch.merge(other.sketch)
        self.sum += other.sum
        self.sum_squares += other.sum_squares
        self.waited += other.waited

    def figures(self) -> dict[str, Any]:
        self.settle()
        n = self.sketch.count
        if n == 0:
            return dict.fromkeys(
                ("wait_mean", "wait_sd", "wait_p50", "wait_p90", "wait_p99", "wait_max"),
                None,
            ) | {"waited": 0}
        mean = self.sum / n
        variance = max(0.0, self.sum_squares / n - mean * mean) * n / (n - 1) if n > 1 else 0.0
        return {
            "waited": self.waited,
            "wait_mean": mean,
            "wait_sd": math.sqrt(variance),
            "wait_p50": self.sketch.quantile(0.50),
            "wait_p90": self.sketch.quantile(0.90),
            "wait_p99": self.sketch.quantile(0.99),
            "wait_max": self.sketch.max,
        }


class _SegmentTally:
    __slots__ = ("arrived", "balked", "reneged", "unserved", "waits")

    def __init__(self) -> None:
        self.arrived = 0
        self.balked = 0
        self.reneged = 0
        self.unserved = 0
        self.waits = _WaitTally()

    def counts(self) -> dict[str, int]:
        self.waits.settle()
        return {
            "arrived": self.arrived,
            "served": self.waits.sketch.count,
            "balked": self.balked,
            "reneged": self.reneged,
            "unserved": self.unserved,
        }


class LineMeasure(Protocol):
    """A line that measures its own length over time (see :class:`~._line.Line`)."""

    area: float
    waiting_area: float
    peak: int

    def measure(self) -> None: ...


class _NoLine:
    """No line yet: nothing waited."""

    area = waiting_area = 0.0
    peak = 0

    def measure(self) -> None:
        """Nothing to bring up to date."""


class Tally:
    """Accumulates a run's figures as events happen; :meth:`summary` reads them out.

    The line measures its own length over time; the tally reads it at the end. With
    a warm-up, :meth:`begin_window` starts every figure afresh at its end.
    """

    __slots__ = (
        "_clock",
        "_gave_up_wait",
        "_lane_area",
        "_lanes_open",
        "_lanes_since",
        "_names",
        "_origin",
        "_pending",
        "_warmup",
        "busy",
        "lanes_max",
        "line",
        "segments",
    )

    def __init__(self, segments: Sequence[str], clock: Callable[[], float], *, warmup: bool = False) -> None:
        self._names = list(segments)
        self.segments = [_SegmentTally() for _ in self._names]
        self._pending = [segment.waits.pending for segment in self.segments]
        self._clock = clock
        self.line: LineMeasure = _NoLine()
        self._gave_up_wait = 0.0  # total wait of those who reneged or went unserved
        self.busy = 0.0
        self._lanes_open = 0
        self._lane_area = 0.0
        self._lanes_since = clock()
        self.lanes_max = 0
        self._origin = self._lanes_since  # figures count from here: opening, or the warm-up's end
        self._warmup = warmup  # the scenario has a warm-up (so the summary says where figures start)

    def served(self, segment: int, wait: float, service: float) -> None:
        """A customer reached a till after ``wait`` and was served in ``service`` seconds."""
        self.busy += service
        pending = self._pending[segment]
        pending.append(wait)
        if len(pending) >= _BATCH:
            self.segments[segment].waits.settle()

    def balk(self, segment: int) -> None:
        """A customer found the line full and left at once."""
        self.segments[segment].balked += 1

    def gave_up(self, segment: int, wait: float, *, reneged: bool) -> None:
        """A customer left unserved after ``wait``: reneged, or sent home at closing."""
        tally = self.segments[segment]
        if reneged:
            tally.reneged += 1
        else:
            tally.unserved += 1
        if segment < len(self._names):  # not one who came during the warm-up
            self._gave_up_wait += wait

    def lanes_changed(self, delta: int) -> None:
        """A lane opened (+1) or closed (-1)."""
        now = self._clock()
        self._lane_area += self._lanes_open * (now - self._lanes_since)
        self._lanes_since = now
        self._lanes_open += delta
        self.lanes_max = max(self.lanes_max, self._lanes_open)

    def begin_window(self, in_service: Iterable[float]) -> int:
        """The warm-up is over: every figure starts afresh now.

        ``in_service`` are the start times of the checkouts under way (only their
        time from now on counts as busy). Returns the segment number to give the
        customers already in the shop: their fate is tallied apart and never reported.
        """
        now = self._clock()
        line = self.line
        line.measure()
        line.area = line.waiting_area = 0.0
        line.peak = 0
        self.lanes_changed(0)
        self._lane_area = 0.0
        self.lanes_max = self._lanes_open
        self.busy = -math.fsum(now - start for start in in_service)
        self.segments = [_SegmentTally() for _ in range(len(self._names) + 1)]
        self._pending = [segment.waits.pending for segment in self.segments]
        self._gave_up_wait = 0.0
        self._origin = now
        return len(self._names)

    def summary(self, *, seed: int, interrupted: bool = False) -> Summary:
        """The figures so far, as of the loop's current time."""
        end = self._clock()
        span = end - self._origin
        line = self.line
        line.measure()
        self.lanes_changed(0)
        overall = _WaitTally()
        totals: dict[str, Any] = dict.fromkeys(("arrived", "served", "balked", "reneged", "unserved"), 0)
        per_segment: dict[str, SegmentSummary] = {}
        for name, tally in zip(self._names, self.segments, strict=False):
            overall.merge(tally.waits)
            counts = tally.counts()
            for key, value in counts.items():
                totals[key] += value
            per_segment[name] = SegmentSummary(**counts, **tally.waits.figures())
        return Summary(
            **totals,
            **overall.figures(),
            queue_length_mean=line.area / span if span > 0 else 0.0,
            queue_length_max=line.peak,
            waiting_mean=line.waiting_area / span if span > 0 else 0.0,
            wait_mean_all=(
                (overall.sum + self._gave_up_wait) / totals["arrived"] if totals["arrived"] else None
            ),
            utilisation=self.busy / self._lane_area if self._lane_area > 0 else None,
            throughput_per_hour=totals["served"] / span * 3600.0 if span > 0 else None,
            lanes_max=self.lanes_max,
            lane_hours=self._lane_area / 3600.0,
            elapsed=end,
            seed=seed,
            interrupted=interrupted,
            segments=per_segment,
            warmup=self._origin if self._warmup else None,
            sketch=overall.sketch,
        )


class BatchTally(Tally):
    """A tally that also cuts the run into batches for :mod:`batch means <._batches>`."""

    __slots__ = ("batches",)

    def __init__(
        self, segments: Sequence[str], clock: Callable[[], float], batches: Batches, *, warmup: bool = False
    ) -> None:
        super().__init__(segments, clock, warmup=warmup)
        self.batches = batches

    def served(self, segment: int, wait: float, service: float) -> None:
        super().served(segment, wait, service)
        now = self._clock()
        start = now - service
        self.batches.served(segment, start - wait, wait)
        self.batches.busy(start, now)

    def balk(self, segment: int) -> None:
        super().balk(segment)
        self.batches.lost(segment, self._clock(), "balked")

    def gave_up(self, segment: int, wait: float, *, reneged: bool) -> None:
        super().gave_up(segment, wait, reneged=reneged)
        self.batches.lost(segment, self._clock() - wait, "reneged" if reneged else "unserved")

    def lanes_changed(self, delta: int) -> None:
        lanes, since = self._lanes_open, self._lanes_since
        super().lanes_changed(delta)
        self.batches.open(since, self._lanes_since, lanes)

    def summary(self, *, seed: int, interrupted: bool = False) -> Summary:
        found = super().summary(seed=seed, interrupted=interrupted)
        if interrupted:
            return found
        return replace(found, batches=self.batches)
