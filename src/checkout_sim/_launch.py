"""The commands' first moments: SIGINT and SIGTERM are caught before the heavy imports.

Loading pydantic, asyncio and the engine takes a fifth of a second or more; a signal in that
time would otherwise end the process with Python's default (a traceback, or no word
at all). Here it is noted, and the command stops with one line and 130 or 143.

The imports are also kept away from the garbage collector (see :func:`_imported`): a
one-customer run spent about 15 % of its time collecting among objects that live until exit.
"""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Callable


def run_scenario() -> int:
    """``run-scenario``: :func:`checkout_sim.cli.main`, with signals caught from the start."""
    return _launched("run-scenario", lambda: _import_main("checkout_sim.cli"))


def scenario_report() -> int:
    """``scenario-report``: :func:`checkout_sim.analysis.report.main`, with signals caught from the start."""
    return _launched("scenario-report", lambda: _import_main("checkout_sim.analysis.report"))


def _import_main(module: str) -> Callable[[], int]:
    import importlib

    command: Callable[[], int] = importlib.import_module(module).main
    return command


def _launched(name: str, load: Callable[[], Callable[[], int]]) -> int:
    caught: list[int] = []

    def note(number: int, frame: object) -> None:
        caught.append(number)

    previous = {number: signal.signal(number, note) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        command = _imported(load)
        if caught:
            return _stopped(name, caught[0], "while starting; nothing was run")
        code = command()  # it catches signals itself while it works, then puts ``note`` back
        if caught and code == 0:
            return _stopped(name, caught[0], "after finishing; the output is complete")
        return code
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _imported(load: Callable[[], Callable[[], int]]) -> Callable[[], int]:
    """``load()`` with the cyclic garbage collector paused, and what it made frozen after.

    Importing pydantic, asyncio and the engine makes some 40,000 objects the collector
    tracks (modules, classes, functions, pydantic's schemas), which live until the process
    ends. While they are made the collector ran some 90 times (about 13 ms) and found next
    to no garbage; afterwards every full collection of the run would walk them all again
    (about 10 ms each), and so would the collections Python makes as it exits (the process
    ended some 30 ms later). :func:`gc.freeze` moves them to a generation the collector leaves alone;
    what the run makes is collected as before, and a frozen object is still freed when
    the last reference to it goes.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        command = load()
    finally:
        if collecting:
            gc.enable()
    gc.freeze()
    return command


def _stopped(name: str, number: int, when: str) -> int:
    print(f"{name}: interrupted by {signal.Signals(number).name} {when}", file=sys.stderr)
    return 128 + number
