"""A till: a consumer task that takes the next customer from its line and serves them.

Each checkout is a run of pauses, one per item scanned and one for payment, each ending
at its planned time (the next is timed from it, never from a late wake-up). This is
the hot path of the simulation: what it needs is read into locals once.

A till is an object with a state, so that it can be told to close after the customer
it is serving (a manager now, a roster next) or to leave for a while and come back with
the same number (a break). What it needs of its group is the small :class:`Desk`
interface, so this module knows nothing of groups, lines per till or routing.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from ..observe.events import CheckoutFinished, CheckoutStarted
from ..observe.recorder import Recorder, make
from .clock import VirtualClockLoop, pauser
from .customers import Customer
from .line import Line

__all__ = ["CLOSED", "CLOSING", "IDLE", "ON_BREAK", "SERVING", "Desk", "HelpRequest", "Till"]

#: A till's states. Idle: open, waiting for a customer; serving: a customer at it;
#: closing: it takes nobody new and closes when its customer leaves; closed; on break:
#: closed for a while, to reopen with the same number.
IDLE, SERVING, CLOSING, CLOSED, ON_BREAK = "idle", "serving", "closing", "closed", "on_break"


class HelpRequest:
    """A kiosk asks for an attendant: who, at which till, since when; answered with the time help ends."""

    __slots__ = ("answer", "asked", "customer", "till")

    def __init__(self, customer: Customer, till: int, asked: float, answer: asyncio.Future[float]) -> None:
        self.customer, self.till, self.asked, self.answer = customer, till, asked, answer


class Desk(Protocol):
    """What a till needs of its group (see :class:`.lanes.LaneGroup`)."""

    #: The group's index in the plan (what the recorder names it by).
    index: int
    #: The group's name (its events' ``lane``).
    name: str
    #: Who is at which till, by till number (read by routing and the manager).
    at_till: dict[int, Customer]
    #: Requests for an attendant (None: the group has none).
    help: asyncio.Queue[HelpRequest] | None

    def checkout_done(self, till: Till) -> bool:
        """A checkout at ``till`` ended: tell whoever cares; True if the till, an extra one, may close."""
        ...

    @property
    def told(self) -> bool:
        """Someone is told of every checkout (:meth:`checkout_done`), whatever the till."""
        ...

    def till_left(self, till: Till) -> None:
        """``till`` has closed, or gone on break: take it out of the group's open tills."""
        ...

    def done_serving(self, till: Till) -> bool:
        """A closing ``till`` may leave: nobody is left for it (with a line of its own: nobody in
        it or on the way to it; a shared line's other tills carry on)."""
        ...


