"""What watches one run: the observers of its events, and the recorder that feeds them.

The shop tells this object the run's shape (its groups and their lines) and takes its
:attr:`Watch.recorder`, through which the engine says what happens; at the end it asks
for the summary. Which observers there are (the warm-up, the tally, the batch means, the
log writer) is decided here, from the run's options, and nowhere in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .batches import Batches
from .eventlog import EventLog
from .intervals import IntervalObserver
from .money import CostRates, MoneyObserver
from .recorder import Recorder
from .service import ServiceLevelObserver
from .summary import Summary
from .tally import BatchObserver, GroupTally, LineMeasure, Lines, Tally
from .warmup import Warmup
from .writer import EventWriter

__all__ = ["Watch"]


def _ignore(figures: dict[str, object]) -> None:
    """Where an interval goes once the run is over (none can finish then)."""


class Watch:
    """The observers of one run and their recorder.

    ``groups``: the groups' names in plan order; ``lanes``: the scenario has lanes (each
    group keeps its own figures, and events name it); ``per_till``: some group has a line
    at each till; ``staffing``: some group has a roster or breaks (tills open and close for
    a ``reason`` the log gives); ``warmup``: the scenario has a warm-up; ``batches``: cut the
    run into batches for batch means; ``log``: the event log (None: no log); ``service_target``:
    the scenario's service-level target in seconds (None: it has none); ``intervals``: the
    length of the intervals the day is cut into for figures per interval (None: none);
    ``costs``: the scenario's costs (None: none).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        groups: Sequence[str],
        segment_names: Sequence[str],
        product_names: Sequence[str],
        lanes: bool,
        per_till: bool,
        warmup: bool,
        staffing: bool = False,
        batches: Batches | None = None,
        log: EventLog | None = None,
        service_target: float | None = None,
        intervals: float | None = None,
        costs: CostRates | None = None,
    ) -> None:
        self._clock = clock
        self._groups = list(groups)
        self._lanes = lanes
        self.window = Warmup(len(segment_names))
        self.tally = Tally(segment_names, clock, warmup=warmup, window=self.window)
        self.tally.by_index = [None] * len(groups)
        self._batches = None if batches is None else BatchObserver(batches, self.window)
        observers: list[object] = [self.window, self.tally]
        if self._batches is not None:
            observers.append(self._batches)
        self._service: ServiceLevelObserver | None = None
        if service_target is not None:
            self._service = ServiceLevelObserver(service_target, len(segment_names), len(groups), self.window)
            observers.append(self._service)
        self._costs = costs
        self._money: MoneyObserver | None = None
        if costs is not None:
            self._money = MoneyObserver(costs, len(groups), self.window)
            observers.append(self._money)
        if log is not None:
            shape = [
                name
                for name, used in (("lanes", lanes), ("per_till", per_till), ("staffing", staffing))
                if used
            ]
            observers.append(EventWriter(log.record, shape, log.raw_write))
        self._intervals: IntervalObserver | None = None
        if intervals is not None:
            # Last: an interval finished by a customer's leaving is written after that customer's line.
            self._intervals = IntervalObserver(
                intervals,
                groups,
                lanes=lanes,
                target=service_target,
                costs=costs,
                finished=self._interval_finished,
            )
            observers.append(self._intervals)
        #: Where the engine says what happens.
        self.recorder = Recorder(clock, groups, segment_names, product_names, observers)
        self._measures: list[LineMeasure] = []

    def _interval_finished(self, figures: dict[str, object]) -> None:
        self.recorder.interval_finished(figures)

    def add_group(self, index: int, measure: LineMeasure, attendants: int, *, switching: bool) -> None:
        """Group ``index``'s lines (measured as one) and attendants; with lanes it keeps its own
        figures. ``switching``: shoppers may switch into its lines (its summary counts them)."""
        self._measures.append(measure)
        if self._intervals is not None:
            self._intervals.add_group(index, measure)
        self.tally.line = self._measures[0] if len(self._measures) == 1 else Lines(self._measures)
        if self._lanes:
            group = GroupTally(self._clock, measure, attendants, switching=switching)
            self.tally.groups[self._groups[index]] = self.tally.by_index[index] = group

    def count_jockeying(self) -> None:
        """Some segment may switch lines: the summary counts those who did."""
        self.tally.jockeyed = 0

    def interval_over(self) -> None:
        """An interval's end has come (the shop's timer says so at each boundary)."""
        if self._intervals is not None:
            self._intervals.boundary(self._clock())

    def summary(self, *, seed: int, interrupted: bool, realtime_lag_max: float | None = None) -> Summary:
        """The run's figures so far (with batches, when asked for and the run was not interrupted).

        With intervals, every interval not yet finished is finished first (its line written).
        """
        if self._intervals is not None:
            self._intervals.finish(self._clock())
            # Its callback refers to this watch, which refers to it: let the run be freed by
            # reference counting, with no cycle left for the collector.
            self._intervals.finished = _ignore
        summary = self.tally.summary(seed=seed, interrupted=interrupted)
        if self._intervals is not None:
            summary = replace(summary, intervals=self._intervals.done)
        if realtime_lag_max is not None:
            summary = replace(summary, realtime_lag_max=realtime_lag_max)
        if self._batches is not None and not interrupted:
            summary = replace(summary, batches=self._batches.finish(self._clock()))
        if self._service is not None:
            summary = self._graded(summary, self._service)
        if self._money is not None and self._costs is not None:
            summary = self._costed(summary, self._money, self._costs)
        return summary

    def _costed(self, summary: Summary, money: MoneyObserver, costs: CostRates) -> Summary:
        """``summary`` with the money figures of the shop and of each group (see :mod:`.money`)."""
        span = summary.elapsed - (summary.warmup or 0.0)
        if summary.lanes is None:  # one group, the shop's till-hours
            lane_hours = [summary.lane_hours]
        else:
            lane_hours = [summary.lanes[name].lane_hours for name in self._groups]
        lost = summary.balked + summary.reneged + summary.unserved
        shop = costs.figures(lane_hours, span, lost=lost, lost_sales=money.lost_sales, revenue=money.revenue)
        lanes = None
        if summary.lanes is not None:
            lanes = {
                name: replace(
                    figures,
                    **costs.figures(
                        [figures.lane_hours],
                        span,
                        lost=money.group_lost[index],
                        lost_sales=money.group_lost_sales[index],
                        revenue=money.group_revenue[index],
                        groups=[index],
                    ),
                )
                for name, figures in summary.lanes.items()
                for index in (self._groups.index(name),)
            }
        return replace(summary, lanes=lanes, **shop)

    def _graded(self, summary: Summary, service: ServiceLevelObserver) -> Summary:
        """``summary`` with the service level of the shop, each segment and each group."""
        segments = {
            name: replace(figures, service_level=service.segment_level(index, figures.arrived))
            for index, (name, figures) in enumerate(summary.segments.items())
        }
        lanes = None
        if summary.lanes is not None:
            lanes = {
                name: replace(figures, service_level=service.group_level(self._groups.index(name)))
                for name, figures in summary.lanes.items()
            }
        return replace(
            summary,
            service_level=service.shop_level(summary.arrived),
            segments=segments,
            lanes=lanes,
            service_target=service.target,
        )
