"""The loops: virtual time jumps exactly and in order; realtime paces the same steps by wall clock × speed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, MutableMapping
from typing import Any, TypeVar

import orjson
import pytest

from checkout_sim import SimulationStalled, load_scenario, run
from checkout_sim.engine.clock import RealtimeLoop, VirtualClockLoop, pauser, sleep_until, waker
from conftest import SCENARIOS, make_scenario

T = TypeVar("T")


def run_virtual(coroutine_function: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine function on a fresh virtual-clock loop."""
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(coroutine_function())


def test_virtual_time_jumps_to_the_next_timer_exactly() -> None:
    """Sleeping two days takes no wall time and lands exactly on the due time."""

    async def main() -> float:
        await asyncio.sleep(172_800.0)
        return asyncio.get_running_loop().time()

    started = time.perf_counter()
    assert run_virtual(main) == 172_800.0
    assert time.perf_counter() - started < 5.0


def test_timers_due_at_the_same_instant_run_in_scheduling_order() -> None:
    """Ties are broken first come, first served, never by comparing callbacks."""

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        order: list[int] = []
        for index in (3, 1, 4, 1, 5, 9, 2, 6):
            loop.call_at(10.0, order.append, index)
        await asyncio.sleep(20)
        return order

    assert run_virtual(main) == [3, 1, 4, 1, 5, 9, 2, 6]


def test_cancelled_timers_never_run_and_do_not_move_time() -> None:
    """A cancelled timer is skipped and the clock only visits live ones."""

    async def main() -> tuple[list[str], float]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        loop.call_at(5.0, seen.append, "cancelled").cancel()
        for index in range(500):  # enough to trigger the purge of cancelled timers
            loop.call_at(1000.0 + index, seen.append, "x").cancel()
        loop.call_at(7.0, seen.append, "kept")
        await sleep_until(8.0)
        return seen, loop.time()

    assert run_virtual(main) == (["kept"], 8.0)


def test_no_cancelled_timer_runs_whichever_cancel_set_off_the_purge() -> None:
    """Cancel hundreds of timers due soon, in any order: none runs, and the cancelled count ends at zero."""
    for order in ("first-to-last", "last-to-first", "shuffled"):

        async def main(order: str = order) -> tuple[list[object], int]:
            loop = asyncio.get_running_loop()
            seen: list[object] = []  # what ran, and what the loop reported
            loop.set_exception_handler(lambda _, context: seen.append(context["message"]))
            handles = [loop.call_at(1.0 + index, seen.append, index) for index in range(300)]
            if order == "last-to-first":
                handles.reverse()
            elif order == "shuffled":
                random.Random(7).shuffle(handles)
            for handle in handles:
                handle.cancel()
            await sleep_until(400.0)
            return seen, loop._timer_cancelled_count  # type: ignore[attr-defined]

        assert run_virtual(main) == ([], 0), order


def heap_sizes_along_a_chain(
    loop: VirtualClockLoop, start: float, links: int, each: Callable[[], object] = int
) -> list[int]:
    """Run ``links`` lone timers 1 s apart from ``start``; the heap's size as each runs ``each()``."""
    sizes: list[int] = []

    def link(number: int) -> None:
        each()
        sizes.append(len(loop._timers))
        if number < links:
            loop.call_at(loop.time() + 1.0, link, number + 1)
        else:
            loop.stop()

    loop.call_at(start, link, 1)
    try:
        loop.run_forever()
    finally:
        loop.close()
    return sizes


def test_cancelled_timers_are_purged_while_lone_timers_run_straight_from_the_heap() -> None:
    """A chain of lone timers, each cancelling a far-off one, keeps the heap small: purged as in asyncio."""
    loop = VirtualClockLoop()
    sizes = heap_sizes_along_a_chain(loop, 1.0, 5000, each=lambda: loop.call_at(1e9, int).cancel())
    assert len(sizes) == 5000
    assert max(sizes) <= 2 * 100 + 2  # asyncio purges past 100 timers when half are cancelled