class Till:
    """One till of a group: its number (the same all run long), its line, its state, its cashier task.

    ``extra``: opened by the manager above the group's count; it closes when it finishes
    a customer and its group is quiet (:meth:`Desk.checkout_done`).
    """

    __slots__ = ("_closing", "back_at", "break_for", "customer", "desk", "extra", "line", "number", "task")

    def __init__(self, number: int, desk: Desk, line: Line[Customer], *, extra: bool = False) -> None:
        self.number = number
        self.desk = desk
        self.line = line
        self.extra = extra
        #: The customer at the till (None: nobody).
        self.customer: Customer | None = None
        #: The cashier's task (None: the till is closed or on break).
        self.task: asyncio.Task[None] | None = None
        self._closing = False
        #: How long its break lasts, once the till has left for it (None: no break asked for).
        self.break_for: float | None = None
        #: When a till on break comes back (None: not on break; set by its group as it leaves).
        self.back_at: float | None = None

    @property
    def closing(self) -> bool:
        """Told to close (or to leave for a break) and still serving."""
        return self._closing

    @property
    def state(self) -> str:
        """:data:`IDLE`, :data:`SERVING`, :data:`CLOSING`, :data:`CLOSED` or :data:`ON_BREAK`.

        Worked out when asked, so the cashier's loop keeps no state of its own beyond
        the customer at the till.
        """
        if self.task is None:
            return ON_BREAK if self.back_at is not None else CLOSED
        if self._closing:
            return CLOSING
        return SERVING if self.customer is not None else IDLE

    def open(self, tasks: asyncio.TaskGroup, recorder: Recorder, item_events: bool) -> None:
        """Start the cashier in the run's TaskGroup (a till back from a break keeps its number)."""
        self.break_for = self.back_at = None
        self._closing = False
        self.task = tasks.create_task(self._serve(recorder, item_events), name=f"cashier-{self.number}")

    def close_after_current(self) -> bool:
        """Take nobody new, and close once the customer at the till leaves (at once, if idle).

        A till with a line of its own first serves whoever is still in it or on the way to
        it (:meth:`Desk.done_serving`): its group has closed the line to newcomers, or moved
        its customers elsewhere (``on_close``), so nobody is left behind.

        True if the till closed at once: its group then counts it closed; otherwise the
        cashier tells the group when it leaves (:meth:`Desk.till_left`).
        """
        if self.task is None:
            return False
        if self.customer is not None or not self.desk.done_serving(self):
            self._closing = True
            return False
        self.task.cancel()  # idle, waiting in line.get(): nobody is taken, nobody is lost
        self.task = None
        return True

    def take_break(self, seconds: float) -> bool:
        """Leave after the current customer (at once, if idle) for ``seconds``, then come back.

        The return as :meth:`close_after_current`; the break starts when the till leaves,
        and its group opens it again, with the same number, when the break is over.
        """
        self.break_for = seconds
        return self.close_after_current()

    def stop(self) -> None:
        """The run is over: cancel the cashier, wherever it waits."""
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _serve(self, recorder: Recorder, item_events: bool) -> None:
        """The cashier: take the next customer from the line, scan each item, take payment, repeat."""
        desk, line, number, group = self.desk, self.line, self.number, self.desk.index
        loop = asyncio.get_running_loop()
        at_till, help_queue = desk.at_till, desk.help
        # The record of a checkout's end is made here (a call saved per customer).
        finished = recorder.sender(CheckoutFinished)
        lane = desk.name
        # Saying so only where someone listens (the log): a call saved per customer.
        started = recorder.checkout_started if recorder.sender(CheckoutStarted) is not None else None
        # Only an extra till, or a group where someone is told of each checkout, asks its desk.
        ask = self.extra or desk.told
        waiting = line.customers
        pause_until = pauser(loop)
        exact = isinstance(loop, VirtualClockLoop)
        now = loop.time()
        try:
            while True:
                # Take whoever is waiting; only wait (await get) when nobody is. Without
                # an await the time is still ``now``, when the last checkout ended.
                if waiting:
                    customer = line.get_nowait()
                else:
                    customer = await line.get()
                    now = loop.time()
                self.customer = at_till[number] = customer
                if customer.leave_timer is not None:
                    customer.leave_timer.cancel()
                when = customer.start = now
                if started is not None:
                    started(customer, group, number)
                # Each pause ends at ``when``, on the virtual clock exactly: the next is timed from it.
                if item_events:  # otherwise no zip over the products and no check per item (~4%)
                    for product, scan in zip(customer.products, customer.scans, strict=True):
                        if scan > 0:
                            when += scan
                            await pause_until(when)
                        recorder.item_scanned(customer, group, number, product, scan)
                else:
                    for scan in customer.scans:
                        if scan > 0:
                            when += scan
                            await pause_until(when)
                if help_queue is not None and customer.assist > 0:  # a kiosk: wait for an attendant's help
                    recorder.assist_requested(customer, group, number)
                    answer: asyncio.Future[float] = loop.create_future()
                    help_queue.put_nowait(HelpRequest(customer, number, when, answer))
                    when = await answer
                if customer.payment > 0:
                    when += customer.payment
                    await pause_until(when)
                now = when if exact else loop.time()  # the virtual clock wakes at ``when`` exactly
                del at_till[number]
                self.customer = None
                if finished is not None:
                    finished(
                        make(
                            CheckoutFinished,
                            (
                                customer,
                                group,
                                now,
                                customer.id,
                                lane,
                                number,
                                now - customer.start,
                                len(customer.scans),
                            ),
                        )
                    )
                line.task_done()
                if (ask and desk.checkout_done(self)) or (self._closing and desk.done_serving(self)):
                    self.task = None
                    desk.till_left(self)
                    return
        finally:
            # The pause refers to this task's wake-up: drop it with the frame that a
            # cancelled task's traceback keeps, or task and pause make a cycle.
            del pause_until
