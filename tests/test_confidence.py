"""Confidence intervals: exact Student-t quantiles, and intervals kept inside a figure's range."""

from __future__ import annotations

import math
import statistics

import pytest

from checkout_sim.analysis.confidence import bounded_interval, cut_interval, mean_interval, t_quantile

#: Student-t quantiles as tabulated (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), to 4 decimals.
TABLE = [
    (0.975, 1, 12.7062),
    (0.975, 2, 4.3027),
    (0.975, 3, 3.1824),
    (0.975, 4, 2.7764),
    (0.975, 5, 2.5706),
    (0.975, 9, 2.2622),
    (0.975, 10, 2.2281),
    (0.975, 19, 2.0930),
    (0.975, 30, 2.0423),
    (0.975, 100, 1.9840),
    (0.995, 1, 63.6567),
    (0.995, 5, 4.0321),
    (0.9995, 5, 6.8688),
    (0.9995, 9, 4.7809),
    (0.9995, 19, 3.8834),
]


@pytest.mark.parametrize(("probability", "df", "tabulated"), TABLE)
def test_t_quantiles_match_the_table(probability: float, df: int, tabulated: float) -> None:
    """Every tabulated quantile is reproduced to the table's 4 decimals, at one degree of freedom too."""
    assert t_quantile(probability, df) == pytest.approx(tabulated, abs=6e-5)


def test_t_quantile_with_one_and_two_degrees_of_freedom_is_the_closed_form() -> None:
    """t with 1 df is Cauchy (tan) and with 2 df has (2p-1)/sqrt(2p(1-p)): both hold to 1e-10."""
    for p in (0.6, 0.9, 0.975, 0.999):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
        assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-10)


def test_t_quantile_is_symmetric_and_tends_to_the_normal() -> None:
    """The lower quantile is minus the upper one; with many degrees of freedom t becomes normal."""
    assert t_quantile(0.025, 7) == -t_quantile(0.975, 7)
    assert t_quantile(0.975, 100_000) == pytest.approx(statistics.NormalDist().inv_cdf(0.975), abs=1e-4)


def test_an_interval_that_reaches_below_zero_is_cut_there() -> None:
    """Waits 0, 0 and 1: the t interval goes below 0; it is shown from 0 and marked cut."""
    values = [0.0, 0.0, 1.0]
    mean, half = mean_interval(values)
    assert mean - half < 0
    interval = bounded_interval(values)
    assert interval is not None
    assert (interval.mean, interval.low, interval.high, interval.cut) == (mean, 0.0, mean + half, True)
    assert interval.half_width == half


def test_a_share_near_one_is_cut_at_one() -> None:
    """A share near 1 keeps its upper end at 1 (100 %), marked cut; one inside the range is not cut."""
    near_one = bounded_interval([1.0, 0.98, 0.9], 0.0, 1.0)
    assert near_one is not None and near_one.high == 1.0 and near_one.cut
    inside = bounded_interval([0.5, 0.52, 0.49], 0.0, 1.0)
    assert inside is not None and not inside.cut
    assert inside.low == pytest.approx(inside.mean - inside.half_width)


def test_an_interval_is_none_when_a_run_lacks_the_figure() -> None:
    """A figure undefined in any run (no served customer) has no interval."""
    assert bounded_interval([1.0, None, 2.0]) is None


def test_a_cut_interval_contains_its_mean_and_only_values_in_range() -> None:
    """Membership follows the cut ends: 0 is inside a cut wait interval, -0.1 is not."""
    interval = cut_interval(0.2, 0.5)
    assert 0.0 in interval and 0.2 in interval and -0.1 not in interval and 0.71 not in interval