def test_cancelled_timers_left_behind_are_purged_once_they_are_half_the_heap() -> None:
    """1,000 cancelled of 2,001 is no purge; once the live ones have fired, the cancelled are purged."""
    loop = VirtualClockLoop()
    far = [loop.call_at(1e9, loop.stop) for _ in range(1000)]  # e.g. patience timers
    for second in range(1, 1002):
        loop.call_at(float(second), int)  # live work, due first
    for handle in far:
        handle.cancel()  # not more than half: asyncio does not purge yet
    sizes = heap_sizes_along_a_chain(loop, 1500.0, 3000)  # then lone timers, and no more cancels
    assert len(sizes) == 3000
    assert max(sizes) == 0  # as each link runs, its own timer has left the heap and the cancelled are gone


def test_callbacks_from_other_threads_run_first_in_the_pass_after_a_lone_timer() -> None:
    """A lone timer queues call_soon(A), call_soon_threadsafe(B) and call_soon(stop): B, then A, then stop."""
    loop = VirtualClockLoop()
    order: list[str] = []

    def lone_timer() -> None:
        loop.call_soon(order.append, "A")
        loop.call_soon_threadsafe(order.append, "B")
        loop.call_soon(loop.stop)

    loop.call_at(1.0, lone_timer)
    try:
        loop.run_forever()
    finally:
        loop.close()
    assert order == ["B", "A"]


def test_sleep_until_lands_exactly() -> None:
    """sleep_until(0.9) wakes at 0.9, not at 0.8999999999999999."""

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        seen = []
        for when in (0.3, 0.6, 0.9, 1e9 + 0.1):
            await sleep_until(when)
            seen.append(loop.time())
        return seen

    assert run_virtual(main) == [0.3, 0.6, 0.9, 1e9 + 0.1]


def test_a_stalled_simulation_stops_with_a_clear_error() -> None:
    """Waiting on something nothing can ever set raises instead of hanging."""

    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(SimulationStalled, match=r"stalled at t=0s: 1 task\(s\) are waiting"):
        run_virtual(main)


def test_failures_inside_tasks_surface_from_run() -> None:
    """An exception in a cashier (here from a user processor) ends the run with that exception."""

    def broken(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if event_dict["event"] == "checkout_finished":
            raise ZeroDivisionError("processor failed")
        return event_dict

    import io

    with pytest.raises(ZeroDivisionError, match="processor failed"):
        run(make_scenario(), log=io.BytesIO(), processors=[broken])


@pytest.mark.slow
def test_realtime_clock_runs_at_the_requested_speed() -> None:
    """60 simulated seconds at speed 60 take about one wall second."""
    scenario = make_scenario(
        clock="realtime",
        speed=60,
        duration="60s",
        arrivals={"pattern": "constant", "rate": "1/s"},
        products=[{"name": "x", "checkout_time": "0.5s"}],
    )
    started = time.perf_counter()
    summary = run(scenario)
    wall = time.perf_counter() - started
    assert 0.95 <= wall <= 1.6
    assert summary.arrived == 59
    assert summary.elapsed == pytest.approx(60.0, abs=0.5)


def test_realtime_loop_runs_each_timer_at_its_time_once_the_wall_clock_gets_there() -> None:
    """time() is the step's simulated time, exactly; wall_time() is wall seconds × speed, never behind it."""

    async def main() -> list[tuple[float, float]]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, RealtimeLoop)
        seen: list[tuple[float, float]] = []
        for when in (1.0, 2.5, 4.0):
            loop.call_at(when, lambda: seen.append((loop.time(), loop.wall_time())))
        await sleep_until(5.0)
        return seen

    started = time.monotonic()
    with asyncio.Runner(loop_factory=lambda: RealtimeLoop(speed=100.0)) as runner:
        seen = runner.run(main())
    wall = time.monotonic() - started
    assert [at for at, _ in seen] == [1.0, 2.5, 4.0]
    assert all(by_wall >= at for at, by_wall in seen)
    assert 0.05 <= wall < 1.0


