"""Event loops whose ``time()`` is simulated seconds, and the line's queue: asyncio's internals in one place.

The shop's coroutines only ever ask the running loop for the time and sleep on it
(:func:`sleep_until`, :func:`pause_until`, :func:`pauser`: on other loops a future woken
by ``call_at``, as ``asyncio.sleep`` does; on the virtual loop the timer itself), and
the arrival chain sets a :func:`waker`; which loop runs them decides whether a
simulated hour takes an hour, a minute (``speed: 60``) or as long as the CPU needs.

Speed takes some of asyncio's private names: the loop runs its own passes over
asyncio's ready queue and handles, and :class:`QueueCore` (the base of the waiting
line, ``engine.line``) writes out ``Queue.put_nowait`` and ``get_nowait``. This module
is the only one in the package that names them. :data:`ASYNCIO_INTERNALS` lists every
one, with why it is needed; :func:`check_asyncio_internals` checks them against the
running interpreter when the first loop or queue is made, and stops with an error
naming what differs rather than let a run give a silently wrong result.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import heapq
import itertools
import platform
import time
import types
from collections.abc import Awaitable, Callable, Generator
from contextvars import Context, copy_context
from typing import Any, Literal, NamedTuple, NoReturn, Protocol, Self, TypeVar, TypeVarTuple

__all__ = [
    "ASYNCIO_INTERNALS",
    "Internal",
    "QueueCore",
    "RealtimeLoop",
    "SimulationStalled",
    "VirtualClockLoop",
    "Waker",
    "check_asyncio_internals",
    "loop_factory",
    "pause_until",
    "pauser",
    "sleep_until",
    "waker",
]

_Ts = TypeVarTuple("_Ts")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Internal(NamedTuple):
    """One private asyncio name this module relies on, what it must be, and why it is used."""

    #: Where it lives: ``Queue``, ``BaseEventLoop``, ``Handle``, ``TimerHandle``, ``Future``,
    #: ``Task`` (the C task, as a task of any loop) or ``asyncio.events`` (the module).
    owner: str
    name: str
    #: What it must be, checked by :func:`check_asyncio_internals` (see ``_KIND_CHECKS``).
    kind: str
    why: str
    #: False: asyncio's own code reaches it (this module relies on it without writing it).
    named: bool = True


#: Every private asyncio name the package relies on: all of them are named in this module only.
#: Python 3.11, 3.12 and 3.13 have every one (``_is_shutdown`` from 3.13, with ``Queue.shutdown``;
#: ``_ThreadSafeHandle`` in newer patch releases, used where present). Tested by
#: ``tests/test_asyncio_internals.py``, which also finds every private asyncio name this
#: module names and requires it to be listed here.
ASYNCIO_INTERNALS: tuple[Internal, ...] = (
    # The waiting line (QueueCore, the base of engine.line.Line) is a real asyncio.Queue.
    Internal(
        "Queue",
        "_init",
        "method",
        "the hook asyncio.Queue gives subclasses to choose the container: a line keeps the one it made",
    ),
    Internal(
        "Queue",
        "_put",
        "method",
        "asyncio's own path into the container; routed to the line's bookkeeping (_push)",
    ),
    Internal(
        "Queue",
        "_get",
        "method",
        "Queue.shutdown(immediate=True) (3.13+) empties the queue through it: routed to _pop, measured",
    ),
    Internal(
        "Queue",
        "_queue",
        "attribute",
        "the container: asyncio's qsize, empty and full read its len(); the written-out "
        "put_nowait and get_nowait push and take there themselves",
    ),
    Internal("Queue", "_maxsize", "int", "put_nowait, written out, refuses a full line as asyncio does"),
    Internal(
        "Queue",
        "_getters",
        "deque",
        "put_nowait, written out, wakes the first get() waiting, as asyncio does",
    ),
    Internal(
        "Queue",
        "_putters",
        "deque",
        "get_nowait and a customer leaving wake a put() blocked on a full line; a door waits "
        "there for room in any of several lines (wake_on_room, forget)",
    ),
    Internal(
        "Queue",
        "_unfinished_tasks",
        "int",
        "put_nowait, written out, counts work for join() and task_done(); finished() reads it",
    ),
    Internal(
        "Queue", "_finished", "Event", "put_nowait, written out, clears it as asyncio does, so join() waits"
    ),
    Internal(
        "Queue", "_wakeup_next", "method", "asyncio's way to wake the next waiter that was not cancelled"
    ),
    Internal(
        "Queue",
        "_is_shutdown",
        "bool where Queue.shutdown exists",
        "put_nowait, written out, leaves a shut-down queue (3.13+) to asyncio, which raises; "
        "before 3.13, QueueCore sets it False on each queue (none ever shuts down)",
    ),
    Internal(
        "Queue", "_loop", "None", "the loop a queue is bound to on first use: read to skip asyncio's check"
    ),
    Internal(
        "Queue",
        "_get_loop",
        "method",
        "overridden: asyncio asks for the running loop on every blocking get or put to check it "
        "(a getpid() system call on 3.11); a line belongs to one loop, so it asks once",
    ),
    # The virtual loop is an asyncio.BaseEventLoop that runs its own passes.
    Internal(
        "BaseEventLoop",
        "_run_once",
        "method",
        "overridden: run_forever calls it for each pass; the virtual loop runs its passes there",
    ),
    Internal(
        "BaseEventLoop",
        "_ready",
        "deque",
        "the callbacks due this pass: call_soon appends, the passes pop, asyncio's code appends too",
    ),
    Internal("BaseEventLoop", "_stopping", "bool", "set by stop(): a pass returns to run_forever when it is"),
    Internal(
        "BaseEventLoop", "_closed", "bool", "set by close(): call_soon and call_at refuse, as asyncio's do"
    ),
    Internal(
        "BaseEventLoop", "_check_closed", "method", "call_soon_threadsafe refuses on a closed loop with it"
    ),
    Internal(
        "BaseEventLoop",
        "_timer_cancelled_count",
        "int",
        "how many cancelled timers are still on the heap: the passes purge them as asyncio does",
    ),
    Internal(
        "BaseEventLoop",
        "_timer_handle_cancelled",
        "method",
        "TimerHandle.cancel() calls it for a scheduled timer: it counts _timer_cancelled_count",
        named=False,
    ),
    # Handles made without the debug checks of Handle.__init__ (_Soon, _Timer, _Pause): they set
    # every slot themselves, so these must be all of Handle's and TimerHandle's slots.
    Internal(
        "Handle", "_callback", "slot", "what the handle runs: the passes run it straight from its context"
    ),
    Internal("Handle", "_args", "slot", "the callback's arguments"),
    Internal("Handle", "_context", "slot", "the context the callback runs in, as Handle._run runs it"),
    Internal("Handle", "_cancelled", "slot", "a cancelled handle is skipped, as Handle._run skips it"),
    Internal(
        "Handle",
        "_loop",
        "slot",
        "the loop (cancel() tells it); a task awaiting a pause reads it for want of get_loop()",
    ),
    Internal("Handle", "_repr", "slot", "set to None, as Handle.__init__ does outside debug mode"),
    Internal(
        "Handle", "_source_traceback", "slot", "set to None, as Handle.__init__ does outside debug mode"
    ),
    Internal("Handle", "_run", "method", "runs another thread's callback, lock and all where it has one"),
    Internal("TimerHandle", "_when", "slot", "the due time; a reused pause or alarm sets it again"),
    Internal(
        "TimerHandle",
        "_scheduled",
        "slot",
        "True while on the heap: cancel() then counts it for purging; cleared when it is due",
    ),
    # A pause is awaited by a task as a future is.
    Internal(
        "Future",
        "_asyncio_future_blocking",
        "attribute",
        "the flag by which a task knows an awaited object for a future: a pause sets it",
    ),
    Internal(
        "Task",
        "_loop",
        "behaviour",
        "a task awaiting a future-like object without get_loop() reads its _loop (tested by "
        "tests/test_clock.py, as every pause does it)",
        named=False,
    ),
    Internal(
        "asyncio.events",
        "_ThreadSafeHandle",
        "Handle subclass, where present",
        "what asyncio's call_soon_threadsafe makes in newer patch releases (3.12.3 on; not in "
        "3.12.1 or 3.13.0): a handle with a lock around _run; a plain Handle before, as there",
    ),
)

#: The Pythons the package is tested on (``.ci/run``): ASYNCIO_INTERNALS holds on each.
TESTED_PYTHONS = ("3.11", "3.12", "3.13")


def _probe_loop() -> asyncio.BaseEventLoop:
    """A plain ``BaseEventLoop``, never run: what asyncio itself sets on a loop (closed after)."""
    return asyncio.BaseEventLoop()


def check_asyncio_internals() -> None:
    """Check every entry of :data:`ASYNCIO_INTERNALS` on this interpreter; RuntimeError if any differs.

    Each name must exist with its kind, on the class or on a fresh ``Queue`` and
    ``BaseEventLoop``; the handle slots must be all of asyncio's; and the state this
    module writes out must mean what it does here (a put counts unfinished work,
    ``call_soon`` queues in ``_ready``, cancelling a scheduled timer counts it, ``stop``
    and ``close`` set their flags). Cheap (a fresh queue and loop); run once, by the
    first :class:`VirtualClockLoop` or :class:`QueueCore` made.
    """
    problems: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    loop = _probe_loop()
    try:
        owners: dict[str, tuple[object, object]] = {
            "Queue": (asyncio.Queue, queue),
            "BaseEventLoop": (asyncio.BaseEventLoop, loop),
            "Handle": (asyncio.Handle, None),
            "TimerHandle": (asyncio.TimerHandle, None),
            "Future": (asyncio.Future, None),
            "Task": (asyncio.Task, None),
            "asyncio.events": (asyncio.events, None),
        }
        for internal in ASYNCIO_INTERNALS:
            owner, instance = owners[internal.owner]
            problem = _KIND_CHECKS[internal.kind](owner, instance, internal.name)
            if problem:
                problems.append(f"{internal.owner}.{internal.name} {problem}")
        for owner_name, cls in (("Handle", asyncio.Handle), ("TimerHandle", asyncio.TimerHandle)):
            listed = {i.name for i in ASYNCIO_INTERNALS if i.owner == owner_name and i.kind == "slot"}
            found = set(vars(cls).get("__slots__", ())) - {"__weakref__"}
            if found != listed:
                problems.append(
                    f"{owner_name}.__slots__ is {sorted(found)}, not {sorted(listed)} "
                    "(handles made here set every slot themselves)"
                )
        if not problems:
            problems = _check_meanings(queue, loop)
    finally:
        loop.close()
    if problems:
        raise RuntimeError(
            f"checkout-sim cannot run on Python {platform.python_version()} "
            f"({platform.python_implementation()}): its clock and lines rely on asyncio internals "
            f"that differ here (it is tested on Python {', '.join(TESTED_PYTHONS)}): "
            + "; ".join(problems)
            + ". See ASYNCIO_INTERNALS in checkout_sim/engine/clock.py."
        )


def _check_meanings(queue: asyncio.Queue[int], loop: asyncio.BaseEventLoop) -> list[str]:
    """The state written out here must mean what it does: asyncio's own methods change it so."""
    problems = []
    internals: Any = queue  # private names: not in asyncio's type stubs
    try:
        queue.put_nowait(1)
        if not (
            len(internals._queue) == 1
            and internals._unfinished_tasks == 1
            and not internals._finished.is_set()
        ):
            problems.append(
                "Queue.put_nowait no longer adds to _queue, counts _unfinished_tasks, clears _finished"
            )
        else:
            queue.get_nowait()
            queue.task_done()
            if internals._queue or internals._unfinished_tasks or not internals._finished.is_set():
                problems.append(
                    "Queue.get_nowait and task_done no longer empty _queue, count down, set _finished"
                )
    except Exception as error:  # what failed is the message
        problems.append(f"a Queue's put_nowait, get_nowait and task_done fail: {error!r}")
    looped: Any = loop
    try:
        loop.call_soon(int)
        if len(looped._ready) != 1:
            problems.append("BaseEventLoop.call_soon no longer queues in _ready")
        timer: Any = asyncio.TimerHandle(0.0, int, (), loop)
        timer._scheduled = True  # as if on the loop's heap
        timer.cancel()
        if looped._timer_cancelled_count != 1:
            problems.append("cancelling a scheduled TimerHandle no longer counts _timer_cancelled_count")
        loop.stop()
        if looped._stopping is not True:
            problems.append("BaseEventLoop.stop no longer sets _stopping")
        loop.close()
        if looped._closed is not True:
            problems.append("BaseEventLoop.close no longer sets _closed")
    except Exception as error:
        problems.append(f"a BaseEventLoop's call_soon, TimerHandle.cancel, stop and close fail: {error!r}")
    return problems


