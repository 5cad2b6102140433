"""Shifts people can work, covering a staffing requirement per interval at the least cost.

The requirement (tills needed in each interval of the day) becomes a set-covering integer
program: how many people start each allowed shift, every interval covered by at least
its requirement, at the fewest paid hours. It is solved by HiGHS through
:func:`scipy.optimize.milp`, a maintained solver, not a search written here.

Where the cover cannot be had (at most ``most`` people in all, or an interval no shift
covers), the program gains a shortfall per interval at a cost above any cover's, so the
answer is the cheapest plan with the least shortfall, and it names the intervals that
stay short rather than failing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["Cover", "Shift", "cover"]


@dataclass(frozen=True)
class Shift:
    """A shift: its name, the first interval it works (from 0) and how many intervals it lasts.

    ``cost``: what one person on it costs (default: its length, in paid intervals).
    """

    name: str
    start: int
    length: int
    cost: float | None = None

    @property
    def price(self) -> float:
        return float(self.length) if self.cost is None else self.cost

    def covers(self, interval: int) -> bool:
        return self.start <= interval < self.start + self.length


@dataclass(frozen=True)
class Cover:
    """How many people start each shift, what that costs, how many work in each interval, and
    the intervals left short of the requirement (none where the cover is feasible)."""

    counts: dict[str, int]
    cost: float
    staffed: list[int]
    short: list[int]


def cover(requirement: Sequence[int], shifts: Sequence[Shift], *, most: int | None = None) -> Cover:
    """The cheapest whole numbers of people per shift that staff every interval's requirement.

    ``most``: at most this many people in all (None: no limit). Ties between equally cheap
    covers go to HiGHS's choice, which is deterministic for the same input.
    """
    if not shifts:
        raise ValueError("no shifts to cover the requirement with")
    periods, count = len(requirement), len(shifts)
    # Variables: people per shift, then the shortfall of each interval.
    matrix = np.zeros((periods, count + periods))
    for column, shift in enumerate(shifts):
        for interval in range(periods):
            if shift.covers(interval):
                matrix[interval, column] = 1.0
    matrix[:, count:] = np.eye(periods)  # staffed + short >= requirement
    prices = [shift.price for shift in shifts]
    # Any shortfall costs more than the dearest cover could (every interval by its own shift).
    penalty = (math.fsum(prices) * (max(requirement, default=0) + 1) + 1.0) * max(1, periods)
    objective = np.array([*prices, *([penalty] * periods)])
    constraints = [LinearConstraint(matrix, lb=np.array(requirement, dtype=float), ub=np.inf)]
    if most is not None:
        constraints.append(LinearConstraint(np.array([[1.0] * count + [0.0] * periods]), lb=0, ub=most))
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.ones(count + periods),
        bounds=Bounds(0, np.inf),
    )
    if not result.success or result.x is None:
        raise RuntimeError(f"the shift program could not be solved: {result.message}")
    solution = [round(value) for value in result.x]
    people = solution[:count]
    staffed = [sum(people[c] for c in range(count) if shifts[c].covers(i)) for i in range(periods)]
    return Cover(
        counts={shift.name: people[column] for column, shift in enumerate(shifts)},
        cost=math.fsum(price * n for price, n in zip(prices, people, strict=True)),
        staffed=staffed,
        short=[interval for interval in range(periods) if staffed[interval] < requirement[interval]],
    )