def realtime_equals_virtual(changes: list[str], speed: float) -> None:
    """The bank on the wall clock at ``speed`` logs what the virtual clock logs, event for event."""
    scenario = load_scenario(SCENARIOS / "bank.yaml", [*changes, "warmup=0"])
    virtual, paced = io.BytesIO(), io.BytesIO()
    run(scenario, seed=3, log=virtual)
    summary = run(scenario.model_copy(update={"clock": "realtime", "speed": speed}), seed=3, log=paced)
    assert summary.realtime_lag_max is not None and summary.realtime_lag_max >= 0
    expected = virtual.getvalue().replace(b'"clock":"virtual"', b'"clock":"realtime"')
    expected = expected.replace(b'"speed":1.0', f'"speed":{speed!r}'.encode())
    events = paced.getvalue().splitlines()
    finished = orjson.loads(events[-1])
    assert list(finished)[-1] == "realtime_lag_max"
    del finished["realtime_lag_max"]
    assert [*events[:-1], orjson.dumps(finished)] == expected.splitlines()


@pytest.mark.slow
def test_realtime_at_speed_100_gives_the_virtual_clocks_figures_exactly() -> None:
    """Two simulated minutes at speed 100 (1.2 s): the same log as the virtual clock, to the byte."""
    realtime_equals_virtual(["duration=2min"], 100.0)


@pytest.mark.slow
def test_realtime_at_speed_10000_gives_the_virtual_clocks_figures_exactly() -> None:
    """Three simulated hours at speed 10,000 (1.1 s): the same log, so lateness never adds up."""
    realtime_equals_virtual(["duration=3h"], 10_000.0)


def test_a_run_that_cannot_keep_up_says_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """At a speed no computer can follow, on_behind hears once and the summary tells the most lag."""
    from checkout_sim.engine import clock as _clock

    monkeypatch.setattr(_clock, "BEHIND_WALL_SECONDS", 0.01)
    heard: list[tuple[float, float]] = []
    changes = ["duration=50h", "warmup=0", "clock=realtime", "speed=1e9"]
    summary = run(load_scenario(SCENARIOS / "bank.yaml", changes), on_behind=lambda *lag: heard.append(lag))
    assert len(heard) == 1 and heard[0][0] / 1e9 > 0.01
    assert summary.realtime_lag_max is not None and summary.realtime_lag_max >= heard[0][0]
    virtual = run(load_scenario(SCENARIOS / "bank.yaml", ["duration=50h", "warmup=0"]))
    assert virtual.realtime_lag_max is None and "realtime_lag_max" not in virtual.to_dict()


def test_a_failing_callback_is_reported_and_the_loop_carries_on() -> None:
    """A callback that raises goes to the exception handler, alone on its instant or among others."""

    def fail(label: str) -> None:
        raise ValueError(label)

    async def main() -> tuple[list[str], list[str]]:
        loop = asyncio.get_running_loop()
        reported: list[str] = []
        loop.set_exception_handler(lambda _, context: reported.append(str(context["exception"])))
        seen: list[str] = []
        loop.call_at(1.0, fail, "alone")  # the only timer due at t=1
        loop.call_at(2.0, fail, "first of two")  # two timers due at t=2
        loop.call_at(2.0, seen.append, "second of two")
        loop.call_soon(fail, "ready")
        await sleep_until(3.0)
        return reported, seen

    assert run_virtual(main) == (["ready", "alone", "first of two"], ["second of two"])


