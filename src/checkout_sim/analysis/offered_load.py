"""The offered load of a day whose arrival rate changes: what an infinite-server shop would hold.

Staffing each interval by its own arrivals (``rate × mean service``) ignores that a rush
carries over: customers who came in one interval are still being served in the next.
The offered load of the infinite-server model, m(t) = E[λ(t − Sₑ)]·E[S] = ∫₀^∞ λ(t − u)
P(S > u) du (Sₑ the stationary excess of the service time S), follows the rate with the
service time's lag; staffing each interval by Erlang C at m(t) in place of rate × mean
service is the "offered-load" method the planner starts from (Feldman, Mandelbaum, Massey
& Whitt 2008).

For a rate constant on each interval (λ_k on [t_k, t_{k+1}), nobody before opening),
m(t) = Σ_k λ_k [H(t − t_k) − H(t − t_{k+1})] with H(x) = ∫₀^x P(S > u) du = E[min(S, x)]
(0 for x ≤ 0), and its mean over an interval needs H₂(x) = ∫₀^x H(y) dy =
E[x S − S²/2 if S ≤ x, else x²/2]. Both are read off a sample of service times, so any
checkout time (a basket's scans plus payment) works as it is drawn; with exponential
service they have closed forms, which the tests compare with.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

__all__ = ["ServiceTimes", "mean_offered_loads"]


class ServiceTimes:
    """A sample of service times (seconds), standing for the distribution of S.

    Sorted once, with running sums of S and S², so that :meth:`h2` costs a binary search.
    """

    def __init__(self, values: Sequence[float]) -> None:
        if not values or any(value < 0 or not math.isfinite(value) for value in values):
            raise ValueError("service times: at least one, each finite and not negative")
        self._sorted = sorted(values)
        self._sums = [0.0, *itertools.accumulate(self._sorted)]
        self._squares = [0.0, *itertools.accumulate(value * value for value in self._sorted)]
        self.mean = self._sums[-1] / len(self._sorted)

    def scaled(self, factor: float) -> ServiceTimes:
        """The same shape with every time ``factor`` times as long (a measured mean kept)."""
        return ServiceTimes([value * factor for value in self._sorted])

    def h2(self, x: float) -> float:
        """∫₀^x E[min(S, y)] dy = E[x S − S²/2 where S ≤ x, x²/2 where S > x] (0 for x ≤ 0)."""
        if x <= 0:
            return 0.0
        count = len(self._sorted)
        below = bisect.bisect_right(self._sorted, x)
        return (x * self._sums[below] - self._squares[below] / 2 + (count - below) * x * x / 2) / count


def mean_offered_loads(
    boundaries: Sequence[float], rates: Sequence[float], service: ServiceTimes
) -> list[float]:
    """The mean offered load over each interval ``[boundaries[k], boundaries[k + 1])``, the
    arrival rate being ``rates[k]`` per second there (and 0 before the first boundary).

    ``(1 / L) ∫ m(t) dt`` over the interval, exactly for this sample's distribution:
    ∫_a^b H(t − c) dt = H₂(b − c) − H₂(a − c).
    """
    if len(boundaries) != len(rates) + 1 or any(b <= a for a, b in itertools.pairwise(boundaries)):
        raise ValueError("boundaries: one more than the rates, each later than the one before")
    loads = []
    for k in range(len(rates)):
        a, b = boundaries[k], boundaries[k + 1]
        total = 0.0
        for j in range(k + 1):  # only arrivals up to this interval count
            start, end = boundaries[j], boundaries[j + 1]
            # ∫_a^b [H(t − start) − H(t − end)] dt
            part = (service.h2(b - start) - service.h2(a - start)) - (
                service.h2(b - end) - service.h2(a - end)
            )
            total += rates[j] * part
        loads.append(total / (b - a))
    return loads
