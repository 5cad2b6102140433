"""Customers: who arrives, and everything about them drawn the moment they arrive.

Segment, basket, scan times, payment time, help and patience all come from one random
stream, drawn at the door in a fixed order, so two variants of a scenario that differ in
anything downstream of the door (routing, line layout, till counts, scaling, choice
rules, ``max_items``) see exactly the same customers (common random numbers).

In a shop with several groups of tills, each group has its own payment time (and, at
kiosks, its own need for help), so a customer's payment and help are drawn for *every*
group as they arrive, whichever they will join: drawing only for the group joined would
make each later customer's draws depend on where this one went.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config.distributions import Constant, ConstantCount, Exponential, exponential_draws, sampler
from ..config.scenario import Scenario

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
    #: With several groups of tills: the payment time at each group and the help needed at
    #: each (0: none), in the plan's group order, all drawn at arrival (None: one group,
    #: whose payment is :attr:`payment` and whose help is :attr:`assist`).
    at_groups: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    #: When the checkout began; set by the cashier, read only while the customer is at the till.
    start: float = field(init=False)
    #: At a group with attendants: how long an attendant helps (0: no help); set on joining.
    assist: float = field(init=False)
    #: The :class:`.lanes.Place` (line) the customer is in (None: on the way from one line to
    #: another). Typed loosely so that customers need not know what groups and lines are.
    place: object | None = field(init=False)


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
        groups = scenario.tills()
        #: Each group's payment time, and its help (probability, time) where it has attendants.
        self._payments = [group.payment_time for group in groups]
        self._helps = [
            (group.assist.probability, group.assist.time)
            if group.attendants and group.assist is not None and group.assist.probability > 0
            else None
            for group in groups
        ]
        self._several = len(groups) > 1
        fixed = [_fixed(payment) for payment in self._payments]
        #: Every payment is a constant and nobody needs help: what is drawn per group, once.
        self._fixed_draws: tuple[tuple[float, ...], tuple[float, ...]] | None = None
        if all(value is not None for value in fixed) and all(help is None for help in self._helps):
            self._fixed_draws = (tuple(fixed), (0.0,) * len(groups))
        self._fixed_payment: float | None = fixed[0] if not self._several and self._helps[0] is None else None
        # The commonest shape (one segment without patience, a fixed basket of one
        # product, fixed payments, no help) draws nothing but scan times: its constants once.
        only, count = scenario.segments[0], self._fixed_counts[0]
        self._plain: tuple[int, int, float] | None = None
        self._plain_scan = self._scan_first
        self._plain_products: tuple[int, ...] = ()
        one_kind = len(scenario.segments) == 1 and only.patience is None and self._product_pick is None
        if one_kind and count is not None and self._fixed_draws is not None:
            self._plain = (only.priority, count, self._fixed_draws[0][0])
            # Then the stream draws scan times alone: exponential ones can be drawn ahead.
            first = self._products[0]
            if isinstance(first, Exponential):
                self._plain_scan = exponential_draws(rng, 1.0 / first.mean)
            self._plain_products = (0,) * count

    def _draw_at_groups(self) -> tuple[float, tuple[tuple[float, ...], tuple[float, ...]] | None]:
        """The payment time (and help) at every group, in group order: payments first, then help.

        With one group, its payment alone (its help, if any, is in the tuple's second part).
        """
        if self._fixed_draws is not None:
            draws = self._fixed_draws
            return draws[0][0], (draws if self._several else None)
        rng = self._rng
        payments = tuple(
            payment.value if isinstance(payment, Constant) else payment.sample(rng)
            for payment in self._payments
        )
        helps = tuple(
            0.0 if help is None else (help[1].sample(rng) if rng.random() < help[0] else 0.0)
            for help in self._helps
        )
        if not self._several and helps[0] == 0.0 and self._helps[0] is None:
            return payments[0], None
        return payments[0], (payments, helps)

    def make(self, customer_id: int, now: float) -> Customer:
        """The customer with this id, arriving now."""
        if self._plain is not None:  # the same draws as below, without the checks
            priority, size, paying = self._plain
            scan = self._plain_scan
            scans = [scan()] if size == 1 else [scan() for _ in range(size)]
            customer = Customer(customer_id, 0, priority, now, self._plain_products, scans, paying, None)
            if self._several:
                customer.at_groups = self._fixed_draws
            return customer
        return self.drawn(customer_id, now)

    def drawn(
        self,
        customer_id: int,
        now: float,
        index: int | None = None,
        count: int | None = None,
        patience: float | None = None,
    ) -> Customer:
        """The customer with this id, arriving now, every draw made in the one order.

        ``index`` (segment), ``count`` (items) and ``patience``, where given (a trace's row
        fixes them), are taken as they are and their draws skipped; None: drawn as usual.
        """
        rng = self._rng
        if index is None:
            index = 0 if self._segment_pick is None else _pick(self._segment_pick, rng)
        segment = self._segments[index]
        if count is None:
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
        at_groups = None
        if payment is None:
            payment, at_groups = self._draw_at_groups()
        if patience is None and segment.patience is not None:
            patience = segment.patience.sample(rng)
        return Customer(
            customer_id, index, segment.priority, now, products, scans, payment, patience, None, at_groups
        )
