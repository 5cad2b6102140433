"""The door: the producer that lets customers in, with backpressure when the lines are full.

Arrivals come on a chain of timer callbacks (:func:`~.clock.waker`: no Future and no
task step per arrival, yet each runs where a producer task would if a timer woke it).
An arriving customer picks a line among those open to them (:mod:`.routing`; a shop
with one group and one line has nothing to pick), joins it, or balks, or, when every
line open to them is full and arrivals must wait, is handed to the producer task, which
waits for the first place in any of them (backpressure) and then restarts the chain:
the arrival process itself is held up.

Every scenario goes through this one door: a scenario written with ``queue`` and
``cashiers`` is one group with a shared line, and the recorder leaves ``lane`` out of
its events.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from ..observe.events import CustomerArrived
from ..observe.recorder import Recorder, make
from .arrivals import ArrivalProcess
from .clock import waker
from .customers import Customer, CustomerFactory
from .jockeying import Jockeying
from .lanes import LaneGroup, Place
from .line import Line
from .plan import Plan
from .routing import Router, Rule

__all__ = ["Door", "Overloaded"]


class Overloaded(RuntimeError):
    """An unbounded line grew without limit: the scenario cannot reach a steady state."""


def _settle(future: asyncio.Future[Customer | None], result: Customer | None) -> None:
    """Hand the producer task a held customer, or None when arrivals are over."""
    if not future.done():
        future.set_result(result)


class Door:
    """The producer of a run: arrivals, admission (join, balk or wait) and backpressure."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        plan: Plan,
        recorder: Recorder,
        *,
        arrivals: ArrivalProcess,
        customers: CustomerFactory,
        router: Router,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self._loop = loop
        self._recorder = recorder
        self._arrivals = arrivals
        self._gap = arrivals.gap
        self._customers = customers
        self._router = router
        #: The one group with one shared line everyone joins, if that is the shop: nobody picks.
        self._only = router.only
        if router.only is not None:
            self._only_place = router.only.open_places[0]
            self._only_groups = (router.only,)
        #: The arrivals' record is made here, the commonest event (a call saved per customer).
        self._arrived = recorder.sender(CustomerArrived)
        self._segment_names = plan.segment_names
        self._group_names = [group.name for group in plan.groups]
        self._progress = progress
        self._lanes = plan.lanes
        self._end, self._limit, self._closing = plan.end, plan.limit, plan.closing
        #: Customers switching lines (None: no segment does); set by the shop.
        self.jockeying: Jockeying | None = None
        #: The customers waiting at the door for a place in line, in the order they came: one at
        #: most, who holds up the arrivals, unless the arrivals are fixed (a trace), when
        #: each who must wait does so alone and the others still come.
        self.held: dict[Customer, None] = {}
        self._fixed = arrivals.fixed
        #: Fixed arrivals: the waits of those at the door, each a task of its own.
        self._waits: set[asyncio.Task[None]] = set()
        #: How many customers have arrived.
        self.made = 0
        self._group_left = 0
        self._pending: asyncio.Handle | None = None
        self._arrival = waker(self._loop, self._next_member)
        self._wake_at = self._arrival.at
        self._door: asyncio.Future[Customer | None] = self._loop.create_future()
        #: The groups a customer held at the door may join, and how they pick (set as they arrive).
        self._holding: tuple[tuple[LaneGroup, ...], Rule] | None = None

    async def produce(self) -> None:
        """The producer task: start the arrival chain, and wait at the door for whoever must.

        Done when arrivals are over and everyone who came is in a line (or gave up).
        """
        loop = self._loop
        try:
            self._time_next_arrival(0.0)
            while (customer := await self._door) is not None:
                self._door = loop.create_future()
                await self._let_in(customer, self._take_holding())
                # The next arrival is timed from when this one got in: the arrival
                # process was blocked. (Otherwise from the last one's scheduled time.)
                self._reference = loop.time()
                self._report_progress()
                self._after_arrival()
            while self._waits:  # fixed arrivals: those still at the door
                await asyncio.gather(*self._waits)
        finally:
            self.stop()

    def _take_holding(self) -> tuple[tuple[LaneGroup, ...], Rule]:
        """The groups the customer just held at the door may join, and how they pick."""
        holding = self._holding
        assert holding is not None
        self._holding = None
        return holding

    def _wait_alone(self, customer: Customer) -> None:
        """Fixed arrivals: the customer waits at the door in a task of their own, and the
        arrivals go on at their times (they queue at the door in the order they came)."""
        wait = self._loop.create_task(self._let_in(customer, self._take_holding()), name="at the door")
        self._waits.add(wait)
        wait.add_done_callback(self._waits.discard)

    def _time_next_arrival(self, reference: float) -> None:
        """Schedule the next arrival after ``reference``; when there is none, the end of arrivals.

        Past the limit, arrivals are over at once; otherwise the doors stay open until
        the end of the scenario's duration.
        """
        if self.made >= self._limit:
            _settle(self._door, None)
            return
        gap = self._gap
        if gap is not None:  # one at a time, a gap after the reference: no (time, size) pair
            when, size = reference + gap(), 1
        else:
            upcoming = self._arrivals.next(reference)
            when, size = upcoming if upcoming is not None else (math.inf, 0)
        if when >= self._end:  # or the process has no more (math.inf)
            if self._end < math.inf:  # the doors stay open until then
                self._pending = self._loop.call_at(self._end, _settle, self._door, None)
            else:
                _settle(self._door, None)
            return
        self._reference = when
        left = self._limit - self.made
        self._group_left = size if size <= left else int(left)
        # Each arrival runs where the producer task would if a timer woke it: after
        # whatever else is due at that instant and was scheduled first.
        self._wake_at(when)

    def _next_member(self) -> None:
        """The next member of the arriving group comes in (or, for an empty group, nobody)."""
        try:
            if self._group_left > 0:
                self._group_left -= 1
                self.made += 1
                customer = self._customers.make(self.made, self._loop.time())
                if self._arrive(customer):  # every line is full: the customer waits at the door
                    # At the door from now on, for a run stopped before their wait begins too.
                    self.held[customer] = None
                    if not self._fixed:  # and holds up the arrivals, as a blocked producer does
                        _settle(self._door, customer)
                        return
                    self._wait_alone(customer)
                if self._progress is not None:
                    self._report_progress()
            if self._group_left > 0:
                self._after_arrival()
            else:  # _after_arrival's commoner case, a call fewer per arrival
                self._time_next_arrival(self._reference)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:  # surfaces from the producer task, as it did from its body
            if not self._door.done():
                self._door.set_exception(error)

    def _report_progress(self) -> None:
        """Every 1,000 arrivals, tell the progress callback how far the run is."""
        if self._progress is not None and self.made % 1000 == 0:
            self._progress(min(1.0, max(self._loop.time() / self._end, self.made / self._limit)))

    def _after_arrival(self) -> None:
        """Let the group's next member in, or time the next arrival."""
        if self._group_left > 0:
            # A group arrives at one instant: let idle cashiers take whoever just joined
            # before the next one looks at the line, or a free till would look like a
            # full line.
            self._pending = self._loop.call_soon(self._next_member)
        else:
            self._time_next_arrival(self._reference)

    def stop(self) -> None:
        """No more arrivals: the run is over or was interrupted."""
        self._arrival.cancel()  # which also drops its reference to this door
        if self._pending is not None:
            self._pending.cancel()
        for wait in list(self._waits):
            wait.cancel()

    def _arrive(self, customer: Customer) -> bool:
        """Pick a line with room among those open to the customer and join it, or balk; True if
        they must wait at the door (every line open to them is full, and one holds arrivals).

        A plain function, not a coroutine: most arrivals never wait, and the producer
        only awaits (:meth:`_let_in`) when one has to.
        """
        only = self._only
        if only is not None:  # one group, one shared line: nobody picks
            place: Place | None = self._only_place
            if not only.unbounded and self._only_place.line.full():
                place = None
            groups: tuple[LaneGroup, ...] = self._only_groups
        else:
            groups, rule = self._router.open_to(customer)
            place = self._router.pick(groups, rule)
        found = place.line if place is not None else _shortest_line(groups)
        seen = len(found.customers) if found is not None else 0
        arrived = self._arrived
        if arrived is not None:
            index = None if place is None else place.group.index
            arrived(
                make(
                    CustomerArrived,
                    (
                        customer,
                        index,
                        customer.arrival,  # that is now
                        customer.id,
                        self._segment_names[customer.segment],
                        len(customer.scans),
                        None if index is None else self._group_names[index],
                        None if place is None else place.till,
                        seen,
                    ),
                )
            )
        if place is not None:
            self.join(customer, place)
            return False
        if any(group.plan.hold_at_door for group in groups):
            self._holding = self._router.open_to(customer)
            return True
        self._recorder.balked(customer, seen)
        return False

    def join(self, customer: Customer, place: Place, previous: LaneGroup | None = None) -> None:
        """Into the line at ``place``: payment and help taken, then the manager and patience told.

        ``previous``: the group of the line the customer switched from (see :mod:`.jockeying`);
        they were prepared there, and their patience is running already.
        """
        group = place.group
        if previous is None:
            if group.preparing:
                group.prepare(customer)
        elif previous is not group:
            group.adopt(customer, previous)
        try:
            place.line.put_nowait(customer)
        except asyncio.QueueFull:  # only an unbounded line, at MAX_WAITING
            raise Overloaded(self._overloaded(group)) from None
        customer.place = place
        if previous is None and group.watch_joins:
            if customer.patience is not None:
                customer.leave_timer = self._loop.call_at(
                    customer.arrival + customer.patience, self._renege, customer
                )
            if group.grew is not None:
                group.grew.set()
        jockeying = self.jockeying
        if previous is None and jockeying is not None and place.till is not None:
            jockeying.joined(place)

    def _overloaded(self, group: LaneGroup) -> str:
        """What to say when an unbounded line grew out of hand (the words a scenario used)."""
        now = self._loop.time()
        if not self._lanes:
            return (
                f"the line grew past {group.room:,} waiting customers at t={now:g}s: "
                "the tills cannot keep up; set queue.capacity or add cashiers"
            )
        return (
            f"the {group.name} line grew past {group.room:,} waiting customers at "
            f"t={now:g}s: the tills cannot keep up; set a capacity or add tills"
        )

    def _renege(self, customer: Customer) -> None:
        """Patience ran out: leave the line they are in (or the way to another)."""
        customer.leave_timer = None  # it has fired; it refers to the customer, so drop it
        place = customer.place
        if place is None:  # on the way from one line to another
            assert self.jockeying is not None
            self.jockeying.give_up(customer)
            return
        assert isinstance(place, Place)
        if place.line.leave(customer):
            self._recorder.gave_up(customer, reneged=True, group=place.group.index)
            if place.till is not None and self.jockeying is not None:
                self.jockeying.shorter(place)

    async def _let_in(self, customer: Customer, holding: tuple[tuple[LaneGroup, ...], Rule]) -> None:
        """Every line open to the customer was full: wait for the first place in any, then join."""
        groups, rule = holding
        place = await self._wait_for_room(customer, groups, rule)
        if place is not None:
            queue_length = len(place.line.customers)
            self.join(customer, place)
            self._recorder.admitted(customer, place.group.index, place.till, queue_length)

    async def _wait_for_room(
        self, customer: Customer, groups: tuple[LaneGroup, ...], rule: Rule
    ) -> Place | None:
        """Backpressure: wait for the first place in any line of ``groups``; None if never.

        Patience runs from arrival, so a customer held at the door may give up there;
        with ``drain: false`` anyone still at the door at closing time is unserved. A
        till opening with a line of its own is a place too.
        """
        patience = customer.arrival + customer.patience if customer.patience is not None else math.inf
        closing = self._closing if self._closing is not None else math.inf
        deadline = min(patience, closing)
        counted = groups[0].lines[0]  # the held customer counts as waiting, for Little's law
        self.held[customer] = None
        counted.hold()
        try:
            async with asyncio.timeout_at(deadline if deadline < math.inf else None):
                while (place := self._router.pick(groups, rule)) is None:
                    waiter: asyncio.Future[None] = self._loop.create_future()
                    lines = [p.line for g in groups for p in g.open_places]
                    for line in lines:
                        line.wake_on_room(waiter)
                    for g in groups:
                        g.wake_on_open(waiter)
                    try:
                        await waiter
                    finally:  # woken by one, or out of time: no line or group may keep it
                        for line in lines:
                            line.forget(waiter)
                        for g in groups:
                            g.forget(waiter)
        except TimeoutError:
            del self.held[customer]
            counted.release()
            self._recorder.gave_up(customer, reneged=patience <= closing)
            return None
        del self.held[customer]
        counted.release()
        return place


def _shortest_line(groups: tuple[LaneGroup, ...]) -> Line[Customer] | None:
    """The shortest line open to a customer whom every line turned away (the one they saw); None
    when no line is open to them (every till of theirs closing or on a break)."""
    return min(
        (place.line for group in groups for place in group.open_places),
        key=lambda line: len(line.customers),
        default=None,
    )