def _wake_trace(woken_by_task: bool) -> list[str]:
    """A chain of wake-ups at 5, 7, 7 and 9 among timers and callbacks due at the same instants."""
    times = (5.0, 7.0, 7.0, 9.0)

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualClockLoop)
        trace: list[str] = []
        loop.call_at(5.0, trace.append, "timer at 5, set first")
        loop.call_at(7.0, lambda: loop.call_soon(trace.append, "call_soon from a timer at 7") and None)

        steps = iter(range(len(times)))

        def woke() -> None:
            step = next(steps)
            trace.append(f"woke at {loop.time():g}")
            loop.call_soon(trace.append, f"call_soon after waking at {loop.time():g}")
            if step + 1 < len(times):
                alarm.at(times[step + 1])

        alarm = waker(loop, woke)

        async def sleeper() -> None:
            for when in times:
                await _future_sleep_until(when)
                trace.append(f"woke at {loop.time():g}")
                loop.call_soon(trace.append, f"call_soon after waking at {loop.time():g}")

        if woken_by_task:
            task = asyncio.create_task(sleeper())
        else:
            loop.call_soon(alarm.at, times[0])
        await asyncio.sleep(0)
        loop.call_at(5.0, trace.append, "timer at 5, set after")
        loop.call_at(9.0, trace.append, "timer at 9")
        await sleep_until(20.0)
        if woken_by_task:
            await task
        return trace

    return run_virtual(main)


def test_waker_runs_where_a_task_woken_by_a_timer_would() -> None:
    """waker callbacks and a sleeping task see ties (timers, call_soon) in the same order."""
    assert _wake_trace(woken_by_task=False) == _wake_trace(woken_by_task=True)
    assert _wake_trace(woken_by_task=False).count("woke at 7") == 2


def _alarm_trace(loop_factory: Callable[[], asyncio.AbstractEventLoop]) -> list[str]:
    """A waker set, set again while pending, cancelled, then set after the cancel."""

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        origin = loop.time()
        seen: list[str] = []
        alarm = waker(loop, lambda: seen.append("woke"))
        alarm.at(origin + 0.01)
        try:
            alarm.at(origin + 0.02)
        except RuntimeError as error:
            seen.append(str(error))
        await asyncio.sleep(0.015)
        alarm.at(origin + 0.03)
        alarm.cancel()
        alarm.at(origin + 0.04)  # the chain was stopped: nothing happens
        await asyncio.sleep(0.04)
        return seen

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main())


def test_a_waker_is_set_once_at_a_time_and_stays_stopped_once_cancelled() -> None:
    """On the virtual clock and on a real loop alike: one pending wake-up; cancel ends the chain."""
    expected = ["the alarm is already set", "woke"]
    assert _alarm_trace(VirtualClockLoop) == expected
    assert _alarm_trace(asyncio.new_event_loop) == expected


def test_a_waker_on_another_loop_can_be_cancelled_during_its_hop() -> None:
    """Off the virtual clock the waker hops through call_soon; cancelling then stops the hop."""
    from checkout_sim.engine.clock import _Hopping

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        hopping = _Hopping(loop, lambda: seen.append(f"woke at {loop.time():g}"))
        hopping.at(1.0)
        await sleep_until(2.0)
        hopping.at(3.0)
        loop.call_at(3.0, hopping.cancel)  # runs after the timer, before its hop
        await sleep_until(4.0)
        return seen

    assert run_virtual(main) == ["woke at 1"]


def test_a_cancelled_waker_drops_its_callback() -> None:
    """After cancel the alarm no longer refers to its callback (the shop), so no cycle is left."""
    import weakref

    class Owner:
        def ring(self) -> None:
            """Never called."""

    async def main() -> bool:
        owner = Owner()
        alarm = waker(asyncio.get_running_loop(), owner.ring)
        alarm.at(5.0)
        alarm.cancel()
        gone = weakref.ref(owner)
        del owner
        return gone() is None

    assert run_virtual(main)


def test_each_task_keeps_its_own_context_variables() -> None:
    """A task woken by another still runs in its own (even empty) context, as on asyncio's loops."""
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def waiter(event: asyncio.Event) -> str:
        var.set("waiter")
        await event.wait()
        return var.get()

    async def setter(event: asyncio.Event) -> None:
        var.set("setter")
        event.set()

    async def main() -> str:
        event = asyncio.Event()
        waiting = asyncio.create_task(waiter(event), context=contextvars.Context())
        await asyncio.sleep(0)
        setting = asyncio.create_task(setter(event), context=contextvars.Context())
        await setting
        return await waiting

    assert run_virtual(main) == "waiter"


