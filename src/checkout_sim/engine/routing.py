"""Routing: which lane group an arriving customer joins.

A customer may use the groups that take their segment and their basket (``max_items``);
of those with room in line, they pick by their segment's rule: ``shortest`` (fewest
people ahead per open till, counting those at the tills; ties to the group listed
first), ``random`` (drawn from the run's own routing stream, so a seed still gives the
same log), or ``prefer`` (the first in their list). The rules are a registry, so a rule
for lines at every till slots in beside them.

A shop with one group sends everyone there; the door asks :attr:`Router.only` first,
so that common case costs no call per customer.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .plan import Plan

if TYPE_CHECKING:
    from .customers import Customer
    from .lanes import LaneGroup

__all__ = ["RULES", "Router", "Rule"]

Rule = Callable[[Sequence["LaneGroup"], random.Random], "LaneGroup"]


def _ahead_per_till(group: LaneGroup) -> float:
    """People ahead of a newcomer per open till: those in line and those at the tills."""
    return (len(group.line.customers) + len(group.at_till)) / len(group.tills)


def _shortest(groups: Sequence[LaneGroup], rng: random.Random) -> LaneGroup:
    return min(groups, key=_ahead_per_till)  # min keeps the first of equals: the group listed first


def _random(groups: Sequence[LaneGroup], rng: random.Random) -> LaneGroup:
    return groups[0] if len(groups) == 1 else groups[rng.randrange(len(groups))]


def _first(groups: Sequence[LaneGroup], rng: random.Random) -> LaneGroup:
    return groups[0]


#: How a customer picks among the groups with room, by the segment's rule.
RULES: dict[str, Rule] = {"shortest": _shortest, "random": _random, "prefer": _first}


class Router:
    """Sends each customer to a lane group."""

    def __init__(self, groups: Sequence[LaneGroup], plan: Plan, rng: random.Random) -> None:
        self.groups = tuple(groups)
        #: The one group everyone joins, when there is only one.
        self.only: LaneGroup | None = self.groups[0] if len(self.groups) == 1 else None
        self._rng = rng
        self._open_to = [tuple(self.groups[index] for index in indices) for indices in plan.open_to]
        self._rules = [RULES[choice] for choice in plan.choices]

    def open_to(self, customer: Customer) -> tuple[tuple[LaneGroup, ...], Rule]:
        """The groups this customer may use (their segment and basket allow it), and their rule."""
        groups = self._open_to[customer.segment]
        items = len(customer.scans)
        fits = tuple(group for group in groups if group.max_items is None or items <= group.max_items)
        return fits, self._rules[customer.segment]

    def pick(self, groups: Sequence[LaneGroup], rule: Rule) -> LaneGroup | None:
        """The group joined: by ``rule`` among ``groups`` with room in line; None if all are full."""
        room = [group for group in groups if group.unbounded or not group.line.full()]
        return rule(room, self._rng) if room else None
