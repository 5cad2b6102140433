"""The tally: a run's figures accumulated as events happen, read out as a :class:`~.summary.Summary`.

Everything is accumulated as the run goes (sums, maxima, a quantile sketch), so memory
stays flat however many customers pass through. Wait figures cover served customers:
the time from arrival to reaching a cashier.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial, reduce
from operator import add, lt, mul
from typing import TYPE_CHECKING, Any, Protocol

from .batches import Batches
from .sketch import QuantileSketch
from .summary import LaneSummary, SegmentSummary, Summary
from .warmup import Warmup

if TYPE_CHECKING:
    from .events import (
        AssistFinished,
        CashierClosed,
        CashierOpened,
        CheckoutFinished,
        CustomerArrived,
        CustomerBalked,
        CustomerJockeyed,
        CustomerReneged,
        CustomerUnserved,
        WarmupEnded,
    )

__all__ = ["BatchObserver", "GroupTally", "LineMeasure", "Lines", "Tally"]

#: Waits are folded into the sums and the sketch this many at a time (memory stays bounded).
_BATCH = 4096
_waited = partial(lt, 0.0)  # waited at all: 0 < wait (a partial of a C function is cheap to call)


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


class _OpenTime:
    """How many tills are open over time: now, at most, and open-till seconds since the window began."""

    __slots__ = ("area", "most", "open", "since")

    def __init__(self, now: float) -> None:
        self.open = 0
        self.most = 0
        self.area = 0.0
        self.since = now

    def change(self, delta: int, now: float) -> None:
        """A till opened (+1), closed (-1), or neither (0: bring the area up to now)."""
        self.area += self.open * (now - self.since)
        self.since = now
        self.open += delta
        self.most = max(self.most, self.open)

    def restart(self, now: float) -> None:
        """The warm-up is over: the area starts from zero, the most from what is open now."""
        self.change(0, now)
        self.area = 0.0
        self.most = self.open


def _restart(line: LineMeasure) -> None:
    """The warm-up is over: the line's statistics start from zero (brought up to now first)."""
    line.measure()
    if isinstance(line, Lines):  # its figures are its lines' added up
        for member in line.members:
            _restart(member)
    line.area = line.waiting_area = 0.0
    line.peak = 0


class GroupTally:
    """One lane group's figures, accumulated as its tills serve (lanes scenarios only)."""

    __slots__ = (
        "_attendants",
        "_clock",
        "_origin",
        "_tills",
        "assist_wait",
        "assists",
        "attendant_busy",
        "busy",
        "jockeyed",
        "line",
        "switching",
        "waits",
    )

    def __init__(
        self, clock: Callable[[], float], line: LineMeasure, attendants: int, *, switching: bool = False
    ) -> None:
        self._clock = clock
        self.line = line
        self._attendants = attendants
        self.waits = _WaitTally()
        self.busy = 0.0
        self._origin = clock()
        self._tills = _OpenTime(self._origin)
        self.assists = 0
        self.assist_wait = 0.0
        self.attendant_busy = 0.0
        #: Customers who switched into this group's lines.
        self.jockeyed = 0
        #: Shoppers may switch into its lines (a line per till, open to a segment that may
        #: switch): only then does its summary count them.
        self.switching = switching

    def served(self, wait: float, service: float, arrival: float) -> None:
        """A customer of this group who arrived at ``arrival`` waited ``wait`` and was served in ``service``.

        The till's time counts as busy whoever it served; the wait counts only for a
        customer who arrived after the warm-up.
        """
        self.busy += service
        if arrival >= self._origin:
            pending = self.waits.pending
            pending.append(wait)
            if len(pending) >= _BATCH:
                self.waits.settle()

    def assisted(self, wait: float, time: float) -> None:
        """An attendant came after ``wait`` and helped for ``time``."""
        self.assists += 1
        self.assist_wait += wait
        self.attendant_busy += time

    def tills_changed(self, delta: int) -> None:
        """A till of this group opened (+1) or closed (-1)."""
        self._tills.change(delta, self._clock())

    def begin_window(self, in_service: Iterable[float]) -> None:
        """The warm-up is over: start afresh (see :meth:`Tally.begin_window`)."""
        now = self._clock()
        _restart(self.line)
        self._tills.restart(now)
        self.busy = -math.fsum(now - start for start in in_service)
        self.waits = _WaitTally()
        self.assists, self.assist_wait, self.attendant_busy = 0, 0.0, 0.0
        self.jockeyed = 0
        self._origin = now

    def summary(self, *, jockeying: bool = False) -> LaneSummary:
        """This group's figures so far (with ``jockeying``, how many switched into its lines)."""
        end = self._clock()
        span = end - self._origin
        self.line.measure()
        self.tills_changed(0)
        tills = self._tills
        waits = self.waits.figures()
        helped = self._attendants > 0
        return LaneSummary(
            served=self.waits.sketch.count,
            wait_mean=waits["wait_mean"],
            wait_p50=waits["wait_p50"],
            wait_p90=waits["wait_p90"],
            wait_p99=waits["wait_p99"],
            wait_max=waits["wait_max"],
            utilisation=self.busy / tills.area if tills.area > 0 else None,
            tills_max=tills.most,
            queue_length_mean=self.line.area / span if span > 0 else 0.0,
            queue_length_max=self.line.peak,
            lane_hours=tills.area / 3600.0,
            assists=self.assists if helped else None,
            assist_wait_mean=self.assist_wait / self.assists if helped and self.assists else None,
            attendant_utilisation=(
                self.attendant_busy / (self._attendants * span) if helped and span > 0 else None
            ),
            jockeyed=self.jockeyed if jockeying else None,
        )