def test_callbacks_from_other_threads_run_and_time_never_goes_back() -> None:
    """call_soon_threadsafe from a thread runs on the loop; a timer set in the past runs now."""
    import threading

    async def main() -> tuple[list[str], float]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        heard = asyncio.Event()
        thread = threading.Thread(target=lambda: loop.call_soon_threadsafe(heard.set))
        await sleep_until(10.0)
        thread.start()
        thread.join()
        await heard.wait()
        seen.append(f"heard at {loop.time():g}")
        loop.call_at(3.0, lambda: seen.append(f"past timer at {loop.time():g}"))
        await sleep_until(20.0)  # nothing is ready: the loop jumps to the earliest timer, 3.0
        return seen, loop.time()

    assert run_virtual(main) == (["heard at 10", "past timer at 10"], 20.0)


async def _future_sleep_until(when: float) -> None:
    """The reference sleep: a future resolved by a timer, as ``asyncio.sleep`` does."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    timer = loop.call_at(when, lambda: None if future.done() else future.set_result(None))
    try:
        await future
    finally:
        timer.cancel()


def _tie_trace(sleep: Callable[[float], Awaitable[None]]) -> list[str]:
    """What happens, in order, when sleeps, timers and a cancellation share instants."""

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        trace: list[str] = []

        async def sleeper(name: str, *times: float) -> None:
            try:
                for when in times:
                    await sleep(when)
                    trace.append(f"{name} woke at {loop.time():g}")
                    loop.call_soon(trace.append, f"{name}'s callback")
            except asyncio.CancelledError:
                trace.append(f"{name} cancelled at {loop.time():g}")
                raise

        tasks = {
            name: asyncio.create_task(sleeper(name, *times))
            for name, times in (
                ("a", (5.0, 10.0, 12.0)),
                ("b", (5.0, 7.0, 12.0)),
                ("c", (7.0, 12.0)),
                ("d", (12.0,)),
            )
        }
        loop.call_at(5.0, trace.append, "timer at 5, set before the sleeps")
        await asyncio.sleep(0)  # the sleepers start: timers set from now on come after theirs
        loop.call_at(5.0, trace.append, "timer at 5, set after the sleeps")
        loop.call_at(7.0, lambda: tasks["c"].cancel() and None)  # c is due now too: too late
        loop.call_at(12.0, lambda: tasks["d"].cancel("closing") and None)
        loop.call_at(11.0, lambda: tasks["a"].cancel() and None)  # a is mid-sleep
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        return trace

    return run_virtual(main)


def _cancel_trace(sleep: Callable[[float], Awaitable[None]]) -> list[str]:
    """Sleeps cancelled by timers: one due at the same instant (set first), one mid-sleep."""

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        trace: list[str] = []
        tasks: dict[str, asyncio.Task[None]] = {}

        async def sleeper(name: str, when: float) -> None:
            try:
                await sleep(when)
                trace.append(f"{name} woke")
            except asyncio.CancelledError:
                trace.append(f"{name} cancelled")

        def cancel(name: str) -> None:
            tasks[name].cancel()
            loop.call_soon(trace.append, f"call_soon after cancelling {name}")

        loop.call_at(5.0, cancel, "a")  # due with a's sleep, and set before it
        tasks["a"] = asyncio.create_task(sleeper("a", 5.0))
        tasks["b"] = asyncio.create_task(sleeper("b", 9.0))
        await asyncio.sleep(0)
        loop.call_at(7.0, cancel, "b")  # b is mid-sleep
        await asyncio.gather(*tasks.values())
        return trace

    return run_virtual(main)


async def _reused_sleep_until(when: float) -> None:
    """sleep_until through one pauser per task, as the cashiers sleep."""
    task = asyncio.current_task()
    assert task is not None
    pause = _PAUSERS.get(task)
    if pause is None:
        pause = _PAUSERS[task] = pauser(asyncio.get_running_loop())
    await pause(when)


_PAUSERS: dict[asyncio.Task[Any], Callable[[float], Awaitable[None]]] = {}


@pytest.fixture(autouse=True)
def _forget_pausers() -> Iterator[None]:
    """Each test starts with no pausers left from another."""
    _PAUSERS.clear()
    yield
    _PAUSERS.clear()


def test_pauses_wake_in_exactly_the_order_of_future_based_sleeps() -> None:
    """Ties between sleeps, timers and cancellations run as they do with asyncio.sleep's futures."""
    reference = _tie_trace(_future_sleep_until)
    assert _tie_trace(sleep_until) == reference
    assert _tie_trace(_reused_sleep_until) == reference
    assert "c cancelled at 7" in reference
    reference = _cancel_trace(_future_sleep_until)
    assert _cancel_trace(sleep_until) == reference
    assert _cancel_trace(_reused_sleep_until) == reference


