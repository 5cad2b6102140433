"""What each group of tills is offered per interval, and the Erlang staffing that load asks for.

The planner's starting point and its comparison (issue 22): workforce tools staff each
interval by Erlang C (or A) on that interval's own arrivals (*pointwise*); the offered-load
method applies the same formula to the infinite-server offered load m(t), which carries a
rush over into the intervals that must clear it (:mod:`.offered_load`).

A shop's groups do not see the shop's arrivals: each sees the customers routing sends it.
Those counts come from simulating the day with every planned group at its most tills
(routing as it is when lines are short), so the loads here are measured, not assumed.
A group's service time is drawn as the engine draws it, customer by customer from the
scenario's own factory: the basket's scans at the group's pace, its payment, and help at
kiosks, over the customers the group takes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..config.scenario import Lane, Scenario, expected_time
from ..engine.customers import CustomerFactory
from .erlang import staff_erlang_a, staff_erlang_c
from .offered_load import ServiceTimes, mean_offered_loads

__all__ = ["GroupLoad", "Requirement", "group_load", "square_root_staffing"]

#: Customers drawn for each group's service times: enough for the offered load's lag.
_SAMPLE = 4_000


@dataclass(frozen=True)
class Requirement:
    """Tills per interval by the two Erlang methods, before any bounds."""

    pointwise: list[int]
    offered_load: list[int]
    #: The mean offered load per interval (busy tills an infinite shop would have).
    loads: list[float]


@dataclass(frozen=True)
class GroupLoad:
    """One group's customers: the service time sample, and the mean patience (None: some
    customers it takes never give up, so Erlang C applies, not A)."""

    service: ServiceTimes
    patience: float | None

    def measured(self, mean: float | None) -> GroupLoad:
        """This load with its service times scaled to a mean measured in the shop (None: as
        drawn). The draws are of every customer the group *may* take; routing sends it some
        more than others (express lanes take the small baskets from the tills), so the
        group's real checkouts run longer or shorter than the draws on average."""
        if mean is None or mean <= 0 or self.service.mean <= 0:
            return self
        return GroupLoad(self.service.scaled(mean / self.service.mean), self.patience)

    def requirement(
        self, boundaries: Sequence[float], arrivals: Sequence[float], target: float | None, goal: float | None
    ) -> Requirement:
        """Each interval's tills (``arrivals``: customers in each interval, from ``boundaries[k]``
        to ``boundaries[k + 1]``: the last may be cut at closing) for a service level of ``goal``
        within ``target`` (None: no service-level goal, so the square-root rule on the load
        stands in)."""
        rates = [
            count / (end - start)
            for count, start, end in zip(arrivals, boundaries, boundaries[1:], strict=False)
        ]
        loads = mean_offered_loads(boundaries, rates, self.service)
        mean = self.service.mean
        pointwise = [self._staff(rate * mean, target, goal) for rate in rates]
        offered = [self._staff(load, target, goal) for load in loads]
        return Requirement(pointwise, offered, loads)

    def _staff(self, load: float, target: float | None, goal: float | None) -> int:
        """The fewest tills for this load (busy tills an infinite shop would have)."""
        if load <= 0:
            return 0
        if target is None or goal is None:
            return square_root_staffing(load)
        mean = self.service.mean
        rate = load / mean
        if self.patience is not None:
            return staff_erlang_a(rate, mean, self.patience, target, goal).servers
        return staff_erlang_c(rate, mean, target, goal).servers


def square_root_staffing(load: float) -> int:
    """Load plus its square root, rounded up: the rule of thumb where no formula fits the goals."""
    return math.ceil(load + math.sqrt(load)) if load > 0 else 0


def group_load(scenario: Scenario, group: int, seed: int) -> GroupLoad | None:
    """The service times and patience of the customers group ``group`` takes (None: it takes
    none of those drawn). Drawn from a stream of their own (``seed``), not a run's."""
    lanes = scenario.tills()
    lane = lanes[group]
    factory = CustomerFactory(scenario, random.Random(seed))
    times = []
    for number in range(_SAMPLE):
        customer = factory.drawn(number, 0.0)
        segment = scenario.segments[customer.segment]
        if not (lane.open_to(segment) and lane.takes(segment.name, len(customer.products))):
            continue
        payment, helped = customer.payment, 0.0
        if customer.at_groups is not None:
            payment, helped = customer.at_groups[0][group], customer.at_groups[1][group]
        times.append(math.fsum(customer.scans) * lane.scan_factor + payment + helped)
    if not times:
        return None
    return GroupLoad(ServiceTimes(times), _patience(scenario, lane))


def _patience(scenario: Scenario, lane: Lane) -> float | None:
    """The mean patience of the segments the group takes, weighed by share (None: one has none)."""
    taken = [segment for segment in scenario.segments if lane.open_to(segment)]
    if not taken or any(segment.patience is None for segment in taken):
        return None
    shares = math.fsum(segment.share for segment in taken)
    return (
        math.fsum(
            segment.share * expected_time(segment.patience)
            for segment in taken
            if segment.patience is not None
        )
        / shares
    )
