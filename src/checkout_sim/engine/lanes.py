"""A lane group at run time: its line, its tills with stable numbers, opening and closing.

Tills are opened and closed from outside the till tasks (the shop at opening, the
manager when the line grows, a roster later), and each keeps its number for the whole
run: a group's tills are numbered from its plan's ``first_till``, and opening takes the
lowest free number, as a manager walking along the row would.

A group with attendants (self-checkout kiosks) runs a second producer-consumer inside
the first: a kiosk that needs help puts a request into the group's own ``asyncio.Queue``
and waits; attendant tasks take the requests in turn.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config.distributions import sampler
from ..config.scenario import MAX_WAITING
from ..observe.tally import GroupTally
from .clock import pauser
from .customers import Customer
from .line import Line, make_line
from .plan import GroupPlan
from .till import HelpRequest, serve

if TYPE_CHECKING:
    from .context import Context

__all__ = ["LaneGroup"]


class LaneGroup:
    """Identical tills sharing one line: the consumers of one ``asyncio.Queue``."""

    def __init__(self, context: Context, plan: GroupPlan, rng: random.Random | None = None) -> None:
        self.context = context
        self.plan = plan
        #: The group's name in the log (``lane``); None in a scenario without lanes.
        self.name = plan.name
        self.max_items = plan.max_items
        # An unbounded line is given MAX_WAITING places, so put_nowait itself says when it
        # has grown out of hand (see Door); it never holds anyone at the door.
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
        #: This group's own figures (lanes scenarios), beside the shop's.
        self.tally: GroupTally | None = None
        if plan.name is not None:
            self.tally = GroupTally(context.loop.time, self.line, plan.attendants)
            context.tally.groups[plan.name] = self.tally
        #: Help requests from the kiosks, for the attendants (None: no attendants).
        self.help: asyncio.Queue[HelpRequest] | None = asyncio.Queue() if plan.attendants else None
        self._attendants: list[asyncio.Task[None]] = []
        self._rng = rng
        self._payment: Callable[[], float] | None = None
        self._assist_time: Callable[[], float] | None = None
        if rng is not None and plan.payment is not None:
            self._payment = sampler(plan.payment, rng)
        if rng is not None and plan.assist_time is not None and plan.assist_probability > 0:
            self._assist_time = sampler(plan.assist_time, rng)

    def prepare(self, customer: Customer) -> None:
        """The customer joins this group (lanes): its payment and help are drawn, its scans scaled."""
        if self._payment is not None:
            customer.payment = self._payment()
        factor = self.plan.scan_factor
        if factor != 1.0:
            customer.scans = [scan * factor for scan in customer.scans]
        if self._assist_time is not None:
            assert self._rng is not None
            customer.assist = (
                self._assist_time() if self._rng.random() < self.plan.assist_probability else 0.0
            )
        elif self.help is not None:
            customer.assist = 0.0

    def open_till(self, extra: bool = False) -> None:
        """Open the lowest-numbered closed till and start its cashier."""
        number = heapq.heappop(self._free)
        context = self.context
        assert context.tasks is not None, "tills open once the run's TaskGroup is"
        context.tally.lanes_changed(+1)
        if self.tally is not None:
            self.tally.tills_changed(+1)
            context.emit("cashier_opened", lane=self.name, cashier=number, queue_length=self.line.qsize())
        else:
            context.emit("cashier_opened", cashier=number, queue_length=self.line.qsize())
        self.tills[number] = context.tasks.create_task(serve(self, number, extra), name=f"cashier-{number}")

    def close_till(self, number: int) -> None:
        """Close till ``number`` (its cashier has stopped, or the run is over)."""
        del self.tills[number]
        heapq.heappush(self._free, number)
        context = self.context
        context.tally.lanes_changed(-1)
        if self.tally is not None:
            self.tally.tills_changed(-1)
            context.emit("cashier_closed", lane=self.name, cashier=number, queue_length=self.line.qsize())
        else:
            context.emit("cashier_closed", cashier=number, queue_length=self.line.qsize())

    def start_attendants(self) -> None:
        """Start the attendants' tasks (a group with kiosks)."""
        tasks = self.context.tasks
        assert tasks is not None
        for number in range(1, self.plan.attendants + 1):
            self._attendants.append(tasks.create_task(self._attend(number), name=f"attendant-{number}"))

    async def _attend(self, number: int) -> None:
        """An attendant: take the next call for help, help for the customer's time, repeat."""
        help_queue, context = self.help, self.context
        assert help_queue is not None and self.tally is not None
        loop, emit, tally = context.loop, context.emit, self.tally
        pause_until = pauser(loop)
        try:
            while True:
                request = await help_queue.get()
                now = loop.time()
                customer, wait = request.customer, now - request.asked
                emit(
                    "assist_started",
                    customer=customer.id,
                    lane=self.name,
                    cashier=request.till,
                    attendant=number,
                    wait=wait,
                )
                end = now + customer.assist
                await pause_until(end)
                tally.assisted(wait, customer.assist)
                emit(
                    "assist_finished",
                    customer=customer.id,
                    lane=self.name,
                    cashier=request.till,
                    attendant=number,
                    assist=customer.assist,
                )
                request.answer.set_result(end)
                help_queue.task_done()
        finally:
            del pause_until  # as a till's: no cycle through a cancelled task's frame

    def renege(self, customer: Customer) -> None:
        """Patience ran out: leave the line, if still in it."""
        customer.leave_timer = None  # it has fired; it refers to the customer, so drop it
        if self.line.leave(customer):
            self.context.give_up(customer, reneged=True, lane=self.name)

    def close_doors(self) -> None:
        """Closing time without draining: everyone still in line goes home unserved."""
        for customer in self.line.waiting():
            self.line.leave(customer)
            if customer.leave_timer is not None:
                customer.leave_timer.cancel()
            self.context.give_up(customer, reneged=False, lane=self.name)

    def send_tills_home(self) -> None:
        """After an interruption: whoever is at a till is unserved."""
        for number in sorted(self.at_till):
            self.context.give_up(self.at_till.pop(number), reneged=False, lane=self.name)

    def stop(self) -> None:
        """Nobody is coming: cancel the cashiers, who wait in ``line.get()``, and the attendants."""
        for task in self.tills.values():
            task.cancel()
        for task in self._attendants:
            task.cancel()

    def close_all(self) -> None:
        """The run is over: every till still open closes, in number order; the attendants go home.

        (A finished attendant task keeps its cancellation's traceback, whose frame refers
        to this group: dropped here, so the run is freed by reference counting.)
        """
        for number in sorted(self.tills):
            self.close_till(number)
        self._attendants.clear()