def test_a_pauser_sleeps_again_after_a_cancelled_sleep() -> None:
    """A timeout cancels one sleep; the same pauser then sleeps on, and the old timer never fires."""

    async def main() -> tuple[list[float], int]:
        loop = asyncio.get_running_loop()
        pause = pauser(loop)
        woke = []
        await pause(1.0)
        woke.append(loop.time())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(2.0):
                await pause(5.0)
        woke.append(loop.time())
        await pause(3.0)
        woke.append(loop.time())
        await pause(6.0)
        woke.append(loop.time())
        return woke, len(loop._timers)  # type: ignore[attr-defined]

    assert run_virtual(main) == ([1.0, 2.0, 3.0, 6.0], 0)


def test_cancelled_pauses_leave_no_garbage_cycle() -> None:
    """Sleeps cut short by a timeout, on a pauser or with sleep_until, are freed by reference counting."""
    import gc

    async def main() -> int:
        pause = pauser(asyncio.get_running_loop())
        gc.collect()
        gc.disable()
        try:
            for step in range(1, 50):
                for sleep in (pause, sleep_until):
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout_at(step + 0.25):
                            await sleep(step + 0.5)
                    await sleep_until(step + 0.75)
            return gc.collect()
        finally:
            gc.enable()

    assert run_virtual(main) == 0


def test_a_pauser_is_for_one_task_at_a_time() -> None:
    """Two tasks sleeping on one pauser at once is an error, not a lost wake-up."""

    async def main() -> None:
        pause = pauser(asyncio.get_running_loop())

        async def sleeper() -> None:
            await pause(1.0)

        first = asyncio.create_task(sleeper())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="one task at a time"):
            await pause(2.0)
        await first

    run_virtual(main)


def test_a_woken_task_leaves_no_garbage_cycle() -> None:
    """Finished pauses are freed by reference counting; a reused one makes no cycle: no cyclic garbage."""
    import gc

    async def main() -> int:
        pause = pauser(asyncio.get_running_loop())
        gc.collect()
        gc.disable()
        try:
            for step in range(1, 200):
                await sleep_until(float(step))
                await pause(step + 0.5)
            return gc.collect()
        finally:
            gc.enable()

    assert run_virtual(main) == 0


def test_a_cancelled_pause_raises_in_its_task_and_never_fires() -> None:
    """Cancelling a sleeping task wakes it with CancelledError (and its message) at once."""

    async def main() -> tuple[str, float, int]:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(sleep_until(100.0))
        await asyncio.sleep(0)
        task.cancel("closing time")
        try:
            await task
        except asyncio.CancelledError as error:
            message = str(error)
        await sleep_until(200.0)
        return message, loop.time(), len(loop._timers)  # type: ignore[attr-defined]

    assert run_virtual(main) == ("closing time", 200.0, 0)


def test_sleep_until_on_another_loop_uses_a_future() -> None:
    """On a loop that is not the virtual clock, sleep_until still lands and can be cancelled."""

    async def main() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        await sleep_until(loop.time() + 0.5)
        landed = loop.time() >= 0.5
        task = asyncio.create_task(sleep_until(loop.time() + 3600.0))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return landed, True
        return landed, False

    with asyncio.Runner(loop_factory=lambda: RealtimeLoop(speed=100.0)) as runner:
        assert runner.run(main()) == (True, True)
