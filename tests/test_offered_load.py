"""The offered load of a time-varying day against m(t) integrated numerically in the test."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from checkout_sim.analysis.offered_load import ServiceTimes, mean_offered_loads


def numeric_mean_load(
    boundaries: list[float], rates: list[float], h: Callable[[float], float], k: int, steps: int = 20_000
) -> float:
    """(1/L) ∫ m(t) dt over interval k by the midpoint rule, m(t) = Σ_j λ_j [H(t − t_j) − H(t − t_{j+1})]
    with ``h`` the closed-form H(x) = ∫₀^x P(S > u) du (0 for x <= 0): independent of the sample
    sums and of the H₂ algebra the module uses."""

    def big_h(x: float) -> float:
        return h(x) if x > 0 else 0.0

    def m(t: float) -> float:
        return math.fsum(
            rate * (big_h(t - boundaries[j]) - big_h(t - boundaries[j + 1])) for j, rate in enumerate(rates)
        )

    a, b = boundaries[k], boundaries[k + 1]
    dt = (b - a) / steps
    return math.fsum(m(a + (i + 0.5) * dt) for i in range(steps)) * dt / (b - a)


BOUNDARIES = [0.0, 600.0, 1200.0, 1800.0, 2400.0]
RATES = [0.02, 0.08, 0.01, 0.05]


def test_deterministic_service_is_the_arrivals_of_the_last_service_time() -> None:
    d = 300.0
    loads = mean_offered_loads(BOUNDARIES, RATES, ServiceTimes([d]))
    for k, load in enumerate(loads):
        expected = numeric_mean_load(BOUNDARIES, RATES, lambda x: min(x, d), k)
        assert load == pytest.approx(expected, rel=1e-6), k


def test_exponential_service_against_its_survival_function() -> None:
    mean = 240.0
    n = 20_000  # quantiles of the exponential: a sample with no noise of its own
    sample = ServiceTimes([-mean * math.log(1 - (i + 0.5) / n) for i in range(n)])
    loads = mean_offered_loads(BOUNDARIES, RATES, sample)
    for k, load in enumerate(loads):
        expected = numeric_mean_load(BOUNDARIES, RATES, lambda x: mean * (1 - math.exp(-x / mean)), k)
        assert load == pytest.approx(expected, rel=2e-3), k  # the sample's quantiles stand for S


def test_a_constant_rate_settles_at_rate_times_mean_service() -> None:
    """From an empty start the load climbs to λ E[S] and stays (after a few service times)."""
    boundaries = [600.0 * k for k in range(13)]
    loads = mean_offered_loads(boundaries, [0.05] * 12, ServiceTimes([60.0, 120.0, 180.0]))
    assert loads[0] < 0.05 * 120.0
    assert loads[-1] == pytest.approx(0.05 * 120.0, rel=1e-12)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="service times"):
        ServiceTimes([])
    with pytest.raises(ValueError, match="boundaries"):
        mean_offered_loads([0.0, 10.0], [1.0, 2.0], ServiceTimes([1.0]))
