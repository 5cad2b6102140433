"""The waiting line: real asyncio queues that an impatient customer can leave from anywhere.

``asyncio.Queue`` keeps its items in ``self._queue`` and lets subclasses choose the
container through ``_init``/``_put``/``_get`` (that is how ``LifoQueue`` and
``PriorityQueue`` are made). Each line here keeps its customers in insertion
order, so a customer who reneges is removed in O(1), and the three orders differ
only in which customer :meth:`_Waiting.pop` hands out next. A line that nobody
leaves early (no customer has patience) keeps them in a ``deque`` instead, whose
``push`` and ``pop`` are cheaper still.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterator
from typing import Literal, Protocol, TypeVar, cast

__all__ = ["Line", "Waiting", "Weigh", "make_line"]


class Waiting(Protocol):
    """What a line needs to know about a customer."""

    id: int
    priority: int


W = TypeVar("W", bound=Waiting)


class _Container(Collection[Waiting], Protocol):
    """What a line keeps its customers in: the order policy is ``pop``."""

    def push(self, customer: Waiting, /) -> object: ...

    def pop(self) -> Waiting: ...

    def pop_last(self) -> Waiting: ...

    def __reversed__(self) -> Iterator[Waiting]: ...

    def remove(self, customer: Waiting, /) -> bool: ...


class _Waiting(OrderedDict[Waiting, None]):
    """Customers in arrival order (the keys); ``pop`` takes the first (FIFO).

    An ``OrderedDict`` itself rather than a wrapper, so ``len()`` (asked by every
    ``qsize``, ``empty`` and ``full``) and ``push`` are C calls.
    """

    __slots__ = ()

    push = OrderedDict.setdefault  # adds the customer at the end

    def pop(self) -> Waiting:  # type: ignore[override]  # the line's next customer
        return self.popitem(last=False)[0]

    def pop_last(self) -> Waiting:
        """The last to join (the one at the back of the line), taken out."""
        return self.popitem(last=True)[0]

    def remove(self, customer: Waiting) -> bool:
        if customer not in self:
            return False
        del self[customer]
        return True


class _LastFirst(_Waiting):
    """``pop`` takes the latest arrival (LIFO)."""

    __slots__ = ()

    def pop(self) -> Waiting:  # type: ignore[override]
        return self.popitem(last=True)[0]


class _Staying(deque[Waiting]):
    """Customers in arrival order, for a line nobody leaves early; ``pop`` takes the first (FIFO).

    When no customer has patience, only closing time takes people out of the line,
    and it takes them from the front; so a ``deque`` serves, whose ``push`` and
    ``pop`` are C methods with no Python frame. :meth:`remove` is O(n) here.
    """

    __slots__ = ()

    push = deque.append
    pop = deque.popleft
    pop_last = deque.pop

    def remove(self, customer: Waiting) -> bool:  # type: ignore[override]
        try:
            deque.remove(self, customer)
        except ValueError:
            return False
        return True


class _StayingLastFirst(_Staying):
    """``pop`` takes the latest arrival (LIFO), for a line nobody leaves early."""

    __slots__ = ()

    pop = deque.pop


class _ByPriority(_Waiting):
    """``pop`` takes the earliest arrival of the lowest priority number present.

    One FIFO per priority level: customers are never compared with each other, and
    ties within a level are broken by arrival order.
    """

    def __init__(self) -> None:
        super().__init__()
        self._levels: dict[int, OrderedDict[Waiting, None]] = {}

    def push(self, customer: Waiting) -> None:  # type: ignore[override]
        self[customer] = None
        level = self._levels.get(customer.priority)
        if level is None:
            level = self._levels[customer.priority] = OrderedDict()
            self._levels = dict(sorted(self._levels.items()))
        level[customer] = None

    def pop_last(self) -> Waiting:
        customer = next(reversed(self))
        self.remove(customer)
        return customer

    def pop(self) -> Waiting:  # type: ignore[override]
        for level in self._levels.values():
            if level:
                customer = level.popitem(last=False)[0]
                del self[customer]
                return customer
        raise IndexError("pop from an empty line")

    def remove(self, customer: Waiting) -> bool:
        if not super().remove(customer):
            return False
        del self._levels[customer.priority][customer]
        return True


class Line(asyncio.Queue[W]):
    """A FIFO ``asyncio.Queue`` of customers that allows reneging and measures its own length.

    Measured over time on ``clock`` (the running loop's, unless given): :attr:`area`
    is the integral of the length, :attr:`waiting_area` that of the length plus the
    customers held at the door (blocked in :meth:`put`), and :attr:`peak` the greatest
    length that lasted (a customer put in and taken at the same instant never waited).
    Read them after :meth:`measure`, which brings them up to the clock's time.

    :attr:`customers` is the live collection of the customers in line, typed read-only
    (``len(line.customers)`` is ``qsize()`` without a Python-level call).
    """

    _order: type[_Container] = _Waiting  # when customers may leave from anywhere
    _order_staying: type[_Container] = _Staying  # when nobody leaves early
    _queue: _Container
    customers: Collection[Waiting]
    #: Kept only by a line made with ``weigh`` (see :class:`_Weighed`); a plain line has neither.
    items: int
    work: int
    seconds: float
    _is_shutdown = False  # Python 3.13+ sets it on each queue; before, queues never shut down

    def __init__(
        self, maxsize: int = 0, clock: Callable[[], float] | None = None, *, leaving: bool = True
    ) -> None:
        """Without a ``clock``, the line is made inside a running loop and measures on its time.

        ``leaving=False`` promises that customers leave only from the front (nobody
        has patience), which lets the line use a faster container.
        """
        if not leaving:
            self._order = self._order_staying
        super().__init__(maxsize)
        self._clock = clock or asyncio.get_running_loop().time
        self._since = self._clock()
        self._held = 0
        self.area = 0.0
        self.waiting_area = 0.0
        self.peak = 0

    def put_nowait(self, item: W) -> None:
        """``Queue.put_nowait`` written out (it runs for every arrival), measuring the line first.

        A full or shut-down line is left to ``Queue.put_nowait``, which raises.
        """
        if self._is_shutdown or 0 < self._maxsize <= len(self._queue):  # type: ignore[attr-defined]
            super().put_nowait(item)
            return
        self.measure()
        self._queue.push(item)
        if not self._unfinished_tasks:  # type: ignore[attr-defined]  # else ``_finished`` is clear already
            self._finished.clear()  # type: ignore[attr-defined]
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        if self._getters:  # type: ignore[attr-defined]
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def get_nowait(self) -> W:
        """``Queue.get_nowait`` written out (it runs for every customer served), measuring first.

        An empty line is left to ``Queue.get_nowait``, which raises.
        """
        if not self._queue:
            return super().get_nowait()
        self.measure()
        item: W = self._queue.pop()  # type: ignore[assignment]
        if self._putters:  # type: ignore[attr-defined]
            self._wakeup_next(self._putters)  # type: ignore[attr-defined]
        return item

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

    def wake_on_room(self, waiter: asyncio.Future[None]) -> None:
        """Resolve ``waiter`` when a place frees in this line, as a blocked ``put`` is woken."""
        self._putters.append(waiter)  # type: ignore[attr-defined]

    def forget(self, waiter: asyncio.Future[None]) -> None:
        """Stop waking ``waiter`` (it was woken, by this line or another, or gave up)."""
        with contextlib.suppress(ValueError):
            self._putters.remove(waiter)  # type: ignore[attr-defined]

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the line is bound to: found on first use, as asyncio does, then remembered.

        asyncio asks for the running loop again on every blocking ``get`` or ``put``,
        to check it is the same one; on Python 3.11 that costs a ``getpid()`` system
        call, once for each customer who finds a cashier idle. A line belongs to one
        run on one loop, so it skips the check.
        """
        loop: asyncio.AbstractEventLoop | None = self._loop  # type: ignore[attr-defined]
        return loop if loop is not None else super()._get_loop()  # type: ignore[misc]

    def _init(self, maxsize: int) -> None:
        self._queue = self._order()
        self.customers = self._queue

    # put_nowait and get_nowait above do these themselves; these two are reached only
    # through Queue.put and Queue.get, when the line shuts down (Python 3.13+) or is subclassed.

    def _put(self, item: W) -> None:
        self.measure()
        self._queue.push(item)

    def _get(self) -> W:
        self.measure()
        return self._queue.pop()  # type: ignore[return-value]  # the line holds only W

    def measure(self) -> None:
        """Bring :attr:`area`, :attr:`waiting_area` and :attr:`peak` up to the clock's time."""
        now = self._clock()
        if now > self._since:
            elapsed, length = now - self._since, len(self._queue)
            self.area += length * elapsed
            self.waiting_area += (length + self._held) * elapsed
            if length > self.peak:  # noqa: PLR1730  # cheaper than max() here
                self.peak = length
            self._since = now

    def leave(self, customer: W) -> bool:
        """Take ``customer`` out of the line if still there; True if it was.

        Counts as done for :meth:`join` and frees a place for a blocked ``put``, exactly
        as if a cashier had taken the customer and finished.
        """
        if customer not in self._queue:
            return False
        self.measure()
        self._queue.remove(customer)
        self.task_done()
        self._wakeup_next(self._putters)  # type: ignore[attr-defined]
        return True

    def finished(self) -> bool:
        """Every customer put in has been served or has left (``join`` would not wait)."""
        return not self._unfinished_tasks  # type: ignore[attr-defined]

    def last(self) -> W:
        """The last to join who is still in line (the line must not be empty)."""
        return cast(W, next(reversed(self._queue)))

    def take_last(self) -> W:
        """Take the last to join out of the line (they move elsewhere), as :meth:`leave` does."""
        self.measure()
        customer = cast(W, self._queue.pop_last())
        self.task_done()
        self._wakeup_next(self._putters)  # type: ignore[attr-defined]
        return customer

    def waiting(self) -> list[W]:
        """The customers in the line, in arrival order."""
        return cast(list[W], list(self._queue))


class LifoLine(Line[W], asyncio.LifoQueue[W]):
    """The line as an ``asyncio.LifoQueue``: the latest arrival is served first."""

    _order = _LastFirst
    _order_staying = _StayingLastFirst


class PriorityLine(Line[W], asyncio.PriorityQueue[W]):  # type: ignore[type-var]  # never compares
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

    # Reached only through Queue's own put_nowait and get_nowait (never by the methods
    # above, which push and pop themselves) and Queue.shutdown: counted all the same.

    def _put(self, item: W) -> None:
        super()._put(item)
        self._add(item)

    def _get(self) -> W:
        customer = super()._get()
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
    line = _WEIGHED[kind](capacity or 0, clock, leaving=leaving, weigh=weigh, scale=scale)  # type: ignore[arg-type]
    return cast(Line[W], line)
