"""Distributions draw from the shapes they name, checked against their formulas."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from checkout_sim.config.distributions import (
    CountDistribution,
    Distribution,
    Normal,
    exponential_draws,
    poisson,
    sampler,
)

TIME = TypeAdapter(Distribution)
COUNT = TypeAdapter(CountDistribution)
N = 40_000
#: Sample means must fall within this many standard errors of the formula (p ≈ 6e-5).
Z = 4.0


def assert_mean_and_variance(draws: list[float], mean: float, variance: float) -> None:
    """The sample mean within Z standard errors; the sample variance within Z of its own SE."""
    n = len(draws)
    assert abs(statistics.fmean(draws) - mean) <= Z * math.sqrt(variance / n) + 1e-12
    m4 = statistics.fmean((x - mean) ** 4 for x in draws)
    assert abs(statistics.variance(draws) - variance) <= Z * math.sqrt(max(m4 - variance**2, 0) / n) + 1e-12


@pytest.mark.parametrize(
    ("spec", "mean", "variance"),
    [
        ({"dist": "exponential", "mean": "30s"}, 30.0, 900.0),
        ({"dist": "uniform", "low": 2, "high": 8}, 5.0, 36 / 12),
        ({"dist": "triangular", "low": 0, "mode": 3, "high": 9}, 4.0, (0 + 9 + 81 - 0 - 0 - 27) / 18),
        ({"dist": "gamma", "shape": 3, "scale": 2}, 6.0, 12.0),
        ({"dist": "lognormal", "mean": 10, "sd": 4}, 10.0, 16.0),
        (
            {"dist": "empirical", "values": [1, 2, 10], "weights": [1, 1, 2]},
            23 / 4,
            (1 + 4 + 200) / 4 - (23 / 4) ** 2,
        ),
        ("7s", 7.0, 0.0),
    ],
)
def test_time_distributions_match_their_moments(spec: Any, mean: float, variance: float) -> None:
    """Mean and variance of many draws agree with the closed forms."""
    dist = TIME.validate_python(spec)
    rng = random.Random(11)
    draws = [dist.sample(rng) for _ in range(N)]
    assert_mean_and_variance(draws, mean, variance)
    assert dist.mean == pytest.approx(mean)


def test_normal_is_clipped_at_zero_with_the_clipped_mean() -> None:
    """Negative normal draws become 0, and the mean is E[max(0, X)]."""
    dist = TIME.validate_python({"dist": "normal", "mean": 1, "sd": 2})
    assert isinstance(dist, Normal)
    rng = random.Random(3)
    draws = [dist.sample(rng) for _ in range(N)]
    assert min(draws) == 0.0
    z = 0.5
    expected = 1 * 0.5 * (1 + math.erf(z / math.sqrt(2))) + 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    assert dist.clipped_mean == pytest.approx(expected)
    sd = statistics.stdev(draws)
    assert abs(statistics.fmean(draws) - expected) <= Z * sd / math.sqrt(N)


@pytest.mark.parametrize(
    ("spec", "mean", "variance"),
    [
        ({"dist": "uniform_int", "low": 0, "high": 9}, 4.5, (10**2 - 1) / 12),
        ({"dist": "poisson", "mean": 3.5}, 3.5, 3.5),
        ({"dist": "poisson", "mean": 250}, 250.0, 250.0),
        ({"dist": "empirical", "values": [1, 2, 3], "weights": [5, 3, 2]}, 1.7, (5 + 12 + 18) / 10 - 1.7**2),
        (4, 4.0, 0.0),
    ],
)
def test_count_distributions_match_their_moments(spec: Any, mean: float, variance: float) -> None:
    """Whole-number draws agree with the closed-form mean and variance."""
    dist = COUNT.validate_python(spec)
    rng = random.Random(5)
    draws = [dist.sample(rng) for _ in range(N)]
    assert all(isinstance(x, int) and x >= 0 for x in draws)
    assert_mean_and_variance([float(x) for x in draws], mean, variance)


def test_poisson_probabilities_match_the_mass_function() -> None:
    """Large-mean (PTRS) Poisson draws hit P(X = k) within binomial error, k near the mean."""
    rng = random.Random(8)
    mean = 40.0
    draws = [poisson(rng, mean) for _ in range(N)]
    for k in (30, 40, 50):
        p = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))
        observed = draws.count(k) / N
        assert abs(observed - p) <= Z * math.sqrt(p * (1 - p) / N)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "uniform", "low": 5, "high": 2}, "must not be below low"),
        ({"dist": "triangular", "low": 0, "mode": 9, "high": 5}, "must lie between low and high"),
        ({"dist": "normal", "mean": 5, "sd": -1}, "must not be negative"),
        ({"dist": "empirical", "values": []}, "List should have at least 1 item after validation, not 0"),
        ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "must add up to more than 0"),
        ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "has 1 entries but values has 2"),
        ({"dist": "exponential", "mean": 0}, "must be greater than 0"),
        ({"dist": "gamma", "shape": 0, "scale": 1}, "Input should be greater than 0"),
        ({"dist": "gamma", "shape": 1e300, "scale": 1}, "Input should be less than or equal to 1000000"),
        ({"dist": "lognormal", "mean": 1e-300, "sd": 1}, "must be at most 1000000 times mean"),
        (
            {"dist": "empirical", "values": [1, 2], "weights": [1, 1e308]},
            "Input should be less than or equal to 1000000000000",
        ),
    ],
)
def test_contradictory_parameters_are_refused(spec: Any, message: str) -> None:
    """Parameters that cannot describe a distribution are errors."""
    with pytest.raises(ValidationError) as caught:
        TIME.validate_python(spec)
    assert [e["msg"] for e in caught.value.errors()] == [message]


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "lognormal", "mean": 1e-3, "sd": 1e3},
        {"dist": "lognormal", "mean": 1e9, "sd": 1e9},
        {"dist": "gamma", "shape": 1e6, "scale": 1e9},
        {"dist": "normal", "mean": 1e9, "sd": 1e9},
        {"dist": "exponential", "mean": 1e9},
        {"dist": "exponential", "mean": 5e-324},
    ],
)
def test_distributions_at_their_bounds_draw_finite_times(spec: Any) -> None:
    """At the largest parameters allowed, every draw is a finite time of at least 0."""
    distribution = TIME.validate_python(spec)
    rng = random.Random(7)
    assert all(0 <= distribution.sample(rng) < math.inf for _ in range(10_000))


def test_constants_serialise_as_plain_numbers() -> None:
    """A constant written as `5s` is dumped back as 5.0, not as a mapping."""
    assert TIME.dump_python(TIME.validate_python("5s")) == 5.0
    assert COUNT.dump_python(COUNT.validate_python(3)) == 3


@pytest.mark.parametrize(
    "spec",
    [
        "7s",
        {"dist": "exponential", "mean": "30s"},
        {"dist": "uniform", "low": 2, "high": 8},
        {"dist": "normal", "mean": 10, "sd": 3},
        {"dist": "empirical", "values": [1, 2, 10], "weights": [1, 1, 2]},
    ],
)
def test_sampler_draws_exactly_what_sample_draws(spec: Any) -> None:
    """sampler(d, rng)() gives the same numbers from the same stream as d.sample(rng)."""
    distribution = TIME.validate_python(spec)
    by_sample, by_sampler = random.Random(5), random.Random(5)
    draw = sampler(distribution, by_sampler)
    assert [draw() for _ in range(200)] == [distribution.sample(by_sample) for _ in range(200)]


def test_exponential_draws_are_exactly_expovariate() -> None:
    """Draws made ahead in batches are random.expovariate's floats, in order, across batches."""
    draws, reference = exponential_draws(random.Random(3), 1 / 30), random.Random(3)
    assert [draws() for _ in range(3000)] == [reference.expovariate(1 / 30) for _ in range(3000)]


