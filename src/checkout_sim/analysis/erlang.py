"""Erlang C and Erlang A: the staffing workforce tools compute per interval, for comparison.

Workforce tools (pyworkforce's ``ErlangC``, contact-centre planners) take each interval on
its own as a steady state: arrivals per interval, a mean handling time, a target wait and
a service-level goal give the fewest positions (tills) that meet it. Erlang C (M/M/c)
assumes nobody gives up; Erlang A (M/M/c+M) lets waiting customers abandon after an
exponential patience. The planner shows these answers beside the simulated ones, so the
formulas here are the textbook ones, checked against published cases in the tests.

Service level follows checkout-sim's convention (see :mod:`checkout_sim.observe.service`):
the share of *all* arrivals who reach a server within the target, so under Erlang A those
who abandon are misses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, diags
from scipy.sparse.linalg import expm_multiply

from .theory import erlang_c

__all__ = ["Staffing", "erlang_a", "erlang_c_level", "staff_erlang_a", "staff_erlang_c"]

#: Servers at the most a staffing search tries (a goal no count below this meets is unreachable).
MOST_SERVERS = 10_000
#: Erlang A's state space is cut where the stationary tail holds less than this.
_TAIL = 1e-13


@dataclass(frozen=True)
class Staffing:
    """One staffing level's figures: servers, service level, occupancy, P(wait), P(abandon)."""

    servers: int
    service_level: float
    occupancy: float
    p_wait: float
    p_abandon: float = 0.0


def erlang_c_level(servers: int, rate: float, mean_service: float, target: float) -> Staffing:
    """M/M/c with ``servers``, arrivals at ``rate`` per second and ``mean_service`` seconds:
    P(wait <= target) = 1 - C(c, a) exp(-(c - a) target / mean_service), a = rate × mean_service.

    An unstable level (a >= c) has service level 0 and occupancy 1.
    """
    offered = rate * mean_service
    if offered >= servers:
        return Staffing(servers, 0.0, 1.0, 1.0)
    p_wait = erlang_c(servers, offered)
    level = 1.0 - p_wait * math.exp(-(servers - offered) * target / mean_service)
    return Staffing(servers, level, offered / servers, p_wait)


def erlang_a(servers: int, rate: float, mean_service: float, mean_patience: float, target: float) -> Staffing:
    """M/M/c+M (Erlang A): exponential patience of mean ``mean_patience`` while waiting.

    The number in the system is a birth-death chain (births ``rate``, deaths ``min(k, c) mu
    + max(k - c, 0) theta``), cut where its tail is negligible. An arrival who finds ``c + j``
    present has ``j`` ahead; they reach a server when ``j + 1`` departures from the head of
    the line have passed, each at rate ``c mu + i theta`` (``i`` still ahead), unless their
    own patience runs out first (rate ``theta`` throughout). Service level is P(reached a
    server within ``target``) over all arrivals; P(abandon) = theta E[queue] / rate.
    """
    mu, theta = 1.0 / mean_service, 1.0 / mean_patience
    weights = [1.0]
    k = 0
    while True:
        k += 1
        deaths = min(k, servers) * mu + max(k - servers, 0) * theta
        weights.append(weights[-1] * rate / deaths)
        if k > servers and weights[-1] < _TAIL * sum(weights):
            break
    total = math.fsum(weights)
    probabilities = [w / total for w in weights]
    p_wait = math.fsum(probabilities[servers:])
    queue = math.fsum(p * (state - servers) for state, p in enumerate(probabilities) if state > servers)
    # The customer's position: waiting states 0 .. ahead - 1 (how many are ahead), then
    # "served" (index ``ahead``). Waiting state i moves to i - 1 (state 0 to served) at
    # leave[i], and loses theta more to the customer's own abandonment.
    ahead = len(probabilities) - servers
    leave = [servers * mu + i * theta for i in range(ahead)]
    diagonal = diags([*(-(rate_ + theta) for rate_ in leave), 0.0], 0, shape=(ahead + 1, ahead + 1))
    moves = coo_matrix(
        (leave, ([ahead if i == 0 else i - 1 for i in range(ahead)], list(range(ahead)))),
        shape=(ahead + 1, ahead + 1),
    )
    generator = (diagonal + moves).tocsc()  # column = from, row = to
    start = np.concatenate([np.array(probabilities[servers:]), [0.0]])
    reached = float(expm_multiply(generator * target, start)[ahead])
    level = math.fsum(probabilities[:servers]) + reached
    busy = math.fsum(min(state, servers) * p for state, p in enumerate(probabilities))
    return Staffing(servers, level, busy / servers, p_wait, theta * queue / rate)


def staff_erlang_c(rate: float, mean_service: float, target: float, goal: float) -> Staffing:
    """The fewest servers whose Erlang C service level is at least ``goal``."""
    first = max(1, math.floor(rate * mean_service) + 1)
    for servers in range(first, MOST_SERVERS + 1):
        level = erlang_c_level(servers, rate, mean_service, target)
        if level.service_level >= goal:
            return level
    raise ValueError(f"no staffing up to {MOST_SERVERS} servers meets service level {goal}")


def staff_erlang_a(
    rate: float, mean_service: float, mean_patience: float, target: float, goal: float
) -> Staffing:
    """The fewest servers whose Erlang A service level is at least ``goal``.

    The level rises with the servers, so the count is found by doubling and bisection:
    a few dozen chains, not one per count (a shop of a hundred tills is planned at once).
    """

    def level(servers: int) -> Staffing:
        return erlang_a(servers, rate, mean_service, mean_patience, target)

    high = 1
    while (found := level(high)).service_level < goal:
        if high >= MOST_SERVERS:
            raise ValueError(f"no staffing up to {MOST_SERVERS} servers meets service level {goal}")
        high = min(MOST_SERVERS, 2 * high)
    low = high // 2  # misses (or 0)
    while high - low > 1:
        middle = (low + high) // 2
        tried = level(middle)
        if tried.service_level >= goal:
            high, found = middle, tried
        else:
            low = middle
    return found
