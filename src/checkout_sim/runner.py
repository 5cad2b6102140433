"""Running a scenario: the library entry point that the command line is a thin layer over."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from structlog.typing import Processor

from .config.scenario import Scenario
from .engine.clock import loop_factory
from .engine.shop import Interrupted, Shop
from .observe.eventlog import flush_log
from .observe.summary import Summary

__all__ = [
    "Interrupted",
    "RunsInterrupted",
    "catch_signals",
    "caught_signal",
    "leave_signals_to_parent",
    "replicate",
    "run",
]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunsInterrupted(Interrupted):
    """A signal stopped :func:`replicate`.

    ``finished`` holds the summaries of the runs that ended normally. ``partial`` is
    True when the signal stopped a run in progress (``summary`` is then its partial
    summary) and False when it came between two runs (``summary`` is the last whole
    run's, and the log ends with it).
    """

    def __init__(
        self, summary: Summary, signal_number: int, *, finished: list[Summary], partial: bool, total: int
    ) -> None:
        super().__init__(summary, signal_number)
        self.finished = finished
        self.partial = partial
        self.total = total


class _Catcher:
    """SIGINT and SIGTERM for as long as it is installed: recorded, and passed on to the run in progress.

    The handler never raises: an exception from a signal handler can land anywhere (half
    way through making an event loop, between two runs) and leave things half done. It
    notes the signal and, while a run is on, schedules that run's interrupt on its loop.
    Whoever installed it asks :attr:`signal_number` between runs and stops.
    """

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._run: tuple[asyncio.AbstractEventLoop, Shop] | None = None

    def handle(self, signal_number: int, frame: object) -> None:
        if self.signal_number is None:
            self.signal_number = signal_number
        current = self._run
        if current is not None:
            loop, shop = current
            with contextlib.suppress(RuntimeError):  # the run's loop closed meanwhile
                loop.call_soon_threadsafe(shop.interrupt, self.signal_number)

    async def watch(self, shop: Shop) -> Summary:
        """Run ``shop`` on the running loop, interrupted by a signal caught at any moment."""
        loop = asyncio.get_running_loop()
        self._run = (loop, shop)
        # A signal caught before the shop's task started (while the loop was made, or
        # between runs) is passed on once it is running: after its first step.
        loop.call_soon(self._pass_on, shop)
        try:
            return await shop.run()
        finally:
            self._run = None

    def _pass_on(self, shop: Shop) -> None:
        if self.signal_number is not None:
            shop.interrupt(self.signal_number)


class _Installed:
    """The catcher :func:`catch_signals` installed in this process (the command's or a library call's)."""

    catcher: _Catcher | None = None


@contextlib.contextmanager
def catch_signals(*, redeliver: bool = False) -> Iterator[_Catcher | None]:
    """Catch SIGINT and SIGTERM for the whole block (main thread only; nested blocks share it).

    The command holds one for its whole life and decides the exit code from what it
    caught. A library call (``redeliver=True``) that ends normally with a signal caught
    and not acted on sends that signal again once the previous handlers are back, so it
    is honoured as it would have been without the block. Yields None off the main thread
    or in a sweep's worker, where signals are someone else's business.
    """
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    if _Installed.catcher is not None:
        yield _Installed.catcher
        return
    catcher = _Catcher()
    previous = {number: signal.signal(number, catcher.handle) for number in _SIGNALS}
    _Installed.catcher = catcher
    try:
        yield catcher
    finally:
        _Installed.catcher = None
        for number, old in previous.items():
            signal.signal(number, old)
    if redeliver and catcher.signal_number is not None:
        signal.raise_signal(catcher.signal_number)


def caught_signal() -> int | None:
    """The signal the active :func:`catch_signals` block has caught, if any (main thread only)."""
    catcher = _Installed.catcher
    if catcher is None or threading.current_thread() is not threading.main_thread():
        return None
    return catcher.signal_number


def leave_signals_to_parent() -> None:
    """In a sweep's worker process: ignore SIGINT (the parent decides) and install no handlers.

    A Ctrl-C at a terminal reaches the whole process group; the parent stops the sweep
    and ends its workers, so they must not stop their runs on their own. SIGTERM keeps
    its default action: the parent ends a worker with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _Installed.catcher = _Catcher()  # never installed as a handler: runs here leave the handlers alone


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    log: IO[bytes] | None = None,
    item_events: bool = False,
    processors: Sequence[Processor] = (),
    bind: Mapping[str, Any] | None = None,
    progress: Callable[[float], None] | None = None,
    batch_means: bool = False,
    on_behind: Callable[[float, float], object] | None = None,
) -> Summary:
    """Run ``scenario`` to the end on its clock and return the summary.

    ``seed`` overrides the scenario's; with neither, a fresh one is drawn and
    reported in the log and the summary so the run can be replayed. ``log`` receives
    the JSON-lines event log (None: no log); ``processors`` are extra structlog
    processors run on each event before it is rendered; ``bind`` adds fields to
    every event (after ``t`` and ``event``); ``progress`` is told the fraction of the
    arrivals done, every 1,000 arrivals (it reads no clock). ``batch_means`` keeps the
    run cut into batches of time (:attr:`Summary.batches`; the scenario needs a
    duration), from which :func:`checkout_sim.analysis.batch_means` makes confidence
    intervals. On the wall clock every step happens at its simulated time, as
    on the virtual clock; ``on_behind(lag, when)`` hears once if the computer falls more
    than half a wall second behind, and the summary's ``realtime_lag_max`` says by how
    much at most. Each call makes its own loop, random streams and logger, so runs
    can share a process or go to worker processes.

    In the main thread, SIGINT and SIGTERM stop the run between two events and raise
    :class:`Interrupted` with the partial summary (see :func:`catch_signals`).
    """
    seed = resolve_seed(scenario, seed)
    shop = Shop(
        scenario,
        seed,
        log,
        item_events=item_events,
        processors=tuple(processors),
        bind=bind,
        progress=progress,
        batch_means=batch_means,
    )
    with (
        catch_signals(redeliver=True) as catcher,
        _collect_seldom(),
        asyncio.Runner(loop_factory=loop_factory(scenario.clock, scenario.speed, on_behind)) as runner,
    ):
        try:
            return runner.run(shop.run() if catcher is None else catcher.watch(shop))
        except BaseExceptionGroup as group:
            raise _first_leaf(group) from None
        finally:
            if log is not None:
                flush_log(log)


