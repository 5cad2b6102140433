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

from .customers import Customer
from .lanes import LaneGroup, Place
from .plan import Plan

__all__ = ["RULES", "Router", "Rule"]

Rule = Callable[[Sequence[Place], random.Random], Place]
Score = Callable[[Place], float]


def _best(places: Sequence[Place], score: Score, rng: random.Random) -> Place:
    """The place with the lowest score: the group listed first among equals, then one at random.

    Each place is scored once.
    """
    return _lowest(places, [score(place) for place in places], rng)


def _lowest(places: Sequence[Place], scores: Sequence[float], rng: random.Random) -> Place:
    """The place of the lowest of ``scores`` (one per place), as :func:`_best` picks it."""
    value = min(scores)
    best = places[scores.index(value)]  # the first of equals: the group listed first
    if best.till is None or scores.count(value) == 1:  # a group's one shared line, or no tie
        return best
    group = best.group
    tied = [
        place for place, mark in zip(places, scores, strict=True) if mark == value and place.group is group
    ]
    return tied[0] if len(tied) == 1 else tied[rng.randrange(len(tied))]


def _unscanned(customer: Customer, elapsed: float) -> tuple[int, float]:
    """How many of the items of a customer at a till are still to scan, ``elapsed`` seconds
    into the checkout; and until when (in seconds into it) that holds."""
    done = 0.0
    for left, scan in enumerate(customer.scans):
        done += scan
        if done > elapsed:
            return len(customer.scans) - left, done
    return 0, math.inf


def _checkout_left(place: Place, customer: Customer, now: float, work: bool) -> tuple[int, float]:
    """The items still to scan of the customer at ``place``'s till, and (if ``work``) their
    expected work there (else 0.0).

    Remembered on the place until the item being scanned is done: many arrivals look at a
    till while one item is scanned, and with a thousand tills the sum of the expected times
    left would cost more than all the rest of weighing them.
    """
    elapsed = now - customer.start
    seen = place.under_way
    if seen is not None and seen[0] == customer.id and elapsed < seen[1]:
        _, until, unscanned, rest = seen
    else:
        unscanned, until = _unscanned(customer, elapsed)
        rest = None
    if not work:
        if rest is None:
            place.under_way = (customer.id, until, unscanned, None)
        return unscanned, 0.0
    if rest is None:
        products = customer.products
        rest = place.group.pace.work(products[len(products) - unscanned :])
        place.under_way = (customer.id, until, unscanned, rest)
    return unscanned, rest


def _items_ahead(place: Place) -> float:
    """Items still to scan ahead of a newcomer per till: baskets in line and at the till.

    The line's running total (see :class:`.line._Weighed`): the cost does not grow with it.
    """
    group = place.group
    items = place.line.items
    if place.till is not None:  # a line of its own: at most one customer at its till
        customer = group.at_till.get(place.till)
        if customer is not None:
            items += _checkout_left(place, customer, group.loop.time(), False)[0]
        return float(items)
    now = group.loop.time()
    for customer in group.at_till.values():
        items += _unscanned(customer, now - customer.start)[0]
    tills = len(group.tills)
    return items / tills if tills else math.inf  # every till on a break: see Place.people


def _work_ahead(place: Place) -> float:
    """The expected time ahead of a newcomer per till, at this group's pace.

    The line's running total of its customers' expected times (exact, then rounded once,
    as ``math.fsum`` of them would be); then the rest of each checkout under way.
    """
    group = place.group
    total = place.line.seconds
    if place.till is not None:  # a line of its own: at most one customer at its till
        customer = group.at_till.get(place.till)
        if customer is not None:
            total += _checkout_left(place, customer, group.loop.time(), True)[1]
        return total
    now, pace = group.loop.time(), group.pace
    for customer in group.at_till.values():
        products = customer.products
        total += pace.work(products[len(products) - _unscanned(customer, now - customer.start)[0] :])
    tills = len(group.tills)
    return total / tills if tills else math.inf  # every till on a break: see Place.people


def _shortest(places: Sequence[Place], rng: random.Random) -> Place:
    if len(places) == 1:
        return places[0]
    # Place.people written out, once per place: this runs for every arrival where lines
    # are compared, and a call per line cost more than the comparing (six tills: 3,000
    # instructions an arrival).
    people: list[float] = []
    for place in places:
        group = place.group
        if place.till is not None:
            people.append(len(place.line.customers) + (place.till in group.at_till) + place.coming)
        else:  # (a shared line with every till on a break: endless, see Place.people)
            tills = len(group.tills)
            people.append((len(place.line.customers) + len(group.at_till)) / tills if tills else math.inf)
    return _lowest(places, people, rng)


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
        #: For each segment, its groups when none of them limits the basket (None: some does,
        #: and each customer's basket is checked).
        self._whatever_basket = [
            None if any(group.max_items is not None for group in groups) else groups
            for groups in self._open_to
        ]
        self._rules = [RULES[choice] for choice in plan.choices]

    def open_to(self, customer: Customer) -> tuple[tuple[LaneGroup, ...], Rule]:
        """The groups this customer may use (their segment and basket allow it), and their rule."""
        segment = customer.segment
        fits = self._whatever_basket[segment]
        if fits is None:
            items = len(customer.scans)
            fits = tuple(
                group
                for group in self._open_to[segment]
                if group.max_items is None or items <= group.max_items
            )
        return fits, self._rules[segment]

    def pick(self, groups: Sequence[LaneGroup], rule: Rule) -> Place | None:
        """The line joined: by ``rule`` among the lines of ``groups`` with room; None if all are full."""
        if len(groups) == 1 and groups[0].unbounded:  # every open line has room
            room = groups[0].open_places
        else:
            room = [
                place
                for group in groups
                for place in group.open_places
                if group.unbounded or not place.full()
            ]
        return rule(room, self._rng) if room else None
