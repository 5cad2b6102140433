"""Customers: the shortcut for the commonest scenario shape draws exactly what the general path draws."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from checkout_sim.engine.customers import Customer, CustomerFactory
from conftest import make_scenario

PLAIN = {"products": [{"name": "bread", "checkout_time": {"dist": "exponential", "mean": "20s"}}]}


@pytest.mark.parametrize(
    ("changes", "plain"),
    [
        (PLAIN, True),
        (PLAIN | {"basket": {"items": 3}, "cashiers": {"count": 1, "payment_time": "7s"}}, True),
        ({"products": [{"name": "bread", "checkout_time": {"dist": "uniform", "low": 2, "high": 9}}]}, True),
        (PLAIN | {"cashiers": {"count": 1, "payment_time": {"dist": "exponential", "mean": "9s"}}}, False),
        (PLAIN | {"basket": {"items": {"dist": "poisson", "mean": 2}}}, False),
        (PLAIN | {"segments": [{"name": "a", "share": 1, "patience": "2m"}]}, False),
    ],
)
def test_the_plain_shortcut_makes_the_same_customers(changes: dict[str, Any], plain: bool) -> None:
    """With or without the shortcut, one seed gives the same customers field for field."""
    scenario = make_scenario(**changes)
    fast = CustomerFactory(scenario, random.Random(4))
    general = CustomerFactory(scenario, random.Random(4))
    general._plain = None
    assert (fast._plain is not None) is plain
    made = [(fields(fast.make(n, n * 1.5)), fields(general.make(n, n * 1.5))) for n in range(1, 3000)]
    assert all(left == right for left, right in made)


def fields(customer: Customer) -> tuple[Any, ...]:
    """A customer's fields as made (not ``start``, set at the till), sequences as tuples."""
    values = [getattr(customer, field.name) for field in dataclasses.fields(customer) if field.init]
    return tuple(tuple(value) if isinstance(value, list | tuple) else value for value in values)
