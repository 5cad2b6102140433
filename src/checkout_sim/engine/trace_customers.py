"""Customers replayed from a trace: what each row fixes (items, segment, patience), the rest drawn as usual.

A trace row may say how many items a customer buys, which segment they are and how long
they wait before giving up; whatever it leaves open is drawn from the run's customer
stream in the usual order (segment, basket, products and scan times, the payment time at
every group, the help needed at every group with attendants, patience), skipping only the
draws the row makes unnecessary. So the customers of a trace are those of any other run
of the same seed except where the file says otherwise, and two variants of one scenario
replaying one trace see the very same customers (common random numbers).

A run uses :func:`make_customers` in place of ``CustomerFactory(scenario, rng)``: for a
trace that fixes nothing it is that factory; for one that does, :class:`TraceCustomers`.
Each call of ``make`` takes the next row, as the door makes a customer for each arrival
of the trace in its order.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from collections.abc import Callable, Iterator
from typing import Any

from ..config.arrival_files import TraceRow
from ..config.distributions import Constant, ConstantCount, sampler
from ..config.scenario import Scenario, TraceArrivals
from .customers import Customer, CustomerFactory

__all__ = ["TraceCustomers", "make_customers"]


def make_customers(scenario: Scenario, rng: random.Random) -> CustomerFactory:
    """The factory of a run's customers, drawing from ``rng`` (the run's customer stream)."""
    special = _FACTORIES.get(scenario.arrivals.pattern)
    factory = special(scenario, rng) if special is not None else None
    return factory if factory is not None else CustomerFactory(scenario, rng)


def _for_trace(scenario: Scenario, rng: random.Random) -> CustomerFactory | None:
    arrivals = scenario.arrivals
    assert isinstance(arrivals, TraceArrivals)  # the registry's key says so; for the type checker
    trace = arrivals.trace
    return TraceCustomers(scenario, rng, trace.replay()) if trace.fixes else None


#: Arrival patterns whose rows say something about the customers, by ``pattern``.
_FACTORIES: dict[str, Callable[[Scenario, random.Random], CustomerFactory | None]] = {"trace": _for_trace}


def _cumulative(weights: list[float]) -> list[float] | None:
    return list(itertools.accumulate(weights)) if len(weights) > 1 else None


def _pick(cumulative: list[float] | None, rng: random.Random) -> int:
    if cumulative is None:
        return 0
    return bisect(cumulative, rng.random() * cumulative[-1], 0, len(cumulative) - 1)


class TraceCustomers(CustomerFactory):
    """Makes a trace's customers, one per row, in row order (see the module's docstring).

    A :class:`~.customers.CustomerFactory` to the door; it draws as that factory's general
    path does, draw for draw (a test compares them on rows that fix nothing).
    """

    def __init__(self, scenario: Scenario, rng: random.Random, rows: Iterator[TraceRow]) -> None:
        super().__init__(scenario, rng)
        self._rows = rows
        self._stream = rng
        self._kinds = scenario.segments
        self._shares = _cumulative([segment.share for segment in scenario.segments])
        self._sizes = [(segment.basket or scenario.basket).items for segment in scenario.segments]
        self._fixed_sizes = [size.value if isinstance(size, ConstantCount) else None for size in self._sizes]
        self._times = [product.checkout_time for product in scenario.products]
        self._popularity = _cumulative([product.popularity for product in scenario.products])
        self._only_time = sampler(self._times[0], rng)
        groups = scenario.tills()
        self._several_groups = len(groups) > 1
        self._group_payments = [group.payment_time for group in groups]
        self._group_helps = [
            (group.assist.probability, group.assist.time)
            if group.attendants and group.assist is not None and group.assist.probability > 0
            else None
            for group in groups
        ]
        fixed = [payment.value if isinstance(payment, Constant) else None for payment in self._group_payments]
        self._all_fixed: tuple[tuple[float, ...], tuple[float, ...]] | None = None
        if all(value is not None for value in fixed) and all(help is None for help in self._group_helps):
            self._all_fixed = (tuple(value or 0.0 for value in fixed), (0.0,) * len(groups))
        self._one_fixed: float | None = (
            fixed[0] if not self._several_groups and self._group_helps[0] is None else None
        )

    def make(self, customer_id: int, now: float) -> Customer:
        """The customer of the next row, with id ``customer_id``, arriving now."""
        row = next(self._rows)
        rng = self._stream
        index = row.segment if row.segment is not None else _pick(self._shares, rng)
        segment = self._kinds[index]
        count = row.items
        if count is None:
            fixed = self._fixed_sizes[index]
            count = fixed if fixed is not None else self._sizes[index].sample(rng)
        products: list[int]
        if self._popularity is None:
            products = [0] * count
            scan = self._only_time
            scans = [scan() for _ in range(count)]
        else:
            products = [_pick(self._popularity, rng) for _ in range(count)]
            scans = [self._times[product].sample(rng) for product in products]
        payment = self._one_fixed
        at_groups = None
        if payment is None:
            payment, at_groups = self._payments_and_help()
        patience = row.patience
        if patience is None and segment.patience is not None:
            patience = segment.patience.sample(rng)
        return Customer(
            customer_id, index, segment.priority, now, products, scans, payment, patience, None, at_groups
        )

    def _payments_and_help(self) -> tuple[float, Any]:
        """The payment time at every group, then the help needed at every group, in group order."""
        if self._all_fixed is not None:
            draws = self._all_fixed
            return draws[0][0], (draws if self._several_groups else None)
        rng = self._stream
        payments = tuple(
            payment.value if isinstance(payment, Constant) else payment.sample(rng)
            for payment in self._group_payments
        )
        helps = tuple(
            0.0 if help is None else (help[1].sample(rng) if rng.random() < help[0] else 0.0)
            for help in self._group_helps
        )
        if not self._several_groups and helps[0] == 0.0 and self._group_helps[0] is None:
            return payments[0], None
        return payments[0], (payments, helps)
