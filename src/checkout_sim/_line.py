"""The waiting line: real asyncio queues that an impatient customer can leave from anywhere.

``asyncio.Queue`` keeps its items in ``self._queue`` and lets subclasses choose the
container through ``_init``/``_put``/``_get`` (that is how ``LifoQueue`` and
``PriorityQueue`` are made). Each line here stores customers by id in insertion
order, so a customer who reneges is removed in O(1), and the three orders differ
only in which customer :meth:`_Waiting.pop` hands out next.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Literal, Protocol, TypeVar, cast

__all__ = ["Line", "LineWatcher", "Waiting", "make_line"]


class Waiting(Protocol):
    """What a line needs to know about a customer."""

    id: int
    priority: int


W = TypeVar("W", bound=Waiting)


#: Told the new length whenever the line grows or shrinks (for time averages).
LineWatcher = Callable[[int], None]


class _Waiting(OrderedDict[int, Waiting]):
    """Customers in arrival order, keyed by id; ``pop`` takes the first (FIFO).

    An ``OrderedDict`` itself rather than a wrapper, so ``len()`` (asked by every
    ``qsize``, ``empty`` and ``full``) is a C call.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[Waiting]:  # type: ignore[override]  # customers, not ids
        return iter(self.values())

    def push(self, customer: Waiting) -> None:
        self[customer.id] = customer

    def pop(self) -> Waiting:  # type: ignore[override]  # the line's next customer
        return self.popitem(last=False)[1]

    def remove(self, customer: Waiting) -> bool:
        return super().pop(customer.id, None) is not None


class _LastFirst(_Waiting):
    """``pop`` takes the latest arrival (LIFO)."""

    __slots__ = ()

    def pop(self) -> Waiting:  # type: ignore[override]
        return self.popitem(last=True)[1]


class _ByPriority(_Waiting):
    """``pop`` takes the earliest arrival of the lowest priority number present.

    One FIFO per priority level: customers are never compared with each other, and
    ties within a level are broken by arrival order.
    """

    def __init__(self) -> None:
        super().__init__()
        self._levels: dict[int, OrderedDict[int, Waiting]] = {}

    def push(self, customer: Waiting) -> None:
        super().push(customer)
        level = self._levels.get(customer.priority)
        if level is None:
            level = self._levels[customer.priority] = OrderedDict()
            self._levels = dict(sorted(self._levels.items()))
        level[customer.id] = customer

    def pop(self) -> Waiting:  # type: ignore[override]
        for level in self._levels.values():
            if level:
                customer = level.popitem(last=False)[1]
                del self[customer.id]
                return customer
        raise IndexError("pop from an empty line")

    def remove(self, customer: Waiting) -> bool:
        if not super().remove(customer):
            return False
        del self._levels[customer.priority][customer.id]
        return True


class Line(asyncio.Queue[W]):
    """A FIFO ``asyncio.Queue`` of customers that reports its length and allows reneging."""

    _order: type[_Waiting] = _Waiting
    _queue: _Waiting
    _is_shutdown = False  # Python 3.13+ sets it on each queue; before, queues never shut down

    def __init__(self, maxsize: int = 0, watcher: LineWatcher | None = None) -> None:
        self._watcher: LineWatcher = watcher or _ignore
        super().__init__(maxsize)

    def put_nowait(self, item: W) -> None:
        """``Queue.put_nowait`` with its steps written out: it runs for every arrival.

        A full or shut-down line is left to ``Queue.put_nowait``, which raises.
        """
        if self._is_shutdown or 0 < self._maxsize <= len(self._queue):  # type: ignore[attr-defined]
            super().put_nowait(item)
            return
        self._put(item)
        if not self._unfinished_tasks:  # type: ignore[attr-defined]  # else ``_finished`` is clear already
            self._finished.clear()  # type: ignore[attr-defined]
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        if self._getters:  # type: ignore[attr-defined]
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def get_nowait(self) -> W:
        """``Queue.get_nowait`` with its steps written out: it runs for every customer served.

        An empty line is left to ``Queue.get_nowait``, which raises.
        """
        if not self._queue:
            return super().get_nowait()
        item = self._get()
        if self._putters:  # type: ignore[attr-defined]
            self._wakeup_next(self._putters)  # type: ignore[attr-defined]
        return item

    def _init(self, maxsize: int) -> None:
        self._queue = self._order()

    def _put(self, item: W) -> None:
        self._queue.push(item)
        self._watcher(len(self._queue))

    def _get(self) -> W:
        item = self._queue.pop()
        self._watcher(len(self._queue))
        return item  # type: ignore[return-value]  # the line holds only W

    def leave(self, customer: W) -> bool:
        """Take ``customer`` out of the line if still there; True if it was.

        Counts as done for :meth:`join` and frees a place for a blocked ``put``, exactly
        as if a cashier had taken the customer and finished.
        """
        if not self._queue.remove(customer):
            return False
        self._watcher(len(self._queue))
        self.task_done()
        self._wakeup_next(self._putters)  # type: ignore[attr-defined]
        return True

    def waiting(self) -> list[W]:
        """The customers in the line, in arrival order."""
        return cast(list[W], list(self._queue))


class LifoLine(Line[W], asyncio.LifoQueue[W]):
    """The line as an ``asyncio.LifoQueue``: the latest arrival is served first."""

    _order = _LastFirst


class PriorityLine(Line[W], asyncio.PriorityQueue[W]):  # type: ignore[type-var]  # never compares
    """The line as an ``asyncio.PriorityQueue``: by segment priority, then arrival order."""

    _order = _ByPriority


def _ignore(length: int) -> None:
    """The default watcher."""


_LINES: dict[str, type[Line[Waiting]]] = {"fifo": Line, "lifo": LifoLine, "priority": PriorityLine}


def make_line(
    kind: Literal["fifo", "lifo", "priority"],
    capacity: int | None,
    watcher: LineWatcher | None = None,
) -> Line[W]:
    """The line for a scenario's ``queue.kind`` and ``queue.capacity`` (None: unbounded)."""
    return cast(Line[W], _LINES[kind](capacity or 0, watcher))
