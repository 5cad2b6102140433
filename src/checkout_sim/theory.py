"""Closed-form queueing results, to check runs against theory.

Rates are per second, times in seconds. Markovian models are solved as birth-death
chains (one small solver serves M/M/c, M/M/c/K, backpressure and Erlang-A); the
classic closed forms (Erlang C, Pollaczek-Khinchine, Cobham) are given directly.

Sources:
- Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed.
  (2008): birth-death steady state §2.3 (eq. 2.8-2.9); M/M/c and Erlang C §2.4
  (eq. 2.30-2.31); M/M/c/K §2.6; M/G/1 Pollaczek-Khinchine §5.1.1 (eq. 5.10);
  non-preemptive priorities §3.4.1.
- A. Cobham, "Priority assignment in waiting line problems", Operations Research
  2(1), 1954, 70-76: W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)).
- O. Garnett, A. Mandelbaum & M. Reiman, "Designing a call center with impatient
  customers", M&SOM 4(3), 2002: the M/M/c+M (Erlang-A) birth-death model.
- L. Kleinrock, *Queueing Systems, Vol. 1* (1975) §3.4 and §5.6: Little's law and
  the LIFO/FIFO mean-wait identity for work-conserving orders without preemption.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "BirthDeath",
    "birth_death",
    "cobham_waits",
    "erlang_c",
    "mg1_wait",
    "mmc_wait",
]

#: Chains without a natural end are cut where the remaining probability is negligible.
_TAIL = 1e-15
_MAX_STATES = 1_000_000


@dataclass(frozen=True)
class BirthDeath:
    """The steady state of a birth-death chain: ``p[n]`` is P(n in the system)."""

    p: list[float]
    birth: Callable[[int], float]
    death: Callable[[int], float]

    def mean(self, weight: Callable[[int], float]) -> float:
        """E[weight(N)] under the steady state."""
        return math.fsum(pn * weight(n) for n, pn in enumerate(self.p))


def birth_death(
    birth: Callable[[int], float], death: Callable[[int], float], last: int | None = None
) -> BirthDeath:
    """Solve p[n] proportional to prod(birth(k-1) / death(k)) for n = 0..last (GSTH eq. 2.9).

    ``last=None`` lets the chain run until its tail is negligible (it must be stable).
    """
    weights = [1.0]
    n = 0
    while (last is None or n < last) and n < _MAX_STATES:
        n += 1
        rate_in = birth(n - 1)
        if rate_in == 0:
            break
        weights.append(weights[-1] * rate_in / death(n))
        if last is None and weights[-1] < _TAIL * math.fsum(weights) and n > 10:
            break
    else:
        if n >= _MAX_STATES:
            raise ValueError("the chain does not settle: is the system stable?")
    total = math.fsum(weights)
    return BirthDeath([w / total for w in weights], birth, death)


def erlang_c(servers: int, offered: float) -> float:
    """P(an arrival waits) in M/M/c with offered load a = lambda/mu < c (Erlang C, GSTH eq. 2.31)."""
    if offered >= servers:
        raise ValueError("unstable: offered load must be below the number of servers")
    term = 1.0
    partial = 1.0  # sum_{k<c} a^k / k!
    for k in range(1, servers):
        term *= offered / k
        partial += term
    top = term * offered / servers / (1 - offered / servers)  # a^c / c! / (1 - rho)
    return top / (partial + top)


def mmc_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in line in M/M/c: C(c, a) / (c mu - lambda) (GSTH eq. 2.30)."""
    return erlang_c(servers, arrival_rate / service_rate) / (servers * service_rate - arrival_rate)


def mg1_wait(arrival_rate: float, mean_service: float, second_moment: float) -> float:
    """Mean wait in line in M/G/1: lambda E[S^2] / (2 (1 - rho)) (Pollaczek-Khinchine)."""
    rho = arrival_rate * mean_service
    if rho >= 1:
        raise ValueError("unstable: utilisation must be below 1")
    return arrival_rate * second_moment / (2 * (1 - rho))


def cobham_waits(
    arrival_rates: Sequence[float], mean_services: Sequence[float], second_moments: Sequence[float]
) -> list[float]:
    """Mean wait in line per class of a non-preemptive priority M/G/1 (class 0 served first).

    W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)) with W0 = sum_i lambda_i E[S_i^2] / 2 and
    sigma_k the load of classes 0..k (Cobham 1954).
    """
    residual = math.fsum(lam * s2 for lam, s2 in zip(arrival_rates, second_moments, strict=True)) / 2
    waits, sigma = [], 0.0
    for lam, s in zip(arrival_rates, mean_services, strict=True):
        before = sigma
        sigma += lam * s
        if sigma >= 1:
            raise ValueError("unstable: utilisation must be below 1")
        waits.append(residual / ((1 - before) * (1 - sigma)))
    return waits