def _is_method(owner: object, instance: object, name: str) -> str:
    return "" if callable(getattr(owner, name, None)) else "is missing or not a method"


def _is_slot(owner: object, instance: object, name: str) -> str:
    found = isinstance(owner, type) and isinstance(getattr(owner, name, None), types.MemberDescriptorType)
    return "" if found else "is missing or not a slot"


def _has(owner: object, instance: object, name: str) -> str:
    found = hasattr(owner, name) or (instance is not None and hasattr(instance, name))
    return "" if found else "is missing"


def _of_type(kind: type) -> Callable[[object, object, str], str]:
    def check(owner: object, instance: object, name: str) -> str:
        value = getattr(instance, name, _MISSING)
        if value is _MISSING:
            return "is missing"
        return "" if type(value) is kind else f"is a {type(value).__name__}, not a {kind.__name__}"

    return check


def _none_by_default(owner: object, instance: object, name: str) -> str:
    return "" if name in dir(owner) and getattr(owner, name) is None else "is missing or not None by default"


def _bool_with_shutdown(owner: object, instance: object, name: str) -> str:
    if not hasattr(owner, "shutdown"):
        return ""  # before 3.13: no shutdown, no flag (QueueCore's default says never shut down)
    return _of_type(bool)(owner, instance, name)


