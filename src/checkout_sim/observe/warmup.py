"""The warm-up: which customers the figures count, once the warm-up is over.

A run with a warm-up counts only the customers who arrive after it. The customers
already in the shop when it ends (in line, at the door, at a till, on the way to another
line) are those numbered up to ``last_customer`` in the ``warmup_ended`` event; their
fates are tallied apart and never reported. Every observer that keeps figures asks this
one object, rather than each customer being relabelled for the tally alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine.customers import Customer
    from .events import WarmupEnded

__all__ = ["Warmup"]


class Warmup:
    """An observer of ``warmup_ended``: says which segment a customer's figures go to.

    ``segments``: how many segments the scenario has; a customer who came during the
    warm-up counts under the segment number just past them (see :meth:`.tally.Tally.begin_window`).
    """

    __slots__ = ("hidden", "last_customer")

    def __init__(self, segments: int) -> None:
        #: The segment number of the customers who came during the warm-up.
        self.hidden = segments
        #: Customers numbered up to this came during the warm-up (0: no warm-up has ended).
        self.last_customer = 0

    def warmup_ended(self, record: WarmupEnded) -> None:
        self.last_customer = record.last_customer

    def segment(self, customer: Customer) -> int:
        """The segment a customer's figures count under: their own, or the warm-up's hidden one."""
        return customer.segment if customer.id > self.last_customer else self.hidden