class Lines:
    """Several lines measured as one: lengths and areas add up, the peak is the longest line.

    ``members`` is kept, not copied: a group with a line at each till adds a line when
    a till first opens.
    """

    def __init__(self, members: list[LineMeasure] | list[Any]) -> None:
        self.members: list[LineMeasure] = members
        self.area = self.waiting_area = 0.0
        self.peak = 0

    def take_recent(self) -> int:
        """The longest any one of its lines was since the last call.

        See :meth:`checkout_sim.engine.line.Line.take_recent`.
        """
        return max((line.take_recent() for line in self.members), default=0)

    def measure(self) -> None:
        for line in self.members:
            line.measure()
        self.area = math.fsum(line.area for line in self.members)
        self.waiting_area = math.fsum(line.waiting_area for line in self.members)
        self.peak = max((line.peak for line in self.members), default=0)


class LineMeasure(Protocol):
    """A line that measures its own length over time (see :class:`checkout_sim.engine.line.Line`)."""

    area: float
    waiting_area: float
    peak: int

    def measure(self) -> None: ...

    def take_recent(self) -> int:
        """The greatest length that lasted since the last call, starting afresh."""
        ...


class _NoLine:
    """No line yet: nothing waited."""

    area = waiting_area = 0.0
    peak = 0

    def measure(self) -> None:
        """Nothing to bring up to date."""

    def take_recent(self) -> int:
        return 0