def test_poisson_arrival_gaps_are_exactly_expovariate() -> None:
    """The arrival process's gap equals random.expovariate, bit for bit."""
    from checkout_sim.engine.arrivals import _Poisson

    arrivals, reference = _Poisson(2.7 / 60, random.Random(9)), random.Random(9)
    now, expected = 0.0, 0.0
    for _ in range(3000):
        upcoming = arrivals.next(now)
        expected += reference.expovariate(2.7 / 60)
        assert upcoming == (expected, 1)
        now = expected


def test_an_arrival_process_with_a_gap_is_next_written_out() -> None:
    """Where a process offers its gap (Poisson), now + gap() and group size 1 are exactly next(now)."""
    from checkout_sim.config.loader import parse_scenario
    from checkout_sim.engine.arrivals import make_arrivals

    base = "name: s\nduration: 1h\nproducts: [{name: a, checkout_time: 1s}]\ncashiers: {count: 1}\n"
    poisson = parse_scenario(base + "arrivals: {pattern: poisson, rate: 30/h}")
    by_next, by_gap = make_arrivals(poisson, random.Random(5)), make_arrivals(poisson, random.Random(5))
    assert by_gap.gap is not None
    now = 0.0
    for _ in range(2000):
        upcoming = by_next.next(now)
        assert upcoming == (now + by_gap.gap(), 1)
        now = upcoming[0]
    for others in (
        "arrivals: {pattern: constant, rate: 30/h}",
        "arrivals: {pattern: batch, every: 1m, size: 2}",
        "arrivals: {pattern: schedule, phases: [{until: 1h, rate: 30/h}]}",
    ):
        assert make_arrivals(parse_scenario(base + others), random.Random(5)).gap is None, others


