"""Random distributions a scenario may name, each with ``sample(rng)`` and its ``mean``.

Every draw takes an explicit :class:`random.Random`, so runs never touch the global
generator and a seed reproduces a run exactly.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect
from collections.abc import Callable
from functools import cached_property, partial
from operator import neg, truediv
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    Field,
    Tag,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from .base import Model, rule_error, tagged_union
from .units import DURATION_JSON_SCHEMA, Count, Duration, PositiveDuration

__all__ = [
    "MAX_LOGNORMAL_RATIO",
    "MAX_SHAPE",
    "MAX_WEIGHT",
    "CountDistribution",
    "Distribution",
    "Weight",
    "check_most",
    "exponential_draws",
    "sampler",
]

#: The largest relative weight (popularity, share, an empirical weight): sums of up
#: to 100,000 of them stay finite.
MAX_WEIGHT = 10**12
#: A gamma distribution's largest shape (its draws are then shape × scale at most ~1e15 s).
MAX_SHAPE = 10**6
#: A lognormal's largest sd / mean: its log-sd is then at most 5.3, and its draws finite.
MAX_LOGNORMAL_RATIO = 10**6

#: A relative weight: 0 to :data:`MAX_WEIGHT`.
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]


def _scalar_to_value(data: Any) -> Any:
    """Let a bare number or duration string stand for a constant distribution."""
    return data if isinstance(data, dict | Model) else {"value": data}


def _check_weights(values: list[Any], weights: list[float] | None) -> None:
    if weights is None:
        return
    if len(weights) != len(values):
        raise rule_error(
            "weights", f"has {len(weights)} entries but values has {len(values)}", also=["values"]
        )
    if sum(weights) <= 0:
        raise rule_error("weights", "must add up to more than 0")


class _Empirical:
    """Draws from listed values, by weight; shared by the time and count versions."""

    if TYPE_CHECKING:  # declared by the models that mix this in, in their own field order
        values: list[Any]
        weights: list[float] | None

    @cached_property
    def _cumulative(self) -> list[float]:
        weights = self.weights or [1.0] * len(self.values)
        return list(itertools.accumulate(weights))

    def _draw(self, rng: random.Random) -> Any:
        cumulative = self._cumulative
        # The same inversion random.choices uses, without building a list per draw.
        return self.values[bisect(cumulative, rng.random() * cumulative[-1], 0, len(cumulative) - 1)]

    def _weighted_mean(self) -> float:
        weights = self.weights or [1.0] * len(self.values)
        return float(sum(v * w for v, w in zip(self.values, weights, strict=True)) / sum(weights))


# --- time distributions (seconds) -------------------------------------------------


class Constant(Model):
    """Always the same time; written as a bare number or duration (``5s``)."""

    value: Duration

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, data: Any) -> Any:
        return _scalar_to_value(data)

    @model_serializer
    def _as_scalar(self) -> float:
        return self.value

    @property
    def mean(self) -> float:
        """The value itself."""
        return self.value

    def sample(self, rng: random.Random) -> float:
        """Return the constant; draws nothing from ``rng``."""
        return self.value


class Exponential(Model):
    """Memoryless times with the given mean (the M in M/M/c)."""

    dist: Literal["exponential"]
    mean: PositiveDuration

    def sample(self, rng: random.Random) -> float:
        """One exponential draw."""
        return rng.expovariate(1.0 / self.mean)


class Uniform(Model):
    """Any time between ``low`` and ``high``, equally likely."""

    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise rule_error("high", "must not be below low", also=["low"])
        return self

    @property
    def mean(self) -> float:
        """(low + high) / 2."""
        return (self.low + self.high) / 2

    def sample(self, rng: random.Random) -> float:
        """One uniform draw."""
        return rng.uniform(self.low, self.high)


class Normal(Model):
    """Bell-shaped times; a negative draw is clipped to 0."""

    dist: Literal["normal"]
    mean: Duration
    sd: Duration

    @property
    def clipped_mean(self) -> float:
        """E[max(0, X)]: the mean after clipping, which exceeds ``mean`` when sd is large."""
        if self.sd == 0:
            return self.mean
        z = self.mean / self.sd
        pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        return self.mean * cdf + self.sd * pdf

    def sample(self, rng: random.Random) -> float:
        """One normal draw, clipped at 0."""
        return max(0.0, rng.normalvariate(self.mean, self.sd))


class Lognormal(Model):
    """Right-skewed times, given by the mean and sd of the times themselves."""

    dist: Literal["lognormal"]
    mean: PositiveDuration
    sd: Duration

    @model_validator(mode="after")
    def _finite_log_sd(self) -> Lognormal:
        # (sd / mean)**2 below must not overflow, nor its draws be infinite.
        if self.sd > MAX_LOGNORMAL_RATIO * self.mean:
            raise rule_error("sd", f"must be at most {MAX_LOGNORMAL_RATIO:.0f} times mean", also=["mean"])
        return self

    @cached_property
    def _log_parameters(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: random.Random) -> float:
        """One lognormal draw."""
        mu, sigma = self._log_parameters
        return rng.lognormvariate(mu, sigma)


class Triangular(Model):
    """Times between ``low`` and ``high``, most often near ``mode``."""

    dist: Literal["triangular"]
    low: Duration
    mode: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if self.low >= self.high:
            raise rule_error("high", "must be above low", also=["low"])
        if not self.low <= self.mode <= self.high:
            raise rule_error("mode", "must lie between low and high", also=["low", "high"])
        return self

    @property
    def mean(self) -> float:
        """(low + mode + high) / 3."""
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: random.Random) -> float:
        """One triangular draw."""
        return rng.triangular(self.low, self.high, self.mode)


class Gamma(Model):
    """Gamma-distributed times (Erlang when ``shape`` is whole)."""

    dist: Literal["gamma"]
    shape: Annotated[float, Field(gt=0, le=MAX_SHAPE)]
    scale: PositiveDuration

    @property
    def mean(self) -> float:
        """shape × scale."""
        return self.shape * self.scale

    def sample(self, rng: random.Random) -> float:
        """One gamma draw."""
        return rng.gammavariate(self.shape, self.scale)


class Empirical(_Empirical, Model):
    """One of the listed times, with optional relative weights."""

    dist: Literal["empirical"]
    values: Annotated[list[Duration], Field(min_length=1)]
    weights: list[Weight] | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> Empirical:
        _check_weights(self.values, self.weights)
        return self

    @property
    def mean(self) -> float:
        """The weighted mean of the values."""
        return self._weighted_mean()

    def sample(self, rng: random.Random) -> float:
        """One weighted draw from the values."""
        value: float = self._draw(rng)
        return value


# --- count distributions (whole numbers) ------------------------------------------


def sampler(distribution: Distribution, rng: random.Random) -> Callable[[], float]:
    """``distribution.sample(rng)`` as a call without arguments, for draws made per customer.

    The exponential (the commonest) skips its Python-level ``sample`` frame; every
    draw gives the same number from the same stream as ``sample(rng)`` would.
    """
    if isinstance(distribution, Exponential):
        return partial(rng.expovariate, 1.0 / distribution.mean)
    return partial(distribution.sample, rng)


def exponential_draws(rng: random.Random, rate: float) -> Callable[[], float]:
    """``rng.expovariate(rate)``, one call after another, for a stream that draws nothing else.

    Draws are made :data:`_DRAWS` at a time by C-level calls (``random``, ``1 - u``,
    ``log``, negation, division: ``expovariate``'s own steps, in its order), so each
    call is a C-level ``next`` that returns the very float ``expovariate`` would, in
    the same order. Only for a stream used for nothing else: it draws ahead.
    """
    one_minus = (1.0).__sub__

    def batch(_: object) -> list[float]:
        uniforms = itertools.starmap(rng.random, itertools.repeat((), _DRAWS))
        return list(map(truediv, map(neg, map(math.log, map(one_minus, uniforms))), itertools.repeat(rate)))

    return itertools.chain.from_iterable(map(batch, itertools.repeat(None))).__next__


_DRAWS = 1024


def check_most(counts: CountDistribution, at: str, most: int) -> None:
    """Refuse a count distribution whose largest parameter is above ``most`` (a rule error at it)."""
    key, value = counts.largest()
    if value > most:
        raise rule_error(f"{at}.{key}" if key else at, f"must be at most {most}")


class ConstantCount(Model):
    """Always the same number; written as a bare integer."""

    value: Count

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, data: Any) -> Any:
        return _scalar_to_value(data)

    @model_serializer
    def _as_scalar(self) -> int:
        return self.value

    @property
    def mean(self) -> float:
        """The value itself."""
        return float(self.value)

    def sample(self, rng: random.Random) -> int:
        """Return the constant; draws nothing from ``rng``."""
        return self.value

    def largest(self) -> tuple[str, float]:
        """The value itself, at the key itself."""
        return "", self.value

    def can_be_positive(self) -> bool:
        """Whether a draw can ever be more than zero."""
        return self.value > 0


class UniformInt(Model):
    """A whole number from ``low`` to ``high``, both included."""

    dist: Literal["uniform_int"]
    low: Count
    high: Count

    @model_validator(mode="after")
    def _ordered(self) -> UniformInt:
        if self.low > self.high:
            raise rule_error("high", "must not be below low", also=["low"])
        return self

    @property
    def mean(self) -> float:
        """(low + high) / 2."""
        return (self.low + self.high) / 2

    def sample(self, rng: random.Random) -> int:
        """One uniform whole number."""
        return rng.randint(self.low, self.high)

    def largest(self) -> tuple[str, float]:
        """``high``, the largest draw."""
        return "high", self.high

    def can_be_positive(self) -> bool:
        """Whether a draw can ever be more than zero."""
        return self.high > 0


class PoissonCount(Model):
    """A Poisson-distributed whole number with the given mean."""

    dist: Literal["poisson"]
    mean: Annotated[float, Field(ge=0, le=1e9)]

    def sample(self, rng: random.Random) -> int:
        """One Poisson draw (inversion for small means, PTRS for large ones)."""
        return poisson(rng, self.mean)

    def largest(self) -> tuple[str, float]:
        """The mean: a Poisson draw has no upper limit, and rarely exceeds it by much."""
        return "mean", self.mean

    def can_be_positive(self) -> bool:
        """Whether a draw can ever be more than zero."""
        return self.mean > 0


class EmpiricalCount(_Empirical, Model):
    """One of the listed whole numbers, with optional relative weights."""

    dist: Literal["empirical"]
    values: Annotated[list[Count], Field(min_length=1)]
    weights: list[Weight] | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> EmpiricalCount:
        _check_weights(self.values, self.weights)
        return self

    @property
    def mean(self) -> float:
        """The weighted mean of the values."""
        return self._weighted_mean()

    def sample(self, rng: random.Random) -> int:
        """One weighted draw from the values."""
        value: int = self._draw(rng)
        return value

    def largest(self) -> tuple[str, float]:
        """The largest listed value."""
        index = max(range(len(self.values)), key=self.values.__getitem__)
        return f"values.{index}", self.values[index]

    def can_be_positive(self) -> bool:
        """Whether a draw can ever be more than zero (a value above 0 with a weight above 0)."""
        weights = self.weights or [1.0] * len(self.values)
        return any(value > 0 and weight > 0 for value, weight in zip(self.values, weights, strict=True))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: inversion below mean 10, else Hörmann's PTRS (as NumPy does).

    W. Hörmann, "The transformed rejection method for generating Poisson random
    variables", Insurance: Mathematics and Economics 12 (1993) 39-45.
    """
    if mean < 10:
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    slam, loglam = math.sqrt(mean), math.log(mean)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + mean + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= (
            -mean + k * loglam - math.lgamma(k + 1)
        ):
            return k


def _tag(value: Any) -> str | None:
    """Which distribution a scenario value names: ``constant`` for a bare scalar."""
    if isinstance(value, dict):
        dist = value.get("dist")
        return dist if isinstance(dist, str) else None
    if isinstance(value, Model):
        return getattr(value, "dist", "constant")
    return "constant"


_TIME_NAMES = ("exponential", "uniform", "normal", "lognormal", "triangular", "gamma", "empirical")
_COUNT_NAMES = ("uniform_int", "poisson", "empirical")

Distribution = Annotated[
    Annotated[Constant, Tag("constant"), WithJsonSchema(DURATION_JSON_SCHEMA)]
    | Annotated[Exponential, Tag("exponential")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[Lognormal, Tag("lognormal")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Gamma, Tag("gamma")]
    | Annotated[Empirical, Tag("empirical")],
    tagged_union(
        _tag,
        "distribution",
        "expected a time (5s), or a mapping whose dist is one of: " + ", ".join(_TIME_NAMES),
        tag="dist",
        noun="distribution",
        choices=_TIME_NAMES,
    ),
]
"""A random time: a constant (number or duration string) or a ``dist:`` mapping."""

CountDistribution = Annotated[
    Annotated[
        ConstantCount,
        Tag("constant"),
        WithJsonSchema({"type": "integer", "minimum": 0}),
    ]
    | Annotated[UniformInt, Tag("uniform_int")]
    | Annotated[PoissonCount, Tag("poisson")]
    | Annotated[EmpiricalCount, Tag("empirical")],
    tagged_union(
        _tag,
        "count_distribution",
        "expected a whole number, or a mapping whose dist is one of: " + ", ".join(_COUNT_NAMES),
        tag="dist",
        noun="distribution",
        choices=_COUNT_NAMES,
    ),
]
"""A random whole number: a constant integer or a ``dist:`` mapping."""
