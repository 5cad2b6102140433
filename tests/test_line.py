"""The waiting line: real asyncio queues in three orders, which customers can leave."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from checkout_sim._line import LifoLine, Line, PriorityLine, make_line


@dataclass(eq=False)
class Person:
    """A stand-in customer; deliberately not orderable."""

    id: int
    priority: int = 0


async def drain(line: Line[Person]) -> list[int]:
    """Take everyone out with get_nowait, in the line's order."""
    return [line.get_nowait().id for _ in range(line.qsize())]


@pytest.mark.asyncio
async def test_kinds_are_the_matching_asyncio_queues() -> None:
    """fifo/lifo/priority lines are asyncio.Queue, LifoQueue and PriorityQueue."""
    assert isinstance(make_line("fifo", None), asyncio.Queue)
    assert isinstance(make_line("lifo", None), asyncio.LifoQueue)
    assert isinstance(make_line("priority", None), asyncio.PriorityQueue)


@pytest.mark.asyncio
async def test_orders() -> None:
    """FIFO by arrival, LIFO reversed, priority by number then arrival — without comparing people."""
    people = [Person(1, 2), Person(2, 1), Person(3, 2), Person(4, 1), Person(5, 0)]
    expected = {"fifo": [1, 2, 3, 4, 5], "lifo": [5, 4, 3, 2, 1], "priority": [5, 2, 4, 1, 3]}
    for kind, order in expected.items():
        line: Line[Person] = make_line(kind, None)  # type: ignore[arg-type]
        for person in people:
            line.put_nowait(person)
        assert await drain(line) == order, kind


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", [Line, LifoLine, PriorityLine])
async def test_leave_removes_from_anywhere(kind: type[Line[Person]]) -> None:
    """A customer can leave from the middle; the rest keep their order and join() still ends."""
    line = kind()
    people = [Person(i, i % 2) for i in range(1, 6)]
    for person in people:
        line.put_nowait(person)
    assert line.leave(people[2]) is True
    assert line.leave(people[2]) is False
    assert line.qsize() == 4
    remaining = await drain(line)
    assert 3 not in remaining and sorted(remaining) == [1, 2, 4, 5]
    for _ in remaining:
        line.task_done()
    await asyncio.wait_for(line.join(), timeout=1)


@pytest.mark.asyncio
async def test_leaving_a_full_line_lets_a_blocked_put_in() -> None:
    """Backpressure: a put() blocked on a full line proceeds when someone leaves."""
    line: Line[Person] = make_line("fifo", 1)
    first, second = Person(1), Person(2)
    line.put_nowait(first)
    blocked = asyncio.create_task(line.put(second))
    await asyncio.sleep(0)
    assert not blocked.done()
    line.leave(first)
    await asyncio.wait_for(blocked, timeout=1)
    assert line.waiting() == [second]


@pytest.mark.asyncio
async def test_watcher_sees_every_length() -> None:
    """The watcher is told the length after every put, get and leave."""
    lengths: list[int] = []
    line: Line[Person] = make_line("priority", None, lengths.append)
    a, b = Person(1), Person(2)
    line.put_nowait(a)
    line.put_nowait(b)
    line.leave(a)
    line.get_nowait()
    assert lengths == [1, 2, 1, 0]