#: While a run is on, the cyclic garbage collector's youngest generation is collected
#: after this many new container objects (Python's default is 700).
YOUNG_COLLECTION_THRESHOLD = 50_000


class _SeldomCollection:
    """Collect cyclic garbage seldom while runs are on; restore the thresholds when the last ends.

    A run makes no cyclic garbage (a test frees a whole run by reference counting),
    but a long line keeps hundreds of thousands of customers and timers alive, and the
    collector walks them all again and again: a reneging run with a line of 155,000
    spent about a quarter of its time there (12.5k customers/s; 16.5k/s with young
    collections every 50,000 allocations). Threads running runs at once share one
    setting, counted under a lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved = gc.get_threshold()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._runs == 0:
                self._saved = gc.get_threshold()
                gc.set_threshold(max(YOUNG_COLLECTION_THRESHOLD, self._saved[0]), *self._saved[1:])
            self._runs += 1
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if self._runs == 0:
                    gc.set_threshold(*self._saved)


_collect_seldom = _SeldomCollection()


def replicate(
    scenario: Scenario,
    replications: int,
    *,
    seed: int | None = None,
    log: IO[bytes] | None = None,
    item_events: bool = False,
    processors: Sequence[Processor] = (),
    progress: Callable[[float], None] | None = None,
    batch_means: bool = False,
    on_behind: Callable[[float, float], object] | None = None,
) -> list[Summary]:
    """Run ``replications`` independent runs with seeds seed, seed+1, …; return their summaries.

    With more than one replication every event carries ``run`` (1, 2, …) so one log
    can hold them all. In the main thread a signal stops the series, in a run or between
    two, with :class:`RunsInterrupted` (what finished, and the partial summary if any).
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    first = resolve_seed(scenario, seed)
    finished: list[Summary] = []
    with catch_signals(redeliver=True) as catcher:
        for index in range(replications):
            # A signal caught before the first run stops it as it starts (the log ends
            # with its partial summary); one caught after a run stops the series there.
            if finished and catcher is not None and catcher.signal_number is not None:
                raise RunsInterrupted(
                    finished[-1], catcher.signal_number, finished=finished, partial=False, total=replications
                )
            try:
                summary = run(
                    scenario,
                    seed=first + index,
                    log=log,
                    item_events=item_events,
                    processors=processors,
                    bind={"run": index + 1} if replications > 1 else None,
                    progress=None if progress is None else _share(progress, index, replications),
                    batch_means=batch_means,
                    on_behind=on_behind,
                )
            except Interrupted as stop:
                raise RunsInterrupted(
                    stop.summary, stop.signal_number, finished=finished, partial=True, total=replications
                ) from None
            finished.append(summary)
        if catcher is not None and catcher.signal_number is not None:
            raise RunsInterrupted(
                finished[-1], catcher.signal_number, finished=finished, partial=False, total=replications
            )
    return finished


def _share(progress: Callable[[float], None], index: int, count: int) -> Callable[[float], None]:
    """Scale one replication's progress into the whole series'."""
    return lambda fraction: progress((index + fraction) / count)


def resolve_seed(scenario: Scenario, seed: int | None) -> int:
    """The seed given, else the scenario's, else a fresh one (reported so it can be replayed)."""
    if seed is not None:
        return seed
    return scenario.seed if scenario.seed is not None else random.SystemRandom().randrange(2**32)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real exception in a (nested) group, as a TaskGroup wraps one failure."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
