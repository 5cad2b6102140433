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
import math
from bisect import insort
from collections.abc import Callable, Sequence
from typing import Protocol

from ..config.scenario import MAX_WAITING
from ..observe.tally import LineMeasure, Lines
from ..observe.watch import Watch
from .clock import pauser
from .customers import Customer
from .line import Line, make_line
from .plan import GroupPlan, Plan
from .till import HelpRequest, Till

__all__ = ["EXACT", "LaneGroup", "Pace", "Place", "Staffing", "exact"]

#: Someone joined, left or moved, or a till opened: who else should know (jockeying).
Hook = Callable[["Place"], None]


class Staffing(Protocol):
    """What a group tells whoever keeps its roster and breaks (see :mod:`.roster`)."""

    def opened(self, till: Till) -> None:
        """``till`` opened (for the roster, the manager, or back from a break): its work begins."""

    def left(self, till: Till) -> None:
        """``till`` closed, or left for a break (``till.break_for`` is set)."""

    def back(self, till: Till) -> None:
        """``till`` is open again after its break."""

    def stop(self) -> None:
        """The run is over: nothing more is to happen."""


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
        """People ahead of a newcomer per till serving this line: in line, at the till, on their way.

        A shared line whose tills are all closed for now (on a break) is endlessly long: a
        shopper who has another line goes there; one who has not waits in it.
        """
        group = self.group
        if self.till is None:
            tills = len(group.tills)
            return (len(self.line.customers) + len(group.at_till)) / tills if tills else math.inf
        return len(self.line.customers) + (self.till in group.at_till) + self.coming

    def full(self) -> bool:
        """No room in this line (an unbounded line is never full); those on their way have a place kept."""
        if self.group.unbounded:
            return False
        return self.line.full() or (
            self.coming > 0 and len(self.line.customers) + self.coming >= self.group.room
        )


