"""A lane group at run time: its line or lines, its tills with stable numbers, opening and closing.

Tills are opened and closed from outside the till tasks (the shop at opening, the
manager when a line grows, a roster later), and each keeps its number for the whole
run: a group's tills are numbered from its plan's ``first_till``, and opening takes the
lowest free number, as a manager walking along the row would.

A group's tills share one line (``line: shared``), or each has a line of its own
(``line: per_till``): a :class:`Place` is where a customer queues, one line and the
tills that serve it, and is what routing and jockeying compare.

A group with attendants (self-checkout kiosks) runs a second producer-consumer inside
the first: a kiosk that needs help puts a request into the group's own ``asyncio.Queue``
and waits; attendant tasks take the requests in turn.
"""

from __future__ import annotations

import asyncio
import heapq
from bisect import insort
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from ..config.scenario import MAX_WAITING
from ..observe.tally import GroupTally, LineMeasure, Lines
from .clock import pauser
from .customers import Customer
from .line import Line, make_line
from .plan import GroupPlan
from .till import HelpRequest, serve

if TYPE_CHECKING:
    from .context import Context

__all__ = ["EXACT", "LaneGroup", "Pace", "Place", "exact"]


def _till(place: Place) -> int:
    return place.till or 0


#: Expected work is summed exactly as whole multiples of 2**-1074 s, the smallest step
#: between floats, so every float is one; divide a sum by this for the float nearest it.
EXACT = 1 << 1074


def exact(seconds: float) -> int:
    """``seconds`` (a float, >= 0) as a whole number of 2**-1074 s, exactly."""
    numerator, denominator = seconds.as_integer_ratio()  # the denominator is a power of 2
    return numerator << (1075 - denominator.bit_length())


class Pace:
    """What a customer's basket is expected to cost at a group's tills: what ``least_work`` weighs.

    Apart from the group, so that its lines can keep :meth:`weigh` without referring back
    to the group (a run is freed by reference counting, without cycles).
    """

    __slots__ = ("_factor", "_fixed", "_means")

    def __init__(self, means: Sequence[float], factor: float, fixed: float) -> None:
        self._means, self._factor, self._fixed = means, factor, fixed

    def work(self, products: Sequence[int]) -> float:
        """The expected checkout time of these products here: their expected scan times at this
        pace, and the expected payment and help."""
        means = self._means
        return self._factor * sum(means[product] for product in products) + self._fixed

    def weigh(self, customer: Customer) -> tuple[int, int]:
        """What a customer in line here adds to its totals: their items, and their expected
        checkout time here, exactly (see :func:`exact`); a line's total work, divided by
        :data:`EXACT` (its ``seconds``), is then ``math.fsum`` of its customers' expected times."""
        return len(customer.scans), exact(self.work(customer.products))

    @staticmethod
    def count(customer: Customer) -> tuple[int, int]:
        """Their items alone, where nobody weighs the work (``fewest_items`` but no ``least_work``)."""
        return len(customer.scans), 0


class Place:
    """Where a customer queues: a group's shared line, or the line at one of its tills (``till``)."""

    __slots__ = ("coming", "group", "line", "till", "under_way")

    def __init__(self, group: LaneGroup, line: Line[Customer], till: int | None) -> None:
        self.group = group
        self.line = line
        self.till = till
        #: Customers on their way here from another line (jockeying with a move time).
        self.coming = 0
        #: What shoppers who weigh the lines last saw of the checkout at this till (see
        #: :func:`.routing._checkout_left`): the customer's id, until when it holds, the
        #: items left to scan and (once asked) their expected work.
        self.under_way: tuple[int, float, int, float | None] | None = None

    def people(self) -> float:
        """People ahead of a newcomer per till serving this line: in line, at the till, on their way."""
        group = self.group
        if self.till is None:
            return (len(self.line.customers) + len(group.at_till)) / len(group.tills)
        return len(self.line.customers) + (self.till in group.at_till) + self.coming

    def full(self) -> bool:
        """No room in this line (an unbounded line is never full); those on their way have a place kept."""
        if self.group.unbounded:
            return False
        return self.line.full() or (
            self.coming > 0 and len(self.line.customers) + self.coming >= self.group.room
        )


