"""The waiting line: real asyncio queues that an impatient customer can leave from anywhere.

A line is an ``asyncio.Queue`` (through :class:`~checkout_sim.engine.clock.QueueCore`,
which holds every private asyncio name the line relies on) over a container the line
makes. Each line here keeps its customers in insertion order, so a customer who
reneges is removed in O(1), and the three orders differ only in which customer
:meth:`_Waiting.take` hands out next. A line that nobody leaves early (no customer has
patience) keeps them in a ``deque`` instead, whose ``push`` and ``take`` are cheaper still.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterator
from typing import Any, Literal, Protocol, TypeVar, cast

from .clock import QueueCore

__all__ = ["Line", "Waiting", "Weigh", "make_line"]


class Waiting(Protocol):
    """What a line needs to know about a customer."""

    id: int
    priority: int


W = TypeVar("W", bound=Waiting)


class _Container(Collection[Waiting], Protocol):
    """What a line keeps its customers in: the order policy is ``take``."""

    def push(self, customer: Waiting, /) -> object: ...

    def take(self) -> Waiting: ...

    def pop_last(self) -> Waiting: ...

    def __reversed__(self) -> Iterator[Waiting]: ...

    def discard(self, customer: Waiting, /) -> bool: ...


class _InOrder(OrderedDict[Waiting, None]):
    """Customers in arrival order (the keys), any of whom can leave in O(1).

    An ``OrderedDict`` itself rather than a wrapper, so ``len()`` (asked by every
    ``qsize``, ``empty`` and ``full``) is a C call.
    """

    __slots__ = ()

    def pop_last(self) -> Waiting:
        """The last to join (the one at the back of the line), taken out."""
        return self.popitem(last=True)[0]

    def discard(self, customer: Waiting) -> bool:
        """Take ``customer`` out if there; True if they were."""
        if customer not in self:
            return False
        del self[customer]
        return True


class _Waiting(_InOrder):
    """``take`` takes the first to arrive (FIFO); ``push`` is a C call."""

    __slots__ = ()

    push = OrderedDict.setdefault  # adds the customer at the end

    def take(self) -> Waiting:
        """The line's next customer, taken out."""
        return self.popitem(last=False)[0]


class _LastFirst(_Waiting):
    """``take`` takes the latest arrival (LIFO)."""

    __slots__ = ()

    def take(self) -> Waiting:
        return self.popitem(last=True)[0]


class _Staying(deque[Waiting]):
    """Customers in arrival order, for a line nobody leaves early; ``take`` takes the first (FIFO).

    When no customer has patience, only closing time takes people out of the line,
    and it takes them from the front; so a ``deque`` serves, whose ``push`` and
    ``take`` are C methods with no Python frame. :meth:`discard` is O(n) here.
    """

    __slots__ = ()

    push = deque.append
    take = deque.popleft
    pop_last = deque.pop

    def discard(self, customer: Waiting) -> bool:
        """Take ``customer`` out if there; True if they were."""
        try:
            self.remove(customer)
        except ValueError:
            return False
        return True


class _StayingLastFirst(_Staying):
    """``take`` takes the latest arrival (LIFO), for a line nobody leaves early."""

    __slots__ = ()

    take = deque.pop


class _ByPriority(_InOrder):
    """``take`` takes the earliest arrival of the lowest priority number present.

    One FIFO per priority level: customers are never compared with each other, and
    ties within a level are broken by arrival order.
    """

    def __init__(self) -> None:
        super().__init__()
        self._levels: dict[int, OrderedDict[Waiting, None]] = {}

    def push(self, customer: Waiting) -> None:
        self[customer] = None
        level = self._levels.get(customer.priority)
        if level is None:
            level = self._levels[customer.priority] = OrderedDict()
            self._levels = dict(sorted(self._levels.items()))
        level[customer] = None

    def pop_last(self) -> Waiting:
        customer = next(reversed(self))
        self.discard(customer)
        return customer

    def take(self) -> Waiting:
        for level in self._levels.values():
            if level:
                customer = level.popitem(last=False)[0]
                del self[customer]
                return customer
        raise IndexError("take from an empty line")

    def discard(self, customer: Waiting) -> bool:
        if not super().discard(customer):
            return False
        del self._levels[customer.priority][customer]
        return True


