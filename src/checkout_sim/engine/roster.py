"""A group's staffing over the day: its roster and its cashiers' breaks.

The roster says how many of the group's tills are staffed from when. At each change the
group is brought to the new number: the manager's extra tills, if any are open, are
taken into the roster first (nothing closes and opens again), then the lowest-numbered
closed tills open; or the roster's tills close, idle ones first (nobody waits for them),
highest number first among equals. A cashier on a break is on the roster: the roster
never calls one back, and a till coming back from a break after the roster went down
may be the one that then closes. The manager's extra tills (``scaling``) come on top.

Breaks: a till's cashier is due one after ``every`` seconds open (from its opening, or
the end of its last break); at most ``at_once`` of the group are away or leaving for one,
the others wait their turn, earliest due first; a break begins only within the window
(one due before it waits for its start, one not begun by its end is not taken). The
till closes for the break once free (an idle one at once) and reopens with its number.

Nothing here draws a random number: staffing changes which till serves a customer, not
who the customers are (common random numbers).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable

from ..observe.recorder import Recorder
from .customers import Customer
from .lanes import LaneGroup, Place
from .plan import GroupPlan
from .routing import Router
from .till import Till

__all__ = ["Mover", "Staff"]

#: Put a customer into the line at a place, having left a line of the given group (the door's).
Join = Callable[[Customer, Place, LaneGroup], None]


class Staff:
    """Keeps one group's roster and breaks (see :class:`.lanes.Staffing`)."""

    def __init__(self, group: LaneGroup, plan: GroupPlan, loop: asyncio.AbstractEventLoop) -> None:
        self._group = group
        self._loop = loop
        self._changes = plan.roster
        self._breaks = plan.breaks
        #: How many tills the roster staffs now.
        self.target = plan.count
        self._timers: list[asyncio.TimerHandle] = []
        #: Each open till's call for its next break, by number.
        self._due: dict[int, asyncio.TimerHandle] = {}
        #: Tills due a break and waiting their turn: (due at, number); :attr:`_waiting` says
        #: which entries still hold (a till that closed meanwhile leaves a stale one).
        self._turns: list[tuple[float, int]] = []
        self._waiting: dict[int, float] = {}
        #: Cashiers away on a break or told to leave for one.
        self.out = 0
        self._reconciling = False

    def start(self) -> None:
        """The shop is open with the roster's first number: set the timers of its changes."""
        loop = self._loop
        self._timers = [loop.call_at(when, self._change, count) for when, count in self._changes]

    def _change(self, count: int) -> None:
        self.target = count
        self.reconcile()

    def reconcile(self) -> None:
        """Bring the group's staffed tills to the roster's number (see the module's docstring)."""
        if self._reconciling:
            return  # a till closed at once while closing others: this call is doing it
        self._reconciling = True
        try:
            self._reconcile()
        finally:
            self._reconciling = False

    def _reconcile(self) -> None:
        group = self._group
        staffed = group.staffed()
        if staffed < self.target:
            for number in sorted(group.tills):
                till = group.tills[number]
                if staffed >= self.target:
                    break
                if till.extra:
                    till.extra = False  # the manager's till is the roster's now
                    staffed += 1
            while staffed < self.target and group.can_open():
                group.open_till(reason="roster")
                staffed += 1
        elif staffed > self.target:
            candidates = sorted(
                (till for till in group.tills.values() if not till.extra),
                key=lambda till: (group.busy(till), -till.number),
            )
            group.close_tills([till.number for till in candidates[: staffed - self.target]])

    # What the group tells (see :class:`.lanes.Staffing`)

    def opened(self, till: Till) -> None:
        """A till opened: its cashier's work begins, and with it the wait for a break."""
        breaks = self._breaks
        if breaks is not None:
            due = self._loop.time() + breaks.every
            self._due[till.number] = self._loop.call_at(due, self._due_now, till.number, due)

    def left(self, till: Till) -> None:
        """A till closed or left for a break: no break call for it is pending any more."""
        handle = self._due.pop(till.number, None)
        if handle is not None:
            handle.cancel()
        self._waiting.pop(till.number, None)
        if till.break_for is None and self._changes:
            self.reconcile()  # a number freed: the roster may be short of one

    def back(self, till: Till) -> None:
        """A cashier is back from a break: the next in turn may go, and the roster is applied
        (it may have gone down meanwhile)."""
        self.out -= 1
        self._next_break()
        if self._changes:
            self.reconcile()

    def stop(self) -> None:
        """The run is over: no more roster changes or breaks."""
        for handle in [*self._timers, *self._due.values()]:
            handle.cancel()
        self._timers.clear()
        self._due.clear()
        self._turns.clear()
        self._waiting.clear()

    # Breaks

    def _due_now(self, number: int, due: float) -> None:
        """Till ``number``'s cashier has worked ``every``: in the window, they wait their turn."""
        breaks = self._breaks
        assert breaks is not None
        del self._due[number]
        now = self._loop.time()
        if now < breaks.start:  # not yet: the window opens later
            self._due[number] = self._loop.call_at(breaks.start, self._due_now, number, due)
            return
        if now > breaks.end:
            return  # the window has closed: no break until the till opens afresh
        self._waiting[number] = due
        heapq.heappush(self._turns, (due, number))
        self._next_break()

    def _next_break(self) -> None:
        """Send the cashiers whose turn it is on their break, while fewer than ``at_once`` are out."""
        breaks = self._breaks
        if breaks is None:
            return
        group, turns = self._group, self._turns
        if self._loop.time() > breaks.end:
            turns.clear()
            self._waiting.clear()
            return
        while self.out < breaks.at_once and turns:
            due, number = heapq.heappop(turns)
            if self._waiting.get(number) != due:
                continue  # stale: the till closed, or its turn was taken already
            del self._waiting[number]
            if number not in group.tills:
                continue
            self.out += 1
            group.take_break(number, breaks.length)


class Mover:
    """``on_close: move``: the customers in the line at a closing till go to other lines.

    Each, in the order they joined, picks among the lines open to them by their own choice
    rule (the till that closes is no longer among them), as if arriving; one who finds no
    line with room stays, and the closing till serves them before it closes. Patience keeps
    running from arrival; nothing is drawn from the customers' stream.
    """

    def __init__(self, router: Router, join: Join, recorder: Recorder) -> None:
        self._router = router
        self._join = join
        self._recorder = recorder

    def __call__(self, place: Place) -> None:
        router, line, group = self._router, place.line, place.group
        for customer in line.waiting():
            groups, rule = router.open_to(customer)
            target = router.pick(groups, rule)
            if target is None:
                continue  # nowhere with room: served here
            line.leave(customer)
            self._recorder.moved(
                customer, place.till, target.till, target.group.index, len(target.line.customers)
            )
            self._join(customer, target, group)
