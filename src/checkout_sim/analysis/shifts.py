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
from dataclasses import dataclass, field

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
    #: Intervals where more people work than ``at_most`` allows (tills to work at): none
    #: where the shifts can fit, else the fewest such.
    over: list[int] = field(default_factory=list)


def cover(
    requirement: Sequence[int],
    shifts: Sequence[Shift],
    *,
    most: int | None = None,
    at_most: Sequence[int] | None = None,
) -> Cover:
    """The cheapest whole numbers of people per shift that staff every interval's requirement.

    ``most``: at most this many people in all (None: no limit). ``at_most``: at most this
    many at work in each interval (the tills there are to work at; None: no limit): where
    the shifts' lengths make that impossible, the excess is penalised below any shortfall
    and above any cost, and the intervals named. Ties between equally cheap covers go to
    HiGHS's choice, which is deterministic for the same input.
    """
    if not shifts:
        raise ValueError("no shifts to cover the requirement with")
    periods, count = len(requirement), len(shifts)
    # Variables: people per shift, the shortfall of each interval, then its excess.
    width = count + 2 * periods
    matrix = np.zeros((periods, width))
    for column, shift in enumerate(shifts):
        for interval in range(periods):
            if shift.covers(interval):
                matrix[interval, column] = 1.0
    below = matrix.copy()
    matrix[:, count : count + periods] = np.eye(periods)  # staffed + short >= requirement
    below[:, count + periods :] = -np.eye(periods)  # staffed - over <= at_most
    prices = [shift.price for shift in shifts]
    # Any excess costs more than the dearest cover could (every interval by its own shift),
    # any shortfall more than every excess together.
    excess = (math.fsum(prices) * (max(requirement, default=0) + 1) + 1.0) * max(1, periods)
    penalty = excess * (max(1, periods) * (sum(requirement) + 1) + 1)
    objective = np.array([*prices, *([penalty] * periods), *([excess] * periods)])
    constraints = [LinearConstraint(matrix, lb=np.array(requirement, dtype=float), ub=np.inf)]
    if at_most is not None:
        constraints.append(LinearConstraint(below, lb=-np.inf, ub=np.array(at_most, dtype=float)))
    if most is not None:
        constraints.append(LinearConstraint(np.array([[1.0] * count + [0.0] * 2 * periods]), lb=0, ub=most))
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.ones(width),
        bounds=Bounds(0, np.inf),
        # The cheapest, not one within HiGHS's default 0.01 % of it.
        options={"mip_rel_gap": 0.0},
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
        over=[]
        if at_most is None
        else [interval for interval in range(periods) if staffed[interval] > at_most[interval]],
    )
