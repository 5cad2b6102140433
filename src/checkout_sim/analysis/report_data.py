"""What a report shows, gathered from a log's events one at a time in memory that does not grow.

A run's length is unknown until it ends, so its time series live in at most
:data:`TIME_BINS` bins that start a millisecond wide and double (neighbours merged)
whenever the run outgrows them (a :class:`~checkout_sim.observe.bins.Doubling`: time
bins as the batch means use, widening as needed); each bin keeps the fewest and most
people waiting, the time-weighted means of the waiting, busy and open counts, the
longest and total wait of those who reached a till, and the customers lost in it.
Waits also go into a histogram whose bins double the same way (the same component,
over waits instead of time), and into a fixed-size sample (reservoir sampling with a
fixed seed, so the same log gives the same page) for the scatter plot.
The summaries of every run (``run_finished``) are kept as a few numbers each, for the
figures across replications. Nothing is kept per customer except who is at a till
(at most one per lane), so a customer sent home from a till is not counted as waiting.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable
from typing import Any

from ..observe.bins import COUNT, LEAST, MOST, SUM, Doubling, Rule

__all__ = ["ACROSS_RUNS", "TIME_BINS", "LogFault", "RunDigest"]

#: The most time bins a series keeps; a run that outgrows them merges neighbours.
TIME_BINS = 1024
#: The first bins' width in seconds (2**-10: about a millisecond).
_FIRST_WIDTH = 2.0**-10
#: The wait histogram's bins (they double in width as longer waits come in).
_HISTOGRAM_BINS = 1024
#: How many (time, wait) points the scatter plot keeps at most.
SAMPLE_SIZE = 2000
_SAMPLE_SEED = 20_240_601

#: The ``run_finished`` figures given with their mean and 95 % interval across runs.
ACROSS_RUNS = (
    "arrived",
    "served",
    "balked",
    "reneged",
    "unserved",
    "waited",
    "wait_mean",
    "wait_sd",
    "wait_p50",
    "wait_p90",
    "wait_p99",
    "wait_max",
    "queue_length_mean",
    "queue_length_max",
    "waiting_mean",
    "wait_mean_all",
    "utilisation",
    "throughput_per_hour",
    "lanes_max",
    "elapsed",
)
_COUNTS = ("arrived", "served", "balked", "reneged", "unserved")


class LogFault(ValueError):
    """An event that contradicts the ones before it (time going back)."""


#: The time series' columns, and how two neighbouring bins merge when the bins widen.
_SERIES: dict[str, Rule] = {
    "waiting_min": LEAST,
    "waiting_max": MOST,
    "waiting_area": SUM,
    "busy_area": SUM,
    "lanes_area": SUM,
    "wait_max": MOST,
    "wait_sum": SUM,
    "served": COUNT,
    "balked": COUNT,
    "reneged": COUNT,
    "unserved": COUNT,
}


class _Series:
    """The plotted run's time series: a column per figure over :data:`TIME_BINS` doubling bins.

    The bins are a :class:`~checkout_sim.observe.bins.Doubling` from time 0 (which
    splits time at the bins' bounds and merges neighbours when the run outgrows them);
    the columns are its own lists, named here for the page.
    """

    __slots__ = (*_SERIES, "timeline")

    waiting_min: list[float]
    waiting_max: list[float]
    waiting_area: list[float]
    busy_area: list[float]
    lanes_area: list[float]
    wait_max: list[float]
    wait_sum: list[float]
    served: list[int]
    balked: list[int]
    reneged: list[int]
    unserved: list[int]

    def __init__(self) -> None:
        self.timeline = Doubling(0.0, _FIRST_WIDTH, TIME_BINS, _SERIES)
        for name, column in self.timeline.bins.columns.items():
            setattr(self, name, column)

    @property
    def width(self) -> float:
        """Each bin's length in seconds (it doubles as the run goes on)."""
        return self.timeline.bins.width


class _Histogram:
    """Counts of waits in equal bins from 0 whose width doubles when a longer wait comes in."""

    __slots__ = ("_bins", "counts")

    def __init__(self) -> None:
        self._bins = Doubling(0.0, _FIRST_WIDTH, _HISTOGRAM_BINS, {"counts": COUNT})
        self.counts: list[int] = self._bins.bins.columns["counts"]

    def add(self, wait: float) -> None:
        self.counts[self._bins.locate(wait)] += 1

    @property
    def width(self) -> float:
        """Each bin's width in seconds of wait."""
        return self._bins.bins.width


class _Sample:
    """A uniform sample of at most :data:`SAMPLE_SIZE` points (Li's reservoir algorithm L).

    Until it is full it holds every point in order; after that the next point to keep is
    drawn ahead, so the points passed over cost one comparison each.
    """

    __slots__ = ("_next", "_random", "_w", "points", "seen")

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []
        self.seen = 0
        self._random = random.Random(_SAMPLE_SEED)
        self._w = 1.0
        self._next = SAMPLE_SIZE

    def add(self, point: tuple[float, float]) -> None:
        self.seen += 1
        if self.seen <= SAMPLE_SIZE:
            self.points.append(point)
            if self.seen == SAMPLE_SIZE:
                self._skip()
        elif self.seen == self._next:
            self.points[self._random.randrange(SAMPLE_SIZE)] = point
            self._skip()

    def _skip(self) -> None:
        draw = self._random.random
        self._w *= math.exp(math.log(1.0 - draw()) / SAMPLE_SIZE)
        if self._w >= 1.0:  # a draw of exactly 0: keep the very next point
            self._next = self.seen + 1
            return
        self._next = self.seen + int(math.log(1.0 - draw()) / math.log(1.0 - self._w)) + 1


#: How each event of a customer or a lane changes the counts (waiting, busy, open).
_STEPS: dict[str, tuple[int, int, int]] = {
    "customer_arrived": (1, 0, 0),
    "checkout_started": (-1, 1, 0),
    "checkout_finished": (0, -1, 0),
    "customer_balked": (-1, 0, 0),
    "customer_reneged": (-1, 0, 0),
    "customer_unserved": (-1, 0, 0),
    "cashier_opened": (0, 0, 1),
    "cashier_closed": (0, 0, -1),
}


class RunDigest:
    """Fed a log's events in order (:meth:`add`); keeps what the page of its first run needs.

    The first ``run_started`` picks the run that is plotted (its ``run`` field, if
    any); its events until its ``run_finished`` feed the series (a second
    ``run_started`` of that run before then starts it over: the first had no end).
    Every ``run_finished`` of the log counts as one run for the figures across runs.
    """

    bins: _Series
    histogram: _Histogram
    sample: _Sample
    _since: float
    _bin: int
    _end: float
    _waiting: int
    _busy: int
    _lanes: int
    _at_till: set[Any]

    def __init__(self) -> None:
        self.started: dict[str, Any] | None = None
        self.finished: dict[str, Any] | None = None
        self.run: Any = None
        self.runs = 0
        self.across: dict[str, array[float]] = {name: array("d") for name in ACROSS_RUNS}
        self.totals = dict.fromkeys(_COUNTS, 0)
        self._recording = False
        self._clear()
        self._extra: dict[str, Callable[[dict[str, Any]], None]] = {
            "checkout_started": self._started,
            "checkout_finished": self._finished,
            "customer_balked": self._balked,
            "customer_reneged": self._reneged,
            "customer_unserved": self._unserved,
        }

    # --- feeding -------------------------------------------------------------------

    def add(self, event: dict[str, Any]) -> None:
        """Take the next event of the log."""
        kind = event["event"]
        step = _STEPS.get(kind)
        if step is None or not self._recording or event.get("run") != self.run:
            self._add_other(kind, event)
            return
        t = event["t"]
        since = self._since
        if since < t < self._end:  # the common case: time moves on within the current bin
            bins, index, span, waiting = self.bins, self._bin, t - since, self._waiting
            bins.waiting_area[index] += waiting * span
            bins.busy_area[index] += self._busy * span
            bins.lanes_area[index] += self._lanes * span
            if waiting < bins.waiting_min[index]:  # noqa: PLR1730 - cheaper than min() here
                bins.waiting_min[index] = waiting
            if waiting > bins.waiting_max[index]:  # noqa: PLR1730
                bins.waiting_max[index] = waiting
            self._since = t
        elif t != since:
            self._advance(t, kind)
        waiting, busy, lanes = step
        if waiting:
            self._waiting += waiting
        if busy:
            self._busy += busy
        if lanes:
            self._lanes += lanes
        extra = self._extra.get(kind)
        if extra is not None:
            extra(event)

    def _add_other(self, kind: str, event: dict[str, Any]) -> None:
        """Events that start or end a run, and those of runs that are not plotted."""
        if kind == "run_finished":
            self._run_finished(event)
        elif kind == "run_started" and (
            self.started is None or (self._recording and event.get("run") == self.run)
        ):
            self._start(event)  # the first run, or the plotted run again: it had no run_finished

    def _clear(self) -> None:
        """Empty series and counts for the plotted run."""
        self.bins = _Series()
        self.histogram = _Histogram()
        self.sample = _Sample()
        self._since = 0.0
        self._bin = 0
        self._end = _FIRST_WIDTH
        self._waiting = 0
        self._busy = 0
        self._lanes = 0
        self._at_till = set()

    def _start(self, event: dict[str, Any]) -> None:
        self._clear()
        self.started, self.run, self._recording = event, event.get("run"), True
        self._since = event["t"]
        self._move_to(event["t"])

    def _run_finished(self, event: dict[str, Any]) -> None:
        self.runs += 1
        for name, values in self.across.items():
            value = event.get(name)
            values.append(math.nan if value is None else float(value))
        for name in _COUNTS:
            self.totals[name] += event[name]
        if self._recording and event.get("run") == self.run:
            if event["t"] != self._since:
                self._advance(event["t"], "run_finished")
            self.finished, self._recording = event, False

    def _advance(self, t: float, kind: str) -> None:
        """The counts held from the last event until ``t`` go into the bins they span."""
        since = self._since
        if t < since:
            raise LogFault(f"{kind}: t goes back in time ({t!r} after {since!r})")
        bins, waiting, busy, lanes = self.bins, self._waiting, self._busy, self._lanes
        for index, span in bins.timeline.overlaps(since, t):
            bins.waiting_area[index] += waiting * span
            bins.busy_area[index] += busy * span
            bins.lanes_area[index] += lanes * span
            bins.waiting_min[index] = min(bins.waiting_min[index], waiting)
            bins.waiting_max[index] = max(bins.waiting_max[index], waiting)
        self._since = t
        self._move_to(t)

    def _move_to(self, t: float) -> None:
        """Make the current bin the one holding time ``t`` (the bins widen first as needed).

        Its number and end are kept at hand: most events fall in the current bin, and
        :meth:`add` adds to it directly until time passes its end."""
        timeline = self.bins.timeline
        self._bin = timeline.locate(t)
        self._end = timeline.upper(self._bin)

    def _started(self, event: dict[str, Any]) -> None:
        wait = event["wait"]
        self._at_till.add(event["customer"])
        bins, index = self.bins, self._bin
        bins.served[index] += 1
        bins.wait_sum[index] += wait
        if wait > bins.wait_max[index]:  # noqa: PLR1730
            bins.wait_max[index] = wait
        self.histogram.add(wait)
        self.sample.add((event["t"], wait))

    def _finished(self, event: dict[str, Any]) -> None:
        self._at_till.discard(event["customer"])

    def _balked(self, event: dict[str, Any]) -> None:
        self.bins.balked[self._bin] += 1

    def _reneged(self, event: dict[str, Any]) -> None:
        self.bins.reneged[self._bin] += 1

    def _unserved(self, event: dict[str, Any]) -> None:
        if event["customer"] in self._at_till:  # sent home from a till by an interruption
            self._at_till.discard(event["customer"])
            self._waiting += 1  # the step counted them as waiting
            self._busy -= 1
        self.bins.unserved[self._bin] += 1

    # --- reading out ---------------------------------------------------------------

    @property
    def end(self) -> float:
        """When the plotted run finished (simulated seconds)."""
        assert self.finished is not None
        return float(self.finished["t"])

    def used_bins(self) -> int:
        """How many bins the plotted run spans."""
        return max(1, min(TIME_BINS, math.ceil(self.end / self.bins.width)))

    def bin_spans(self) -> list[float]:
        """The time each used bin covers (the last may be cut short by the end of the run)."""
        width, count = self.bins.width, self.used_bins()
        return [min(width, self.end - index * width) for index in range(count)]

    def across_runs(self) -> dict[str, list[float | None]]:
        """Each figure's value in every run (None where a run had none)."""
        return {
            name: [None if math.isnan(value) else value for value in values]
            for name, values in self.across.items()
        }
