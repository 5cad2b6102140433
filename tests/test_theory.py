"""Runs of textbook models agree with queueing theory, within confidence intervals.

Every test runs the real pipeline (scenario YAML → loader → asyncio producer and
cashiers on the virtual clock → summary and event log) for several replications
with fixed seeds, and asserts that the formula lies inside the 99.9 % confidence
interval of the replication means. Loads are kept at or below 0.8 so that runs of
a few thousand customers are long compared with the queue's relaxation time.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import orjson
import pytest

from checkout_sim import Summary, parse_scenario, run
from checkout_sim.analysis.confidence import mean_interval
from checkout_sim.analysis.theory import birth_death, cobham_waits, erlang_c, mg1_wait, mmc_wait

REPLICATIONS = 10
CONFIDENCE = 0.999
pytestmark = pytest.mark.slow


def assert_within_interval(values: list[float], expected: float, what: str) -> None:
    """The formula's value lies in the 99.9 % confidence interval of the replications' mean."""
    mean, half = mean_interval(values, CONFIDENCE)
    assert abs(mean - expected) <= half, f"{what}: simulated {mean:.6g} ± {half:.3g}, theory {expected:.6g}"
    assert half < 0.1 * abs(expected) or expected == 0, f"{what}: interval too wide to mean anything"


def assert_littles_law(summary: Summary) -> None:
    """Little's law from the run's own summary: time-average number waiting = arrival rate × mean wait.

    Holds exactly on every run (the run ends with nobody waiting); where nobody is held
    at the door or gives up, it holds for the line and the served customers' mean wait too.
    """
    assert summary.wait_mean_all is not None
    rate = summary.arrived / summary.elapsed
    assert summary.waiting_mean == pytest.approx(rate * summary.wait_mean_all, rel=1e-9)
    if summary.reneged == summary.unserved == 0 and summary.waiting_mean == summary.queue_length_mean:
        assert summary.wait_mean is not None
        expected = summary.served / summary.elapsed * summary.wait_mean
        assert summary.queue_length_mean == pytest.approx(expected, rel=1e-9)


def replicate(yaml: str, *overrides: str, replications: int = REPLICATIONS) -> list[Summary]:
    """Run the scenario with seeds 1..N, check Little's law on each, return the summaries."""
    scenario = parse_scenario(yaml, "theory.yaml", overrides)
    summaries = [run(scenario, seed=seed) for seed in range(1, replications + 1)]
    for summary in summaries:
        assert_littles_law(summary)
    return summaries


def figure(summaries: list[Summary], pick: Callable[[Summary], float | None]) -> list[float]:
    """One number per replication; none may be missing."""
    values = [pick(summary) for summary in summaries]
    assert all(value is not None for value in values)
    return [float(value) for value in values if value is not None]


MMC = """
name: mmc
arrivals: {pattern: poisson, rate: 2.4/min, limit: 30000}
products: [{name: service, checkout_time: {dist: exponential, mean: 1min}}]
cashiers: {count: 3}
"""


def test_mmc_fifo_wait_and_probability_of_waiting_match_erlang_c() -> None:
    """M/M/3 at rho 0.8: mean wait against C(c,a)/(c mu - lambda), P(wait) against Erlang C."""
    lam, mu, c = 2.4 / 60, 1 / 60, 3
    summaries = replicate(MMC)
    assert_within_interval(figure(summaries, lambda s: s.wait_mean), mmc_wait(lam, mu, c), "mean wait")
    assert_within_interval(figure(summaries, lambda s: s.waited / s.served), erlang_c(c, lam / mu), "P(wait)")


def test_erlang_c_agrees_with_the_birth_death_chain() -> None:
    """The closed form and the generic chain give the same M/M/c answers."""
    lam, mu, c = 2.4, 1.0, 3
    chain = birth_death(lambda n: lam, lambda n: min(n, c) * mu)
    assert chain.mean(lambda n: 1.0 if n >= c else 0.0) == pytest.approx(erlang_c(c, lam / mu), rel=1e-12)
    assert chain.mean(lambda n: max(n - c, 0)) / lam == pytest.approx(mmc_wait(lam, mu, c), rel=1e-12)


MMCK = """
name: mmck
arrivals: {pattern: poisson, rate: 3/min, limit: 8000}
products: [{name: service, checkout_time: {dist: exponential, mean: 1min}}]
queue: {capacity: 3, when_full: balk}
cashiers: {count: 2}
"""


def test_balking_loss_matches_mmck_blocking_probability() -> None:
    """M/M/2/5 (capacity 3 + 2 tills): the fraction balking is p_K of the truncated chain."""
    lam, mu, c, k = 3.0, 1.0, 2, 3 + 2
    chain = birth_death(lambda n: lam, lambda n: min(n, c) * mu, last=k)
    summaries = replicate(MMCK)
    assert_within_interval(figure(summaries, lambda s: s.balked / s.arrived), chain.p[k], "loss fraction")


def test_backpressure_throughput_matches_the_blocked_arrival_chain() -> None:
    """when_full: wait — the held arrival is one more place: states 0..K+1, arrivals stop at K+1."""
    lam, mu, c, k = 3.0, 1.0, 2, 3 + 2
    chain = birth_death(lambda n: lam if n <= k else 0.0, lambda n: min(n, c) * mu, last=k + 1)
    throughput = chain.mean(lambda n: min(n, c) * mu)  # per minute
    summaries = replicate(
        MMCK, "queue.when_full=wait", "arrivals.limit=null", "duration=2000min", "drain=false"
    )
    per_minute = figure(summaries, lambda s: s.served / s.elapsed * 60)
    assert_within_interval(per_minute, throughput, "served throughput")
    assert throughput < lam * (1 - chain.p[k + 1]) + 1e-12 or math.isclose(
        throughput, lam * (1 - chain.p[k + 1])
    )


