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
- I. Adan, J. Wessels & W. Zijm, "Analysis of the symmetric shortest queue problem",
  Stochastic Models 6(4), 1990, 691-713: join-the-shortest-queue, which has no closed
  form; here its Markov chain is truncated and solved numerically (:func:`jsq_wait`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config.distributions import Constant, ConstantCount, Empirical, Exponential, Gamma, Uniform
from ..config.scenario import ConstantArrivals, Lane, PoissonArrivals

if TYPE_CHECKING:
    from ..config.scenario import Scenario

__all__ = [
    "FIGURES",
    "BirthDeath",
    "Prediction",
    "birth_death",
    "cobham_waits",
    "erlang_c",
    "jsq_wait",
    "lane_segments",
    "mg1_wait",
    "mmc_wait",
    "predict",
]

#: Chains without a natural end are cut where the remaining probability is negligible.
_TAIL = 1e-15
_MAX_STATES = 1_000_000
#: The most states a join-the-shortest-queue chain may have (built in Python: a few seconds).
_JSQ_STATES = 40_000
#: A cut chain whose cut holds more of the time than this is not reported as theory.
_CUT_ACCEPTED = 1e-6
#: Join-the-shortest-queue is solved for up to this many tills (the chain grows as cap^c).
_JSQ_TILLS = 3
#: A truncated chain is cut where the chance of reaching the cut is below this.
_CUT = 1e-10


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


@dataclass(frozen=True)
class Solved:
    """A figure from a truncated chain, and the probability that the truncation ignores."""

    value: float
    error: float
    cap: int


@functools.lru_cache(maxsize=64)
def jsq_wait(arrival_rate: float, service_rate: float, servers: int) -> Solved:
    """Mean wait in line when each of ``servers`` identical exponential tills has its own line
    and every arrival joins the shortest (ties at random): join-the-shortest-queue.

    The state is the number at each till (in line and served), sorted, since the tills
    are alike. The chain is cut twice: at a longest line of ``cap`` and at a gap of
    ``spread`` between the longest and the shortest line (join-the-shortest keeps the
    lines close); a move that would cross a cut is not made. Both cuts grow until the
    chance of being at either is below 1e-10: that chance is :attr:`Solved.error`, a bound
    on the share of time the cuts matter. Solved with a sparse LU (scipy); the mean wait
    follows from Little's law.
    """
    if servers < 1 or arrival_rate >= servers * service_rate:
        raise ValueError("unstable: arrivals outpace the tills")
    # Start near where the number in the shop, about geometric with ratio rho, leaves
    # less than the cut beyond cap per line.
    rho = arrival_rate / (servers * service_rate)
    cap = max(8, math.ceil(math.log(_CUT) / (servers * math.log(rho))) + 2) if rho > 0 else 8
    spread = 8

    def states(cap: int, spread: int) -> int:  # about how many sorted states lie within both cuts
        return (cap + 1) * math.comb(spread + servers - 1, servers - 1)

    if states(cap, spread) > _JSQ_STATES:
        raise ValueError(f"utilisation {rho:.3g} is too close to 1 for the chain to be solved here")
    while True:
        solved = _jsq_chain(arrival_rate, service_rate, servers, cap, spread)
        at_cap, at_spread = solved[1], solved[2]
        if max(at_cap, at_spread) < _CUT:
            break
        larger = (cap * 3 // 2 if at_cap >= _CUT else cap, spread * 3 // 2 if at_spread >= _CUT else spread)
        if states(*larger) > _JSQ_STATES:
            break  # the best this size allows: its error says how good
        cap, spread = larger
    return Solved(solved[0], max(at_cap, at_spread), cap)


def _jsq_chain(
    arrival_rate: float, service_rate: float, servers: int, cap: int, spread: int
) -> tuple[float, float, float]:
    """(mean wait, chance of a longest line at ``cap``, chance of a gap of ``spread``) of the cut chain."""
    from itertools import combinations_with_replacement

    import numpy as np  # numpy and scipy load only when a chain is solved
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve

    states = [  # sorted, the longest within ``spread`` of the shortest: in lexicographic order
        (lowest, *rest)
        for lowest in range(cap + 1)
        for rest in combinations_with_replacement(range(lowest, min(lowest + spread, cap) + 1), servers - 1)
    ]
    index = {state: i for i, state in enumerate(states)}
    rows: list[int] = []
    cols: list[int] = []
    rates: list[float] = []

    def move(i: int, state: tuple[int, ...], rate: float) -> None:
        j = index.get(state)
        if j is not None:  # else it would cross a cut
            rows.append(i)
            cols.append(j)
            rates.append(rate)

    for i, state in enumerate(states):
        lowest = state[0]
        last = servers - 1  # joins the shortest: the last of the equal shortest, to stay sorted
        while state[last] != lowest:
            last -= 1
        move(i, (*state[:last], lowest + 1, *state[last + 1 :]), arrival_rate)
        for k in range(servers):
            if state[k] > 0 and (k == 0 or state[k - 1] != state[k]):  # the first of equals leaves
                same = state.count(state[k])
                move(i, (*state[:k], state[k] - 1, *state[k + 1 :]), same * service_rate)
    n = len(states)
    outflow = np.zeros(n)
    np.add.at(outflow, rows, rates)
    # The balance equations pi Q = 0 are Q^T pi = 0: row j of Q^T holds what flows into j.
    # Equation 0 gives way to "the probabilities add up to 1".
    into, out, flow = np.array(cols), np.array(rows), np.array(rates)
    keep = into != 0
    diagonal = np.arange(1, n)
    system = coo_matrix(
        (
            np.concatenate([flow[keep], -outflow[1:], np.ones(n)]),
            (
                np.concatenate([into[keep], diagonal, np.zeros(n, dtype=int)]),
                np.concatenate([out[keep], diagonal, np.arange(n)]),
            ),
        ),
        shape=(n, n),
    ).tocsc()
    right = np.zeros(n)
    right[0] = 1.0
    # In the states' own (lexicographic) order the matrix is banded: no reordering needed.
    pi = spsolve(system, right, permc_spec="NATURAL")
    people = np.array([sum(state) for state in states], dtype=float)
    longest = np.array([state[-1] for state in states])
    gap = np.array([state[-1] - state[0] for state in states])
    # Arrivals are turned away only where the shortest line cannot grow: the states at a cut.
    blocked = float(pi[(longest == cap) | (gap == spread)].sum()) if servers > 1 else float(pi[-1])
    accepted = arrival_rate * (1.0 - blocked)
    wait = float(people @ pi) / accepted - 1.0 / service_rate
    return wait, float(pi[longest == cap].sum()), float(pi[gap == spread].sum()) if servers > 1 else 0.0


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


# --- predictions for a whole scenario ---------------------------------------------

#: The figures a prediction may give, as (name, how it is read off a run's summary).
FIGURES = ("wait_mean", "wait_probability", "loss", "abandonment", "utilisation")


@dataclass(frozen=True)
class Prediction:
    """What theory says about a scenario: a model name, figures, and what has no closed form."""

    model: str
    figures: dict[str, float]
    missing: dict[str, str]


def _moments(dist: object) -> tuple[float, float] | None:
    """(E[S], E[S^2]) of a time distribution, where it has a simple closed form."""
    moments = _MOMENTS.get(type(dist))
    return None if moments is None else moments(dist)


def _empirical_moments(dist: Any) -> tuple[float, float]:
    weights = dist.weights or [1.0] * len(dist.values)
    total = math.fsum(weights)
    return dist.mean, math.fsum(w * v * v for v, w in zip(dist.values, weights, strict=True)) / total


#: (E[S], E[S^2]) by distribution, for those with a simple closed form.
_MOMENTS: dict[type, Callable[[Any], tuple[float, float]]] = {
    Constant: lambda dist: (dist.value, dist.value**2),
    Exponential: lambda dist: (dist.mean, 2 * dist.mean**2),
    Uniform: lambda dist: (dist.mean, (dist.low**2 + dist.low * dist.high + dist.high**2) / 3),
    Gamma: lambda dist: (dist.mean, dist.shape * (dist.shape + 1) * dist.scale**2),
    Empirical: _empirical_moments,
}


def _service(scenario: Scenario, lane: Lane | None = None) -> object | str:
    """The per-customer service distribution (before any scan factor), or why it is not a textbook one."""

    baskets = [(segment.basket or scenario.basket).items for segment in scenario.segments]
    if not all(isinstance(b, ConstantCount) for b in baskets):
        return "the number of items per customer is random"
    counts = {b.value for b in baskets if isinstance(b, ConstantCount)}
    payment = (lane or scenario.tills()[0]).payment_time
    if counts == {0}:
        return payment
    if counts != {1}:
        return "customers buy several items (service is a sum)"
    if not (isinstance(payment, Constant) and payment.value == 0):
        return "service is items plus a payment time (a sum)"
    checkout = {product.checkout_time for product in scenario.products}
    if len(checkout) > 1:
        return "products have different checkout times (service is a mixture)"
    return next(iter(checkout))


def predict(scenario: Scenario) -> Prediction:
    """Steady-state predictions for a textbook scenario; reasons where there are none.

    Covered: Poisson arrivals with exponential service (M/M/c; with a capacity, balking
    M/M/c/K or the backpressure chain; with exponential patience, Erlang-A), any of
    FIFO/LIFO/priority (LIFO shares FIFO's mean wait; priorities by Cobham for one till
    or equal exponential service), M/G/1 by Pollaczek-Khinchine, and D/M/1.
    """

    if scenario.lanes is not None:
        return _predict_lanes(scenario)
    cashiers = scenario.cashiers
    assert cashiers is not None
    missing: dict[str, str] = {}
    constant = cashiers.constant_count

    def nothing(reason: str) -> Prediction:
        return Prediction("not a textbook model", {}, dict.fromkeys(FIGURES, reason))

    if cashiers.scaling is not None:
        return nothing("lanes open and close (scaling)")
    if constant is None:
        return nothing("lanes open and close (roster or breaks)")
    c = constant
    service = _service(scenario)
    if isinstance(service, str):
        return nothing(service)
    dist = service
    moments = _moments(dist)
    if moments is None:
        return nothing(f"service is {type(dist).__name__.lower()}")
    mean_s, second_s = moments
    patiences = {segment.patience for segment in scenario.segments}
    theta: float | None = None
    if patiences != {None}:
        patience = next(iter(patiences)) if len(patiences) == 1 else None
        if not isinstance(patience, Exponential):
            return nothing("patience is not the same exponential for everyone")
        theta = 1 / patience.mean
    arrivals = scenario.arrivals
    exponential = isinstance(dist, Exponential)
    capacity = scenario.queue.capacity
    priority = scenario.queue.kind == "priority" and len({s.priority for s in scenario.segments}) > 1

    if isinstance(arrivals, ConstantArrivals):
        if c == 1 and exponential and capacity is None and theta is None and not priority:
            return _dm1(1 / arrivals.rate, 1 / mean_s)
        return nothing("constant arrivals: only D/M/1 has a closed form here")
    if not isinstance(arrivals, PoissonArrivals):
        return nothing(f"{arrivals.pattern} arrivals are not a Poisson process")
    lam = arrivals.rate

    if exponential and (capacity is not None or theta is not None):
        return _markov_chain(scenario, lam, 1 / mean_s, theta, priority)
    if priority:
        return _priority(scenario, lam, dist, mean_s, second_s)
    if exponential:
        if lam * mean_s >= c:
            return nothing("unstable: arrivals outpace the tills")
        p_wait = erlang_c(c, lam * mean_s)
        figures = {
            "wait_mean": mmc_wait(lam, 1 / mean_s, c),
            "wait_probability": p_wait,
            "loss": 0.0,
            "abandonment": 0.0,
            "utilisation": lam * mean_s / c,
        }
        return Prediction(f"M/M/{c} ({scenario.queue.kind.upper()}, Erlang C)", figures, missing)
    if c == 1 and lam * mean_s < 1:
        figures = {
            "wait_mean": mg1_wait(lam, mean_s, second_s),
            "wait_probability": lam * mean_s,
            "loss": 0.0,
            "abandonment": 0.0,
            "utilisation": lam * mean_s,
        }
        kind = "D" if isinstance(dist, Constant) else "G"
        return Prediction(f"M/{kind}/1 (Pollaczek-Khinchine)", figures, missing)
    return nothing("general service with several tills (M/G/c) has no closed form")


def _markov_chain(
    scenario: Scenario, lam: float, mu: float, theta: float | None, priority: bool
) -> Prediction:
    """M/M/c with a capacity (balk or backpressure) and/or exponential patience."""
    c = scenario.tills()[0].opening
    capacity = scenario.queue.capacity
    balk = scenario.queue.when_full == "balk"
    rate = theta or 0.0
    last = None if capacity is None else c + capacity + (0 if balk else 1)
    full = None if capacity is None else c + capacity

    def birth(n: int) -> float:
        return lam if full is None or n < full or (not balk and n == full) else 0.0

    def death(n: int) -> float:
        # Patience runs at the door too, so the held arrival may give up like those in line.
        return min(n, c) * mu + max(n - c, 0) * rate

    if theta is None and capacity is None:
        raise AssertionError("handled by Erlang C")
    try:
        chain = birth_death(birth, death, last)
    except ValueError:
        return Prediction("unstable", {}, dict.fromkeys(FIGURES, "the chain does not settle"))
    served_rate = chain.mean(lambda n: min(n, c) * mu)
    arrival_rate = lam if balk or full is None else chain.mean(birth)  # backpressure pauses arrivals
    figures: dict[str, float] = {"utilisation": served_rate / mu / c}
    missing: dict[str, str] = {}
    figures["loss"] = chain.p[full] if balk and full is not None else 0.0
    figures["abandonment"] = chain.mean(lambda n: max(n - c, 0)) * rate / arrival_rate
    if theta is None:
        # Little's law on everyone waiting (in line or at the door); all of them are served.
        figures["wait_mean"] = chain.mean(lambda n: max(n - c, 0)) / served_rate
        joinable = chain.p if full is None else chain.p[: full if balk else full + 1]
        figures["wait_probability"] = math.fsum(joinable[c:]) / math.fsum(joinable)
    else:
        missing["wait_mean"] = missing["wait_probability"] = "waits of served customers under abandonment"
    if priority:
        missing["wait_mean"] = "priorities with a capacity or patience"
    name = f"M/M/{c}" + (f"/{full}" if full else "") + ("+M (Erlang-A)" if theta else "")
    if capacity is not None and not balk:
        name += " with the held arrival (backpressure)"
    return Prediction(name, figures, missing)


def _priority(scenario: Scenario, lam: float, dist: object, mean_s: float, second_s: float) -> Prediction:
    """Non-preemptive priorities: Cobham for M/G/1, and M/M/c with equal service rates."""

    c = scenario.tills()[0].opening
    shares: dict[int, float] = {}
    total = math.fsum(segment.share for segment in scenario.segments)
    for segment in scenario.segments:
        shares[segment.priority] = shares.get(segment.priority, 0.0) + segment.share / total
    levels = sorted(shares)
    rates = [lam * shares[level] for level in levels]
    if c == 1:
        waits = cobham_waits(rates, [mean_s] * len(rates), [second_s] * len(rates))
    elif isinstance(dist, Exponential):
        base = erlang_c(c, lam * mean_s) * mean_s / c
        sigma, waits = 0.0, []
        for rate in rates:
            before, sigma = sigma, sigma + rate * mean_s / c
            waits.append(base / ((1 - before) * (1 - sigma)))
    else:
        return Prediction("not a textbook model", {}, dict.fromkeys(FIGURES, "priorities in M/G/c"))
    figures = {
        "wait_mean": math.fsum(r * w for r, w in zip(rates, waits, strict=True)) / lam,
        "wait_probability": erlang_c(c, lam * mean_s) if isinstance(dist, Exponential) else lam * mean_s,
        "loss": 0.0,
        "abandonment": 0.0,
        "utilisation": lam * mean_s / c,
    }
    for segment in scenario.segments:
        figures[f"wait_mean[{segment.name}]"] = waits[levels.index(segment.priority)]
    return Prediction(f"priority M/{'M' if isinstance(dist, Exponential) else 'G'}/{c} (Cobham)", figures, {})


def _dm1(gap: float, mu: float) -> Prediction:
    """D/M/1 as GI/M/1: sigma solves sigma = exp(-mu T (1 - sigma)); W = sigma / (mu (1 - sigma))."""
    if gap * mu <= 1:
        return Prediction("unstable", {}, dict.fromkeys(FIGURES, "arrivals outpace the till"))
    sigma = 0.5
    for _ in range(200):  # a contraction on (0, 1) when stable
        sigma = math.exp(-mu * gap * (1 - sigma))
    figures = {
        "wait_mean": sigma / (mu * (1 - sigma)),
        "wait_probability": sigma,
        "loss": 0.0,
        "abandonment": 0.0,
        "utilisation": 1 / (gap * mu),
    }
    return Prediction("D/M/1 (GI/M/1)", figures, {})


def _predict_lanes(scenario: Scenario) -> Prediction:
    """Lane groups whose customers are fixed by segment: each its own queue, fed by a thinned Poisson stream.

    Splitting a Poisson stream by a customer's segment (drawn independently at arrival)
    gives independent Poisson streams, so a group that only its own segments use is an
    M/M/c queue (Erlang C) for exponential service, or M/G/1 (Pollaczek-Khinchine) with
    one till. Where customers choose among groups, the streams depend on the lines: no
    closed form.
    """
    lanes = scenario.lanes
    assert lanes is not None

    def nothing(reason: str) -> Prediction:
        return Prediction("not a textbook model", {}, dict.fromkeys(FIGURES, reason))

    fed = lane_segments(scenario)
    if fed is None:
        return nothing("customers choose among groups by line length")
    arrivals = scenario.arrivals
    if not isinstance(arrivals, PoissonArrivals):
        return nothing(f"{arrivals.pattern} arrivals are not a Poisson process")
    total = math.fsum(segment.share for segment in scenario.segments)
    figures: dict[str, float] = {}
    missing: dict[str, str] = {}
    models: list[str] = []
    for lane in lanes:
        segments = [segment for segment in scenario.segments if segment.name in fed[lane.name]]
        if not segments:
            continue
        lam = arrivals.rate * math.fsum(segment.share for segment in segments) / total
        found = _lane_queue(scenario, lane, segments, lam)
        if isinstance(found, str):
            missing[f"lane_wait_mean[{lane.name}]"] = found
            continue
        figures[f"lane_wait_mean[{lane.name}]"] = found[0]
        figures[f"lane_utilisation[{lane.name}]"] = found[1]
        models.append(f"{lane.name} {found[2]}")
    return Prediction(
        "lane groups, each its own queue fed by its own segments (Poisson thinning)"
        + (f": {'; '.join(models)}" if models else ""),
        figures,
        missing,
    )


def lane_segments(scenario: Scenario) -> dict[str, list[str]] | None:
    """Each lane group's segments, when every segment may use just one group; else None.

    Then a customer's group is fixed by their segment, and a group's customers are
    exactly its segments' (what theory and the batch means of one run rely on).
    """
    lanes = scenario.lanes
    assert lanes is not None
    fed: dict[str, list[str]] = {lane.name: [] for lane in lanes}
    for segment in scenario.segments:
        open_to = [lane.name for lane in lanes if lane.open_to(segment)]
        if len(open_to) != 1:
            return None
        fed[open_to[0]].append(segment.name)
    return fed


def _lane_queue(
    scenario: Scenario, lane: Any, segments: Sequence[Any], lam: float
) -> tuple[float, float, str] | str:
    """(mean wait, utilisation, model) of one lane group; or why it has no closed form.

    Tills sharing a line: M/M/c (Erlang C) or M/G/1 (Pollaczek-Khinchine). A line at each
    till: see :func:`_own_lines`.
    """
    if lane.scaling is not None:
        return "tills open and close (scaling)"
    if lane.constant_count is None:
        return "tills open and close (roster or breaks)"
    if lane.queue.capacity is not None:
        return "the line has a capacity"
    if lane.assist is not None:
        return "kiosks wait for attendants"
    if any(segment.patience is not None for segment in segments):
        return "customers give up (patience)"
    if lane.queue.kind == "priority" and len({segment.priority for segment in segments}) > 1:
        return "priorities"
    service = _service(scenario.model_copy(update={"segments": list(segments), "lanes": None}), lane)
    if isinstance(service, str):
        return service
    moments = _moments(service)
    if moments is None:
        return f"service is {type(service).__name__.lower()}"
    factor = lane.scan_factor
    mean_s, second_s = moments[0] * factor, moments[1] * factor**2
    c = lane.opening
    if lam * mean_s >= c:
        return "unstable: arrivals outpace the tills"
    if lane.line == "per_till" and c > 1:
        return _own_lines(segments, service, lam, (mean_s, second_s), c)
    if isinstance(service, Exponential):
        return mmc_wait(lam, 1 / mean_s, c), lam * mean_s / c, f"M/M/{c}"
    if c == 1:
        return mg1_wait(lam, mean_s, second_s), lam * mean_s, "M/G/1"
    return "general service with several tills (M/G/c) has no closed form"


def _own_lines(
    segments: Sequence[Any], service: object, lam: float, moments: tuple[float, float], c: int
) -> tuple[float, float, str] | str:
    """(mean wait, utilisation, model) of ``c`` identical tills each with its own line, by how shoppers pick.

    - ``random``: each till is its own M/G/1 queue fed by a Poisson stream of lam/c.
    - any pick with ``jockey: {min_gain: 2}`` and no move time: no line is ever two
      longer than another, so no till idles while someone waits and the number in the
      shop is the M/M/c chain: Erlang C (exponential service).
    - ``shortest`` alone: join-the-shortest-queue, solved as a Markov chain (exponential
      service, up to 3 tills). With one item per customer and one kind of till,
      ``fewest_items`` and ``least_work`` rank the lines as ``shortest`` does.
    """
    rules = {("shortest" if s.prefer is not None else s.choice, s.jockey) for s in segments}
    if len(rules) > 1:
        return "segments pick or switch lines by different rules"
    choice, jockey = rules.pop()
    mean_s, second_s = moments
    utilisation = lam * mean_s / c
    if choice == "random" and jockey is None:
        return mg1_wait(lam / c, mean_s, second_s), utilisation, f"{c} × M/G/1 (random choice)"
    if not isinstance(service, Exponential):
        return "general service with a line at each till has no closed form"
    if jockey is not None:  # whatever the first pick, switching at once evens the lines out
        if jockey.min_gain == 2 and jockey.move_time == 0:
            return (
                mmc_wait(lam, 1 / mean_s, c),
                utilisation,
                f"M/M/{c} (switching at a gain of 2 keeps every till busy while anyone waits)",
            )
        return "switching at a gain above 2, or with a move time, has no closed form"
    if c > _JSQ_TILLS:
        return f"join-the-shortest-queue is solved here for up to {_JSQ_TILLS} tills"
    try:
        solved = jsq_wait(lam, 1 / mean_s, c)
    except ValueError as error:
        return f"join-the-shortest-queue: {error}"
    if solved.error > _CUT_ACCEPTED:
        return (
            f"join-the-shortest-queue: at this utilisation the chain, cut at {solved.cap} per line, "
            f"leaves {solved.error:.0e} of the time out"
        )
    return (
        solved.value,
        utilisation,
        f"join-the-shortest-queue, {c} tills: a Markov chain, cut where it spends {solved.error:.0e}"
        " of the time",
    )