def _thread_safe_handle(owner: object, instance: object, name: str) -> str:
    found = getattr(owner, name, asyncio.Handle)
    return "" if isinstance(found, type) and issubclass(found, asyncio.Handle) else "is not a Handle subclass"


_MISSING = object()

#: How each kind in :data:`ASYNCIO_INTERNALS` is checked: "" if it holds, else what is wrong.
_KIND_CHECKS: dict[str, Callable[[object, object, str], str]] = {
    "method": _is_method,
    "slot": _is_slot,
    "attribute": _has,
    "int": _of_type(int),
    "bool": _of_type(bool),
    "deque": _of_type(collections.deque),
    "Event": _of_type(asyncio.Event),
    "None": _none_by_default,
    "bool where Queue.shutdown exists": _bool_with_shutdown,
    "Handle subclass, where present": _thread_safe_handle,
    "behaviour": lambda owner, instance, name: "",  # what C code does: tested, not checkable by name
}

#: Python 3.13+: asyncio's queues can shut down, and Queue.__init__ sets ``_is_shutdown``.
_SHUTS_DOWN = hasattr(asyncio.Queue, "shutdown")

#: check_asyncio_internals, run once: a failed check is not remembered, so it fails again.
_check_once = functools.cache(check_asyncio_internals)

# Newer patch releases (3.12.3 on) guard a handle made by call_soon_threadsafe with a lock: use it if there.
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

    It is asyncio's ``BaseEventLoop`` with its own passes (``_run_once``, which
    ``run_forever`` calls) over asyncio's ready queue (``_ready``) and a heap of its
    own timers, honouring asyncio's ``_stopping`` and ``_closed``; see
    :data:`ASYNCIO_INTERNALS` for each private name and why.
    """

    #: A paced loop waits for the wall clock before each jump (see :class:`RealtimeLoop`).
    _paced = False

    # asyncio.BaseEventLoop's own state, set by its __init__ (ASYNCIO_INTERNALS says why each
    # is used; the type stubs leave them out, so they are declared here, not assigned).
    _ready: collections.deque[Any]  # asyncio's handles and this module's (_Soon, _Timer, ...)
    _stopping: bool
    _closed: bool
    _timer_cancelled_count: int
    _check_closed: Callable[[], None]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """Check asyncio's internals (once) first: a loop that could not run right is never made."""
        _check_once()
        return super().__new__(cls)

    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        self._timers: list[tuple[float, int, _Timer]] = []
        self._timer_order = itertools.count()
        self._from_threads: collections.deque[asyncio.Handle] = collections.deque()

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
        # asyncio's _closed and _ready: refuse as asyncio's call_soon does, queue where it queues.
        if self._closed:
            raise RuntimeError("Event loop is closed")
        handle = _Soon(callback, args, self, copy_context() if context is None else context)
        self._ready.append(handle)
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
        self._check_closed()  # asyncio's refusal on a closed loop
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
        if self._closed:  # as asyncio's call_at refuses
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

        asyncio's names here: ``_ready`` (the callbacks due), ``_stopping`` (set by
        ``stop()``), ``_timer_cancelled_count`` (counted by ``TimerHandle.cancel()``), and
        the handles' slots ``_cancelled``, ``_scheduled``, ``_context``, ``_callback``,
        ``_args`` (run as ``Handle._run`` runs them, minus its frame) and ``_run``.
        """
        ready, timers = self._ready, self._timers
        popleft, from_threads = ready.popleft, self._from_threads
        pace = self._pace if self._paced else None  # the wall clock's say, on a paced loop only
        try:
            while True:
                while from_threads:
                    handle = from_threads.popleft()
                    if not handle._cancelled:
                        handle._run()  # through Handle._run: the lock of a thread-safe handle
                if self._timer_cancelled_count:
                    self._purge_if_many()
                if not ready:
                    if self._stopping:
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
                                _heappop(timers)[2]._scheduled = False  # purged off the heap, as asyncio does
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
                        timer._scheduled = False  # off the heap: cancel() counts no more
                        try:  # what Handle._run does, without its frame
                            timer._context.run(timer._callback, *timer._args)
                        except (SystemExit, KeyboardInterrupt):
                            raise
                        except BaseException as error:
                            self._report(error, timer)
                        if self._stopping:
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
                            if not handle._cancelled:  # as Handle._run, without its frame
                                handle._context.run(handle._callback, *handle._args)
                    except (SystemExit, KeyboardInterrupt):
                        raise
                    except BaseException as error:
                        self._report(error, handle)
                if self._stopping:
                    return
        finally:
            # As asyncio's own _run_once does: a frame kept by a traceback must not keep
            # the last handle (and through it a task whose exception holds that traceback).
            handle = timer = None  # type: ignore[assignment]

    def _pace(self, when: float) -> bool:
        """Wait until it is time to jump to ``when``; False if another thread spoke first."""
        return True

    def _make_ready(self, timer: _Timer) -> None:
        """A timer is due along with other callbacks: queue it behind them.

        A :class:`_Woken` timer queues a hop instead, so its callback runs a pass
        later, as a task woken by a future's callback would.
        """
        if isinstance(timer, _Woken):
            self._ready.append(_Soon(_hop, (timer,), self, timer._context))
        else:
            timer._scheduled = False  # off the heap, as asyncio's passes do
            self._ready.append(timer)

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
    def _unschedule(timer: _Timer) -> None:
        timer._scheduled = False  # purged: as asyncio's purge does

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
    """An ``asyncio.Handle`` made without the loop's debug checks (a few per customer).

    ``Handle.__init__`` asks the loop whether it is in debug mode on every handle; this
    sets asyncio's slots itself, every one of them (``check_asyncio_internals`` checks
    that they are all there are), as ``Handle.__init__`` sets them outside debug mode.
    """

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
    """An ``asyncio.TimerHandle`` made the same way (all its slots set here), already on the loop's heap."""

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

    # _asyncio_future_blocking: the flag a task reads to know an awaited object for a future
    # (asyncio.isfuture's test); True once yielded to the task, which sets it back to False.
    __slots__ = ("_asyncio_future_blocking", "_cancelled_with")

    def __init__(self, loop: VirtualClockLoop, when: float) -> None:
        self._when = when
        self._loop = loop
        self._callback = None  # type: ignore[assignment]  # set when a task awaits it
        self._cancelled = False
        self._scheduled = False
        self._asyncio_future_blocking = True
        self._repr = None
        self._source_traceback = None

    # No get_loop(): a task then reads ``_loop`` (asyncio's Handle slot, set above), one
    # Python call fewer per sleep.

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
            _raise_cancelled(self._cancelled_with)

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
        self._cancelled_with = msg
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
        # One test for the common case: on the heap already, cancelled, or the loop closed (asyncio's flag).
        if timer._scheduled or timer._cancelled or self._loop._closed:
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
        timer._loop._ready.append(timer)  # asyncio's ready queue: next pass


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


