"""The waiting line: real asyncio queues in three orders, which customers can leave."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal, Protocol, cast

import pytest

from checkout_sim.engine.line import LifoLine, Line, PriorityLine, make_line

Kind = Literal["fifo", "lifo", "priority"]
KINDS: list[Kind] = ["fifo", "lifo", "priority"]


class ShutsDown(Protocol):
    """``Queue.shutdown``, Python 3.13+ (the type stubs are read for 3.11)."""

    def shutdown(self, immediate: bool = False) -> None: ...


#: asyncio.QueueShutDown where queues shut down (3.13+).
QueueShutDown: type[Exception] = vars(asyncio).get("QueueShutDown", Exception)


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


# Every behaviour holds for both containers: customers who may leave from anywhere
# (leaving=True, an OrderedDict) and a line nobody leaves early (leaving=False, a deque).
BOTH = pytest.mark.parametrize("leaving", [True, False], ids=["leaving", "staying"])


@pytest.mark.asyncio
@BOTH
async def test_orders(leaving: bool) -> None:
    """FIFO by arrival, LIFO reversed, priority by number then arrival — without comparing people."""
    people = [Person(1, 2), Person(2, 1), Person(3, 2), Person(4, 1), Person(5, 0)]
    expected: dict[Kind, list[int]] = {
        "fifo": [1, 2, 3, 4, 5],
        "lifo": [5, 4, 3, 2, 1],
        "priority": [5, 2, 4, 1, 3],
    }
    for kind, order in expected.items():
        line: Line[Person] = make_line(kind, None, leaving=leaving)
        for person in people:
            line.put_nowait(person)
        assert await drain(line) == order, kind


@pytest.mark.asyncio
@BOTH
@pytest.mark.parametrize("kind", [Line, LifoLine, PriorityLine])
async def test_leave_removes_from_anywhere(kind: type[Line[Person]], leaving: bool) -> None:
    """A customer can leave from the middle; the rest keep their order and join() still ends."""
    line = kind(leaving=leaving)
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


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
@BOTH
@pytest.mark.parametrize("kind", KINDS)
async def test_the_line_measures_its_length_over_time(kind: Kind, leaving: bool) -> None:
    """Area, waiting area (with those held at the door) and the longest length that lasted, by hand."""
    clock = FakeClock()
    line: Line[Person] = make_line(kind, 2, clock, leaving=leaving)
    a, b, c = Person(1), Person(2, 1), Person(3)
    line.put_nowait(a)
    line.get_nowait()  # in and out at t=0: length 1 never lasted
    clock.now = 1.0
    line.put_nowait(a)
    line.put_nowait(b)  # length 2 from t=1
    held = asyncio.create_task(line.put(c))  # c is held at the door from t=1
    await asyncio.sleep(0)
    clock.now = 3.0
    line.leave(b)  # length 1 from t=3; c gets in
    await held  # length 2, nobody held, from t=3
    clock.now = 4.0
    line.get_nowait()
    line.measure()
    assert (line.area, line.waiting_area, line.peak) == (0 + 2 * 2 + 2 * 1, 0 + 3 * 2 + 2 * 1, 2)
    clock.now = 6.0
    line.measure()
    assert (line.area, line.waiting_area) == (8.0, 10.0)


@pytest.mark.asyncio
async def test_a_length_that_never_lasted_is_not_the_peak() -> None:
    """Three in and two out at one instant: the peak is the length that then lasted, 1, not 3."""
    clock = FakeClock()
    line: Line[Person] = make_line("fifo", None, clock)
    for number in (1, 2, 3):
        line.put_nowait(Person(number))
    line.get_nowait()
    line.get_nowait()
    clock.now = 2.0
    line.get_nowait()
    line.measure()
    assert (line.peak, line.area) == (1, 2.0)
    clock.now = 3.0
    line.measure()
    assert (line.peak, line.area) == (1, 2.0)


@pytest.mark.asyncio
async def test_a_blocked_put_that_times_out_stops_counting_as_held() -> None:
    """Held at the door from t=1 until a timeout at t=4: 3 s of waiting area, and nobody held after."""
    clock = FakeClock()
    line: Line[Person] = make_line("fifo", 1, clock)
    line.put_nowait(Person(1))
    clock.now = 1.0

    async def put_with_timeout() -> None:
        async with asyncio.timeout(0.01):
            await line.put(Person(2))

    blocked = asyncio.create_task(put_with_timeout())
    await asyncio.sleep(0)  # the put blocks: held from t=1
    clock.now = 4.0
    with pytest.raises(TimeoutError):
        await blocked
    clock.now = 6.0
    line.measure()
    assert (line.area, line.waiting_area, line.peak) == (6.0, 9.0, 1)
    assert [person.id for person in line.waiting()] == [1]


@pytest.mark.asyncio
@BOTH
@pytest.mark.parametrize("kind", KINDS)
async def test_written_out_put_and_get_behave_as_asyncio_queue(kind: Kind, leaving: bool) -> None:
    """put_nowait/get_nowait raise, wake waiters and count unfinished work exactly as asyncio.Queue does."""
    line: Line[Person] = make_line(kind, 1, leaving=leaving)
    with pytest.raises(asyncio.QueueEmpty):
        line.get_nowait()
    getter = asyncio.create_task(line.get())
    await asyncio.sleep(0)
    line.put_nowait(Person(1))  # wakes the waiting get()
    assert (await asyncio.wait_for(getter, timeout=1)).id == 1
    line.put_nowait(Person(2))
    with pytest.raises(asyncio.QueueFull):
        line.put_nowait(Person(3))
    putter = asyncio.create_task(line.put(Person(3)))
    await asyncio.sleep(0)
    assert line.get_nowait().id == 2  # frees the place: the blocked put() goes in
    await asyncio.wait_for(putter, timeout=1)
    assert [person.id for person in line.waiting()] == [3]
    joined = asyncio.create_task(line.join())
    for _ in range(2):
        line.task_done()
    await asyncio.sleep(0)
    assert not joined.done()  # customer 3 is still unfinished
    line.get_nowait()
    line.task_done()
    await asyncio.wait_for(joined, timeout=1)


@pytest.mark.asyncio
@pytest.mark.skipif(not hasattr(asyncio.Queue, "shutdown"), reason="Queue.shutdown is Python 3.13+")
async def test_a_shut_down_line_refuses_puts_like_asyncio_queue() -> None:
    """After shutdown() (Python 3.13+), put_nowait raises QueueShutDown; get_nowait drains then raises."""
    line: Line[Person] = make_line("fifo", None)
    line.put_nowait(Person(1))
    cast(ShutsDown, line).shutdown()
    with pytest.raises(QueueShutDown):
        line.put_nowait(Person(2))
    assert line.get_nowait().id == 1
    with pytest.raises(QueueShutDown):
        line.get_nowait()


@pytest.mark.asyncio
@BOTH
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.skipif(not hasattr(asyncio.Queue, "shutdown"), reason="Queue.shutdown is Python 3.13+")
async def test_an_immediate_shutdown_empties_the_line_through_its_bookkeeping(
    kind: Kind, leaving: bool
) -> None:
    """shutdown(immediate=True) takes everyone out by asyncio's own path: measured, and the totals follow."""
    clock = FakeClock()
    line: Line[Person] = make_line(kind, None, clock, leaving=leaving, weigh=lambda p: (p.id, 10 * p.id))
    for number in (1, 2, 3):
        line.put_nowait(Person(number, number % 2))
    assert (line.items, line.work) == (6, 60)
    clock.now = 2.0
    cast(ShutsDown, line).shutdown(immediate=True)
    assert (line.qsize(), line.items, line.work, line.seconds) == (0, 0, 0, 0.0)
    assert line.finished()
    clock.now = 5.0
    line.measure()
    assert (line.area, line.peak) == (6.0, 3)  # three for 2 s, then nobody
