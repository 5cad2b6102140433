"""What every part of one run shares: the loop, the plan, the tally, the event log, the tasks.

The door, the lane groups and their tills all hold this one object and nothing that
holds them, so a finished run is freed by reference counting alone (no cycle between
the shop and its parts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..observe.tally import Tally
from .customers import Customer
from .plan import Plan

if TYPE_CHECKING:
    from .jockeying import Jockeying

__all__ = ["Context"]


def _ignore(*args: Any, **fields: Any) -> None:
    """Stands in for the event log when none is written."""


class Context:
    """The services of a run, shared by its door, lane groups and tills."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, plan: Plan, tally: Tally, *, item_events: bool
    ) -> None:
        self.loop = loop
        self.plan = plan
        self.tally = tally
        self.item_events = item_events
        #: The scenario has lanes: events say which group (``lane``).
        self.lanes = plan.groups[0].name is not None
        self.logging = False
        #: ``emit(event, **fields)``, stamped with the time.
        self.emit: Callable[..., None] = _ignore
        #: ``record({"t": …, "event": …, **fields})``: the hot events, given whole.
        self.record: Callable[[dict[str, Any]], None] = _ignore
        #: The run's TaskGroup, once it is open: tills and managers are its tasks.
        self.tasks: asyncio.TaskGroup | None = None
        #: Customers switching lines (None: no segment does).
        self.jockeying: Jockeying | None = None

    def log_to(self, emit: Callable[..., None], record: Callable[[dict[str, Any]], None]) -> None:
        """Write the events to an event log."""
        self.emit, self.record, self.logging = emit, record, True

    def give_up(self, customer: Customer, *, reneged: bool, lane: str | None = None) -> None:
        """Record a customer who leaves without being served: reneged, or unserved at closing.

        With lanes the event says which line they left (``lane``; None: from the door).
        """
        wait = self.loop.time() - customer.arrival
        self.tally.gave_up(customer.segment, wait, reneged=reneged)
        if self.lanes:
            self.emit(
                "customer_reneged" if reneged else "customer_unserved",
                customer=customer.id,
                lane=lane,
                wait=wait,
            )
            return
        self.emit("customer_reneged" if reneged else "customer_unserved", customer=customer.id, wait=wait)