class LaneGroup:
    """Identical tills, sharing one line or each with its own: consumers of ``asyncio.Queue`` lines."""

    def __init__(self, context: Context, plan: GroupPlan, index: int = 0) -> None:
        self.context = context
        self.plan = plan
        #: The group's place in the plan: its payment and help among each customer's draws.
        self.index = index
        #: The group's name in the log (``lane``); None in a scenario without lanes.
        self.name = plan.name
        self.max_items = plan.max_items
        self.per_till = plan.per_till
        # An unbounded line is given MAX_WAITING places, so put_nowait itself says when it
        # has grown out of hand (see Door); it never holds anyone at the door.
        self.unbounded = plan.capacity is None
        #: The places in a line: its capacity, or MAX_WAITING for an unbounded one.
        self.room = plan.capacity or MAX_WAITING
        #: What a basket is expected to cost here (for shoppers who weigh the work ahead).
        self.pace = Pace(context.plan.product_means, plan.scan_factor, plan.fixed_work)
        self.tills: dict[int, asyncio.Task[None]] = {}
        self.at_till: dict[int, Customer] = {}
        self._free = list(range(plan.first_till, plan.first_till + plan.most))  # sorted: a heap already
        #: Every line the group has had (with a line per till, made as each till first opens).
        self.lines: list[Line[Customer]] = []
        #: The places open to newcomers, in till order (a shared line: always its one place).
        self.open_places: list[Place] = []
        self._places: dict[int, Place] = {}
        #: The shared line (None with a line per till).
        self.line: Line[Customer] | None = None
        measure: LineMeasure = Lines(self.lines)
        if not self.per_till:
            self.line = self._new_line()
            self.open_places.append(Place(self, self.line, None))
            measure = self.line
        #: Futures of customers held at the door, woken when a till (with its own line) opens;
        #: each is taken out again as soon as it is woken or its customer stops waiting
        #: (see :meth:`forget`), so it holds at most the customers held at the door.
        self.opened: dict[asyncio.Future[None], None] = {}  # an ordered set: O(1) to forget
        #: Set when someone joins a line, for the manager (None: this group has none).
        self.grew: asyncio.Event | None = asyncio.Event() if plan.scaling is not None else None
        #: Only patience timers and the manager care that someone joined the line.
        self.watch_joins = self.grew is not None or context.plan.patient
        #: The group's lines measured as one, for the tally.
        self.measure = measure
        #: This group's own figures (lanes scenarios), beside the shop's.
        self.tally: GroupTally | None = None
        if plan.name is not None:
            self.tally = GroupTally(context.loop.time, measure, plan.attendants, switching=plan.switching)
            context.tally.groups[plan.name] = self.tally
        #: Help requests from the kiosks, for the attendants (None: no attendants).
        self.help: asyncio.Queue[HelpRequest] | None = asyncio.Queue() if plan.attendants else None
        self._attendants: list[asyncio.Task[None]] = []

    def _weigh(self) -> Callable[[Customer], tuple[int, int]] | None:
        """What this group's lines keep totals of: items and work, items alone, or nothing."""
        choices = self.context.plan.choices
        if "least_work" in choices:
            return self.pace.weigh
        return self.pace.count if "fewest_items" in choices else None

    def _new_line(self) -> Line[Customer]:
        """A line of this group; where some shoppers weigh the lines, one that keeps their totals."""
        line: Line[Customer] = make_line(
            self.plan.kind,  # type: ignore[arg-type]  # one of the line kinds, checked by the model
            self.room,
            self.context.loop.time,
            leaving=self.context.plan.patient,
            weigh=self._weigh(),
            scale=EXACT,
        )
        self.lines.append(line)
        return line

    def adopt(self, customer: Customer, previous: LaneGroup) -> None:
        """A customer switches here from a line of ``previous``: their scans are rescaled to this
        group's pace; they keep their payment time, and need no help here unless they did there.

        Nothing is drawn, so the customers after them stay the same (common random numbers).
        """
        factor = self.plan.scan_factor / previous.plan.scan_factor
        if factor != 1.0:
            customer.scans = [scan * factor for scan in customer.scans]
        if self.help is not None and previous.help is None:
            customer.assist = 0.0

    def prepare(self, customer: Customer) -> None:
        """The customer joins this group: their payment and help here (drawn at arrival for every
        group, see :mod:`.customers`) are taken, their scans scaled to its pace. Nothing is drawn."""
        at_groups = customer.at_groups
        if at_groups is not None:
            customer.payment = at_groups[0][self.index]
            customer.assist = at_groups[1][self.index]
        elif self.help is not None:
            customer.assist = 0.0
        factor = self.plan.scan_factor
        if factor != 1.0:
            customer.scans = [scan * factor for scan in customer.scans]

    def waiting(self) -> int:
        """How many are in the group's lines."""
        return sum(len(line.customers) for line in self.lines)

    def shortest_waiting(self) -> int:
        """The fewest waiting in a line open to newcomers (the shared line's length)."""
        if self.line is not None:
            return len(self.line.customers)
        return min(len(place.line.customers) for place in self.open_places)

    def quiet(self, place: Place, close_at: int) -> bool:
        """An extra till at ``place`` may close: at most ``close_at`` wait (with its own line: none
        in it, none on the way, at most ``close_at`` in the group's other lines)."""
        line = place.line
        if place.till is None:
            return line.qsize() <= close_at
        return not line.customers and not place.coming and self.waiting() <= close_at

    def wake_on_open(self, waiter: asyncio.Future[None]) -> None:
        """Resolve ``waiter`` when a till opens with a line of its own (a new place in line).

        A group with one shared line gets no new place when a till opens: its line's own
        room wakes the waiter (:meth:`.line.Line.wake_on_room`), so it keeps none.
        """
        if self.per_till:
            self.opened[waiter] = None

    def forget(self, waiter: asyncio.Future[None]) -> None:
        """Stop waking ``waiter``: it was woken (by room in a line, or a till opening) or gave up.

        Without this every wait at the door would leave its future here until the next
        till opened, which may be never: memory would grow with the customers.
        """
        self.opened.pop(waiter, None)

    def open_till(self, extra: bool = False) -> None:
        """Open the lowest-numbered closed till and start its cashier."""
        number = heapq.heappop(self._free)
        context = self.context
        assert context.tasks is not None, "tills open once the run's TaskGroup is"
        if self.per_till:
            place = self._places.get(number)
            if place is None:
                place = self._places[number] = Place(self, self._new_line(), number)
            insort(self.open_places, place, key=_till)
        else:
            place = self.open_places[0]
        context.tally.lanes_changed(+1)
        if self.tally is not None:
            self.tally.tills_changed(+1)
            context.emit("cashier_opened", lane=self.name, cashier=number, queue_length=self.waiting())
        else:
            context.emit("cashier_opened", cashier=number, queue_length=self.waiting())
        self.tills[number] = context.tasks.create_task(
            serve(self, number, place, extra), name=f"cashier-{number}"
        )
        if self.per_till:  # a new line: for whoever waits at the door, and for switching
            woken, self.opened = self.opened, {}
            for waiter in woken:
                if not waiter.done():
                    waiter.set_result(None)
            if context.jockeying is not None:
                context.jockeying.shorter(place)

    def close_till(self, number: int) -> None:
        """Close till ``number`` (its cashier has stopped, or the run is over)."""
        del self.tills[number]
        heapq.heappush(self._free, number)
        if self.per_till:
            self.open_places.remove(self._places[number])
        context = self.context
        context.tally.lanes_changed(-1)
        if self.tally is not None:
            self.tally.tills_changed(-1)
            context.emit("cashier_closed", lane=self.name, cashier=number, queue_length=self.waiting())
        else:
            context.emit("cashier_closed", cashier=number, queue_length=self.waiting())

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
        """Patience ran out (the one shared line of a scenario without lanes): leave it, if still in it."""
        customer.leave_timer = None  # it has fired; it refers to the customer, so drop it
        assert self.line is not None
        if self.line.leave(customer):
            self.context.give_up(customer, reneged=True, lane=self.name)

    def in_line(self) -> Iterator[Customer]:
        """Everyone in the group's lines."""
        for line in self.lines:
            yield from line.waiting()

    def close_doors(self) -> None:
        """Closing time without draining: everyone still in line goes home unserved."""
        for line in self.lines:
            for customer in line.waiting():
                line.leave(customer)
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
        to this group: dropped here, as are the places, which refer back to the group,
        so the run is freed by reference counting.)
        """
        for number in sorted(self.tills):
            self.close_till(number)
        self._attendants.clear()
        self.open_places.clear()
        self._places.clear()