class _Counted(float):
    """A phase end that counts how often it is compared (its reflected comparisons run first)."""

    comparisons = 0

    def _count(self, other: object) -> None:
        _Counted.comparisons += 1

    def __lt__(self, other: object) -> bool:
        self._count(other)
        return float(self) < other  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        self._count(other)
        return float(self) <= other  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        self._count(other)
        return float(self) > other  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        self._count(other)
        return float(self) >= other  # type: ignore[operator]


def _scanned_schedule(phases: list[tuple[float, float]], rng: random.Random, now: float) -> float | None:
    """The schedule's next arrival by the definition: scan every phase from the first."""
    start = now
    for until, rate in phases:
        if start >= until:
            continue
        if rate > 0:
            candidate = start + rng.expovariate(rate)
            if candidate < until:
                return candidate
        start = until
    return None


def test_a_schedule_draws_the_arrivals_of_its_definition() -> None:
    """On random schedules (zero-rate phases too), next() gives exactly the phase-by-phase scan's times."""
    from checkout_sim.engine.arrivals import _Schedule

    layout = random.Random(11)
    for case in range(50):
        ends = sorted(layout.sample(range(1, 10_000), layout.randint(1, 40)))
        phases = [(float(end), layout.choice([0.0, 0.001, 0.01, 0.5])) for end in ends]
        schedule, reference = _Schedule(phases, random.Random(case)), random.Random(case)
        now: float | None = 0.0
        while now is not None:
            upcoming = schedule.next(now)
            expected = _scanned_schedule(phases, reference, now)
            assert (upcoming[0] if upcoming else None) == expected
            now = expected


def test_a_schedule_costs_the_same_per_arrival_however_many_phases() -> None:
    """With 30,000 phases an arrival compares a few dozen phase ends, not all those before it."""
    from checkout_sim.engine.arrivals import _Schedule

    phases: list[tuple[float, float]] = [(_Counted(second + 1), 0.5) for second in range(30_000)]
    schedule = _Schedule(phases, random.Random(3))
    now, arrivals = 0.0, 0
    _Counted.comparisons = 0
    while arrivals < 5000:
        upcoming = schedule.next(now)
        assert upcoming is not None
        now, arrivals = upcoming[0], arrivals + 1
    assert now > 9000  # the arrivals went deep into the schedule
    assert _Counted.comparisons / arrivals < 40
