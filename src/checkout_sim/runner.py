"""Running a scenario: the library entry point that the command line is a thin layer over."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import IO

from structlog.typing import Processor

from ._clock import loop_factory
from ._engine import Shop
from .scenario import Scenario
from .summary import Summary

__all__ = ["run"]


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    log: IO[bytes] | None = None,
    item_events: bool = False,
    processors: Sequence[Processor] = (),
) -> Summary:
    """Run ``scenario`` to the end on its clock and return the summary.

    ``seed`` overrides the scenario's; with neither, a fresh one is drawn and
    reported in the log and the summary so the run can be replayed. ``log`` receives
    the JSON-lines event log (None: no log); ``processors`` are extra structlog
    processors run on each event before it is rendered. Each call makes its own loop,
    random streams and logger, so runs can share a process or go to worker processes.
    """
    if seed is None:
        seed = scenario.seed if scenario.seed is not None else random.SystemRandom().randrange(2**32)
    shop = Shop(scenario, seed, log, item_events=item_events, processors=tuple(processors))
    with asyncio.Runner(loop_factory=loop_factory(scenario.clock, scenario.speed)) as runner:
        try:
            return runner.run(shop.run())
        except BaseExceptionGroup as group:
            raise _first_leaf(group) from None
        finally:
            if log is not None:
                log.flush()


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real exception in a (nested) group, as a TaskGroup wraps one failure."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
