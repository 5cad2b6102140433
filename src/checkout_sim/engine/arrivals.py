"""Arrival processes: when the next customer (or group of customers) comes.

Each process answers one question, :meth:`next`: given the reference time (the last
arrival's scheduled time, or the moment it got in when backpressure held it at the
door), when is the next arrival and how many people come together?
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ..config.arrival_files import TraceRow
from ..config.distributions import CountDistribution, exponential_draws
from ..config.scenario import Scenario

__all__ = ["ArrivalProcess", "make_arrivals"]


class ArrivalProcess(Protocol):
    """Where the next arrival falls; None once the process has no more.

    ``gap`` is set for a process whose arrivals come one at a time, each a random
    gap after the reference time and never ending (Poisson): ``next(now)`` is then
    ``(now + gap(), 1)``, and the engine draws the gap alone, once per customer.
    """

    @property
    def gap(self) -> Callable[[], float] | None:
        """The gap sampler of a one-at-a-time, never-ending process; else None."""

    def next(self, now: float) -> tuple[float, int] | None:
        """The next arrival after reference time ``now``: (time, group size)."""

    @property
    def fixed(self) -> bool:
        """The arrivals come at times given in advance (a trace), whatever the door does: a
        customer who must wait at the door waits there alone, and the others still come."""


class _Poisson:
    """Exponential gaps at a fixed rate: ``rng.expovariate(rate)``, drawn ahead in batches.

    The arrivals' stream draws nothing else, so the gaps can come from
    :func:`checkout_sim.config.distributions.exponential_draws` (the same floats, checked by a test).
    """

    fixed = False

    def __init__(self, rate: float, rng: random.Random) -> None:
        self.gap = exponential_draws(rng, rate)

    def next(self, now: float) -> tuple[float, int] | None:
        return now + self.gap(), 1


class _Regular:
    """Arrivals on a fixed grid ``anchor + k * gap``, re-anchored after a hold-up.

    Times are computed from the grid, not by adding gaps, and rounded to 12
    significant digits, so ``every: 0.3s`` gives 0.3, 0.6, 0.9 as written rather
    than 0.8999999999999999 (3 × 0.3 in binary floating point).
    """

    gap = None  # the times come from a grid, not from random gaps
    fixed = False

    def __init__(self, gap: float, first: int, size: CountDistribution | None, rng: random.Random) -> None:
        self._spacing = gap
        self._size = size
        self._rng = rng
        self._anchor = 0.0
        self._step = first - 1
        self._last = 0.0

    def next(self, now: float) -> tuple[float, int] | None:
        if now > self._last:  # held at the door past the grid: the grid restarts now
            self._anchor, self._step = now, 0
        self._step += 1
        self._last = float(f"{self._anchor + self._step * self._spacing:.12g}")
        size = self._size.sample(self._rng) if self._size is not None else 1
        return self._last, size


class _Schedule:
    """Poisson arrivals whose rate is constant within each phase.

    The reference time never goes back, so the phase it falls in is found by
    bisecting from the last one found: the cost per arrival does not grow with the
    number of phases (a linear scan made 30,000 phases 30 times slower).
    """

    gap = None  # the rate changes from phase to phase, and the phases end
    fixed = False

    def __init__(self, phases: list[tuple[float, float]], rng: random.Random) -> None:
        self._ends = [until for until, _ in phases]
        self._rates = [rate for _, rate in phases]
        self._rng = rng
        self._phase = 0  # the first phase that may still hold the reference time
        self._start = 0.0  # the reference time it was found for

    def next(self, now: float) -> tuple[float, int] | None:
        ends, rates = self._ends, self._rates
        # The first phase ending after ``now``; a reference earlier than the last
        # one (never, in a run) searches from the start.
        phase = bisect_right(ends, now, self._phase if now >= self._start else 0)
        self._phase, self._start = phase, now
        start = now
        while phase < len(ends):
            until, rate = ends[phase], rates[phase]
            if rate > 0:
                candidate = start + self._rng.expovariate(rate)
                if candidate < until:
                    return candidate, 1
            start = until  # memoryless: start afresh at the phase boundary
            phase += 1
        return None


class _Trace:
    """Arrivals at the times a trace file gives, a row at a time (the file is never held).

    The rows' times are fixed: each row's customer arrives at its time, and one who finds
    every line full waits at the door without holding up the rows after (see
    :attr:`ArrivalProcess.fixed`).
    """

    gap = None  # the times come from the file
    fixed = True  # a row's customer comes at the row's time, even when others wait at the door

    def __init__(self, rows: Iterator[TraceRow]) -> None:
        self._rows = rows

    def next(self, now: float) -> tuple[float, int] | None:
        row = next(self._rows, None)
        if row is None:
            return None
        return (row.t if row.t > now else now), 1


#: How each arrival pattern becomes a process, by ``pattern``.
_PROCESSES: dict[str, Callable[[Any, random.Random], ArrivalProcess]] = {
    "poisson": lambda arrivals, rng: _Poisson(arrivals.rate, rng),
    "constant": lambda arrivals, rng: _Regular(1.0 / arrivals.rate, 1, None, rng),
    "batch": lambda arrivals, rng: _Regular(arrivals.every, 0, arrivals.size, rng),
    "schedule": lambda arrivals, rng: _Schedule(
        [(phase.until, phase.rate) for phase in arrivals.phases], rng
    ),
    "profile": lambda arrivals, rng: _Schedule(arrivals.phases(), rng),
    "trace": lambda arrivals, rng: _Trace(arrivals.trace.replay()),
}


def make_arrivals(scenario: Scenario, rng: random.Random) -> ArrivalProcess:
    """The arrival process a scenario describes, drawing from ``rng``."""
    return _PROCESSES[scenario.arrivals.pattern](scenario.arrivals, rng)