class Line(QueueCore[W]):
    """A FIFO ``asyncio.Queue`` of customers that allows reneging and measures its own length.

    Measured over time on ``clock`` (the running loop's, unless given): :attr:`area`
    is the integral of the length, :attr:`waiting_area` that of the length plus the
    customers held at the door (blocked in :meth:`put`), and :attr:`peak` the greatest
    length that lasted (a customer put in and taken at the same instant never waited).
    Read them after :meth:`measure`, which brings them up to the clock's time.

    :attr:`customers` is the live collection of the customers in line, typed read-only
    (``len(line.customers)`` is ``qsize()`` without a Python-level call).

    ``put_nowait``, ``get_nowait`` (written out for speed), ``wake_on_room``, ``forget``
    and ``finished`` come from :class:`~checkout_sim.engine.clock.QueueCore`, which calls
    :meth:`measure` before every change in length.
    """

    _order: type[_Container] = _Waiting  # when customers may leave from anywhere
    _order_staying: type[_Container] = _Staying  # when nobody leaves early
    customers: Collection[Waiting]
    #: Kept only by a line made with ``weigh`` (see :class:`_Weighed`); a plain line has neither.
    items: int
    work: int
    seconds: float

    def __init__(
        self, maxsize: int = 0, clock: Callable[[], float] | None = None, *, leaving: bool = True
    ) -> None:
        """Without a ``clock``, the line is made inside a running loop and measures on its time.

        ``leaving=False`` promises that customers leave only from the front (nobody
        has patience), which lets the line use a faster container.
        """
        in_line = (self._order if leaving else self._order_staying)()
        super().__init__(maxsize, in_line)
        self._in_line = in_line
        self.customers = in_line
        self._clock = clock or asyncio.get_running_loop().time
        self._since = self._clock()
        self._held = 0
        self.area = 0.0
        self.waiting_area = 0.0
        self.peak = 0
        #: The greatest length that lasted since :meth:`take_recent` last asked (figures per interval).
        self.recent = 0

    async def put(self, item: W) -> None:
        """``Queue.put``, counting the customer as held at the door while it blocks."""
        self.measure()
        self._held += 1
        try:
            await super().put(item)
        finally:
            self.measure()
            self._held -= 1

    def hold(self) -> None:
        """Count one more customer held at the door for this line (waiting, not yet in it)."""
        self.measure()
        self._held += 1

    def release(self) -> None:
        """A customer counted by :meth:`hold` has left the door."""
        self.measure()
        self._held -= 1

    def measure(self) -> None:
        """Bring :attr:`area`, :attr:`waiting_area` and :attr:`peak` up to the clock's time.

        The line calls it before every change in its length, so each length is counted
        for exactly as long as it lasted.
        """
        now = self._clock()
        if now > self._since:
            elapsed, length = now - self._since, len(self._in_line)
            self.area += length * elapsed
            self.waiting_area += (length + self._held) * elapsed
            if length > self.peak:  # noqa: PLR1730  # cheaper than max() here
                self.peak = length
            if length > self.recent:  # noqa: PLR1730
                self.recent = length
            self._since = now

    def take_recent(self) -> int:
        """The greatest length that lasted since the last call (up to now), and start afresh.

        What an interval's longest line is: the length at the boundary carries on into
        the next interval, where it counts once it has lasted.
        """
        self.measure()
        recent, self.recent = self.recent, 0
        return recent

    def leave(self, customer: W) -> bool:
        """Take ``customer`` out of the line if still there; True if it was.

        Counts as done for :meth:`join` and frees a place for a blocked ``put``, exactly
        as if a cashier had taken the customer and finished.
        """
        if customer not in self._in_line:
            return False
        self.measure()
        self._in_line.discard(customer)
        self.task_done()
        self._wake_putter()
        return True

    def last(self) -> W:
        """The last to join who is still in line (the line must not be empty)."""
        return cast(W, next(reversed(self._in_line)))

    def take_last(self) -> W:
        """Take the last to join out of the line (they move elsewhere), as :meth:`leave` does."""
        self.measure()
        customer = cast(W, self._in_line.pop_last())
        self.task_done()
        self._wake_putter()
        return customer

    def waiting(self) -> list[W]:
        """The customers in the line, in arrival order."""
        return cast(list[W], list(self._in_line))


class LifoLine(Line[W], asyncio.LifoQueue[W]):
    """The line as an ``asyncio.LifoQueue``: the latest arrival is served first."""

    _order = _LastFirst
    _order_staying = _StayingLastFirst


