"""Running a scenario: the library entry point that the command line is a thin layer over."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from structlog.typing import Processor

from ._clock import loop_factory
from ._engine import Interrupted, Shop
from ._eventlog import flush_log
from .scenario import Scenario
from .summary import Summary

__all__ = ["Interrupted", "replicate", "run"]


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
    arrivals done, every 1,000 arrivals (it reads no clock). ``batch_means`` adds
    confidence intervals from this one run (:attr:`Summary.batch_means`; the scenario
    needs a duration). On the wall clock every step happens at its simulated time, as
    on the virtual clock; ``on_behind(lag, when)`` hears once if the computer falls more
    than half a wall second behind, and the summary's ``realtime_lag_max`` says by how
    much at most. Each call makes its own loop, random streams and logger, so runs
    can share a process or go to worker processes.
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
    with asyncio.Runner(loop_factory=loop_factory(scenario.clock, scenario.speed, on_behind)) as runner:
        loop = runner.get_loop()
        try:
            with _signals_stop(shop, loop):
                return runner.run(shop.run())
        except BaseExceptionGroup as group:
            raise _first_leaf(group) from None
        finally:
            if log is not None:
                flush_log(log)


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
    can hold them all.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    first = resolve_seed(scenario, seed)
    return [
        run(
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
        for index in range(replications)
    ]


def _share(progress: Callable[[float], None], index: int, count: int) -> Callable[[float], None]:
    """Scale one replication's progress into the whole series'."""
    return lambda fraction: progress((index + fraction) / count)


def resolve_seed(scenario: Scenario, seed: int | None) -> int:
    """The seed given, else the scenario's, else a fresh one (reported so it can be replayed)."""
    if seed is not None:
        return seed
    return scenario.seed if scenario.seed is not None else random.SystemRandom().randrange(2**32)


@contextlib.contextmanager
def _signals_stop(shop: Shop, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """While a run is on, SIGINT and SIGTERM end it with a partial summary (main thread only).

    The handler only schedules :meth:`Shop.interrupt` on the loop, so the run stops
    between two events and the log ends with a whole line.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signal_number: int, frame: object) -> None:
        loop.call_soon_threadsafe(shop.interrupt, signal_number)

    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real exception in a (nested) group, as a TaskGroup wraps one failure."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
