"""Confidence intervals for a mean across independent replications (Student t).

A figure that cannot leave a range (a wait is never negative, a share never above 1)
gets its Student-t interval cut at the range's edges, and says so (:class:`Interval`):
the t interval is symmetric by construction and, with few runs or a figure near its
edge, reaches values the figure cannot take.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Interval", "bounded_interval", "interval_of", "mean_interval", "t_quantile"]


def t_quantile(probability: float, df: int) -> float:
    """The Student-t quantile: exact (to ~1e-12) by Newton's method on the t distribution's CDF.

    The CDF of t with an integer number of degrees of freedom is a finite sum
    (Abramowitz & Stegun 26.7.3-26.7.4); the Cornish-Fisher expansion of the normal
    quantile (A&S 26.7.5) starts the iteration and serves alone above 300 degrees of
    freedom, where it is exact to better than 1e-7. (Alone it is 11 % narrow at one
    degree of freedom: 11.30 against 12.71 for the 97.5 % point.)
    """
    if df < 1:
        raise ValueError("need at least 2 replications for an interval")
    if not 0.0 < probability < 1.0:
        raise ValueError("probability must lie strictly between 0 and 1")
    if probability < 0.5:
        return -t_quantile(1.0 - probability, df)
    guess = _cornish_fisher(probability, df)
    if df > _EXPANSION_ENOUGH or probability == 0.5:
        return guess
    target = 2.0 * probability - 1.0  # P(|T| <= t)
    t = guess
    for _ in range(50):
        step = (_central(t, df) - target) / (2.0 * _density(t, df))
        t -= step
        if abs(step) <= 1e-13 * max(1.0, abs(t)):
            break
    return t


#: Above this many degrees of freedom the expansion alone is exact enough.
_EXPANSION_ENOUGH = 300


def _cornish_fisher(probability: float, df: int) -> float:
    z = statistics.NormalDist().inv_cdf(probability)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def _central(t: float, df: int) -> float:
    """P(|T| <= t) for t >= 0 with ``df`` degrees of freedom (A&S 26.7.3 odd, 26.7.4 even)."""
    theta = math.atan(t / math.sqrt(df))
    sine, cosine2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):  # cos, (2/3) cos^3, (2*4)/(3*5) cos^5, ...
            total += term
            term *= cosine2 * (2 * k) / (2 * k + 1)
        return 2.0 / math.pi * (theta + sine * total)
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):  # 1, (1/2) cos^2, (1*3)/(2*4) cos^4, ...
        total += term
        term *= cosine2 * (2 * k - 1) / (2 * k)
    return sine * total


def _density(t: float, df: int) -> float:
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def interval_of(values: Sequence[float | None], confidence: float = 0.95) -> tuple[float, float] | None:
    """:func:`mean_interval` of one figure across runs, or None when a run has no value for it."""
    present = [value for value in values if value is not None]
    return mean_interval(present, confidence) if len(present) == len(values) else None


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """(mean, half-width) of the two-sided ``confidence`` interval for the mean."""
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return mean, math.inf
    half = t_quantile(0.5 + confidence / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return mean, half


@dataclass(frozen=True)
class Interval:
    """A mean and its confidence interval [low, high], inside the figure's range.

    ``cut`` is True when the Student-t interval reached past the range and was cut
    at its edge; ``half_width`` is the t interval's own half-width, before any cut.
    """

    mean: float
    low: float
    high: float
    half_width: float
    cut: bool

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def bounded_interval(
    values: Sequence[float | None],
    lowest: float = 0.0,
    highest: float = math.inf,
    confidence: float = 0.95,
) -> Interval | None:
    """:func:`interval_of`, cut to [lowest, highest]; None when a run has no value."""
    found = interval_of(values, confidence)
    if found is None:
        return None
    return cut_interval(*found, lowest, highest)


def cut_interval(mean: float, half: float, lowest: float = 0.0, highest: float = math.inf) -> Interval:
    """The interval mean ± half, cut to [lowest, highest] (a mean outside is kept as it is)."""
    low, high = mean - half, mean + half
    cut = low < lowest or high > highest
    return Interval(mean, max(low, min(lowest, mean)), min(high, max(highest, mean)), half, cut)