class Tally:
    """Accumulates a run's figures as events happen; :meth:`summary` reads them out.

    The line measures its own length over time; the tally reads it at the end. With
    a warm-up, :meth:`begin_window` starts every figure afresh at its end.
    """

    __slots__ = (
        "_clock",
        "_gave_up_wait",
        "_lanes",
        "_names",
        "_origin",
        "_pending",
        "_warmup",
        "_window",
        "busy",
        "by_index",
        "groups",
        "jockeyed",
        "line",
        "segments",
    )

    def __init__(
        self,
        segments: Sequence[str],
        clock: Callable[[], float],
        *,
        warmup: bool = False,
        window: Warmup | None = None,
    ) -> None:
        self._names = list(segments)
        self.segments = [_SegmentTally() for _ in self._names]
        self._pending = [segment.waits.pending for segment in self.segments]
        self._clock = clock
        self.line: LineMeasure = _NoLine()
        #: With lanes: each group's own tally, by name (the shop adds them).
        self.groups: dict[str, GroupTally] = {}
        #: The same, by the group's index in the plan (None: a scenario without lanes keeps none).
        self.by_index: list[GroupTally | None] = []
        #: Which customers count, once a warm-up is over.
        self._window = window if window is not None else Warmup(len(self._names))
        self._gave_up_wait = 0.0  # total wait of those who reneged or went unserved
        self.busy = 0.0
        self._origin = clock()  # figures count from here: opening, or the warm-up's end
        self._lanes = _OpenTime(self._origin)
        self._warmup = warmup  # the scenario has a warm-up (so the summary says where figures start)
        #: Customers who switched lines (None: no segment may).
        self.jockeyed: int | None = None

    # The events this tally observes (see :class:`.recorder.Recorder`).

    def customer_arrived(self, record: CustomerArrived) -> None:
        self.segments[record.who.segment].arrived += 1

    def customer_balked(self, record: CustomerBalked) -> None:
        self.balk(record.who.segment)

    def checkout_finished(self, record: CheckoutFinished) -> None:
        # :meth:`served` and :meth:`.warmup.Warmup.segment` written out: once per customer.
        who = record.who
        wait, service = who.start - who.arrival, record.service
        window = self._window
        segment = who.segment if who.id > window.last_customer else window.hidden
        self.busy += service
        pending = self._pending[segment]
        pending.append(wait)
        if len(pending) >= _BATCH:
            self.segments[segment].waits.settle()
        group = self.by_index[record.group] if self.by_index else None
        if group is not None:
            group.served(wait, service, who.arrival)

    def customer_reneged(self, record: CustomerReneged) -> None:
        self.gave_up(self._window.segment(record.who), record.wait, reneged=True)

    def customer_unserved(self, record: CustomerUnserved) -> None:
        self.gave_up(self._window.segment(record.who), record.wait, reneged=False)

    def cashier_opened(self, record: CashierOpened) -> None:
        self._tills_changed(record.group, +1)

    def cashier_closed(self, record: CashierClosed) -> None:
        self._tills_changed(record.group, -1)

    def _tills_changed(self, index: int, delta: int) -> None:
        self.lanes_changed(delta)
        group = self.by_index[index] if self.by_index else None
        if group is not None:
            group.tills_changed(delta)

    def customer_jockeyed(self, record: CustomerJockeyed) -> None:
        self.jockeyed = (self.jockeyed or 0) + 1
        group = self.by_index[record.group] if self.by_index else None
        if group is not None:
            group.jockeyed += 1

    def assist_finished(self, record: AssistFinished) -> None:
        group = self.by_index[record.group] if self.by_index else None
        if group is not None:
            group.assisted(record.waited, record.assist)

    def warmup_ended(self, record: WarmupEnded) -> None:
        """The warm-up is over: every figure starts afresh (the shop's and each group's)."""
        self.begin_window(start for starts in record.in_service for start in starts)
        for group, starts in zip(self.by_index, record.in_service, strict=False):
            if group is not None:
                group.begin_window(starts)

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
        self._lanes.change(delta, self._clock())

    def begin_window(self, in_service: Iterable[float]) -> int:
        """The warm-up is over: every figure starts afresh now.

        ``in_service`` are the start times of the checkouts under way (only their
        time from now on counts as busy). Returns the segment number to give the
        customers already in the shop: their fate is tallied apart and never reported.
        """
        now = self._clock()
        _restart(self.line)
        self.lanes_changed(0)  # (a batching tally records the open time up to now)
        self._lanes.restart(now)
        self.busy = -math.fsum(now - start for start in in_service)
        self.segments = [_SegmentTally() for _ in range(len(self._names) + 1)]
        self._pending = [segment.waits.pending for segment in self.segments]
        self._gave_up_wait = 0.0
        if self.jockeyed is not None:
            self.jockeyed = 0
        self._origin = now
        return len(self._names)

    def summary(self, *, seed: int, interrupted: bool = False) -> Summary:
        """The figures so far, as of the loop's current time."""
        end = self._clock()
        span = end - self._origin
        line = self.line
        line.measure()
        self.lanes_changed(0)
        lanes = self._lanes
        jockeying = self.jockeyed is not None
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
            utilisation=self.busy / lanes.area if lanes.area > 0 else None,
            throughput_per_hour=totals["served"] / span * 3600.0 if span > 0 else None,
            lanes_max=lanes.most,
            lane_hours=lanes.area / 3600.0,
            elapsed=end,
            seed=seed,
            interrupted=interrupted,
            segments=per_segment,
            warmup=self._origin if self._warmup else None,
            lanes={
                name: group.summary(jockeying=jockeying and group.switching)
                for name, group in self.groups.items()
            }
            or None,
            jockeyed=self.jockeyed,
            sketch=overall.sketch,
        )


class BatchObserver:
    """Cuts the run into batches of time for :mod:`batch means <.batches>`: an observer beside
    the tally (composed, not a kind of tally).

    Its arithmetic is the one the tally's figures use (the start of a checkout is its end
    less its service), so its batches add up to the same figures.
    """

    __slots__ = ("_open", "_since", "_window", "batches")

    def __init__(self, batches: Batches, window: Warmup) -> None:
        self.batches = batches
        self._window = window
        self._open = 0
        self._since = 0.0

    def checkout_finished(self, record: CheckoutFinished) -> None:
        who, now = record.who, record.t
        start = now - record.service
        segment = self._window.segment(who)
        self.batches.served(segment, start - (who.start - who.arrival), who.start - who.arrival)
        self.batches.busy(start, now, segment)

    def customer_balked(self, record: CustomerBalked) -> None:
        self.batches.lost(self._window.segment(record.who), record.t, "balked")

    def customer_reneged(self, record: CustomerReneged) -> None:
        self.batches.lost(self._window.segment(record.who), record.t - record.wait, "reneged")

    def customer_unserved(self, record: CustomerUnserved) -> None:
        self.batches.lost(self._window.segment(record.who), record.t - record.wait, "unserved")

    def cashier_opened(self, record: CashierOpened) -> None:
        self._changed(record.t, +1)

    def cashier_closed(self, record: CashierClosed) -> None:
        self._changed(record.t, -1)

    def _changed(self, now: float, delta: int) -> None:
        self.batches.open(self._since, now, self._open)
        self._open += delta
        self._since = now

    def warmup_ended(self, record: WarmupEnded) -> None:
        self._changed(record.t, 0)  # the open time up to the warm-up's end, as the tally counts it

    def finish(self, now: float) -> Batches:
        """The run is over at ``now``: the batches, with the tills' open time up to then."""
        self._changed(now, 0)
        return self.batches