class _Items(Protocol[T_co]):
    """What a :class:`QueueCore` keeps its items in (a line's container; see ``engine.line``)."""

    def push(self, item: Any, /) -> object:
        """Add ``item`` where the order puts it."""

    def take(self) -> T_co:
        """Take out the item to hand out next."""

    def __len__(self) -> int: ...


class QueueCore(asyncio.Queue[T]):
    """A real ``asyncio.Queue`` over a container its subclass makes, with the hot paths written out.

    The waiting line (``engine.line.Line``) is this queue; it names none of asyncio's
    private parts itself, which are all here. ``put_nowait`` and ``get_nowait`` run once
    per customer each, so they are asyncio's, written out over the container (one
    Python frame each, no ``_put``/``_get`` call), and call :meth:`measure` first, which
    a subclass overrides to follow its length over time. The rest is asyncio's own:
    blocking ``put`` and ``get``, ``join``, ``task_done``, ``full``, ``qsize``, and on
    Python 3.13+ ``shutdown``.

    The container (see :class:`_Items`) is given when the queue is made, and handed to
    asyncio through ``Queue._init``, the hook asyncio gives subclasses to choose it.
    """

    # asyncio.Queue's own state, set by Queue.__init__ (ASYNCIO_INTERNALS says why each is
    # used; the type stubs leave them out, so they are declared here, not assigned).
    _queue: _Items[T]
    _maxsize: int
    _getters: collections.deque[asyncio.Future[None]]
    _putters: collections.deque[asyncio.Future[None]]
    _unfinished_tasks: int
    _finished: asyncio.Event
    _loop: asyncio.AbstractEventLoop | None
    _wakeup_next: Callable[[collections.deque[asyncio.Future[None]]], None]
    _is_shutdown: bool

    def __init__(self, maxsize: int, items: _Items[Any]) -> None:
        _check_once()
        self._queue = items  # asyncio's container, kept by _init below
        super().__init__(maxsize)
        if not _SHUTS_DOWN:
            # Before 3.13 queues never shut down. Set on the queue itself, not as a class
            # default, so that put_nowait reads it as fast as its other attributes.
            self._is_shutdown = False

    def _init(self, maxsize: int) -> None:
        """asyncio's hook for making the container: it was made already, and is kept."""

    def measure(self) -> None:
        """Called before every change in the number of items; a subclass measures its length here."""

    def put_nowait(self, item: T) -> None:
        """``Queue.put_nowait`` written out (it runs for every arrival), measuring first.

        A full or shut-down queue is left to ``Queue.put_nowait``, which raises.
        """
        # asyncio's state, as Queue.put_nowait reads and writes it (see ASYNCIO_INTERNALS).
        if self._is_shutdown or 0 < self._maxsize <= len(self._queue):
            super().put_nowait(item)
            return
        self.measure()
        self._queue.push(item)
        if not self._unfinished_tasks:  # else ``_finished`` is clear already
            self._finished.clear()
        self._unfinished_tasks += 1
        if self._getters:
            self._wakeup_next(self._getters)

    def get_nowait(self) -> T:
        """``Queue.get_nowait`` written out (it runs for every customer served), measuring first.

        An empty queue is left to ``Queue.get_nowait``, which raises.
        """
        if not self._queue:
            return super().get_nowait()
        self.measure()
        item = self._queue.take()
        if self._putters:  # a place freed: wake a put() blocked on a full queue, as asyncio does
            self._wakeup_next(self._putters)
        return item

    # put_nowait and get_nowait above push and take themselves; asyncio reaches the container
    # through these two only in Queue.shutdown(immediate=True) (3.13+), or a subclass does.

    def _put(self, item: T) -> None:
        self._push(item)

    def _get(self) -> T:
        return self._pop()

    def _push(self, item: T) -> None:
        """Put ``item`` in the container, measured (nothing counted or woken): what ``_put`` does."""
        self.measure()
        self._queue.push(item)

    def _pop(self) -> T:
        """Take the next item out, measured (nothing counted or woken): what ``_get`` does."""
        self.measure()
        return self._queue.take()

    def _wake_putter(self) -> None:
        """A place freed (an item left another way): wake a ``put()`` blocked on a full queue."""
        self._wakeup_next(self._putters)

    def wake_on_room(self, waiter: asyncio.Future[None]) -> None:
        """Resolve ``waiter`` when a place frees in this queue, as a blocked ``put`` is woken.

        It waits among asyncio's blocked putters, so whatever wakes them (an item taken,
        :meth:`_wake_putter`, a shutdown) wakes it in turn.
        """
        self._putters.append(waiter)

    def forget(self, waiter: asyncio.Future[None]) -> None:
        """Stop waking ``waiter`` (it was woken, by this queue or another, or gave up)."""
        with contextlib.suppress(ValueError):
            self._putters.remove(waiter)

    def finished(self) -> bool:
        """Every item put in has been marked done (``join`` would not wait)."""
        return not self._unfinished_tasks

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the queue is bound to: found on first use, as asyncio does, then remembered.

        asyncio asks for the running loop again on every blocking ``get`` or ``put``,
        to check it is the same one; on Python 3.11 that costs a ``getpid()`` system
        call, once for each customer who finds a cashier idle. A line belongs to one
        run on one loop, so it skips the check.
        """
        loop = self._loop
        return loop if loop is not None else super()._get_loop()  # type: ignore[misc]
