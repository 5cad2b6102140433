"""What a day costs and earns: staff, lost customers, lost sales and revenue.

Built only for a scenario with ``costs``. Staff cost comes from time the tally already
measures (each group's staffed till-hours at its rate, and its attendants for the whole
span); what is counted here, customer by customer, is the value of the baskets: those
served (``revenue``) and those of the customers lost (``lost_sales``), from the products'
prices, and how many were lost from each group's lines.

The figures are plain numbers in the scenario's ``currency``; all of them are sums over
customers or hours, so an interval's add up to the run's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config.scenario import Scenario
    from ..engine.customers import Customer
    from .events import CheckoutFinished, CustomerBalked, CustomerReneged, CustomerUnserved, WarmupEnded
    from .warmup import Warmup

__all__ = ["MONEY_FIGURES", "CostRates", "MoneyObserver"]

#: The money figures of a summary, a group and an interval, in the order they are written.
MONEY_FIGURES = ("staff_cost", "lost_cost", "lost_sales", "revenue", "total_cost")


@dataclass(frozen=True)
class CostRates:
    """The scenario's ``costs``, as the observers use them.

    ``rates``: each group's rate per staffed till-hour; ``attendants``: each group's
    attendants (paid ``staff_per_hour`` for the whole span); ``lost_customer``: the cost
    of a lost customer (None: their basket's value); ``prices``: each product's price
    (None: some product has none, and no basket has a value).
    """

    staff_per_hour: float
    rates: Sequence[float]
    attendants: Sequence[int]
    lost_customer: float | None
    prices: Sequence[float] | None

    @classmethod
    def of(cls, scenario: Scenario) -> CostRates | None:
        """The rates of a scenario with ``costs`` (None: it has none)."""
        costs = scenario.costs
        if costs is None:
            return None
        groups = scenario.tills()
        prices = [product.price for product in scenario.products]
        return cls(
            staff_per_hour=costs.staff_per_hour,
            rates=[costs.staff_per_hour if g.staff_per_hour is None else g.staff_per_hour for g in groups],
            attendants=[group.attendants for group in groups],
            lost_customer=None if costs.lost_customer == "basket_value" else costs.lost_customer,
            prices=None if any(price is None for price in prices) else [float(p or 0.0) for p in prices],
        )

    def value(self, customer: Customer) -> float:
        """What the customer's basket is worth (0 without prices)."""
        prices = self.prices
        if prices is None:
            return 0.0
        return math.fsum(prices[product] for product in customer.products)

    def figures(
        self,
        lane_hours: Sequence[float],
        span: float,
        *,
        lost: int,
        lost_sales: float,
        revenue: float,
        groups: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """The money figures of the shop, or (``groups``: the one group's index) of one group.

        ``lane_hours`` are each group's (or the one group's) staffed till-hours over ``span``
        seconds; ``lost`` customers left with baskets worth ``lost_sales``; the served ones'
        were worth ``revenue``.
        """
        which = range(len(self.rates)) if groups is None else groups
        staff = math.fsum(
            [hours * self.rates[index] for hours, index in zip(lane_hours, which, strict=True)]
            + [self.attendants[index] * span / 3600.0 * self.staff_per_hour for index in which]
        )
        priced = self.prices is not None
        lost_cost = lost_sales if self.lost_customer is None else lost * self.lost_customer
        return {
            "staff_cost": staff,
            "lost_cost": lost_cost,
            "lost_sales": lost_sales if priced else None,
            "revenue": revenue if priced else None,
            "total_cost": staff + lost_cost,
        }


class MoneyObserver:
    """Sums the baskets served and lost, for the shop and per group, and counts each group's lost.

    Only the customers the figures count (after a warm-up) are summed; a customer who
    balked joined no group and counts in the shop's figures only.
    """

    __slots__ = (
        "_rates",
        "_window",
        "group_lost",
        "group_lost_sales",
        "group_revenue",
        "lost_sales",
        "revenue",
    )

    def __init__(self, rates: CostRates, groups: int, window: Warmup) -> None:
        self._rates = rates
        self._window = window
        self._start(groups)

    def _start(self, groups: int) -> None:
        """Every sum at nothing: at the start, and when the warm-up ends."""
        self.revenue = self.lost_sales = 0.0
        self.group_revenue = [0.0] * groups
        self.group_lost_sales = [0.0] * groups
        self.group_lost = [0] * groups

    def warmup_ended(self, record: WarmupEnded) -> None:
        """Count afresh, as the tally does."""
        self._start(len(self.group_lost))

    def checkout_finished(self, record: CheckoutFinished) -> None:
        who = record.who
        if who.id > self._window.last_customer:
            value = self._rates.value(who)
            self.revenue += value
            self.group_revenue[record.group] += value

    def customer_balked(self, record: CustomerBalked) -> None:
        if record.who.id > self._window.last_customer:
            self.lost_sales += self._rates.value(record.who)

    def customer_reneged(self, record: CustomerReneged) -> None:
        self._lost(record)

    def customer_unserved(self, record: CustomerUnserved) -> None:
        self._lost(record)

    def _lost(self, record: CustomerReneged) -> None:
        who = record.who
        if who.id <= self._window.last_customer:
            return
        value = self._rates.value(who)
        self.lost_sales += value
        if record.group is not None:
            self.group_lost_sales[record.group] += value
            self.group_lost[record.group] += 1
