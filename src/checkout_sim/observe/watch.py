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
from .recorder import Recorder
from .summary import Summary
from .tally import BatchObserver, GroupTally, LineMeasure, Lines, Tally
from .warmup import Warmup
from .writer import EventWriter

__all__ = ["Watch"]


class Watch:
    """The observers of one run and their recorder.

    ``groups``: the groups' names in plan order; ``lanes``: the scenario has lanes (each
    group keeps its own figures, and events name it); ``per_till``: some group has a line
    at each till; ``staffing``: some group has a roster or breaks (tills open and close for
    a ``reason`` the log gives); ``warmup``: the scenario has a warm-up; ``batches``: cut the run into
    batches for batch means; ``log``: the event log (None: no log).
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
        if log is not None:
            shape = [
                name
                for name, used in (("lanes", lanes), ("per_till", per_till), ("staffing", staffing))
                if used
            ]
            observers.append(EventWriter(log.record, shape, log.raw_write))
        #: Where the engine says what happens.
        self.recorder = Recorder(clock, groups, segment_names, product_names, observers)
        self._measures: list[LineMeasure] = []

    def add_group(self, index: int, measure: LineMeasure, attendants: int, *, switching: bool) -> None:
        """Group ``index``'s lines (measured as one) and attendants; with lanes it keeps its own
        figures. ``switching``: shoppers may switch into its lines (its summary counts them)."""
        self._measures.append(measure)
        self.tally.line = self._measures[0] if len(self._measures) == 1 else Lines(self._measures)
        if self._lanes:
            group = GroupTally(self._clock, measure, attendants, switching=switching)
            self.tally.groups[self._groups[index]] = self.tally.by_index[index] = group

    def count_jockeying(self) -> None:
        """Some segment may switch lines: the summary counts those who did."""
        self.tally.jockeyed = 0

    def summary(self, *, seed: int, interrupted: bool, realtime_lag_max: float | None = None) -> Summary:
        """The run's figures so far (with batches, when asked for and the run was not interrupted)."""
        summary = self.tally.summary(seed=seed, interrupted=interrupted)
        if realtime_lag_max is not None:
            summary = replace(summary, realtime_lag_max=realtime_lag_max)
        if self._batches is not None and not interrupted:
            summary = replace(summary, batches=self._batches.finish(self._clock()))
        return summary