class LaneGroup:
    """Identical tills, sharing one line or each with its own; and their till bank.

    The bank opens and closes tills by number: :meth:`open_till` (the lowest closed
    number, or a given one), :meth:`close_till` (after the customer at it),
    :meth:`take_break` (after the customer, then back with the same number). The shop
    opens the group's ``count`` at the start, the manager extra ones, and a roster and
    breaks (:mod:`.roster`) use the same three operations.

    A till told to close or to leave for a break takes nobody new at once: it leaves
    :attr:`tills` (and, with a line of its own, the places open to newcomers) and
    finishes its customer (and, with a line of its own, whoever is still in it, unless
    ``on_close: move`` sent them elsewhere) before it closes.
    """

    def __init__(
        self,
        plan: GroupPlan,
        run: Plan,
        loop: asyncio.AbstractEventLoop,
        watch: Watch,
        *,
        item_events: bool = False,
    ) -> None:
        self.plan = plan
        #: The group's index in the plan: its payment and help among each customer's draws,
        #: and what the recorder names it by.
        self.index = plan.index
        self.loop = loop
        #: Where the group says what happens (see :mod:`checkout_sim.observe.recorder`).
        self.recorder = watch.recorder
        self._item_events = item_events
        #: The group's name in the scenario (``tills`` for a scenario without lanes).
        self.name = plan.name
        self.max_items = plan.max_items
        self.per_till = plan.per_till
        # An unbounded line is given MAX_WAITING places, so put_nowait itself says when it
        # has grown out of hand (see Door); it never holds anyone at the door.
        self.unbounded = plan.capacity is None
        #: The places in a line: its capacity, or MAX_WAITING for an unbounded one.
        self.room = plan.capacity or MAX_WAITING
        self._leaving = run.patient
        #: What a basket is expected to cost here (for shoppers who weigh the work ahead).
        self.pace = Pace(run.product_means, plan.scan_factor, plan.fixed_work)
        self._weigh: Callable[[Customer], tuple[int, int]] | None = None
        #: Some shoppers weigh the work ahead (``least_work``): its lines keep the work in line.
        self.weighs_work = "least_work" in run.choices
        if self.weighs_work:
            self._weigh = self.pace.weigh
        elif "fewest_items" in run.choices:
            self._weigh = self.pace.count
        #: The open tills that take newcomers, by number.
        self.tills: dict[int, Till] = {}
        #: Tills told to close or to leave for a break, still serving, by number.
        self.leaving: dict[int, Till] = {}
        #: Tills closed for a break, by number (each comes back with its number).
        self.away: dict[int, Till] = {}
        self._returns: dict[int, asyncio.TimerHandle] = {}
        #: Whoever keeps the group's roster and breaks (None: a constant count, no breaks).
        self.staff: Staffing | None = None
        #: Moves the customers in the line at a closing till elsewhere (``on_close: move``).
        self.move: Hook | None = None
        #: Every till the group has had open, by number (one closed keeps its object).
        self._made: dict[int, Till] = {}
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
        self.watch_joins = self.grew is not None or run.patient
        #: The group's lines measured as one, for the tally.
        self.measure = measure
        watch.add_group(self.index, measure, plan.attendants, switching=plan.switching)
        #: Help requests from the kiosks, for the attendants (None: no attendants).
        self.help: asyncio.Queue[HelpRequest] | None = asyncio.Queue() if plan.attendants else None
        self._attendants: list[asyncio.Task[None]] = []
        #: Joining takes something from the customer's draws or scales their scans (else
        #: :meth:`prepare` would do nothing, and the one-line shop skips the call).
        self.preparing = plan.scan_factor != 1.0 or plan.attendants > 0 or len(run.groups) > 1
        scaling = plan.scaling
        self._close_at = scaling.close_at if scaling is not None else -1
        #: Told when a line at a till got shorter or a till opened (jockeying; None: nobody switches).
        self.shorter: Hook | None = None
        #: The run's TaskGroup, once open: the tills and attendants are its tasks.
        self.tasks: asyncio.TaskGroup | None = None

    def _new_line(self) -> Line[Customer]:
        """A line of this group; where some shoppers weigh the lines, one that keeps their totals."""
        line: Line[Customer] = make_line(
            self.plan.kind, self.room, self.loop.time, leaving=self._leaving, weigh=self._weigh, scale=EXACT
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
        return min((len(place.line.customers) for place in self.open_places), default=0)

    def _quiet(self, place: Place) -> bool:
        """An extra till at ``place`` may close: at most ``close_at`` wait (with its own line: none
        in it, none on the way, at most ``close_at`` in the group's other lines)."""
        line = place.line
        if place.till is None:
            return line.qsize() <= self._close_at
        return not line.customers and not place.coming and self.waiting() <= self._close_at

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

    # The till bank

    def _place_of(self, number: int) -> Place:
        """Where till ``number``'s customers wait: the shared line, or its own (made when first opened)."""
        if not self.per_till:
            return self.open_places[0]
        place = self._places.get(number)
        if place is None:
            place = self._places[number] = Place(self, self._new_line(), number)
        return place

    def can_open(self) -> bool:
        """Some till of the group is closed (not on a break, not still serving): one may open."""
        return bool(self._free)

    def staffed(self) -> int:
        """The roster's tills now: open and not the manager's extra ones, leaving for a break, or
        on one (a cashier on a break is still on the roster)."""
        return (
            sum(not till.extra for till in self.tills.values())
            + sum(not till.extra and till.break_for is not None for till in self.leaving.values())
            + sum(not till.extra for till in self.away.values())
        )

    def busy(self, till: Till) -> bool:
        """Someone is at ``till``, or (a line of its own) waits in its line."""
        if till.customer is not None:
            return True
        return self.per_till and bool(self._places[till.number].line.customers)

    def open_till(self, number: int | None = None, *, extra: bool = False, reason: str | None = None) -> Till:
        """Open till ``number`` (default: the lowest-numbered closed one) and start its cashier.

        ``extra``: opened by the manager, to close when the group is quiet again. ``reason``:
        what the log says (default: ``scaling`` for an extra till, ``roster`` for another).
        """
        if number is None:
            number = heapq.heappop(self._free)
        else:
            self._free.remove(number)
            heapq.heapify(self._free)
        tasks = self.tasks
        assert tasks is not None, "tills open once the run's TaskGroup is"
        place = self._place_of(number)
        if self.per_till:
            insort(self.open_places, place, key=_till)
        till = self._made.get(number)
        if till is None:
            till = self._made[number] = Till(number, self, place.line)
        till.extra = extra
        self.recorder.till_opened(
            self.index, number, self.waiting(), reason or ("scaling" if extra else "roster")
        )
        self.tills[number] = till
        till.open(tasks, self.recorder, self._item_events)
        if self.staff is not None:
            self.staff.opened(till)
        if self.per_till:  # a new line: for whoever waits at the door, and for switching
            woken, self.opened = self.opened, {}
            for waiter in woken:
                if not waiter.done():
                    waiter.set_result(None)
            if self.shorter is not None:
                self.shorter(place)
        return till

    def close_till(self, number: int) -> None:
        """Close till ``number`` after the customer at it (at once, if idle)."""
        self.close_tills([number])

    def close_tills(self, numbers: Sequence[int]) -> None:
        """Close these tills, each after the customer at it: all leave the lines open to newcomers
        first, so that a closing till's customers never move to another that is closing too."""
        self._leave([self.tills[number] for number in numbers], None)

    def take_break(self, number: int, seconds: float) -> None:
        """Till ``number`` closes after its customer and opens again, with its number, ``seconds`` later."""
        self._leave([self.tills[number]], seconds)

    def _leave(self, tills: Sequence[Till], seconds: float | None) -> None:
        """These tills take nobody new from now on; each closes (or leaves for ``seconds``) once free.

        With a line of its own, its line closes to newcomers at once; under ``on_close: move``
        whoever waits in it moves to another line (those with nowhere to go stay, and are served).
        """
        places = []
        for till in tills:
            del self.tills[till.number]
            if self.per_till:
                place = self._places[till.number]
                self.open_places.remove(place)
                places.append(place)
        if self.move is not None:
            for place in places:
                self.move(place)
        for till in tills:
            left = till.take_break(seconds) if seconds is not None else till.close_after_current()
            if left:
                self.till_left(till)
            else:
                self.leaving[till.number] = till

    def nobody_coming(self, place: Place) -> None:
        """Someone on the way to ``place``'s line gave up or was sent home: a closing till that
        stood idle only to wait for them may leave now (else it would stay closing all run)."""
        till = self.leaving.get(place.till) if place.till is not None else None
        if till is not None and till.customer is None and till.close_after_current():
            self.till_left(till)

    def done_serving(self, till: Till) -> bool:
        """A closing ``till`` may leave: with a line of its own, nobody is in it or on the way."""
        if not self.per_till:
            return True
        place = self._places[till.number]
        return not place.line.customers and not place.coming

    def till_left(self, till: Till) -> None:
        """A till has closed (or gone on break): no longer open to newcomers, its number free."""
        number = till.number
        self.tills.pop(number, None)
        self.leaving.pop(number, None)
        if till.break_for is None:
            heapq.heappush(self._free, number)
            reason = "scaling" if till.extra else "roster"
        else:  # the break starts now; the number stays the till's
            till.back_at = self.loop.time() + till.break_for
            self.away[number] = till
            self._returns[number] = self.loop.call_at(till.back_at, self._back_from_break, number)
            reason = "break"
        if self.per_till:
            place = self._places[number]
            if place in self.open_places:
                self.open_places.remove(place)
        self.recorder.till_closed(self.index, number, self.waiting(), reason)
        if self.staff is not None:
            self.staff.left(till)

    def _back_from_break(self, number: int) -> None:
        """The break is over: the till opens again, with its number, if the run still goes on."""
        del self._returns[number]
        till = self.away.pop(number)
        if self.tasks is not None:
            heapq.heappush(self._free, number)
            self.open_till(number, extra=till.extra, reason="break")
            if self.staff is not None:
                self.staff.back(till)

    @property
    def told(self) -> bool:
        """Someone is told of every checkout: shoppers who switch into lines at tills."""
        return self.shorter is not None

    def checkout_done(self, till: Till) -> bool:
        """A checkout at ``till`` ended: its line may be shorter than others (jockeying); True if
        it is an extra till and the group is quiet enough for it to close."""
        place = self._places[till.number] if self.per_till else self.open_places[0]
        if self.shorter is not None and place.till is not None and not till.closing:
            self.shorter(place)  # (a closing till's line takes nobody new)
        return till.extra and self._quiet(place)

    def start_attendants(self) -> None:
        """Start the attendants' tasks (a group with kiosks)."""
        tasks = self.tasks
        assert tasks is not None
        for number in range(1, self.plan.attendants + 1):
            self._attendants.append(tasks.create_task(self._attend(number), name=f"attendant-{number}"))

    async def _attend(self, number: int) -> None:
        """An attendant: take the next call for help, help for the customer's time, repeat."""
        help_queue, recorder, loop, index = self.help, self.recorder, self.loop, self.index
        assert help_queue is not None
        pause_until = pauser(loop)
        try:
            while True:
                request = await help_queue.get()
                now = loop.time()
                customer, wait = request.customer, now - request.asked
                recorder.assist_started(customer, index, request.till, number, wait)
                end = now + customer.assist
                await pause_until(end)
                recorder.assist_finished(customer, index, request.till, number, wait)
                request.answer.set_result(end)
                help_queue.task_done()
        finally:
            del pause_until  # as a till's: no cycle through a cancelled task's frame

    def close_doors(self) -> None:
        """Closing time without draining: everyone still in line goes home unserved."""
        for line in self.lines:
            for customer in line.waiting():
                line.leave(customer)
                if customer.leave_timer is not None:
                    customer.leave_timer.cancel()
                self.recorder.gave_up(customer, reneged=False, group=self.index)

    def send_tills_home(self) -> None:
        """After an interruption: whoever is at a till is unserved."""
        for number in sorted(self.at_till):
            self.recorder.gave_up(self.at_till.pop(number), reneged=False, group=self.index)

    def stop(self) -> None:
        """Nobody is coming: cancel the cashiers, who wait in ``line.get()``, and the attendants."""
        if self.staff is not None:
            self.staff.stop()
        for till in [*self.tills.values(), *self.leaving.values()]:
            till.stop()
        for task in self._attendants:
            task.cancel()

    def close_all(self) -> None:
        """The run is over: every till still open closes, in number order; the attendants go home.

        (A finished attendant task keeps its cancellation's traceback, whose frame refers
        to this group: dropped here, as are the places and tills, which refer back to the
        group, so the run is freed by reference counting.)
        """
        if self.staff is not None:
            self.staff.stop()  # nothing reopens or closes for the roster any more
            self.staff = None
        for handle in self._returns.values():
            handle.cancel()  # a till on a break stays closed
        self._returns.clear()
        self.away.clear()
        every = {**self.tills, **self.leaving}
        for number in sorted(every):
            till = every[number]
            till.stop()
            till.break_for = None  # a break asked for and not yet begun is not taken
            self.till_left(till)
        self._attendants.clear()
        self.move = None
        self.open_places.clear()
        self._places.clear()
        self._made.clear()
        self.shorter = None
        self.tasks = None
