"""Jockeying: shoppers who switch to a shorter line at another till.

Whenever a line at a till gets shorter (a checkout ends, someone gives up or moves
away, a till opens), the last person in the longest line that is now at least their
segment's ``min_gain`` people longer moves to its end, if they may use that till; this
repeats until no one gains by moving. A length here counts the people in line, at the
till and on their way. Each move lowers the sum of the squared lengths, so it ends.

With a ``move_time``, the one who moves is on the way for that long, counted in the new
line's length (and as waiting, held at it) but in no line's queue; if the new line has
filled or its till closed meanwhile, they pick again among the lines open to them, or leave unserved. Patience
keeps running from arrival throughout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence

from ..observe.recorder import Recorder
from .customers import Customer
from .lanes import LaneGroup, Place
from .plan import JockeyPlan, Plan

#: Put a customer into the line at a place, having left a line of the given group (the door's).
Join = Callable[[Customer, Place, LaneGroup], None]

__all__ = ["Jockeying"]


class Jockeying:
    """Moves customers between the lines at tills of their own, as lines get shorter."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        plan: Plan,
        recorder: Recorder,
        groups: Sequence[LaneGroup],
        join: Join,
    ) -> None:
        self._loop = loop
        self._recorder = recorder
        self._groups = [group for group in groups if group.per_till]
        self._rules = plan.jockey
        self._open_to = [frozenset(indices) for indices in plan.open_to]
        self._join = join
        #: Customers on their way to another line: the timer of their arrival there, and the place.
        self._walking: dict[Customer, tuple[asyncio.TimerHandle, Place]] = {}
        self._everyone_arrived: asyncio.Future[None] | None = None

    def _may_use(self, customer: Customer, group: LaneGroup, segment: int) -> bool:
        """The customer's segment considers the group (``prefer`` narrows it), which takes the basket."""
        return group.index in self._open_to[segment] and (
            group.max_items is None or len(customer.scans) <= group.max_items
        )

    def joined(self, place: Place) -> None:
        """Someone joined the line at ``place`` (picked at random, say): look from the shortest line."""
        group = place.group
        shortest = min(group.open_places, key=Place.people)
        if shortest.people() + 2 <= place.people():
            self.shorter(shortest)

    def shorter(self, place: Place) -> None:
        """The line at ``place`` got shorter: move people into it (and on) while anyone gains by it."""
        todo = [place]
        while todo:
            target = todo.pop()
            source = self._move_into(target)
            if source is not None:
                todo += (source, target)  # both changed: look again at each

    def _move_into(self, target: Place) -> Place | None:
        """Move the last person of the longest line that gains by it to ``target``; the line they left."""
        group = target.group
        if target.till not in group.tills or target.full():
            return None
        here = target.people()
        best: Place | None = None
        best_length = here + 1  # a gain of 1 is never enough
        for other in self._groups:
            for place in other.open_places:
                if place is target or not place.line.customers:
                    continue
                length = place.people()
                if length <= best_length:
                    continue
                customer = place.line.last()
                segment = customer.segment
                rule = self._rules[segment]
                if (
                    rule is None
                    or length - here < rule.min_gain
                    or not self._may_use(customer, group, segment)
                ):
                    continue
                best, best_length = place, length
        if best is None:
            return None
        customer = best.line.take_last()
        rule = self._rules[customer.segment]
        assert rule is not None
        self._moved(customer, best, target, rule)
        return best

    def _moved(self, customer: Customer, source: Place, target: Place, rule: JockeyPlan) -> None:
        self._recorder.jockeyed(
            customer, source.till, target.till, target.group.index, len(target.line.customers)
        )
        if rule.move_time <= 0:
            self._join(customer, target, source.group)
            return
        customer.place = None
        target.coming += 1
        target.line.hold()  # waiting all the same: counted, for Little's law
        loop = self._loop
        handle = loop.call_at(loop.time() + rule.move_time, self._arrive, customer, target, source.group)
        self._walking[customer] = (handle, target)

    def _arrive(self, customer: Customer, target: Place, previous: LaneGroup) -> None:
        """A customer on the way reaches the line they chose: a place was kept for them there,
        and its till stays open while anyone is on the way (see :meth:`.lanes.LaneGroup.checkout_done`)."""
        del self._walking[customer]
        target.coming -= 1
        target.line.release()
        self._join(customer, target, previous)
        self._check_arrived()

    def give_up(self, customer: Customer) -> None:
        """Patience ran out on the way to another line."""
        handle, target = self._walking.pop(customer)
        handle.cancel()
        target.coming -= 1
        target.line.release()
        self._recorder.gave_up(customer, reneged=True, group=target.group.index)
        target.group.nobody_coming(target)
        self.shorter(target)
        self._check_arrived()

    def walking(self) -> Iterator[Customer]:
        """Everyone on the way from one line to another."""
        return iter(list(self._walking))

    def send_home(self) -> None:
        """Closing time without draining, or an interruption: whoever is on the way is unserved."""
        for customer, (handle, target) in list(self._walking.items()):
            handle.cancel()
            target.coming -= 1
            target.line.release()
            del self._walking[customer]
            if customer.leave_timer is not None:
                customer.leave_timer.cancel()
            self._recorder.gave_up(customer, reneged=False, group=target.group.index)
        self._check_arrived()

    async def settled(self) -> bool:
        """Wait until nobody is on the way; True if somebody was (lines may have grown again)."""
        if not self._walking:
            return False
        self._everyone_arrived = self._loop.create_future()
        await self._everyone_arrived
        return True

    def _check_arrived(self) -> None:
        waiter = self._everyone_arrived
        if not self._walking and waiter is not None:
            self._everyone_arrived = None
            if not waiter.done():
                waiter.set_result(None)