PRIORITY = """
name: priority
arrivals: {pattern: poisson, rate: 0.75/min, limit: 10000}
products: [{name: service, checkout_time: {dist: exponential, mean: 1min}}]
segments:
  - {name: vip, share: 1, priority: 0}
  - {name: regular, share: 2, priority: 1}
queue: {kind: priority}
cashiers: {count: 1}
"""


def test_priority_waits_per_segment_match_cobham() -> None:
    """Non-preemptive priority M/M/1 with two classes: each class's mean wait against Cobham."""
    lam, mean = 0.75, 1.0  # per minute, minutes
    rates = [lam / 3, 2 * lam / 3]
    expected = cobham_waits(rates, [mean, mean], [2 * mean**2, 2 * mean**2])
    summaries = replicate(PRIORITY)
    for name, minutes in zip(("vip", "regular"), expected, strict=True):
        waits = [s.segments[name].wait_mean for s in summaries]
        assert all(w is not None for w in waits)
        assert_within_interval([w / 60 for w in waits if w is not None], minutes, f"{name} wait")


MM1 = """
name: mm1
arrivals: {pattern: poisson, rate: 0.7/min, limit: 30000}
products: [{name: service, checkout_time: {dist: exponential, mean: 1min}}]
queue: {kind: lifo}
cashiers: {count: 1}
"""


def test_lifo_has_fifo_mean_wait_larger_variance_and_one_minus_rho_served_at_once() -> None:
    """LIFO M/M/1: mean wait = FIFO's rho/(mu - lambda); variance above FIFO's; P(no wait) = 1 - rho."""
    lam, mu = 0.7 / 60, 1 / 60
    rho = lam / mu
    summaries = replicate(MM1)
    assert_within_interval(figure(summaries, lambda s: s.wait_mean), mmc_wait(lam, mu, 1), "LIFO mean wait")
    assert_within_interval(figure(summaries, lambda s: 1 - s.waited / s.served), 1 - rho, "P(no wait)")
    fifo_variance = rho * (2 - rho) / (mu * (1 - rho)) ** 2  # M/M/1 FIFO wait in line
    variances = figure(summaries, lambda s: (s.wait_sd or 0.0) ** 2)
    mean, half = mean_interval(variances, CONFIDENCE)
    assert mean - half > fifo_variance, "LIFO spreads waits more than FIFO"
    fifo = replicate(MM1, "queue.kind=fifo")
    fifo_mean, fifo_half = mean_interval(figure(fifo, lambda s: (s.wait_sd or 0.0) ** 2), CONFIDENCE)
    assert abs(fifo_mean - fifo_variance) <= fifo_half


def test_mg1_with_constant_service_matches_pollaczek_khinchine() -> None:
    """M/D/1: lambda E[S^2] / (2 (1 - rho)) with S constant (half of M/M/1's wait)."""
    summaries = replicate(MM1, "queue.kind=fifo", "products.0.checkout_time=1min")
    lam, s = 0.7 / 60, 60.0
    assert_within_interval(figure(summaries, lambda x: x.wait_mean), mg1_wait(lam, s, s * s), "M/D/1 wait")


ERLANG_A = """
name: erlang-a
arrivals: {pattern: poisson, rate: 3/min, limit: 8000}
products: [{name: service, checkout_time: {dist: exponential, mean: 1min}}]
segments: [{name: caller, patience: {dist: exponential, mean: 2min}}]
cashiers: {count: 3}
"""


def test_abandonment_matches_erlang_a() -> None:
    """M/M/3+M at offered load 3: the fraction reneging is E[(N - c)+] theta / lambda."""
    lam, mu, theta, c = 3.0, 1.0, 0.5, 3
    chain = birth_death(lambda n: lam, lambda n: min(n, c) * mu + max(n - c, 0) * theta)
    expected = chain.mean(lambda n: max(n - c, 0)) * theta / lam
    summaries = replicate(ERLANG_A)
    assert_within_interval(figure(summaries, lambda s: s.reneged / s.arrived), expected, "abandonment")


SCHEDULE = """
name: schedule
duration: 6h
arrivals:
  pattern: schedule
  phases: [{until: 1h, rate: 60/h}, {until: 2h, rate: 0/h}, {until: 6h, rate: 150/h}]
products: [{name: x, checkout_time: 1s}]
cashiers: {count: 5}
"""


def test_schedule_counts_per_phase_match_the_phase_rates() -> None:
    """Arrivals per phase, read from the event log, are Poisson with mean rate × length."""
    scenario = parse_scenario(SCHEDULE, "schedule.yaml")
    phases = [(0.0, 3600.0, 60.0), (3600.0, 7200.0, 0.0), (7200.0, 21600.0, 600.0)]
    counts = [[0] * len(phases) for _ in range(REPLICATIONS)]
    for seed in range(1, REPLICATIONS + 1):
        buffer = io.BytesIO()
        assert_littles_law(run(scenario, seed=seed, log=buffer))
        for line in buffer.getvalue().splitlines():
            event = orjson.loads(line)
            if event["event"] == "customer_arrived":
                index = next(i for i, (start, end, _) in enumerate(phases) if start <= event["t"] < end)
                counts[seed - 1][index] += 1
    for index, (_, _, expected) in enumerate(phases):
        total = sum(run_counts[index] for run_counts in counts)
        # A sum of Poisson counts is Poisson: mean and variance N × expected; z = 3.29 is 99.9 %.
        assert abs(total - REPLICATIONS * expected) <= 3.29 * math.sqrt(REPLICATIONS * expected), index
