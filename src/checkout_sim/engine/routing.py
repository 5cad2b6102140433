"""Routing: which line an arriving customer joins.

A customer may use the groups that take their segment and their basket (``max_items``);
of the lines of those groups with room, they pick by their segment's rule:

- ``shortest``: fewest people ahead per till (in line and at the tills);
- ``random``: any line, drawn from the run's own routing stream;
- ``fewest_items``: fewest items still to scan ahead, per till;
- ``least_work``: the least expected time ahead, per till: each customer ahead weighed
  by that group's expected checkout time for their basket (kiosks are slower);
- ``prefer``: the first group in their list, and its shortest line.

Equal lines of different groups go to the group listed first; equal lines of one group
(a line at each till) are drawn at random, so a seed still gives the same log. The
rules are a registry: each differs only in the figure it scores a line by.

A shop with one group sends everyone there; the door asks :attr:`Router.only` first,
so that common case costs no call per customer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .lanes import Place
from .plan import Plan

if TYPE_CHECKING:
    from .customers import Customer
    from .lanes import LaneGroup

__all__ = ["RULES", "Router", "Rule"]

Rule = Callable[[Sequence["Place"], random.Random], "Place"]
Score = Callable[["Place"], float]


def _best(places: Sequence[Place], score: Score, rng: random.Random) -> Place:
    """The place with the lowest score: the group listed first among equals, then one at random."""
    best = min(places, key=score)  # the first of equals: the group listed first
    if best.till is None:  # a group's one shared line
        return best
    value, group = score(best), best.group
    tied = [place for place in places if place.group is group and score(place) == value]
    return tied[0] if len(tied) == 1 else tied[rng.randrange(len(tied))]


def _unscanned(customer: Customer, now: float) -> int:
    """How many of the items of a customer at a till are still to scan."""
    elapsed, done = now - customer.start, 0.0
    for left, scan in enumerate(customer.scans):
        done += scan
        if done > elapsed:
            return len(customer.scans) - left
    return 0


def _items_ahead(place: Place) -> float:
    """Items still to scan ahead of a newcomer per till: baskets in line and at the till."""
    now = place.group.context.loop.time()
    items = sum(len(customer.scans) for customer in place.queue())
    items += sum(_unscanned(customer, now) for customer in place.serving())
    return items / place.tills()


def _work_ahead(place: Place) -> float:
    """The expected time ahead of a newcomer per till, at this group's pace."""
    group = place.group
    means, factor, fixed = group.context.plan.product_means, group.plan.scan_factor, group.plan.fixed_work

    def work(products: Sequence[int]) -> float:
        return factor * sum(means[product] for product in products) + fixed

    now = group.context.loop.time()
    total = math.fsum(work(customer.products) for customer in place.queue())
    for customer in place.serving():
        products = customer.products
        total += work(products[len(products) - _unscanned(customer, now) :])
    return total / place.tills()


def _shortest(places: Sequence[Place], rng: random.Random) -> Place:
    return places[0] if len(places) == 1 else _best(places, Place.people, rng)


def _random(places: Sequence[Place], rng: random.Random) -> Place:
    return places[0] if len(places) == 1 else places[rng.randrange(len(places))]


def _fewest_items(places: Sequence[Place], rng: random.Random) -> Place:
    return places[0] if len(places) == 1 else _best(places, _items_ahead, rng)


def _least_work(places: Sequence[Place], rng: random.Random) -> Place:
    return places[0] if len(places) == 1 else _best(places, _work_ahead, rng)


def _first(places: Sequence[Place], rng: random.Random) -> Place:
    group = places[0].group
    return _shortest([place for place in places if place.group is group], rng)


#: How a customer picks among the lines with room, by the segment's rule.
RULES: dict[str, Rule] = {
    "shortest": _shortest,
    "random": _random,
    "fewest_items": _fewest_items,
    "least_work": _least_work,
    "prefer": _first,
}


class Router:
    """Sends each customer to a line."""

    def __init__(self, groups: Sequence[LaneGroup], plan: Plan, rng: random.Random) -> None:
        self.groups = tuple(groups)
        #: The one group everyone joins, when there is only one with one shared line.
        self.only: LaneGroup | None = (
            self.groups[0] if len(self.groups) == 1 and not self.groups[0].per_till else None
        )
        self._rng = rng
        self._open_to = [tuple(self.groups[index] for index in indices) for indices in plan.open_to]
        self._rules = [RULES[choice] for choice in plan.choices]

    def open_to(self, customer: Customer) -> tuple[tuple[LaneGroup, ...], Rule]:
        """The groups this customer may use (their segment and basket allow it), and their rule."""
        segment, items = customer.segment, len(customer.scans)
        fits = tuple(
            group for group in self._open_to[segment] if group.max_items is None or items <= group.max_items
        )
        return fits, self._rules[segment]

    def pick(self, groups: Sequence[LaneGroup], rule: Rule) -> Place | None:
        """The line joined: by ``rule`` among the lines of ``groups`` with room; None if all are full."""
        room = [
            place for group in groups for place in group.open_places if group.unbounded or not place.full()
        ]
        return rule(room, self._rng) if room else None
