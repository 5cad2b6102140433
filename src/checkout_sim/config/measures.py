"""How a run is judged over the day: the service-level target and the reporting intervals.

Kept apart from the shop's shape (``scenario``): these keys change what a run reports,
never what happens in it, so a scenario with or without them simulates the same
customers and the same tills.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import Model, shown
from .units import Duration

__all__ = ["MAX_MONEY", "Costs", "Money", "ServiceLevel"]

#: The largest amount of money a rate or a loss may be (per hour, per customer).
MAX_MONEY = 1e12
#: A currency's name (``EUR``, ``€``), for the reader: the figures are plain numbers.
Currency = Annotated[str, Field(min_length=1, max_length=20)]
#: An amount of money, 0 allowed.
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]


class ServiceLevel(Model):
    """``service_level: {target: 2m}``: the share of arriving customers who reach a till within ``target``.

    ``0s`` means served without waiting at all. Customers who balk, renege or are sent
    home unserved count as misses (contact centres have other conventions too, such as
    leaving out those who hang up within a few seconds; a shop's lost customer is lost).
    """

    target: Duration


def _lost_customer(value: Any) -> Any:
    """An amount of money, or ``basket_value``: one message for anything else."""
    if value == "basket_value":
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        if not 0 <= value <= MAX_MONEY:
            raise PydanticCustomError("lost_customer", f"must be from 0 to {MAX_MONEY:.0e}")
        return float(value)
    raise PydanticCustomError(
        "lost_customer",
        "expected an amount of money (0 or more) or basket_value, not {value}",
        {"value": shown(value)},
    )


#: What a lost customer costs: an amount, or the value of their basket.
LostCustomer = Annotated[
    float | Literal["basket_value"],
    BeforeValidator(_lost_customer),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_MONEY}, {"const": "basket_value"}],
            "description": "Money per lost customer, or basket_value: the value of their basket.",
        }
    ),
]


class Costs(Model):
    """``costs: {currency: EUR, staff_per_hour: 18, lost_customer: 25}``: what a day costs.

    ``staff_per_hour`` pays every staffed till-hour (``lane_hours``; a lane group may set
    its own rate, such as 0 for kiosks) and every attendant for the whole run;
    ``lost_customer`` is the cost of each customer who balked, reneged or went unserved:
    an amount, or ``basket_value`` (the value of the basket they left with, from the
    products' ``price``).
    """

    currency: Currency | None = None
    staff_per_hour: Money
    lost_customer: LostCustomer = 0.0
