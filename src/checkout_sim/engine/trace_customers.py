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

import random
from collections.abc import Callable, Iterator

from ..config.arrival_files import TraceRow
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


class TraceCustomers(CustomerFactory):
    """Makes a trace's customers, one per row, in row order (see the module's docstring).

    A :class:`~.customers.CustomerFactory` whose every customer takes the factory's one
    drawing path (:meth:`~.customers.CustomerFactory.drawn`) with what the row fixes, so
    the draws a row leaves open are the very draws of any other run (one code for both).
    """

    def __init__(self, scenario: Scenario, rng: random.Random, rows: Iterator[TraceRow]) -> None:
        super().__init__(scenario, rng)
        self._rows = rows

    def make(self, customer_id: int, now: float) -> Customer:
        """The customer of the next row, with id ``customer_id``, arriving now."""
        row = next(self._rows)
        return self.drawn(customer_id, now, row.segment, row.items, row.patience)
