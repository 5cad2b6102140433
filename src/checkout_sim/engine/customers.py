"""Customers: who arrives, and everything about them drawn the moment they arrive.

Segment, basket, scan times, payment time and patience all come from one random
stream owned by the arrivals, so two variants of a scenario that differ only in
cashiers or queue rules see exactly the same customers (common random numbers).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config.distributions import Constant, ConstantCount, Exponential, exponential_draws, sampler
from ..config.scenario import Scenario

if TYPE_CHECKING:
    from .lanes import Place

__all__ = ["Customer", "CustomerFactory"]


@dataclass(slots=True, eq=False)
class Customer:
    """One customer: identity, segment, and the work they bring to the till."""

    id: int
    segment: int
    priority: int
    arrival: float
    products: Sequence[int]
    scans: list[float]
    payment: float
    patience: float | None
    leave_timer: asyncio.TimerHandle | None = None
    #: When the checkout began; set by the cashier, read only while the customer is at the till.
    start: float = field(init=False)
    #: With lanes, at a group with attendants: how long an attendant helps (0: no help); drawn on joining.
    assist: float = field(init=False)
    #: With lanes: the line the customer is in (None: on the way from one line to another).
    place: Place | None = field(init=False)


def _picker(weights: list[float]) -> list[float] | None:
    """Cumulative weights for a weighted draw, or None when there is only one choice."""
    return list(itertools.accumulate(weights)) if len(weights) > 1 else None


def _pick(cumulative: list[float] | None, rng: random.Random) -> int:
    if cumulative is None:
        return 0
    return bisect(cumulative, rng.random() * cumulative[-1], 0, len(cumulative) - 1)


def _fixed(distribution: Constant | ConstantCount | object) -> Any:
    """The value of a constant distribution (it draws nothing), else None."""
    return distribution.value if isinstance(distribution, Constant | ConstantCount) else None


class CustomerFactory:
    """Makes the customers of one scenario, drawing from one random stream.

    :meth:`make` runs once per customer, so constants are read once here instead of
    through ``sample()`` each time (a constant draws nothing from the stream either way).
    """

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self._rng = rng
        self._segments = scenario.segments
        self._segment_pick = _picker([segment.share for segment in scenario.segments])
        self._baskets = [(segment.basket or scenario.basket).items for segment in scenario.segments]
        self._fixed_counts: list[int | None] = [_fixed(basket) for basket in self._baskets]
        self._products = [product.checkout_time for product in scenario.products]
        self._scan_first = sampler(self._products[0], rng)
        self._product_pick = _picker([product.popularity for product in scenario.products])
        # With lanes each group has its own payment time, drawn when the customer picks one.
        self._payment = (
            scenario.cashiers.payment_time if scenario.cashiers is not None else Constant(value=0.0)
        )
        self._fixed_payment: float | None = _fixed(self._payment)
        # The commonest shape (one segment without patience, a fixed basket of one
        # product, a fixed payment) draws nothing but scan times: its constants once.
        only, count, payment = scenario.segments[0], self._fixed_counts[0], self._fixed_payment
        self._plain: tuple[int, int, float] | None = None
        self._plain_scan = self._scan_first
        self._plain_products: tuple[int, ...] = ()
        one_kind = len(scenario.segments) == 1 and only.patience is None and self._product_pick is None
        if one_kind and count is not None and payment is not None:
            self._plain = (only.priority, count, payment)
            # Then the stream draws scan times alone: exponential ones can be drawn ahead.
            first = self._products[0]
            if isinstance(first, Exponential):
                self._plain_scan = exponential_draws(rng, 1.0 / first.mean)
            self._plain_products = (0,) * count

    def make(self, customer_id: int, now: float) -> Customer:
        """The customer with this id, arriving now."""
        if self._plain is not None:  # the same draws as below, without the checks
            priority, size, paying = self._plain
            scan = self._plain_scan
            scans = [scan()] if size == 1 else [scan() for _ in range(size)]
            return Customer(customer_id, 0, priority, now, self._plain_products, scans, paying, None)
        rng = self._rng
        index = 0 if self._segment_pick is None else _pick(self._segment_pick, rng)
        segment = self._segments[index]
        count = self._fixed_counts[index]
        if count is None:
            count = self._baskets[index].sample(rng)
        if self._product_pick is None:  # one product: no draw to pick it (as in _pick)
            products = [0] * count
            scan = self._scan_first
            scans = [scan()] if count == 1 else [scan() for _ in range(count)]
        else:
            products = [_pick(self._product_pick, rng) for _ in range(count)]
            scans = [self._products[product].sample(rng) for product in products]
        payment = self._fixed_payment
        if payment is None:
            payment = self._payment.sample(rng)
        patience = segment.patience.sample(rng) if segment.patience is not None else None
        return Customer(customer_id, index, segment.priority, now, products, scans, payment, patience)