class PriorityLine(Line[W], asyncio.PriorityQueue[Any]):  # Any: the line never compares customers
    """The line as an ``asyncio.PriorityQueue``: by segment priority, then arrival order."""

    _order = _order_staying = _ByPriority


#: What a customer brings to a line, as whole numbers: items, and expected work (see :class:`_Weighed`).
Weigh = Callable[[W], tuple[int, int]]


class _Weighed(Line[W]):
    """A line that keeps running totals of what its customers bring: :attr:`items` and :attr:`work`.

    Shoppers who pick the line with the fewest items or the least work ahead would otherwise
    add up every basket in every line at each arrival, a cost that grows with the lines.
    The totals change where a customer joins or leaves (served, gave up, moved to another
    line, sent home), by the very numbers ``weigh`` gave when they joined (a customer's
    basket does not change while they are in line). Both are whole numbers, so the totals
    are exact however many customers came and went: a float sum would drift, and two lines
    that are equal could compare as unequal.
    """

    def __init__(
        self,
        maxsize: int = 0,
        clock: Callable[[], float] | None = None,
        *,
        leaving: bool = True,
        weigh: Weigh[W],
        scale: int = 1,
    ) -> None:
        super().__init__(maxsize, clock, leaving=leaving)
        self._weigh = weigh
        #: The items in the customers' baskets, of all customers in the line.
        self.items = 0
        #: The sum of the customers' expected work, exact, in the unit ``weigh`` chose.
        self.work = 0
        #: :attr:`work` divided by ``scale``, correctly rounded: kept as it changes, read
        #: at every arrival (a division of such large whole numbers is not cheap).
        self.seconds = 0.0
        self._scale = scale

    def _add(self, customer: W) -> None:
        items, work = self._weigh(customer)
        self.items += items
        self.work += work
        self.seconds = self.work / self._scale  # int / int: correctly rounded

    def _take(self, customer: W) -> None:
        items, work = self._weigh(customer)
        self.items -= items
        self.work -= work
        self.seconds = self.work / self._scale

    def put_nowait(self, item: W) -> None:
        """In line (a full line raises first, and nothing is counted)."""
        super().put_nowait(item)
        self._add(item)

    def get_nowait(self) -> W:
        """To the till (``Queue.get`` ends here too, once a customer is there to take)."""
        customer = super().get_nowait()
        self._take(customer)
        return customer

    def leave(self, customer: W) -> bool:
        if not super().leave(customer):
            return False
        self._take(customer)
        return True

    def take_last(self) -> W:
        customer = super().take_last()
        self._take(customer)
        return customer

    # Reached only through asyncio's own paths into the container (never by the methods
    # above, which push and take themselves), such as Queue.shutdown: counted all the same.

    def _push(self, item: W) -> None:
        super()._push(item)
        self._add(item)

    def _pop(self) -> W:
        customer = super()._pop()
        self._take(customer)
        return customer


class _WeighedLifo(_Weighed[W], LifoLine[W]):
    """A LIFO line with running totals."""


class _WeighedPriority(_Weighed[W], PriorityLine[W]):
    """A priority line with running totals."""


_LINES: dict[str, type[Line[Waiting]]] = {"fifo": Line, "lifo": LifoLine, "priority": PriorityLine}
_WEIGHED: dict[str, type[_Weighed[Waiting]]] = {
    "fifo": _Weighed,
    "lifo": _WeighedLifo,
    "priority": _WeighedPriority,
}


def make_line(
    kind: Literal["fifo", "lifo", "priority"],
    capacity: int | None,
    clock: Callable[[], float] | None = None,
    *,
    leaving: bool = True,
    weigh: Weigh[W] | None = None,
    scale: int = 1,
) -> Line[W]:
    """The line for a scenario's ``queue.kind`` and ``queue.capacity`` (None: unbounded).

    ``leaving=False``: nobody leaves but from the front (see :class:`Line`). With
    ``weigh``, the line keeps running totals of its customers' items and work, and the
    work in seconds, which is the work divided by ``scale`` (see :class:`_Weighed`);
    without, it costs nothing more.
    """
    if weigh is None:
        return cast(Line[W], _LINES[kind](capacity or 0, clock, leaving=leaving))
    weighs = cast("Weigh[Waiting]", weigh)  # the line is made for W; the table holds it for any
    return cast(Line[W], _WEIGHED[kind](capacity or 0, clock, leaving=leaving, weigh=weighs, scale=scale))
