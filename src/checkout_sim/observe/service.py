"""The service level: the share of arriving customers who reach a till within a target wait.

An observer beside the tally, built only for a scenario with ``service_level``: a run
without one pays nothing for it. Everyone who arrives after the warm-up counts once: a
hit if they reached a till within the target, a miss otherwise (balked, reneged, sent
home unserved, or served after a longer wait).

Counts are exact whole numbers (never read off the wait sketch, whose quantiles are
approximate), so the figure recomputed from the event log equals the summary's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import CheckoutFinished, CustomerReneged, CustomerUnserved, WarmupEnded
    from .warmup import Warmup

__all__ = ["ServiceLevelObserver"]


class ServiceLevelObserver:
    """Counts, per segment and per lane group, the customers who reached a till within ``target`` seconds.

    A segment's share is over its arrivals (the tally counts them). A group's is over
    the customers who ended in its lines: those it served and those who left them
    unserved (reneged, or sent home at closing); a customer who balked at the door
    joined no group, and counts only in the shop's and their segment's figure.
    """

    __slots__ = ("_window", "group_ended", "group_within", "target", "within")

    def __init__(self, target: float, segments: int, groups: int, window: Warmup) -> None:
        self.target = target
        self._window = window
        self._start(segments, groups)

    def _start(self, segments: int, groups: int) -> None:
        """Every count at nothing: at the start, and when the warm-up ends."""
        #: Per segment: reached a till within the target (those who came during a warm-up are
        #: never counted: see :meth:`checkout_finished`).
        self.within = [0] * segments
        #: Per group: its customers who reached a till within the target.
        self.group_within = [0] * groups
        #: Per group: its customers served or lost from its lines (the share's whole).
        self.group_ended = [0] * groups

    def warmup_ended(self, record: WarmupEnded) -> None:
        """Count afresh: whoever was served during the warm-up is not reported (the tally restarts too)."""
        self._start(len(self.within), len(self.group_within))

    def checkout_finished(self, record: CheckoutFinished) -> None:
        who = record.who
        if who.id <= self._window.last_customer:
            return  # came during the warm-up: never reported
        if who.start - who.arrival <= self.target:
            self.within[who.segment] += 1
            self.group_within[record.group] += 1
        self.group_ended[record.group] += 1

    def customer_reneged(self, record: CustomerReneged) -> None:
        self._lost(record)

    def customer_unserved(self, record: CustomerUnserved) -> None:
        self._lost(record)

    def _lost(self, record: CustomerReneged) -> None:
        if record.group is not None and record.who.id > self._window.last_customer:
            self.group_ended[record.group] += 1

    def segment_level(self, segment: int, arrived: int) -> float | None:
        """Segment ``segment``'s service level, given its arrivals (None: nobody arrived)."""
        return self.within[segment] / arrived if arrived else None

    def shop_level(self, arrived: int) -> float | None:
        """The shop's service level, given every arrival after the warm-up."""
        return sum(self.within) / arrived if arrived else None

    def group_level(self, group: int) -> float | None:
        """Group ``group``'s service level (None: nobody ended in its lines)."""
        ended = self.group_ended[group]
        return self.group_within[group] / ended if ended else None
