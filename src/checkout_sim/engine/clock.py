"""Event loops whose ``time()`` is simulated seconds: virtual (instant) or realtime (paced).

The shop's coroutines only ever ask the running loop for the time and sleep on it
(:func:`sleep_until`, :func:`pause_until`, :func:`pauser`: on other loops a future woken
by ``call_at``, as ``asyncio.sleep`` does; on the virtual loop the timer itself), and
the arrival chain sets a :func:`waker`; which loop runs them decides whether a
simulated hour takes an hour, a minute (``speed: 60``) or as long as the CPU needs.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import heapq
import itertools
import time
import types
from collections.abc import Awaitable, Callable, Generator
from contextvars import Context, copy_context
from typing import Any, Literal, NoReturn, Protocol, TypeVarTuple

__all__ = [
    "RealtimeLoop",
    "SimulationStalled",
    "VirtualClockLoop",
    "Waker",
    "loop_factory",
    "pause_until",
    "pauser",
    "sleep_until",
    "waker",
]

_Ts = TypeVarTuple("_Ts")

# Python 3.12.3+ guards a handle made by call_soon_threadsafe with a lock; use it if there.
_ThreadSafeHandle: type[asyncio.Handle] = getattr(asyncio.events, "_ThreadSafeHandle", asyncio.Handle)

# What ``loop.create_future()`` makes on these loops, minus a Python-level call.
_Future = asyncio.Future
_heappush, _heappop = heapq.heappush, heapq.heappop

# As in asyncio: purge cancelled timers when they are more than half of 100+ timers.
_PURGE_MIN_TIMERS = 100
_PURGE_FRACTION = 0.5


class SimulationStalled(RuntimeError):
    """Tasks are still waiting, but no timer is left that could ever wake them."""


class VirtualClockLoop(asyncio.BaseEventLoop):
    """An asyncio loop on simulated time that jumps straight to the next timer.

    When no callback is ready the clock is set to the earliest timer's due time exactly
    (no I/O poll, no drift); timers due at the same instant run in the order they were
    scheduled, so a run is reproducible to the byte. There is no I/O: the simulation
    never needs it, and a loop with nothing ready and no timers is stalled for good.
    """

    #: A paced loop waits for the wall clock before each jump (see :class:`RealtimeLoop`).
    _paced = False

    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        self._timers: list[tuple[float, int, asyncio.TimerHandle]] = []
        self._timer_order = itertools.count()
        self._from_threads: collections.deque[asyncio.Handle] = collections.deque()
        self._clock_resolution = 0.0

    def time(self) -> float:
        """Simulated seconds since the loop was made."""
        return self._now

    def call_soon(
        self,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.Handle:
        """Schedule ``callback`` for the next pass (asyncio's, minus its debug bookkeeping)."""
        if self._closed:  # type: ignore[attr-defined]
            raise RuntimeError("Event loop is closed")
        handle = _Soon(callback, args, self, copy_context() if context is None else context)
        self._ready.append(handle)  # type: ignore[attr-defined]
        return handle

    def call_soon_threadsafe(
        self,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.Handle:
        """From another thread or a signal handler: run at the start of the next pass.

        These handles run through their own ``Handle._run`` (which holds a lock where
        asyncio's thread-safe handles have one), not the lean path of :meth:`call_soon`.
        """
        self._check_closed()  # type: ignore[attr-defined]
        handle = _ThreadSafeHandle(callback, args, self, context)
        self._from_threads.append(handle)
        return handle

    def call_at(
        self,
        when: float,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        """Schedule ``callback`` at simulated time ``when`` (FIFO among equal times)."""
        if self._closed:  # type: ignore[attr-defined]
            raise RuntimeError("Event loop is closed")
        timer = _Timer(when, callback, args, self, copy_context() if context is None else context)
        _heappush(self._timers, (when, next(self._timer_order), timer))
        return timer

    def _run_once(self) -> None:
        """Run passes of the loop until it is asked to stop (asyncio runs one per call).

        Each pass is asyncio's: run the callbacks that were ready when it began; when
        none are, jump the clock to the earliest timer and make every timer due then
        ready. Looping here instead of returning to ``run_forever`` after every pass
        saves a call per pass, and callbacks run straight from their context instead
        of through ``Handle._run``; ``stop()`` is honoured after each pass as before.
        """
        ready, timers = self._ready, self._timers  # type: ignore[attr-defined]
        popleft, from_threads = ready.popleft, self._from_threads
        pace = self._pace if self._paced else None  # the wall clock's say, on a paced loop only
        try:
            while True:
                while from_threads:
                    handle = from_threads.popleft()
                    if not handle._cancelled:
                        handle._run()
                if self._timer_cancelled_count:
                    self._purge_if_many()
                if not ready:
                    if self._stopping:  # type: ignore[attr-defined]
                        return  # time stands still while the loop stops
                    # Jump to the earliest timer. The commonest pass is one timer due
                    # alone: it runs straight from the heap, without the round trip
                    # through the ready queue, and passes like it follow here while they
                    # last (nothing for them to check while no timer is cancelled).
                    tied = False
                    while True:
                        if self._timer_cancelled_count:  # as at the start of every pass
                            self._purge_if_many()
                            while timers and timers[0][2]._cancelled:
                                _heappop(timers)[2]._scheduled = False  # type: ignore[attr-defined]
                                self._timer_cancelled_count -= 1
                        if not timers:
                            tasks = [task for task in asyncio.all_tasks(self) if not task.done()]
                            raise SimulationStalled(
                                f"the simulation stalled at t={self._now:g}s: {len(tasks)} task(s) are "
                                "waiting but nothing is scheduled that could ever wake them"
                            )
                        if pace is not None and not pace(timers[0][0]):
                            break  # another thread (a signal) spoke first: a new pass runs it
                        when, _, timer = _heappop(timers)
                        # A timer set in the past runs now: time never goes back.
                        if when > self._now:  # noqa: PLR1730  # cheaper than max() on every jump
                            self._now = when
                        if timers and timers[0][0] <= self._now:
                            self._make_ready(timer)  # due with others: this pass runs them all
                            tied = True
                            break
                        timer._scheduled = False  # type: ignore[attr-defined]
                        try:
                            timer._context.run(timer._callback, *timer._args)  # type: ignore[attr-defined]
                        except (SystemExit, KeyboardInterrupt):
                            raise
                        except BaseException as error:
                            self._report(error, timer)
                        if self._stopping:  # type: ignore[attr-defined]
                            return
                        if ready or from_threads:
                            break
                    if not tied:
                        continue  # a new pass, which runs other threads' callbacks first
                now = self._now
                while timers and timers[0][0] <= now:
                    self._make_ready(_heappop(timers)[2])
                todo = len(ready)
                while todo:
                    try:
                        while todo:
                            todo -= 1
                            handle = popleft()
                            if not handle._cancelled:
                                handle._context.run(handle._callback, *handle._args)
                    except (SystemExit, KeyboardInterrupt):
                        raise
                    except BaseException as error:
                        self._report(error, handle)
                if self._stopping:  # type: ignore[attr-defined]
                    return
        finally:
            # As asyncio's own _run_once does: a frame kept by a traceback must not keep
            # the last handle (and through it a task whose exception holds that traceback).
            handle = timer = None  # type: ignore[assignment]

    def _pace(self, when: float) -> bool:
        """Wait until it is time to jump to ``when``; False if another thread spoke first."""
        return True

    def _make_ready(self, timer: asyncio.TimerHandle) -> None:
        """A timer is due along with other callbacks: queue it behind them.

        A :class:`_Woken` timer queues a hop instead, so its callback runs a pass
        later, as a task woken by a future's callback would.
        """
        if isinstance(timer, _Woken):
            self._ready.append(_Soon(_hop, (timer,), self, timer._context))  # type: ignore[attr-defined]
        else:
            timer._scheduled = False  # type: ignore[attr-defined]
            self._ready.append(timer)  # type: ignore[attr-defined]

    def _report(self, error: BaseException, handle: asyncio.Handle) -> None:
        """A callback raised: report it to the exception handler and carry on, as ``Handle._run`` does."""
        self.call_exception_handler(
            {"message": f"Exception in callback {handle._callback!r}", "exception": error, "handle": handle}  # type: ignore[attr-defined]
        )

    def _purge_if_many(self) -> None:
        """Purge the cancelled timers when they are more than half of 100 or more, as asyncio does."""
        timers = len(self._timers)
        if timers > _PURGE_MIN_TIMERS and self._timer_cancelled_count > _PURGE_FRACTION * timers:
            self._purge_cancelled()

    @staticmethod
    def _unschedule(timer: asyncio.TimerHandle) -> None:
        timer._scheduled = False  # type: ignore[attr-defined]

    def _purge_cancelled(self) -> None:
        kept = []
        for entry in self._timers:
            if entry[2]._cancelled:
                self._unschedule(entry[2])
            else:
                kept.append(entry)
        heapq.heapify(kept)
        self._timers[:] = kept  # in place: _run_once holds a reference to the list
        self._timer_cancelled_count = 0

    def _process_events(self, event_list: list[Any]) -> None:
        """No I/O is ever registered, so there are never events to process."""

    def _write_to_self(self) -> None:
        """Nothing to wake: the loop never blocks in a selector."""

    def close(self) -> None:
        """Close the loop and drop every pending timer."""
        super().close()
        self._timers.clear()


class RealtimeLoop(VirtualClockLoop):
    """The virtual loop, paced by the wall clock: a timer runs once wall time × speed reaches it.

    Every step still happens at its intended simulated time, exactly as on the
    virtual clock (the same log, event for event): the loop only waits before each
    jump until the wall clock has caught up, so lateness in waking never adds up and
    never changes a result. When the computer cannot keep up at this speed, the loop
    runs behind; :attr:`lag_max` is the most simulated seconds it was ever behind,
    and ``on_behind`` is told once when that first exceeds :data:`BEHIND_WALL_SECONDS`
    of wall time. Another thread or a signal handler (``call_soon_threadsafe``) is
    heard within :data:`_SLICE` wall seconds, at the simulated time the wall clock shows.
    """

    _paced = True

    def __init__(self, speed: float = 1.0, on_behind: Callable[[float, float], object] | None = None) -> None:
        super().__init__()
        self._speed = speed
        self._origin = time.monotonic()
        self._on_behind = on_behind
        self.lag_max = 0.0

    def wall_time(self) -> float:
        """Simulated seconds by the wall clock: wall seconds since the loop was made × speed."""
        return (time.monotonic() - self._origin) * self._speed

    def _pace(self, when: float) -> bool:
        """Sleep until the wall clock reaches ``when`` (in slices, so other threads are heard)."""
        from_threads = self._from_threads
        while True:
            if from_threads:
                wall = self.wall_time()
                if wall > self._now:  # time moves on to the wall clock's, never past the next timer
                    self._now = min(wall, when)
                return False
            wall = self.wall_time()
            if wall >= when:
                behind = wall - when
                if behind > self.lag_max:
                    self.lag_max = behind
                    if self._on_behind is not None and behind / self._speed > BEHIND_WALL_SECONDS:
                        self._on_behind(behind, when)
                        self._on_behind = None  # once
                return True
            time.sleep(min((when - wall) / self._speed, _SLICE))


#: How far (in wall seconds) a paced loop may fall behind before it says so, once.
BEHIND_WALL_SECONDS = 0.5
#: The longest a paced loop sleeps at a time, so signals and other threads are heard promptly.
_SLICE = 0.05


async def sleep_until(when: float) -> None:
    """``asyncio.sleep`` to an absolute loop time, landing on it exactly.

    ``asyncio.sleep(when - loop.time())`` can miss ``when`` by a rounding error; the
    arrival grid (0.3, 0.6, 0.9, ...) and closing time should read as written.
    """
    await pause_until(asyncio.get_running_loop(), when)


@types.coroutine
def pause_until(loop: asyncio.AbstractEventLoop, when: float) -> Generator[Any, None, None]:
    """Sleep on ``loop`` (the running one) until its time is ``when``: what the sleeps share.

    A task that sleeps again and again (a cashier, once per item) uses :func:`pauser`
    instead. On the virtual clock the task awaits the timer itself (:class:`_Pause`); elsewhere
    it awaits a future that a timer resolves, as ``asyncio.sleep`` does. It is a
    generator-based coroutine: ``await`` it; to make a task, use :func:`sleep_until`.
    """
    if isinstance(loop, VirtualClockLoop):
        yield _Pause(loop, when)
        return
    future: asyncio.Future[None] = _Future(loop=loop)
    timer = loop.call_at(when, _wake, future)
    try:
        yield from future
    except asyncio.CancelledError:
        timer.cancel()
        raise


def pauser(loop: asyncio.AbstractEventLoop) -> Callable[[float], Awaitable[None]]:
    """``await pause(when)``: :func:`pause_until` for one task that sleeps again and again.

    On the virtual clock every sleep reuses one pause (:class:`_Reused`; a cancelled
    one is replaced), which saves making a handle per sleep; cashiers sleep once per item.
    """
    if isinstance(loop, VirtualClockLoop):
        return _Pauser(loop).until
    return functools.partial(pause_until, loop)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Soon(asyncio.Handle):
    """An ``asyncio.Handle`` made without the loop's debug checks (a few per customer)."""

    __slots__ = ()

    def __init__(
        self, callback: Callable[..., object], args: tuple[Any, ...], loop: VirtualClockLoop, context: Context
    ) -> None:
        self._callback = callback
        self._args = args
        self._loop = loop
        self._context = context
        self._cancelled = False
        self._repr = None
        self._source_traceback = None


class _Timer(asyncio.TimerHandle):
    """An ``asyncio.TimerHandle`` made the same way, already on the loop's heap."""

    __slots__ = ()

    def __init__(
        self,
        when: float,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: VirtualClockLoop,
        context: Context,
    ) -> None:
        self._when = when
        self._callback = callback
        self._args = args
        self._loop = loop
        self._context = context
        self._cancelled = False
        self._scheduled = True  # lets cancel() count it for purging
        self._repr = None
        self._source_traceback = None


class _Woken(_Timer):
    """A timer whose callback runs where a task it woke would: see :func:`waker`.

    Due alone, it runs straight from the heap (nothing else could come first); due
    with other callbacks, it takes one more pass (:func:`_hop`).
    """

    __slots__ = ()


class _Pause(_Woken):
    """A sleep on the virtual clock: the task awaits the timer that ends it.

    ``asyncio.sleep`` makes a future, and a timer whose callback resolves it, which
    schedules the task's wake-up for one more pass. Here the timer handle itself
    speaks the future protocol a task awaits (``_asyncio_future_blocking``,
    ``add_done_callback``, ``result``, ``cancel``), so when it is due the loop runs the
    task's wake-up straight away: one handle, no future and no extra pass per sleep.
    A pause that falls due together with other callbacks takes the extra pass all the
    same (:func:`_hop`), so ties run in exactly the order ``asyncio.sleep`` gives.

    It is on the heap (``_scheduled``) from the task's ``add_done_callback`` until it
    is due; done once it is due or cancelled.
    """

    __slots__ = ("_asyncio_future_blocking", "_cancel_message")

    def __init__(self, loop: VirtualClockLoop, when: float) -> None:
        self._when = when
        self._loop = loop
        self._callback = None  # type: ignore[assignment]  # set when a task awaits it
        self._cancelled = False
        self._scheduled = False
        self._asyncio_future_blocking = True
        self._repr = None
        self._source_traceback = None

    # No get_loop(): a task then reads ``_loop``, one Python call fewer per sleep.

    def add_done_callback(
        self, callback: Callable[[_Pause], object], *, context: Context | None = None
    ) -> None:
        """The awaiting task's wake-up: it runs when the pause is due (one task, once)."""
        if self._callback is not None or self._cancelled:
            raise RuntimeError("a pause is awaited by one task, once")
        self._callback = callback
        self._args = (self,)
        self._context = copy_context() if context is None else context
        self._scheduled = True
        loop = self._loop
        _heappush(loop._timers, (self._when, next(loop._timer_order), self))

    def result(self) -> None:
        """What the task sees on waking: nothing, or CancelledError if it was cancelled."""
        # The task is awake: drop the pause's reference to itself (its callback's
        # argument), so reference counting frees it and the cyclic GC never has to.
        self._args = None  # type: ignore[assignment]
        if self._cancelled:
            _raise_cancelled(self._cancel_message)

    def done(self) -> bool:
        return self._cancelled or (self._callback is not None and not self._scheduled)

    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self, msg: Any | None = None) -> bool:  # type: ignore[override]
        """Cancel the sleep (its task was cancelled): the task wakes up to CancelledError."""
        if self.done():
            return False
        wakeup, context = self._callback, self._context if self._callback is not None else None
        super().cancel()
        self._cancel_message = msg
        if wakeup is not None:
            self._loop.call_soon(wakeup, self, context=context)
        return True


class Waker(Protocol):
    """What :func:`waker` returns: an alarm for a chain of callbacks."""

    def at(self, when: float) -> None:
        """Set the alarm for ``when``; it must not be set already. Once cancelled, does nothing."""

    def cancel(self) -> None:
        """Call the pending wake-up off and end the chain for good."""


def waker(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> Waker:
    """An alarm whose ``at(when)`` runs ``callback`` at ``when`` where a task woken by a timer would run.

    That is: after everything else due at that instant that was scheduled first, as
    if the timer resolved a future the task awaits. The arrival chain uses it to act
    as a producer task without a task step per arrival. One wake-up is pending at a
    time; ``cancel()`` ends the chain for good (and drops the callback).
    """
    if isinstance(loop, VirtualClockLoop):
        return _Alarm(loop, callback)
    return _Hopping(loop, callback)


class _Alarm:
    """:func:`waker` on the virtual clock: one :class:`_Woken` timer, set again and again.

    The chain's callbacks all run in the one context copied here, as a task's steps do.
    """

    __slots__ = ("_loop", "_order", "_timer", "_timers")

    def __init__(self, loop: VirtualClockLoop, callback: Callable[[], object]) -> None:
        self._loop = loop
        self._timer = _Woken(0.0, callback, (), loop, copy_context())
        self._timer._scheduled = False
        self._timers = loop._timers  # purging and closing change the heap in place
        self._order = loop._timer_order

    def at(self, when: float) -> None:
        timer = self._timer
        if timer._scheduled or timer._cancelled or self._loop._closed:  # type: ignore[attr-defined]
            if timer._cancelled:
                return  # the chain was stopped: it stays stopped
            if timer._scheduled:
                raise RuntimeError("the alarm is already set")
            raise RuntimeError("Event loop is closed")
        timer._when = when
        timer._scheduled = True
        _heappush(self._timers, (when, next(self._order), timer))

    def cancel(self) -> None:
        self._timer.cancel()


class _Hopping:
    """:func:`waker` on other loops: a timer whose callback takes one hop through the ready queue."""

    __slots__ = ("_callback", "_handle", "_loop", "_set")

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], object] | None) -> None:
        self._loop = loop
        self._callback = callback
        self._handle: asyncio.Handle | None = None
        self._set = False

    def at(self, when: float) -> None:
        if self._callback is None:
            return  # the chain was stopped: it stays stopped
        if self._set:
            raise RuntimeError("the alarm is already set")
        self._set = True
        self._handle = self._loop.call_at(when, self._hop)

    def _hop(self) -> None:
        self._handle = self._loop.call_soon(self._ring)

    def _ring(self) -> None:
        self._set = False
        if self._callback is not None:
            self._callback()

    def cancel(self) -> None:
        self._callback = None
        if self._handle is not None:
            self._handle.cancel()


