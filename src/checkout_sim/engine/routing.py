"""Routing: which lane group an arriving customer joins.

A shop with one group sends everyone there; the door asks :attr:`Router.only` first,
so that common case costs no call per customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .customers import Customer
    from .lanes import LaneGroup

__all__ = ["Router"]


class Router:
    """Sends each customer to a lane group."""

    def __init__(self, groups: Sequence[LaneGroup]) -> None:
        self.groups = tuple(groups)
        #: The one group everyone joins, when there is only one.
        self.only: LaneGroup | None = self.groups[0] if len(self.groups) == 1 else None

    def route(self, customer: Customer) -> LaneGroup:
        """The group ``customer`` joins."""
        return self.groups[0]
