"""A lane group at run time: its line, its tills with stable numbers, opening and closing.

Tills are opened and closed from outside the till tasks (the shop at opening, the
manager when the line grows, a roster later), and each keeps its number for the whole
run: a group's tills are numbered from its plan's ``first_till``, and opening takes the
lowest free number, as a manager walking along the row would.
"""

from __future__ import annotations

import asyncio
import heapq
from typing import TYPE_CHECKING

from ..config.scenario import MAX_WAITING
from .customers import Customer
from .line import Line, make_line
from .plan import GroupPlan
from .till import serve

if TYPE_CHECKING:
    from .context import Context

__all__ = ["LaneGroup"]


class LaneGroup:
    """Identical tills sharing one line: the consumers of one ``asyncio.Queue``."""

    def __init__(self, context: Context, plan: GroupPlan) -> None:
        self.context = context
        self.plan = plan
        # An unbounded line is given MAX_WAITING places, so put_nowait itself says when it
        # has grown out of hand (see Door.arrive); it never holds anyone at the door.
        self.unbounded = plan.capacity is None
        #: The places in the line: its capacity, or MAX_WAITING for an unbounded one.
        self.room = plan.capacity or MAX_WAITING
        self.line: Line[Customer] = make_line(
            plan.kind,  # type: ignore[arg-type]  # one of the line kinds, checked by the model
            self.room,
            context.loop.time,
            leaving=context.plan.patient,
        )
        self.tills: dict[int, asyncio.Task[None]] = {}
        self.at_till: dict[int, Customer] = {}
        self._free = list(range(plan.first_till, plan.first_till + plan.most))  # sorted: a heap already
        #: Set when someone joins the line, for the manager (None: this group has none).
        self.grew: asyncio.Event | None = asyncio.Event() if plan.scaling is not None else None
        #: Only patience timers and the manager care that someone joined the line.
        self.watch_joins = self.grew is not None or context.plan.patient

    def open_till(self, extra: bool = False) -> None:
        """Open the lowest-numbered closed till and start its cashier."""
        number = heapq.heappop(self._free)
        context = self.context
        assert context.tasks is not None, "tills open once the run's TaskGroup is"
        context.tally.lanes_changed(+1)
        context.emit("cashier_opened", cashier=number, queue_length=self.line.qsize())
        self.tills[number] = context.tasks.create_task(serve(self, number, extra), name=f"cashier-{number}")

    def close_till(self, number: int) -> None:
        """Close till ``number`` (its cashier has stopped, or the run is over)."""
        del self.tills[number]
        heapq.heappush(self._free, number)
        context = self.context
        context.tally.lanes_changed(-1)
        context.emit("cashier_closed", cashier=number, queue_length=self.line.qsize())

    def renege(self, customer: Customer) -> None:
        """Patience ran out: leave the line, if still in it."""
        customer.leave_timer = None  # it has fired; it refers to the customer, so drop it
        if self.line.leave(customer):
            self.context.give_up(customer, reneged=True)

    def close_doors(self) -> None:
        """Closing time without draining: everyone still in line goes home unserved."""
        for customer in self.line.waiting():
            self.line.leave(customer)
            if customer.leave_timer is not None:
                customer.leave_timer.cancel()
            self.context.give_up(customer, reneged=False)

    def send_tills_home(self) -> None:
        """After an interruption: whoever is at a till is unserved."""
        for number in sorted(self.at_till):
            self.context.give_up(self.at_till.pop(number), reneged=False)

    def stop(self) -> None:
        """Nobody is coming: cancel the cashiers, who wait in ``line.get()``."""
        for task in self.tills.values():
            task.cancel()

    def close_all(self) -> None:
        """The run is over: every till still open closes, in number order."""
        for number in sorted(self.tills):
            self.close_till(number)