class _Pauser:
    """The pause one task sleeps on, again and again."""

    __slots__ = ("_loop", "_pause")

    def __init__(self, loop: VirtualClockLoop) -> None:
        self._loop = loop
        self._pause = _Reused(loop)

    @types.coroutine
    def until(self, when: float) -> Generator[Any, None, None]:
        pause = self._pause
        if pause._cancelled:  # it may still be on the heap: never set it again
            pause = self._pause = _Reused(self._loop)
        elif pause._scheduled:
            raise RuntimeError("a pause is awaited by one task at a time")
        pause._when = when
        pause._asyncio_future_blocking = True
        yield pause


class _Reused(_Pause):
    """A :class:`_Pause` that a :class:`_Pauser` sets again after each wake-up.

    The task's wake-up is handed :data:`_DONE`, whose ``result()`` is ``NoneType()``:
    None, with no Python-level call and no reference from the pause to itself. A
    cancelled pause hands over itself, and its ``result`` raises CancelledError as
    :meth:`_Pause.result` does. Between sleeps it still refers to its task's wake-up:
    a task that ends should drop its pauser (see the end of ``engine.till.serve``), or task and pause
    make a cycle that only the cyclic GC frees.
    """

    __slots__ = ("result",)

    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__(loop, 0.0)
        self._args = (_DONE,)
        self.result = _DONE.result  # type: ignore[method-assign]

    def add_done_callback(
        self, callback: Callable[[_Pause], object], *, context: Context | None = None
    ) -> None:
        """The awaiting task's wake-up, as :meth:`_Pause.add_done_callback` (one task at a time)."""
        if self._scheduled or self._cancelled:
            raise RuntimeError("a pause is awaited by one task at a time")
        self._callback = callback
        self._context = copy_context() if context is None else context
        self._scheduled = True
        loop = self._loop
        _heappush(loop._timers, (self._when, next(loop._timer_order), self))

    def cancel(self, msg: Any | None = None) -> bool:  # type: ignore[override]
        """Cancel the sleep, as :meth:`_Pause.cancel`: the task then wakes up to CancelledError."""
        if not super().cancel(msg):
            return False
        self.result = functools.partial(_raise_cancelled, msg)  # type: ignore[method-assign]
        return True


def _raise_cancelled(message: Any | None) -> NoReturn:
    """What a cancelled pause's task sees on waking (refers to no pause: no cycle)."""
    raise asyncio.CancelledError(*(() if message is None else (message,)))


class _Done:
    """What a task woken by a :class:`_Reused` pause is told: done, with the result None."""

    __slots__ = ("result",)

    def __init__(self) -> None:
        self.result = type(None)  # NoneType() is None: result() without a Python frame


_DONE = _Done()


def _hop(timer: _Woken) -> None:
    """A woken timer due alongside other callbacks runs on the next pass, as a future's task would."""
    if not timer._cancelled:
        timer._scheduled = False
        timer._loop._ready.append(timer)  # type: ignore[attr-defined]


def loop_factory(
    clock: Literal["virtual", "realtime"],
    speed: float = 1.0,
    on_behind: Callable[[float, float], object] | None = None,
) -> Callable[[], asyncio.AbstractEventLoop]:
    """A factory for :class:`asyncio.Runner` that makes the loop for ``clock``.

    ``on_behind(lag, when)`` hears once when a realtime run falls behind the wall clock.
    """
    if clock == "virtual":
        return VirtualClockLoop
    return lambda: RealtimeLoop(speed, on_behind)
